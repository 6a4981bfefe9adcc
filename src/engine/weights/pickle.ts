/**
 * A safe unpickler: it reads Python pickles (protocol 2 as torch.save emits it, plus the binary
 * opcodes of protocols 3–5 and the common text ones of protocol 0) into plain data and NEVER runs
 * anything. A GLOBAL becomes a `PickleGlobal` name; calling it (REDUCE / NEWOBJ / INST / OBJ)
 * yields an inert `PickleObject` unless the caller's hooks turn a known, data-only global (torch's
 * tensor rebuild functions, storage types) into a value. A few builtins that only build data
 * (OrderedDict, set, bytes via `_codecs.encode`) are understood here.
 *
 * Values: None → null, bool → boolean, int → number (bigint beyond 2^53), float → number,
 * str → string, bytes → Uint8Array, list → array, tuple → frozen array, dict → PickleDict,
 * set → Set.
 */
import { StudioError } from '../../shared/errors';

export type PickleKey = unknown;

/** dict and OrderedDict. BUILD state (e.g. a state dict's `_metadata`) lands in `state`, not in items. */
export class PickleDict {
  readonly items = new Map<PickleKey, unknown>();
  state: unknown = undefined;
  get(key: PickleKey): unknown {
    return this.items.get(key);
  }
}

/** A reference to a Python global (module + name); never resolved to code. */
export class PickleGlobal {
  constructor(
    readonly module: string,
    readonly name: string,
  ) {}
  get qualifiedName(): string {
    return `${this.module}.${this.name}`;
  }
}

/** An object the unpickler did not understand: the callable, its arguments and any state, kept inert. */
export class PickleObject {
  state: unknown = undefined;
  readonly listItems: unknown[] = [];
  readonly dictItems = new Map<PickleKey, unknown>();
  constructor(
    readonly callable: unknown,
    readonly args: readonly unknown[],
  ) {}
}

export interface UnpickleHooks {
  /** Turns GLOBAL module/name into a value (default: a PickleGlobal). */
  findClass?(module: string, name: string): unknown;
  /** Calls a callable that findClass returned; return undefined to keep an inert PickleObject. */
  reduce?(callable: unknown, args: readonly unknown[]): unknown;
  /** Resolves BINPERSID / PERSID ids (torch: storages). Without it, persistent ids are an error. */
  persistentLoad?(pid: unknown): unknown;
}

export function isTuple(value: unknown): value is readonly unknown[] {
  return Array.isArray(value) && Object.isFrozen(value);
}


function builtinReduce(fn: PickleGlobal, args: readonly unknown[]): unknown {
  const mod = fn.module === '__builtin__' ? 'builtins' : fn.module;
  const key = `${mod}.${fn.name}`;
  switch (key) {
    case 'collections.OrderedDict':
    case 'builtins.dict': {
      const d = new PickleDict();
      const init = args[0];
      if (Array.isArray(init)) for (const pair of init) if (Array.isArray(pair) && pair.length === 2) d.items.set(pair[0], pair[1]);
      return d;
    }
    case 'builtins.set':
    case 'builtins.frozenset':
      return new Set(Array.isArray(args[0]) ? args[0] : []);
    case 'builtins.list':
      return Array.isArray(args[0]) ? [...args[0]] : [];
    case 'builtins.tuple':
      return Object.freeze(Array.isArray(args[0]) ? [...args[0]] : []);
    case '_codecs.encode':
      // protocol 2 pickles bytes as _codecs.encode(<latin-1 text>, 'latin1')
      if (typeof args[0] === 'string' && (args[1] === 'latin1' || args[1] === 'latin-1')) {
        return Uint8Array.from(args[0], (ch) => ch.charCodeAt(0) & 0xff);
      }
      return undefined;
    default:
      return undefined;
  }
}

function toNumber(v: bigint): number | bigint {
  return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
}

/** Little-endian two's-complement integer (LONG1 / LONG4). */
function decodeLong(bytes: Uint8Array): number | bigint {
  if (bytes.length === 0) return 0;
  let v = 0n;
  for (let i = bytes.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(bytes[i]);
  if (bytes[bytes.length - 1] & 0x80) v -= 1n << BigInt(8 * bytes.length);
  return toNumber(v);
}

/**
 * Unpickles `data`. `origin` names the file (and archive entry) in error messages.
 * Throws WEIGHTS_CORRUPT for malformed data and unknown opcodes, WEIGHTS_UNSUPPORTED for
 * features a weight file never needs (extension registry, out-of-band buffers).
 */
export function unpickle(data: Uint8Array, origin: string, hooks: UnpickleHooks = {}): unknown {
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const utf8 = new TextDecoder('utf-8', { fatal: true });
  const latin1 = new TextDecoder('latin1');
  const stack: unknown[] = [];
  const marks: number[] = [];
  const memo = new Map<number, unknown>();
  let pos = 0;
  let opAt = 0;
  let lastText = '';

  const fail = (why: string, code: 'WEIGHTS_CORRUPT' | 'WEIGHTS_UNSUPPORTED' = 'WEIGHTS_CORRUPT'): StudioError =>
    new StudioError(
      code,
      `${origin}: ${why} at byte ${opAt}${lastText ? ` (after the name "${lastText}")` : ''}. ` +
        (code === 'WEIGHTS_CORRUPT' ? 'The file is damaged: delete it and download it again.' : 'Re-save the checkpoint with torch.save defaults.'),
    );
  const need = (n: number): void => {
    if (pos + n > data.length) throw fail('pickle data ends early');
  };
  const bytes = (n: number): Uint8Array => {
    need(n);
    pos += n;
    return data.subarray(pos - n, pos);
  };
  const u8 = (): number => bytes(1)[0];
  const u16 = (): number => (need(2), (pos += 2), view.getUint16(pos - 2, true));
  const u32 = (): number => (need(4), (pos += 4), view.getUint32(pos - 4, true));
  const i32 = (): number => (need(4), (pos += 4), view.getInt32(pos - 4, true));
  const u64 = (): number => {
    need(8);
    pos += 8;
    const v = view.getBigUint64(pos - 8, true);
    if (v > BigInt(data.length)) throw fail('length field larger than the data');
    return Number(v);
  };
  const line = (): string => {
    const end = data.indexOf(0x0a, pos);
    if (end < 0) throw fail('text opcode without end of line');
    const text = latin1.decode(data.subarray(pos, end));
    pos = end + 1;
    return text;
  };
  const text = (b: Uint8Array): string => {
    try {
      lastText = utf8.decode(b);
    } catch {
      throw fail('string is not valid UTF-8');
    }
    return lastText;
  };
  const legacyString = (b: Uint8Array): string => {
    try {
      return utf8.decode(b);
    } catch {
      return latin1.decode(b);
    }
  };
  const pop = (): unknown => {
    if (stack.length === 0 || (marks.length && stack.length <= marks[marks.length - 1])) throw fail('pickle stack underflow');
    return stack.pop();
  };
  const top = (): unknown => {
    if (stack.length === 0) throw fail('pickle stack underflow');
    return stack[stack.length - 1];
  };
  const popMark = (): unknown[] => {
    const m = marks.pop();
    if (m === undefined) throw fail('pickle MARK missing');
    return stack.splice(m);
  };
  const memoGet = (i: number): unknown => {
    if (!memo.has(i)) throw fail(`pickle memo ${i} read before written`);
    return memo.get(i);
  };
  const call = (callable: unknown, args: unknown): unknown => {
    const argList = Array.isArray(args) ? args : [];
    if (hooks.reduce) {
      const made = hooks.reduce(callable, argList);
      if (made !== undefined) return made;
    }
    if (callable instanceof PickleGlobal) {
      const made = builtinReduce(callable, argList);
      if (made !== undefined) return made;
    }
    return new PickleObject(callable, argList);
  };
  const findClass = (module: string, name: string): unknown => hooks.findClass?.(module, name) ?? new PickleGlobal(module, name);
  const setItems = (target: unknown, kv: unknown[]): void => {
    if (kv.length % 2) throw fail('odd number of dict items');
    const map = target instanceof PickleDict ? target.items : target instanceof PickleObject ? target.dictItems : undefined;
    if (!map) throw fail('SETITEM on something that is not a dict');
    for (let i = 0; i < kv.length; i += 2) map.set(kv[i], kv[i + 1]);
  };
  const appendItems = (target: unknown, items: unknown[]): void => {
    if (Array.isArray(target) && !Object.isFrozen(target)) target.push(...items);
    else if (target instanceof PickleObject) target.listItems.push(...items);
    else throw fail('APPEND on something that is not a list');
  };

  for (;;) {
    opAt = pos;
    const op = u8();
    switch (op) {
      case 0x80: // PROTO
        if (u8() > 5) throw fail('pickle protocol newer than 5', 'WEIGHTS_UNSUPPORTED');
        break;
      case 0x95: // FRAME: framing is only a hint to buffered readers
        bytes(8);
        break;
      case 0x2e: // STOP
        if (stack.length !== 1) throw fail(`pickle ended with ${stack.length} values on the stack`);
        return stack[0];
      case 0x28: marks.push(stack.length); break; // MARK
      case 0x30: // POP: with nothing above the last MARK, Python pops the mark itself
        if (marks.length && stack.length === marks[marks.length - 1]) marks.pop();
        else pop();
        break;
      case 0x31: popMark(); break; // POP_MARK
      case 0x32: stack.push(top()); break; // DUP
      case 0x4e: stack.push(null); break; // NONE
      case 0x88: stack.push(true); break; // NEWTRUE
      case 0x89: stack.push(false); break; // NEWFALSE
      case 0x4a: stack.push(i32()); break; // BININT
      case 0x4b: stack.push(u8()); break; // BININT1
      case 0x4d: stack.push(u16()); break; // BININT2
      case 0x8a: stack.push(decodeLong(bytes(u8()))); break; // LONG1
      case 0x8b: stack.push(decodeLong(bytes(u32()))); break; // LONG4
      case 0x47: need(8); pos += 8; stack.push(view.getFloat64(pos - 8, false)); break; // BINFLOAT (big-endian)
      case 0x49: { // INT (text); "00"/"01" are protocol 0 booleans
        const t = line().trim();
        if (t === '00' || t === '01') stack.push(t === '01');
        else if (/^[+-]?\d+$/.test(t)) stack.push(toNumber(BigInt(t)));
        else throw fail(`bad INT "${t}"`);
        break;
      }
      case 0x4c: { // LONG (text)
        const t = line().trim().replace(/L$/, '');
        if (!/^[+-]?\d+$/.test(t)) throw fail(`bad LONG "${t}"`);
        stack.push(toNumber(BigInt(t)));
        break;
      }
      case 0x46: { // FLOAT (text)
        const v = Number(line().trim());
        if (Number.isNaN(v)) throw fail('bad FLOAT');
        stack.push(v);
        break;
      }
      case 0x58: stack.push(text(bytes(u32()))); break; // BINUNICODE
      case 0x8c: stack.push(text(bytes(u8()))); break; // SHORT_BINUNICODE
      case 0x8d: stack.push(text(bytes(u64()))); break; // BINUNICODE8
      case 0x56: stack.push(line().replace(/\\u([0-9a-fA-F]{4})|\\U([0-9a-fA-F]{8})/g, (_, h4, h8) => String.fromCodePoint(parseInt(h4 ?? h8, 16)))); break; // UNICODE
      case 0x55: stack.push(legacyString(bytes(u8()))); break; // SHORT_BINSTRING
      case 0x54: { // BINSTRING
        const n = i32();
        if (n < 0) throw fail('negative string length');
        stack.push(legacyString(bytes(n)));
        break;
      }
      case 0x53: { // STRING (quoted text)
        const t = line().trim();
        const q = t[0];
        if ((q !== "'" && q !== '"') || t[t.length - 1] !== q) throw fail('bad STRING');
        stack.push(t.slice(1, -1));
        break;
      }
      case 0x43: stack.push(bytes(u8()).slice()); break; // SHORT_BINBYTES
      case 0x42: stack.push(bytes(u32()).slice()); break; // BINBYTES
      case 0x8e: stack.push(bytes(u64()).slice()); break; // BINBYTES8
      case 0x96: stack.push(bytes(u64()).slice()); break; // BYTEARRAY8
      case 0x97: throw fail('out-of-band pickle buffers are not supported', 'WEIGHTS_UNSUPPORTED'); // NEXT_BUFFER
      case 0x98: break; // READONLY_BUFFER
      case 0x7d: stack.push(new PickleDict()); break; // EMPTY_DICT
      case 0x5d: stack.push([]); break; // EMPTY_LIST
      case 0x29: stack.push(Object.freeze([])); break; // EMPTY_TUPLE
      case 0x8f: stack.push(new Set()); break; // EMPTY_SET
      case 0x74: stack.push(Object.freeze(popMark())); break; // TUPLE
      case 0x85: stack.push(Object.freeze([pop()])); break; // TUPLE1
      case 0x86: { const b = pop(); const a = pop(); stack.push(Object.freeze([a, b])); break; } // TUPLE2
      case 0x87: { const c = pop(); const b = pop(); const a = pop(); stack.push(Object.freeze([a, b, c])); break; } // TUPLE3
      case 0x6c: stack.push(popMark()); break; // LIST
      case 0x64: { const d = new PickleDict(); setItems(d, popMark()); stack.push(d); break; } // DICT
      case 0x91: stack.push(new Set(popMark())); break; // FROZENSET
      case 0x90: { // ADDITEMS
        const items = popMark();
        const s = top();
        if (!(s instanceof Set)) throw fail('ADDITEMS on something that is not a set');
        items.forEach((i) => s.add(i));
        break;
      }
      case 0x61: { const v = pop(); appendItems(top(), [v]); break; } // APPEND
      case 0x65: { const items = popMark(); appendItems(top(), items); break; } // APPENDS
      case 0x73: { const v = pop(); const k = pop(); setItems(top(), [k, v]); break; } // SETITEM
      case 0x75: { const kv = popMark(); setItems(top(), kv); break; } // SETITEMS
      case 0x70: memo.set(Number(line()), top()); break; // PUT
      case 0x71: memo.set(u8(), top()); break; // BINPUT
      case 0x72: memo.set(u32(), top()); break; // LONG_BINPUT
      case 0x94: memo.set(memo.size, top()); break; // MEMOIZE
      case 0x67: stack.push(memoGet(Number(line()))); break; // GET
      case 0x68: stack.push(memoGet(u8())); break; // BINGET
      case 0x6a: stack.push(memoGet(u32())); break; // LONG_BINGET
      case 0x63: { // GLOBAL
        const module = line();
        const name = line();
        lastText = name;
        stack.push(findClass(module, name));
        break;
      }
      case 0x93: { // STACK_GLOBAL
        const name = pop();
        const module = pop();
        if (typeof module !== 'string' || typeof name !== 'string') throw fail('STACK_GLOBAL needs two strings');
        stack.push(findClass(module, name));
        break;
      }
      case 0x52: { const args = pop(); const fn = pop(); stack.push(call(fn, args)); break; } // REDUCE
      case 0x81: { const args = pop(); const cls = pop(); stack.push(call(cls, args)); break; } // NEWOBJ
      case 0x92: { pop(); const args = pop(); const cls = pop(); stack.push(call(cls, args)); break; } // NEWOBJ_EX (kwargs dropped)
      case 0x69: { // INST
        const cls = findClass(line(), line());
        stack.push(call(cls, popMark()));
        break;
      }
      case 0x6f: { // OBJ
        const items = popMark();
        if (!items.length) throw fail('OBJ without a class');
        stack.push(call(items[0], items.slice(1)));
        break;
      }
      case 0x62: { // BUILD: record the state on our own containers; anything else ignores it
        const state = pop();
        const obj = top();
        if (obj instanceof PickleDict || obj instanceof PickleObject) obj.state = state;
        break;
      }
      case 0x51: { // BINPERSID
        const pid = pop();
        if (!hooks.persistentLoad) throw fail('persistent id without a loader', 'WEIGHTS_UNSUPPORTED');
        stack.push(hooks.persistentLoad(pid));
        break;
      }
      case 0x50: { // PERSID
        const pid = line();
        if (!hooks.persistentLoad) throw fail('persistent id without a loader', 'WEIGHTS_UNSUPPORTED');
        stack.push(hooks.persistentLoad(pid));
        break;
      }
      case 0x82:
      case 0x83:
      case 0x84:
        throw fail('pickle extension registry codes are not supported', 'WEIGHTS_UNSUPPORTED');
      default:
        throw fail(`unknown pickle opcode 0x${op.toString(16).padStart(2, '0')}`);
    }
  }
}

/** Converts unpickled data into plain JSON-like values (dicts → objects, tuples → arrays) for display and tests. */
export function toPlain(value: unknown): unknown {
  if (value instanceof PickleDict) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of value.items) out[String(k)] = toPlain(v);
    return out;
  }
  if (Array.isArray(value)) return value.map(toPlain);
  if (value instanceof Set) return [...value].map(toPlain);
  if (value instanceof PickleGlobal) return `<${value.qualifiedName}>`;
  if (value instanceof PickleObject) {
    const fn = value.callable instanceof PickleGlobal ? value.callable.qualifiedName : 'object';
    return `<${fn} object>`;
  }
  return value;
}
