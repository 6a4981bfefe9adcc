/**
 * IEEE half and bfloat16 conversions. Node 20 has no Float16Array, so fp16 data travels as raw
 * bits in a Uint16Array (the form onnxruntime-node accepts for 'float16' tensors).
 */

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** fp32 bit pattern → fp16 bits, round to nearest even; overflow → ±Inf, NaN stays NaN. */
function float32BitsToHalfBits(x: number): number {
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  let mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0); // Inf / NaN
  const e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00; // overflow
  if (e <= 0) {
    if (e < -10) return sign; // underflow to ±0
    mant |= 0x800000; // implicit leading one
    const shift = 14 - e;
    let half = mant >>> shift;
    const rem = mant & ((1 << shift) - 1);
    const mid = 1 << (shift - 1);
    if (rem > mid || (rem === mid && half & 1)) half++;
    return sign | half;
  }
  let half = (e << 10) | (mant >>> 13);
  const rem = mant & 0x1fff;
  if (rem > 0x1000 || (rem === 0x1000 && half & 1)) half++; // may carry into the exponent: still correct
  return sign | half;
}

/** fp32 → fp16 bits, round to nearest even; overflow → ±Inf, NaN stays NaN. */
export function float32ToHalfBits(value: number): number {
  f32[0] = value;
  return float32BitsToHalfBits(u32[0]);
}

export function halfBitsToFloat32(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >>> 10) & 0x1f;
  const mant = h & 0x3ff;
  if (exp === 0) return sign * mant * 2 ** -24;
  if (exp === 0x1f) return mant ? NaN : sign * Infinity;
  return sign * (1 + mant / 1024) * 2 ** (exp - 15);
}

/**
 * Whole arrays cross every graph boundary (the 4 M Gaussians are 154 M values a step), so these
 * two are the hot paths: narrowing reads the fp32 bits through an integer view, and widening
 * looks each of the 65,536 half patterns up in a table (exact: every half is an fp32).
 */
export function float32ArrayToHalf(src: Float32Array, dst = new Uint16Array(src.length)): Uint16Array {
  const bits = new Uint32Array(src.buffer, src.byteOffset, src.length);
  for (let i = 0; i < bits.length; i++) dst[i] = float32BitsToHalfBits(bits[i]);
  return dst;
}

let halfTable: Float32Array | null = null;
/** The f32 value of each of the 65,536 half bit patterns (built once, 256 KiB). */
export function halfToFloat32Table(): Float32Array {
  if (!halfTable) {
    halfTable = new Float32Array(65536);
    for (let h = 0; h < 65536; h++) halfTable[h] = halfBitsToFloat32(h);
  }
  return halfTable;
}

export function halfArrayToFloat32(src: Uint16Array, dst = new Float32Array(src.length)): Float32Array {
  const table = halfToFloat32Table();
  for (let i = 0; i < src.length; i++) dst[i] = table[src[i]];
  return dst;
}

/** bf16 is the top half of an fp32: widening is exact. */
export function bfloat16ArrayToFloat32(src: Uint16Array, dst = new Float32Array(src.length)): Float32Array {
  const out = new Uint32Array(dst.buffer, dst.byteOffset, dst.length);
  for (let i = 0; i < src.length; i++) out[i] = src[i] << 16;
  return dst;
}
