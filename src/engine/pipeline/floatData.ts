/**
 * Float arrays as they cross the boundaries between the networks and the rasterizer, tagged with
 * their element type: f32 values, or IEEE half bits in a Uint16Array (Node 20 has no Float16Array).
 * fp16 graphs hand their outputs on as they are and the rasterizer reads and writes fp16 bits
 * itself, so a 4 M-Gaussian scene and 24 renders cross the host without a JS conversion; where a
 * conversion is still needed it is the one of weights/halfFloat.ts (widening is exact).
 */
import { float32ArrayToHalf, halfArrayToFloat32 } from '../weights/halfFloat';

export type FloatType = 'float32' | 'float16';

export type FloatData = { dtype: 'float32'; data: Float32Array } | { dtype: 'float16'; data: Uint16Array };

export const float32Data = (data: Float32Array): FloatData => ({ dtype: 'float32', data });
export const float16Data = (data: Uint16Array): FloatData => ({ dtype: 'float16', data });

/** The f32 values (the array itself when it already is f32; fp16 widened exactly). */
export function widenToFloat32(x: FloatData): Float32Array {
  return x.dtype === 'float32' ? x.data : halfArrayToFloat32(x.data);
}

/** `x` as `dtype`: itself when it already is; fp32 → fp16 rounds to nearest even. */
export function asFloatType(x: FloatData, dtype: FloatType): FloatData {
  if (x.dtype === dtype) return x;
  return x.dtype === 'float32' ? float16Data(float32ArrayToHalf(x.data)) : float32Data(halfArrayToFloat32(x.data));
}

/** Elements [start, end) of `x` as a view (no copy), in its own type. */
export function floatDataView(x: FloatData, start: number, end?: number): FloatData {
  return x.dtype === 'float32' ? float32Data(x.data.subarray(start, end)) : float16Data(x.data.subarray(start, end));
}

/**
 * Writes `src` into `dest` (f32 values or fp16 bits) at `offset`, converting only when the types
 * differ: fp16 bits into an fp16 buffer are copied as they are.
 */
export function copyFloatData(dest: Float32Array | Uint16Array, offset: number, src: FloatData): void {
  if (dest instanceof Uint16Array) dest.set(src.dtype === 'float16' ? src.data : float32ArrayToHalf(src.data), offset);
  else dest.set(widenToFloat32(src), offset);
}

/** A zero-filled array of `dtype` (zero has the same bits in both). */
export function zeroFloatData(dtype: FloatType, length: number): FloatData {
  return dtype === 'float16' ? float16Data(new Uint16Array(length)) : float32Data(new Float32Array(length));
}
