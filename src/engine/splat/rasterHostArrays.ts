/**
 * The rasterizer's host-side arrays: the Gaussians it accepts (f32 values or fp16 bits), the
 * forms its renders come back in, and the background-only answer for empty scenes.
 */
import { StudioError } from '../../shared/errors';
import { float32ToHalfBits } from '../weights/halfFloat';
import type { GaussianStorage } from './rasterPasses';
import { RASTER_FLOATS_PER_GAUSSIAN } from './rasterizerConstants';

/** Gaussians (N × 38) as f32 values, or as fp16 bits in a Uint16Array (Node 20 has no Float16Array). */
export type GaussianArray = Float32Array | Uint16Array;

/** What a render call returns: planar signed f32, the same rounded to fp16 bits, or RGBA8. */
export type OutputForm = 'signed' | 'signed-half' | 'rgba8';

export function gaussianCountOf(gaussians: GaussianArray): number {
  if (!(gaussians instanceof Float32Array || gaussians instanceof Uint16Array) || gaussians.length % RASTER_FLOATS_PER_GAUSSIAN !== 0) {
    throw new StudioError('INVALID_REQUEST', `Gaussians must be a Float32Array (or a Uint16Array of fp16 bits) of N × ${RASTER_FLOATS_PER_GAUSSIAN} numbers (upstream's scene_params rows); got ${gaussians?.length} numbers.`);
  }
  return gaussians.length / RASTER_FLOATS_PER_GAUSSIAN;
}

export function storageOf(gaussians: GaussianArray): GaussianStorage {
  return gaussians instanceof Uint16Array ? 'float16' : 'float32';
}

export function fillBackground(out: Float32Array | Uint32Array | Uint16Array, background: [number, number, number], views: number, pixels: number, form: OutputForm): void {
  const clamp01 = (v: number) => Math.min(1, Math.max(0, v));
  if (form === 'rgba8') {
    const bytes = new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
    const rgba = [...background.map((v) => Math.round(clamp01(v) * 255)), 255];
    for (let i = 0; i < bytes.length; i++) bytes[i] = rgba[i % 4];
    return;
  }
  for (let v = 0; v < views; v++) {
    for (let c = 0; c < 3; c++) {
      const signed = Math.fround(Math.min(1, Math.max(-1, background[c] * 2 - 1)));
      out.fill(form === 'signed-half' ? float32ToHalfBits(signed) : signed, (v * 3 + c) * pixels, (v * 3 + c + 1) * pixels);
    }
  }
}
