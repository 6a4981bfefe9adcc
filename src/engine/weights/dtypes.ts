/**
 * Element types of weight files and the conversion of raw little-endian bytes into the tensors the
 * graph builders take (fp32 or fp16). Shared by the safetensors and torch readers.
 *
 * Typed-array views assume a little-endian host, which every platform Node ships for is.
 */
import { StudioError } from '../../shared/errors';
import { float32ToHalfBits, halfBitsToFloat32 } from './halfFloat';
import type { FloatTensor, WeightDType } from './types';

export const DTYPE_BYTES: Readonly<Record<WeightDType, number>> = {
  F64: 8,
  F32: 4,
  F16: 2,
  BF16: 2,
  I64: 8,
  I32: 4,
  I16: 2,
  I8: 1,
  U8: 1,
  BOOL: 1,
};

export function isWeightDType(value: unknown): value is WeightDType {
  return typeof value === 'string' && Object.prototype.hasOwnProperty.call(DTYPE_BYTES, value);
}

export function isFloatDType(dtype: WeightDType): boolean {
  return dtype === 'F32' || dtype === 'F16' || dtype === 'BF16' || dtype === 'F64';
}

/** Number of elements of a shape; [] is a scalar (1 element). */
export function shapeElements(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

export function isValidShape(shape: unknown): shape is number[] {
  return Array.isArray(shape) && shape.every((d) => Number.isSafeInteger(d) && d >= 0);
}

// 64 K-entry tables: a table lookup beats per-element bit twiddling by an order of magnitude, and
// multi-GB checkpoints make that matter. Built on first use only.
let halfToFloatTable: Float32Array | undefined;
let bf16ToHalfTable: Uint16Array | undefined;

function halfToFloat(): Float32Array {
  if (!halfToFloatTable) {
    halfToFloatTable = new Float32Array(0x10000);
    for (let h = 0; h < 0x10000; h++) halfToFloatTable[h] = halfBitsToFloat32(h);
  }
  return halfToFloatTable;
}

/** bf16 → fp16 through fp32: widening is exact, so the table holds exactly the fp32 → fp16 rounding. */
function bf16ToHalf(): Uint16Array {
  if (!bf16ToHalfTable) {
    bf16ToHalfTable = new Uint16Array(0x10000);
    const f = new Float32Array(1);
    const u = new Uint32Array(f.buffer);
    for (let b = 0; b < 0x10000; b++) {
      u[0] = b << 16;
      bf16ToHalfTable[b] = float32ToHalfBits(f[0]);
    }
  }
  return bf16ToHalfTable;
}

/**
 * Bulk fp32 → fp16 on the raw bits (round to nearest even, overflow → ±Inf, NaN kept): the same
 * rounding as float32ToHalfBits, without a scratch-buffer round trip per element — several times
 * faster on the multi-GB fp32 checkpoints (FlashWorld's model.ckpt is ~21 GB of fp32).
 */
export function float32BitsToHalfArray(bits: Uint32Array, out = new Uint16Array(bits.length)): Uint16Array {
  for (let i = 0; i < bits.length; i++) {
    const x = bits[i];
    const sign = (x >>> 16) & 0x8000;
    const exp = (x >>> 23) & 0xff;
    const mant = x & 0x7fffff;
    const e = exp - 112; // rebias 127 → 15
    if (e > 0 && e < 0x1f) {
      const rem = mant & 0x1fff;
      let half = (e << 10) | (mant >>> 13);
      if (rem > 0x1000 || (rem === 0x1000 && half & 1)) half++; // a carry into the exponent is still right
      out[i] = sign | half;
    } else if (exp === 0xff) {
      out[i] = sign | 0x7c00 | (mant ? 0x200 : 0);
    } else if (e >= 0x1f) {
      out[i] = sign | 0x7c00;
    } else if (e < -10) {
      out[i] = sign;
    } else {
      const m = mant | 0x800000;
      const shift = 14 - e;
      let half = m >>> shift;
      const rem = m & ((1 << shift) - 1);
      const mid = 1 << (shift - 1);
      if (rem > mid || (rem === mid && half & 1)) half++;
      out[i] = sign | half;
    }
  }
  return out;
}

function float64ToHalfArray(src: Float64Array): Uint16Array {
  const out = new Uint16Array(src.length);
  for (let i = 0; i < src.length; i++) out[i] = float32ToHalfBits(src[i]);
  return out;
}

/**
 * Converts the raw bytes of one tensor. `bytes` must start at an offset aligned for its element
 * type (readers allocate fresh buffers, so it does). `describe` names file and tensor for errors.
 */
export function convertToFloatTensor(
  bytes: Uint8Array,
  dtype: WeightDType,
  shape: number[],
  as: 'float32' | 'float16',
  describe: () => string,
): FloatTensor {
  const n = shapeElements(shape);
  if (bytes.byteLength !== n * DTYPE_BYTES[dtype]) {
    throw new StudioError(
      'INTERNAL',
      `${describe()}: got ${bytes.byteLength} bytes for ${n} ${dtype} elements. This is a bug in the weight reader; please report it.`,
    );
  }
  if (!isFloatDType(dtype)) {
    throw new StudioError(
      'WEIGHTS_UNSUPPORTED',
      `${describe()} holds ${dtype} values, but only floating-point tensors (F32, F16, BF16, F64) can be loaded as weights. ` +
        'Check that the file belongs to this model.',
    );
  }
  const buf = bytes.buffer;
  const off = bytes.byteOffset;
  if (as === 'float32') {
    if (dtype === 'F32') return { dtype: 'float32', shape, data: new Float32Array(buf, off, n) };
    if (dtype === 'F64') return { dtype: 'float32', shape, data: Float32Array.from(new Float64Array(buf, off, n)) };
    const src = new Uint16Array(buf, off, n);
    const out = new Float32Array(n);
    if (dtype === 'F16') {
      const table = halfToFloat();
      for (let i = 0; i < n; i++) out[i] = table[src[i]];
    } else {
      const bits = new Uint32Array(out.buffer);
      for (let i = 0; i < n; i++) bits[i] = src[i] << 16;
    }
    return { dtype: 'float32', shape, data: out };
  }
  if (dtype === 'F16') return { dtype: 'float16', shape, data: new Uint16Array(buf, off, n) };
  if (dtype === 'BF16') {
    const src = new Uint16Array(buf, off, n);
    const table = bf16ToHalf();
    const out = new Uint16Array(n);
    for (let i = 0; i < n; i++) out[i] = table[src[i]];
    return { dtype: 'float16', shape, data: out };
  }
  if (dtype === 'F32') return { dtype: 'float16', shape, data: float32BitsToHalfArray(new Uint32Array(buf, off, n)) };
  return { dtype: 'float16', shape, data: float64ToHalfArray(new Float64Array(buf, off, n)) };
}
