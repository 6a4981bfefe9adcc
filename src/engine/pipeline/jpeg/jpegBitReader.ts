/**
 * Entropy-coded data access for the JPEG decoder: Huffman tables (with a 9-bit lookahead table)
 * and a bit reader that unstuffs 0xFF00, reads zero bits once a marker is reached (as libjpeg does)
 * and reports truncation only when bits past the end of the file are actually consumed.
 */

export class JpegError extends Error {}

export interface Huffman {
  /** per code length 1..16: largest code, or -1 */
  maxCode: Int32Array;
  /** per code length: index of its first value minus its first code */
  valOffset: Int32Array;
  values: Uint8Array;
  /** codes of up to LOOKAHEAD bits: (length << 8) | value for every LOOKAHEAD-bit prefix, else 0 */
  lookup: Uint16Array;
}

const LOOKAHEAD = 9;

export function buildHuffman(counts: Uint8Array, values: Uint8Array): Huffman {
  const maxCode = new Int32Array(18).fill(-1), valOffset = new Int32Array(18);
  const lookup = new Uint16Array(1 << LOOKAHEAD);
  let code = 0, k = 0;
  for (let len = 1; len <= 16; len++) {
    const n = counts[len - 1];
    if (n) {
      valOffset[len] = k - code;
      if (len <= LOOKAHEAD) {
        for (let i = 0; i < n; i++) {
          const first = (code + i) << (LOOKAHEAD - len);
          lookup.fill((len << 8) | values[k + i], first, first + (1 << (LOOKAHEAD - len)));
        }
      }
      code += n;
      k += n;
      maxCode[len] = code - 1;
    }
    code <<= 1;
  }
  return { maxCode, valOffset, values, lookup };
}

export class BitReader {
  /** unconsumed bits are the low `count` bits of `acc` */
  private acc = 0;
  private count = 0;
  /** a marker was reached: further reads see zero bits, as libjpeg does */
  private atMarker = false;
  /** zero bits appended past the end of the data; consuming any means the file is truncated */
  private phantom = 0;
  constructor(private readonly data: Uint8Array, public pos: number) {}

  /** Top up to at least 17 buffered bits (acc stays below 2^25). */
  private fill(): void {
    while (this.count <= 16) {
      let b = 0;
      if (this.atMarker) {
        // zero bits
      } else if (this.pos >= this.data.length) {
        this.phantom += 8;
      } else {
        b = this.data[this.pos];
        if (b === 0xff) {
          const next = this.data[this.pos + 1];
          if (next === 0x00) this.pos += 2;
          else {
            this.atMarker = true;
            b = 0;
          }
        } else this.pos++;
      }
      this.acc = ((this.acc << 8) | b) & 0x1ffffff;
      this.count += 8;
    }
  }

  private consume(n: number): void {
    this.count -= n;
    if (this.count < this.phantom) throw new JpegError('JPEG data ends in the middle of an image scan (truncated file)');
  }

  bit(): number {
    if (this.count === 0) this.fill();
    this.consume(1);
    return (this.acc >> this.count) & 1;
  }

  receive(n: number): number {
    if (n === 0) return 0;
    if (this.count < n) this.fill();
    this.consume(n);
    return (this.acc >> this.count) & ((1 << n) - 1);
  }

  /** receive(n) sign-extended per T.81 F.2.2.1 */
  extend(n: number): number {
    if (n === 0) return 0;
    const v = this.receive(n);
    return v < 1 << (n - 1) ? v - (1 << n) + 1 : v;
  }

  decode(table: Huffman | undefined): number {
    if (!table) throw new JpegError('JPEG scan uses an undefined Huffman table');
    if (this.count < 16) this.fill();
    const entry = table.lookup[(this.acc >> (this.count - LOOKAHEAD)) & ((1 << LOOKAHEAD) - 1)];
    if (entry !== 0) {
      this.consume(entry >> 8);
      return entry & 0xff;
    }
    let code = (this.acc >> (this.count - LOOKAHEAD)) & ((1 << LOOKAHEAD) - 1);
    this.consume(LOOKAHEAD);
    for (let len = LOOKAHEAD + 1; len <= 16; len++) {
      code = (code << 1) | this.bit();
      if (code <= table.maxCode[len]) return table.values[table.valOffset[len] + code];
    }
    return 0; // corrupt code: libjpeg warns and decodes a zero
  }

  /** Drop buffered bits and step over an RSTn marker (restart interval boundary). */
  restart(): void {
    this.acc = 0;
    this.count = 0;
    this.phantom = 0;
    this.atMarker = false;
    while (this.pos + 1 < this.data.length && !(this.data[this.pos] === 0xff && this.data[this.pos + 1] >= 0xd0 && this.data[this.pos + 1] <= 0xd7)) {
      if (this.data[this.pos] === 0xff && this.data[this.pos + 1] !== 0 && this.data[this.pos + 1] !== 0xff) return; // other marker: resync there
      this.pos++;
    }
    if (this.pos + 1 < this.data.length) this.pos += 2;
  }
}
