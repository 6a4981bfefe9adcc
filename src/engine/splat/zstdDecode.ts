/**
 * A Zstandard decoder in plain TypeScript (RFC 8878), for SPZ version 4 where the runtime's zlib
 * has no ZSTD (Node before 22.15). Frames, raw/RLE/compressed blocks, Huffman literals (1 or 4
 * streams, treeless reuse), FSE sequences with predefined/RLE/compressed/repeat tables and repeat
 * offsets. Dictionaries are not supported (SPZ never uses them); checksums are not verified.
 * Throws ZstdError on anything malformed.
 */

export class ZstdError extends Error {}

const FRAME_MAGIC = 0xfd2fb528;

// RFC 8878 §3.1.1.3.2.1.1: literal-length and match-length codes → baseline + extra bits.
const LL_BASE = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 18, 20, 22, 24, 28, 32, 40, 48, 64, 128, 256, 512, 1024, 2048, 4096, 8192, 16384, 32768, 65536];
const LL_BITS = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 3, 3, 4, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16];
const ML_BASE = [
  3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32, 33, 34,
  35, 37, 39, 41, 43, 47, 51, 59, 67, 83, 99, 131, 259, 515, 1027, 2051, 4099, 8195, 16387, 32771, 65539,
];
const ML_BITS = [
  0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
  1, 1, 1, 1, 2, 2, 3, 3, 4, 4, 5, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16,
];
// RFC 8878 §3.1.1.3.2.2: default distributions.
const LL_DEFAULT = [4, 3, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 1, 1, 1, 2, 2, 2, 2, 2, 2, 2, 2, 2, 3, 2, 1, 1, 1, 1, 1, -1, -1, -1, -1];
const ML_DEFAULT = [
  1, 4, 3, 2, 2, 2, 2, 2, 2, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
  1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, -1, -1, -1, -1, -1, -1, -1,
];
const OF_DEFAULT = [1, 1, 1, 1, 1, 1, 2, 2, 2, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, -1, -1, -1, -1, -1];

function highBit(x: number): number {
  return 31 - Math.clz32(x);
}

/** Backward bit reader: bits are consumed from `bitPos` (exclusive) down to 0; below 0 reads zeros. */
class BackwardBits {
  bitPos: number;
  constructor(private readonly bytes: Uint8Array) {
    const last = bytes.length > 0 ? bytes[bytes.length - 1] : 0;
    if (last === 0) throw new ZstdError('bitstream has no end marker');
    this.bitPos = (bytes.length - 1) * 8 + highBit(last);
  }
  /** Bits [pos, pos + n) as an integer, n ≤ 24; positions below 0 read as zero. */
  peekAt(pos: number, n: number): number {
    if (n === 0) return 0;
    if (pos < 0) return pos + n <= 0 ? 0 : this.peekAt(0, n + pos) << -pos;
    const b = this.bytes, i = pos >> 3;
    const word = (b[i] | (b[i + 1] << 8) | (b[i + 2] << 16) | (b[i + 3] << 24)) >>> (pos & 7);
    return word & ((1 << n) - 1);
  }
  read(n: number): number {
    if (n === 0) return 0;
    this.bitPos -= n;
    if (n <= 24) return this.peekAt(this.bitPos, n);
    return this.peekAt(this.bitPos + 16, n - 16) * 65536 + this.peekAt(this.bitPos, 16);
  }
}

interface FseTable { log: number; symbol: Uint8Array; bits: Uint8Array; base: Uint16Array }

function fseTableFromCounts(counts: number[], log: number): FseTable {
  const size = 1 << log;
  const symbol = new Uint8Array(size), bits = new Uint8Array(size), base = new Uint16Array(size);
  const next = new Array<number>(counts.length);
  let high = size - 1;
  counts.forEach((c, s) => {
    if (c === -1) { symbol[high--] = s; next[s] = 1; } else next[s] = c;
  });
  const step = (size >> 1) + (size >> 3) + 3, mask = size - 1;
  let pos = 0;
  counts.forEach((c, s) => {
    for (let i = 0; i < c; i++) {
      symbol[pos] = s;
      do pos = (pos + step) & mask; while (pos > high);
    }
  });
  if (pos !== 0) throw new ZstdError('FSE distribution does not fill its table');
  for (let u = 0; u < size; u++) {
    const state = next[symbol[u]]++;
    bits[u] = log - highBit(state);
    base[u] = (state << bits[u]) - size;
  }
  return { log, symbol, bits, base };
}

function rleTable(sym: number): FseTable {
  return { log: 0, symbol: Uint8Array.of(sym), bits: Uint8Array.of(0), base: Uint16Array.of(0) };
}

/** Reads an FSE table description (forward bitstream) at `at`; returns the table and bytes used. */
function readFseTable(src: Uint8Array, at: number, maxLog: number, maxSymbol: number): { table: FseTable; size: number } {
  let bitPos = 0;
  const bitsAt = (n: number): number => {
    const i = at + (bitPos >> 3);
    if (i >= src.length) throw new ZstdError('FSE table description runs past its data');
    const word = (src[i] | (src[i + 1] << 8) | (src[i + 2] << 16) | (src[i + 3] << 24)) >>> (bitPos & 7);
    return word & ((1 << n) - 1);
  };
  const log = bitsAt(4) + 5;
  bitPos = 4;
  if (log > maxLog) throw new ZstdError(`FSE accuracy log ${log} above ${maxLog}`);
  let remaining = 1 << log;
  const counts: number[] = [];
  while (remaining > 0) {
    if (counts.length > maxSymbol) throw new ZstdError('FSE distribution has too many symbols');
    const n = highBit(remaining + 1) + 1;
    let value = bitsAt(n);
    const lowerMask = (1 << (n - 1)) - 1;
    const threshold = (1 << n) - 1 - (remaining + 1);
    if ((value & lowerMask) < threshold) {
      value &= lowerMask;
      bitPos += n - 1;
    } else {
      if (value > lowerMask) value -= threshold;
      bitPos += n;
    }
    const count = value - 1;
    remaining -= Math.abs(count);
    counts.push(count);
    if (count === 0) {
      for (;;) {
        const repeat = bitsAt(2);
        bitPos += 2;
        for (let i = 0; i < repeat; i++) counts.push(0);
        if (repeat !== 3) break;
      }
    }
  }
  if (remaining !== 0 || counts.length > maxSymbol + 1) throw new ZstdError('FSE distribution is corrupt');
  return { table: fseTableFromCounts(counts, log), size: (bitPos + 7) >> 3 };
}

interface HuffmanTable { maxBits: number; symbol: Uint8Array; bits: Uint8Array }

function huffmanFromWeights(weights: number[]): HuffmanTable {
  let sum = 0;
  for (const w of weights) if (w > 0) sum += 1 << (w - 1);
  if (sum === 0) throw new ZstdError('Huffman weights are all zero');
  const maxBits = highBit(sum) + 1;
  const leftOver = (1 << maxBits) - sum;
  if (leftOver & (leftOver - 1)) throw new ZstdError('Huffman weights do not complete a power of two');
  const all = [...weights, highBit(leftOver) + 1];
  if (maxBits > 11) throw new ZstdError('Huffman code longer than 11 bits');
  const size = 1 << maxBits;
  const symbol = new Uint8Array(size), bits = new Uint8Array(size);
  const rankStart = new Array<number>(maxBits + 2).fill(0);
  const rankCount = new Array<number>(maxBits + 2).fill(0);
  for (const w of all) rankCount[w]++;
  for (let w = 1, start = 0; w <= maxBits; w++) {
    rankStart[w] = start;
    start += rankCount[w] << (w - 1);
  }
  all.forEach((w, s) => {
    if (w === 0) return;
    const len = 1 << (w - 1), from = rankStart[w];
    symbol.fill(s, from, from + len);
    bits.fill(maxBits + 1 - w, from, from + len);
    rankStart[w] += len;
  });
  return { maxBits, symbol, bits };
}

function readHuffmanTable(src: Uint8Array, at: number): { table: HuffmanTable; size: number } {
  const header = src[at];
  const weights: number[] = [];
  if (header >= 128) {
    const n = header - 127;
    for (let i = 0; i < n; i++) {
      const byte = src[at + 1 + (i >> 1)];
      weights.push(i % 2 === 0 ? byte >> 4 : byte & 15);
    }
    return { table: huffmanFromWeights(weights), size: 1 + ((n + 1) >> 1) };
  }
  const region = src.subarray(at + 1, at + 1 + header);
  if (region.length < header) throw new ZstdError('Huffman description runs past its block');
  const { table: fse, size } = readFseTable(region, 0, 6, 255);
  const bits = new BackwardBits(region.subarray(size));
  let s1 = bits.read(fse.log), s2 = bits.read(fse.log);
  for (;;) {
    if (weights.length > 254) throw new ZstdError('too many Huffman weights');
    weights.push(fse.symbol[s1]);
    s1 = fse.base[s1] + bits.read(fse.bits[s1]);
    if (bits.bitPos < 0) { weights.push(fse.symbol[s2]); break; }
    weights.push(fse.symbol[s2]);
    s2 = fse.base[s2] + bits.read(fse.bits[s2]);
    if (bits.bitPos < 0) { weights.push(fse.symbol[s1]); break; }
  }
  return { table: huffmanFromWeights(weights), size: 1 + header };
}

function decodeHuffmanStream(table: HuffmanTable, src: Uint8Array, out: Uint8Array, from: number, to: number): void {
  const bits = new BackwardBits(src);
  const { maxBits, symbol, bits: len } = table;
  let pos = bits.bitPos;
  for (let o = from; o < to; o++) {
    const idx = bits.peekAt(pos - maxBits, maxBits);
    out[o] = symbol[idx];
    pos -= len[idx];
  }
  if (pos !== 0) throw new ZstdError('Huffman stream not consumed exactly');
}

/** State kept across the blocks of one frame. */
interface FrameState {
  huffman: HuffmanTable | null;
  ll: FseTable | null; of: FseTable | null; ml: FseTable | null;
  rep: [number, number, number];
}

const DEFAULT_LL = fseTableFromCounts(LL_DEFAULT, 6);
const DEFAULT_ML = fseTableFromCounts(ML_DEFAULT, 6);
const DEFAULT_OF = fseTableFromCounts(OF_DEFAULT, 5);

function readLiterals(src: Uint8Array, at: number, end: number, st: FrameState): { literals: Uint8Array; next: number } {
  const b0 = src[at];
  const type = b0 & 3, sizeFormat = (b0 >> 2) & 3;
  if (type === 0 || type === 1) {
    let size: number, header: number;
    if ((sizeFormat & 1) === 0) { size = b0 >> 3; header = 1; }
    else if (sizeFormat === 1) { size = (b0 >> 4) + (src[at + 1] << 4); header = 2; }
    else { size = (b0 >> 4) + (src[at + 1] << 4) + (src[at + 2] << 12); header = 3; }
    const start = at + header;
    if (type === 0) {
      if (start + size > end) throw new ZstdError('raw literals run past the block');
      return { literals: src.subarray(start, start + size), next: start + size };
    }
    return { literals: new Uint8Array(size).fill(src[start]), next: start + 1 };
  }
  let regen: number, compressed: number, header: number;
  const streams = sizeFormat === 0 ? 1 : 4;
  if (sizeFormat <= 1) {
    const v = b0 | (src[at + 1] << 8) | (src[at + 2] << 16);
    regen = (v >> 4) & 0x3ff; compressed = (v >> 14) & 0x3ff; header = 3;
  } else if (sizeFormat === 2) {
    const v = (b0 | (src[at + 1] << 8) | (src[at + 2] << 16) | (src[at + 3] << 24)) >>> 0;
    regen = (v >>> 4) & 0x3fff; compressed = (v >>> 18) & 0x3fff; header = 4;
  } else {
    regen = (b0 >> 4) | (src[at + 1] << 4) | ((src[at + 2] & 0x3f) << 12);
    compressed = (src[at + 2] >> 6) | (src[at + 3] << 2) | (src[at + 4] << 10); header = 5;
  }
  let p = at + header;
  const dataEnd = p + compressed;
  if (dataEnd > end) throw new ZstdError('compressed literals run past the block');
  if (type === 2) {
    const { table, size } = readHuffmanTable(src, p);
    st.huffman = table;
    p += size;
  } else if (!st.huffman) {
    throw new ZstdError('treeless literals without a previous Huffman table');
  }
  const literals = new Uint8Array(regen);
  if (streams === 1) {
    decodeHuffmanStream(st.huffman, src.subarray(p, dataEnd), literals, 0, regen);
  } else {
    const s1 = src[p] | (src[p + 1] << 8), s2 = src[p + 2] | (src[p + 3] << 8), s3 = src[p + 4] | (src[p + 5] << 8);
    const per = Math.floor((regen + 3) / 4);
    let q = p + 6;
    const sizes = [s1, s2, s3, dataEnd - q - s1 - s2 - s3];
    if (sizes[3] < 1) throw new ZstdError('literal jump table is corrupt');
    for (let k = 0; k < 4; k++) {
      const from = k * per, to = k === 3 ? regen : Math.min(regen, (k + 1) * per);
      decodeHuffmanStream(st.huffman, src.subarray(q, q + sizes[k]), literals, from, to);
      q += sizes[k];
    }
  }
  return { literals, next: dataEnd };
}

function pickTable(mode: number, src: Uint8Array, at: number, previous: FseTable | null, fallback: FseTable, maxLog: number, maxSymbol: number): { table: FseTable; size: number } {
  switch (mode) {
    case 0: return { table: fallback, size: 0 };
    case 1: return { table: rleTable(src[at]), size: 1 };
    case 2: return readFseTable(src, at, maxLog, maxSymbol);
    default:
      if (!previous) throw new ZstdError('repeat mode without a previous table');
      return { table: previous, size: 0 };
  }
}

/** Decodes one compressed block into out[o...]; returns the new output position. */
function decodeCompressedBlock(src: Uint8Array, at: number, end: number, out: Uint8Array, o: number, st: FrameState): number {
  const { literals, next } = readLiterals(src, at, end, st);
  let p = next;
  let nbSeq = src[p++];
  if (nbSeq >= 128) nbSeq = nbSeq < 255 ? ((nbSeq - 128) << 8) + src[p++] : src[p++] + (src[p++] << 8) + 0x7f00;
  let lit = 0;
  if (nbSeq > 0) {
    const modes = src[p++];
    const ll = pickTable(modes >> 6, src, p, st.ll, DEFAULT_LL, 9, 35); p += ll.size;
    const of = pickTable((modes >> 4) & 3, src, p, st.of, DEFAULT_OF, 8, 31); p += of.size;
    const ml = pickTable((modes >> 2) & 3, src, p, st.ml, DEFAULT_ML, 9, 52); p += ml.size;
    st.ll = ll.table; st.of = of.table; st.ml = ml.table;
    if (p > end) throw new ZstdError('sequence tables run past the block');
    const bits = new BackwardBits(src.subarray(p, end));
    const L = ll.table, O = of.table, M = ml.table;
    let sl = bits.read(L.log), so = bits.read(O.log), sm = bits.read(M.log);
    const rep = st.rep;
    for (let n = 0; n < nbSeq; n++) {
      const ofCode = O.symbol[so], mlCode = M.symbol[sm], llCode = L.symbol[sl];
      if (ofCode > 31 || mlCode > 52 || llCode > 35) throw new ZstdError('sequence code out of range');
      const ofValue = 2 ** ofCode + bits.read(ofCode);
      const matchLen = ML_BASE[mlCode] + bits.read(ML_BITS[mlCode]);
      const litLen = LL_BASE[llCode] + bits.read(LL_BITS[llCode]);
      let offset: number;
      if (ofValue > 3) {
        offset = ofValue - 3;
        rep[2] = rep[1]; rep[1] = rep[0]; rep[0] = offset;
      } else {
        const idx = ofValue - 1 + (litLen === 0 ? 1 : 0);
        if (idx === 0) offset = rep[0];
        else {
          offset = idx === 3 ? rep[0] - 1 : rep[idx];
          if (idx !== 1) rep[2] = rep[1];
          rep[1] = rep[0]; rep[0] = offset;
        }
      }
      if (n !== nbSeq - 1) {
        sl = L.base[sl] + bits.read(L.bits[sl]);
        sm = M.base[sm] + bits.read(M.bits[sm]);
        so = O.base[so] + bits.read(O.bits[so]);
      }
      if (lit + litLen > literals.length || o + litLen + matchLen > out.length) throw new ZstdError('sequence runs past its data');
      out.set(literals.subarray(lit, lit + litLen), o);
      o += litLen; lit += litLen;
      if (offset < 1 || offset > o) throw new ZstdError(`match offset ${offset} reaches before the output`);
      if (offset >= matchLen) out.copyWithin(o, o - offset, o - offset + matchLen);
      else for (let k = 0; k < matchLen; k++) out[o + k] = out[o + k - offset];
      o += matchLen;
    }
    if (bits.bitPos !== 0) throw new ZstdError('sequence bitstream not consumed exactly');
  }
  const rest = literals.length - lit;
  if (o + rest > out.length) throw new ZstdError('literals run past the output');
  out.set(literals.subarray(lit), o);
  return o + rest;
}

/**
 * Decompresses all frames in `src` into a buffer of `expectedSize` bytes (SPZ's table of contents
 * gives it), throwing ZstdError if the data is malformed or decodes to another size.
 */
export function zstdDecodeTS(src: Uint8Array, expectedSize: number): Uint8Array {
  const out = new Uint8Array(expectedSize);
  const view = new DataView(src.buffer, src.byteOffset, src.byteLength);
  let p = 0, o = 0;
  while (p < src.length) {
    if (p + 4 > src.length) throw new ZstdError('truncated frame header');
    const magic = view.getUint32(p, true);
    if ((magic & 0xfffffff0) === 0x184d2a50) { // skippable frame
      p += 8 + view.getUint32(p + 4, true);
      continue;
    }
    if (magic !== FRAME_MAGIC) throw new ZstdError(`bad frame magic 0x${magic.toString(16)}`);
    p += 4;
    const fhd = src[p++];
    const fcsFlag = fhd >> 6, single = (fhd >> 5) & 1, checksum = (fhd >> 2) & 1, didFlag = fhd & 3;
    if (fhd & 8) throw new ZstdError('reserved frame header bit set');
    if (!single) p++; // window descriptor: the whole output is in memory, no window needed
    if (didFlag !== 0) {
      const did = [0, 1, 2, 4][didFlag];
      let id = 0;
      for (let k = 0; k < did; k++) id += src[p + k] * 2 ** (8 * k);
      if (id !== 0) throw new ZstdError('frames that need a dictionary are not supported');
      p += did;
    }
    p += [single ? 1 : 0, 2, 4, 8][fcsFlag];
    const st: FrameState = { huffman: null, ll: null, of: null, ml: null, rep: [1, 4, 8] };
    for (;;) {
      if (p + 3 > src.length) throw new ZstdError('truncated block header');
      const bh = src[p] | (src[p + 1] << 8) | (src[p + 2] << 16);
      p += 3;
      const last = bh & 1, type = (bh >> 1) & 3, size = bh >>> 3;
      if (type === 0) {
        if (p + size > src.length || o + size > out.length) throw new ZstdError('raw block runs past its data');
        out.set(src.subarray(p, p + size), o);
        o += size; p += size;
      } else if (type === 1) {
        if (p + 1 > src.length || o + size > out.length) throw new ZstdError('RLE block runs past its data');
        out.fill(src[p], o, o + size);
        o += size; p += 1;
      } else if (type === 2) {
        if (p + size > src.length) throw new ZstdError('compressed block runs past its data');
        o = decodeCompressedBlock(src, p, p + size, out, o, st);
        p += size;
      } else {
        throw new ZstdError('reserved block type');
      }
      if (last) break;
    }
    if (checksum) p += 4;
  }
  if (o !== expectedSize) throw new ZstdError(`decoded ${o} bytes, expected ${expectedSize}`);
  return out;
}
