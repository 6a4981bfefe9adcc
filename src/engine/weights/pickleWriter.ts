/**
 * A small protocol-2 pickle encoder: what torchCheckpointWriter needs to produce a data.pkl that
 * torch.load accepts, plus raw opcode access so tests can hand-build unusual pickles (views with
 * strides, shared storages, unknown opcodes).
 */

/** Forces a number to be pickled as a Python float even when it is integral. */
export class PyFloat {
  constructor(readonly value: number) {}
}

export const OP = {
  MARK: 0x28,
  STOP: 0x2e,
  NONE: 0x4e,
  NEWTRUE: 0x88,
  NEWFALSE: 0x89,
  EMPTY_DICT: 0x7d,
  EMPTY_LIST: 0x5d,
  EMPTY_TUPLE: 0x29,
  TUPLE: 0x74,
  TUPLE1: 0x85,
  TUPLE2: 0x86,
  TUPLE3: 0x87,
  SETITEM: 0x73,
  SETITEMS: 0x75,
  APPENDS: 0x65,
  REDUCE: 0x52,
  BUILD: 0x62,
  BINPERSID: 0x51,
} as const;

export class PickleEncoder {
  private buf = new Uint8Array(1024);
  private len = 0;
  private nextMemo = 0;
  private readonly globals = new Map<string, number>();

  constructor() {
    this.raw(0x80, 2); // PROTO 2
  }

  /** Appends raw bytes (opcodes and operands) as they are. */
  raw(...bytes: number[]): this {
    this.ensure(bytes.length);
    for (const b of bytes) this.buf[this.len++] = b;
    return this;
  }

  private ensure(n: number): void {
    if (this.len + n <= this.buf.length) return;
    const next = new Uint8Array(Math.max(this.buf.length * 2, this.len + n));
    next.set(this.buf.subarray(0, this.len));
    this.buf = next;
  }

  private append(bytes: Uint8Array): void {
    this.ensure(bytes.length);
    this.buf.set(bytes, this.len);
    this.len += bytes.length;
  }

  private u32(n: number): this {
    return this.raw(n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, (n >>> 24) & 0xff);
  }

  op(code: number): this {
    return this.raw(code);
  }

  /** BINPUT / LONG_BINPUT of the value on top of the stack; returns its memo index. */
  put(): number {
    const i = this.nextMemo++;
    if (i < 256) this.raw(0x71, i);
    else this.raw(0x72).u32(i);
    return i;
  }

  get(index: number): this {
    return index < 256 ? this.raw(0x68, index) : this.raw(0x6a).u32(index);
  }

  /** GLOBAL, memoized like Python's pickler (a second use is a BINGET). */
  global(module: string, name: string): this {
    const key = `${module}\n${name}`;
    const memo = this.globals.get(key);
    if (memo !== undefined) return this.get(memo);
    this.raw(0x63);
    this.append(new TextEncoder().encode(`${module}\n${name}\n`));
    this.globals.set(key, this.put());
    return this;
  }

  int(n: number | bigint): this {
    if (typeof n === 'number' && Number.isInteger(n) && n >= 0 && n < 256) return this.raw(0x4b, n);
    if (typeof n === 'number' && Number.isInteger(n) && n >= 0 && n < 65536) return this.raw(0x4d, n & 0xff, n >>> 8);
    if (typeof n === 'number' && Number.isInteger(n) && n >= -(2 ** 31) && n < 2 ** 31) return this.raw(0x4a).u32(n >>> 0);
    // LONG1: little-endian two's complement, as short as possible
    let v = BigInt(n);
    const out: number[] = [];
    for (;;) {
      out.push(Number(v & 0xffn));
      v >>= 8n;
      const signBit = (out[out.length - 1] & 0x80) !== 0;
      if ((v === 0n && !signBit) || (v === -1n && signBit)) break;
    }
    return this.raw(0x8a, out.length, ...out);
  }

  float(x: number): this {
    const b = new Uint8Array(8);
    new DataView(b.buffer).setFloat64(0, x, false); // BINFLOAT is big-endian
    this.raw(0x47);
    this.append(b);
    return this;
  }

  str(s: string): this {
    const b = new TextEncoder().encode(s);
    this.raw(0x58).u32(b.length);
    this.append(b);
    return this;
  }

  bool(b: boolean): this {
    return this.raw(b ? OP.NEWTRUE : OP.NEWFALSE);
  }

  /** bytes as protocol 2 writes them: _codecs.encode(<latin-1 text>, 'latin1'). */
  bytesValue(b: Uint8Array): this {
    this.global('_codecs', 'encode');
    this.str(String.fromCharCode(...b)).str('latin1').op(OP.TUPLE2).op(OP.REDUCE);
    return this;
  }

  /** Emits a tuple of `n` values already pushed after a MARK (n > 3) or without one (n ≤ 3). */
  tupleOf(n: number): this {
    if (n === 0) return this.op(OP.EMPTY_TUPLE);
    if (n <= 3) return this.op([OP.TUPLE1, OP.TUPLE2, OP.TUPLE3][n - 1]);
    return this.op(OP.TUPLE);
  }

  /** A tuple of ints (shapes, strides). */
  intTuple(values: readonly number[]): this {
    if (values.length > 3) this.op(OP.MARK);
    values.forEach((v) => this.int(v));
    return this.tupleOf(values.length);
  }

  stop(): Uint8Array {
    this.op(OP.STOP);
    return this.buf.slice(0, this.len);
  }
}
