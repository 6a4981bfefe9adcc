/**
 * SPZ quantisation: SplatSet ⇄ the six packed attribute streams of the format. Every rule here
 * follows the reference implementation (github nianticlabs/spz, src/cc/load-spz.cc
 * `packGaussians` / `unpackGaussians`, splat-utils.h), including its rounding (std::round:
 * half away from zero) and integer division. No coordinate-system conversion is applied (the
 * reference's default `from = UNSPECIFIED`), so positions are stored in the frame they are given.
 */
import { StudioError } from '../../shared/errors';
import { halfBitsToFloat32 } from '../weights/halfFloat';
import {
  SPZ_COLOR_SCALE,
  SPZ_DEFAULT_FRACTIONAL_BITS,
  SPZ_DEFAULT_SH1_BITS,
  SPZ_DEFAULT_SH_REST_BITS,
  SPZ_MAX_SH_DEGREE,
  SPZ_SMALLEST_THREE_MIN_VERSION,
} from './formatConstants';
import { allocateSplatSet, assertSplatSetShape, shRestPerChannel, type SplatSet } from './splatSet';

/** The packed form: header fields plus one byte stream per attribute, in file order. */
export interface SpzPacked {
  version: number;
  count: number;
  shDegree: number;
  fractionalBits: number;
  antialiased: boolean;
  /** count×9 (24-bit fixed point) or, in version 1 only, count×6 (float16). */
  positions: Uint8Array;
  alphas: Uint8Array;
  colors: Uint8Array;
  scales: Uint8Array;
  /** count×4 (smallest three, version ≥ 3) or count×3 (first three, versions 1-2). */
  rotations: Uint8Array;
  /** count × 3·restPerChannel, coefficient-major (channel fastest). */
  sh: Uint8Array;
}

export interface SpzPackOptions {
  /** 2 (xyz quaternions) or 3 (smallest three, default). */
  version?: number;
  /** Default 12, lowered automatically when a position would not fit 24 bits. */
  fractionalBits?: number;
  sh1Bits?: number;
  shRestBits?: number;
  antialiased?: boolean;
}

const SQRT1_2 = Math.SQRT1_2;
const C_MASK = (1 << 9) - 1;
const MAX_FIXED = (1 << 23) - 1;

/**
 * C++ std::round (halves away from zero; Math.round sends -2.5 to -2) for |x| < 2^31, through an
 * integer truncation: Math.round/floor compile to slow calls on some CPUs, and these run ~100 M
 * times for a 4 M-splat scene. NaN gives 0.
 */
function roundHalfAway(x: number): number {
  return (x + (x < 0 ? -0.5 : 0.5)) | 0;
}

/** Round and clamp to 0..255 (the reference's toUint8); clamping first keeps huge values out of the int32 cast. */
function toUint8(x: number): number {
  return x >= 255 ? 255 : x <= 0 ? 0 : (x + 0.5) | 0;
}

/**
 * load-spz.cc quantizeSH: to 8 bits, then to the centre of a bucket of `bucket` codes (a power of
 * two, so the reference's integer division is a shift; negative sums clamp to 0 either way).
 */
export function quantizeSH(x: number, bucket: number): number {
  const shift = 31 - Math.clz32(bucket);
  const q = ((roundHalfAway(Math.max(-4, Math.min(4, x)) * 128) + 128 + (bucket >> 1)) >> shift) << shift;
  return q < 0 ? 0 : q > 255 ? 255 : q;
}

/** Fractional bits that keep every coordinate inside the signed 24-bit range [-2^23, 2^23 - 1]. */
export function fractionalBitsFor(positions: Float32Array, preferred = SPZ_DEFAULT_FRACTIONAL_BITS): number {
  let max = 0, min = 0;
  for (let i = 0; i < positions.length; i++) {
    const v = positions[i];
    if (v > max) max = v;
    else if (v < min) min = v;
  }
  let bits = preferred;
  while (bits > 0 && (Math.round(max * 2 ** bits) > MAX_FIXED || Math.round(min * 2 ** bits) < -MAX_FIXED - 1)) bits--;
  return bits;
}

export function packSpz(set: SplatSet, options: SpzPackOptions = {}): SpzPacked {
  assertSplatSetShape(set);
  const version = options.version ?? 3;
  const sh1Bits = options.sh1Bits ?? SPZ_DEFAULT_SH1_BITS;
  const shRestBits = options.shRestBits ?? SPZ_DEFAULT_SH_REST_BITS;
  if (version !== 2 && version !== 3) throw new StudioError('INVALID_REQUEST', `SPZ writer supports versions 2 and 3 (gzip); got ${version}.`);
  if (!(sh1Bits >= 1 && sh1Bits <= 8 && shRestBits >= 1 && shRestBits <= 8)) {
    throw new StudioError('INVALID_REQUEST', `SPZ SH bits must be 1..8; got sh1Bits ${sh1Bits}, shRestBits ${shRestBits}.`);
  }
  if (set.shDegree > SPZ_MAX_SH_DEGREE) throw new StudioError('INVALID_REQUEST', `SPZ stores SH up to degree ${SPZ_MAX_SH_DEGREE}; the set has degree ${set.shDegree}.`);
  const fractionalBits = fractionalBitsFor(set.positions, options.fractionalBits ?? SPZ_DEFAULT_FRACTIONAL_BITS);
  const { scales, alphas, colors } = packScalars(set);
  return {
    version, count: set.count, shDegree: set.shDegree, fractionalBits, antialiased: options.antialiased ?? false,
    positions: packPositions(set.positions, fractionalBits), alphas, colors, scales,
    rotations: packRotations(set.rotationsWXYZ, version >= SPZ_SMALLEST_THREE_MIN_VERSION),
    sh: packSh(set, sh1Bits, shRestBits),
  };
}

/** 24-bit little-endian fixed point. */
function packPositions(p: Float32Array, fractionalBits: number): Uint8Array {
  const out = new Uint8Array(p.length * 3);
  const fixedScale = 2 ** fractionalBits;
  for (let i = 0; i < p.length; i++) {
    // Clamped to the 24-bit range (fractionalBitsFor already fits finite inputs); NaN becomes 0.
    const v = p[i] * fixedScale;
    const fixed = roundHalfAway(v > MAX_FIXED ? MAX_FIXED : v < -MAX_FIXED - 1 ? -MAX_FIXED - 1 : v);
    out[i * 3] = fixed & 0xff;
    out[i * 3 + 1] = (fixed >> 8) & 0xff;
    out[i * 3 + 2] = (fixed >> 16) & 0xff;
  }
  return out;
}

/** Scales (log + 10) × 16, alphas sigmoid × 255, colours DC × 0.15 × 255 + 127.5. */
function packScalars(set: SplatSet): { scales: Uint8Array; alphas: Uint8Array; colors: Uint8Array } {
  const n = set.count;
  const scales = new Uint8Array(n * 3);
  for (let i = 0; i < n * 3; i++) scales[i] = toUint8((set.scalesLog[i] + 10) * 16);
  const alphas = new Uint8Array(n);
  for (let i = 0; i < n; i++) alphas[i] = toUint8((1 / (1 + Math.exp(-set.opacityLogit[i]))) * 255);
  const colors = new Uint8Array(n * 3);
  for (let i = 0; i < n * 3; i++) colors[i] = toUint8(set.shDC[i] * (SPZ_COLOR_SCALE * 255) + 0.5 * 255);
  return { scales, alphas, colors };
}

function packRotations(r: Float32Array, smallestThree: boolean): Uint8Array {
  const n = r.length / 4;
  const out = new Uint8Array(n * (smallestThree ? 4 : 3));
  for (let i = 0; i < n; i++) {
    // SPZ orders quaternions x y z w; ours are w x y z.
    let x = r[i * 4 + 1], y = r[i * 4 + 2], z = r[i * 4 + 3], w = r[i * 4];
    const norm = Math.sqrt(x * x + y * y + z * z + w * w);
    if (norm > 0 && norm < Infinity) { x /= norm; y /= norm; z /= norm; w /= norm; }
    else { x = 0; y = 0; z = 0; w = 1; }
    if (smallestThree) packSmallestThree(x, y, z, w, out, i * 4);
    else {
      const s = w < 0 ? -127.5 : 127.5;
      out[i * 3] = toUint8(x * s + 127.5);
      out[i * 3 + 1] = toUint8(y * s + 127.5);
      out[i * 3 + 2] = toUint8(z * s + 127.5);
    }
  }
  return out;
}

/** Rest SH: channel-major in the set, coefficient-major in the file; 5 bits for degree 1, shRestBits above. */
function packSh(set: SplatSet, sh1Bits: number, shRestBits: number): Uint8Array {
  const n = set.count;
  const dim = shRestPerChannel(set.shDegree);
  const out = new Uint8Array(n * dim * 3);
  const shift1 = 8 - sh1Bits, shiftRest = 8 - shRestBits;
  const half1 = (1 << shift1) >> 1, halfRest = (1 << shiftRest) >> 1;
  const rest = set.shRest;
  for (let i = 0; i < n; i++) {
    for (let c = 0; c < 3; c++) {
      const src = (i * 3 + c) * dim;
      const dst = i * dim * 3 + c;
      for (let k = 0; k < dim; k++) {
        // quantizeSH, inlined: 8-bit code, then the centre of its bucket (a power of two wide).
        const shift = k < 3 ? shift1 : shiftRest;
        const x = rest[src + k];
        const q = ((roundHalfAway((x > 4 ? 4 : x < -4 ? -4 : x) * 128) + 128 + (k < 3 ? half1 : halfRest)) >> shift) << shift;
        out[dst + k * 3] = q < 0 ? 0 : q > 255 ? 255 : q;
      }
    }
  }
  return out;
}


/** load-spz.cc packQuaternionSmallestThree: 2 bits for the largest index, 3 × (sign + 9 bits). */
function packSmallestThree(x: number, y: number, z: number, w: number, out: Uint8Array, at: number): void {
  const ax = Math.abs(x), ay = Math.abs(y), az = Math.abs(z), aw = Math.abs(w);
  // First largest wins ties, as in the reference's strict '>' scan over x, y, z, w.
  let largest = 0, big = ax, sign = x;
  if (ay > big) { largest = 1; big = ay; sign = y; }
  if (az > big) { largest = 2; big = az; sign = z; }
  if (aw > big) { largest = 3; sign = w; }
  const negate = sign < 0 ? 1 : 0;
  let comp = largest;
  if (largest !== 0) comp = (comp << 10) | packComponent(x, negate);
  if (largest !== 1) comp = (comp << 10) | packComponent(y, negate);
  if (largest !== 2) comp = (comp << 10) | packComponent(z, negate);
  if (largest !== 3) comp = (comp << 10) | packComponent(w, negate);
  out[at] = comp & 0xff;
  out[at + 1] = (comp >>> 8) & 0xff;
  out[at + 2] = (comp >>> 16) & 0xff;
  out[at + 3] = (comp >>> 24) & 0xff;
}

function packComponent(v: number, negate: number): number {
  const negbit = (v < 0 ? 1 : 0) ^ negate;
  const mag = Math.min(C_MASK, Math.floor(C_MASK * (Math.abs(v) / SQRT1_2) + 0.5));
  return (negbit << 9) | mag;
}

/** Stream sizes the header implies, in file order. */
export function spzStreamSizes(version: number, count: number, shDegree: number): { name: keyof SpzPacked; bytes: number }[] {
  return [
    { name: 'positions', bytes: count * (version === 1 ? 6 : 9) },
    { name: 'alphas', bytes: count },
    { name: 'colors', bytes: count * 3 },
    { name: 'scales', bytes: count * 3 },
    { name: 'rotations', bytes: count * (version >= SPZ_SMALLEST_THREE_MIN_VERSION ? 4 : 3) },
    { name: 'sh', bytes: count * shRestPerChannel(shDegree) * 3 },
  ];
}

/** Alpha codes 0 and 255 would decode to ∓∞; the reader keeps them half a code inside (still invisible / opaque). */
function alphaLogit(code: number): number {
  const a = Math.min(254.5, Math.max(0.5, code)) / 255;
  return Math.log(a / (1 - a));
}

export function unpackSpz(p: SpzPacked): SplatSet {
  const n = p.count;
  const set = allocateSplatSet(n, p.shDegree);
  if (p.version === 1) {
    const view = new DataView(p.positions.buffer, p.positions.byteOffset, p.positions.byteLength);
    for (let i = 0; i < n * 3; i++) set.positions[i] = halfBitsToFloat32(view.getUint16(i * 2, true));
  } else {
    const scale = 2 ** -p.fractionalBits;
    const b = p.positions;
    for (let i = 0; i < n * 3; i++) {
      // Sign-extend the 24-bit value through a 32-bit shift pair.
      const fixed = ((b[i * 3] | (b[i * 3 + 1] << 8) | (b[i * 3 + 2] << 16)) << 8) >> 8;
      set.positions[i] = fixed * scale;
    }
  }
  for (let i = 0; i < n * 3; i++) set.scalesLog[i] = p.scales[i] / 16 - 10;
  for (let i = 0; i < n; i++) set.opacityLogit[i] = alphaLogit(p.alphas[i]);
  for (let i = 0; i < n * 3; i++) set.shDC[i] = (p.colors[i] / 255 - 0.5) / SPZ_COLOR_SCALE;

  const q = [0, 0, 0, 0];
  const smallestThree = p.version >= SPZ_SMALLEST_THREE_MIN_VERSION;
  for (let i = 0; i < n; i++) {
    if (smallestThree) {
      const r = p.rotations;
      let comp = (r[i * 4] | (r[i * 4 + 1] << 8) | (r[i * 4 + 2] << 16) | (r[i * 4 + 3] << 24)) >>> 0;
      const largest = comp >>> 30;
      let sumSquares = 0;
      for (let k = 3; k >= 0; k--) {
        if (k === largest) continue;
        const mag = comp & C_MASK;
        const negbit = (comp >>> 9) & 1;
        comp >>>= 10;
        q[k] = (SQRT1_2 * mag) / C_MASK * (negbit ? -1 : 1);
        sumSquares += q[k] * q[k];
      }
      q[largest] = Math.sqrt(Math.max(0, 1 - sumSquares));
    } else {
      const r = p.rotations;
      let sum = 0;
      for (let k = 0; k < 3; k++) {
        q[k] = r[i * 3 + k] / 127.5 - 1;
        sum += q[k] * q[k];
      }
      q[3] = Math.sqrt(Math.max(0, 1 - sum));
    }
    set.rotationsWXYZ[i * 4] = q[3];
    set.rotationsWXYZ[i * 4 + 1] = q[0];
    set.rotationsWXYZ[i * 4 + 2] = q[1];
    set.rotationsWXYZ[i * 4 + 3] = q[2];
  }

  const dim = shRestPerChannel(p.shDegree);
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < dim; k++) {
      for (let c = 0; c < 3; c++) set.shRest[(i * 3 + c) * dim + k] = (p.sh[(i * dim + k) * 3 + c] - 128) / 128;
    }
  }
  return set;
}
