/**
 * A small preview of a result for the queue list: the Gaussians' centres seen from camera 0,
 * nearest-first, coloured by their SH DC term. Cheap (one pass over N) and honest about what was
 * generated, without needing a GPU in the service.
 */
import { PNG } from 'pngjs';
import {
  GAUSSIAN_OPACITY_OFFSET,
  GAUSSIAN_SH_OFFSET,
  GAUSSIAN_XYZ_OFFSET,
  SH_C0,
} from '../splat/formatConstants';
import { CAMERA_STRIDE } from '../../shared/camera/types';
import { forEachFloat32Block, gaussianValueCount, type GaussianInput } from '../splat/gaussianBlocks';

export const THUMBNAIL_WIDTH = 128;
/** Splats fainter than this would only add noise to a point preview. */
const MIN_OPACITY = 0.05;
const BACKGROUND = [27, 29, 34];

/**
 * `gaussians`: (N, stride) engine output (f32, or fp16 bits read a block at a time) in camera 0's
 * OpenGL frame (-Z forward); `camera0`: its packed 11-vector (intrinsics as fractions of W and H).
 */
export function renderThumbnail(gaussians: GaussianInput, stride: number, camera0: ArrayLike<number>, aspectHOverW: number): Buffer {
  const w = THUMBNAIL_WIDTH;
  const h = Math.max(1, Math.round(w * aspectHOverW));
  const fx = camera0[7] * w, fy = camera0[8] * h, cx = camera0[9] * w, cy = camera0[10] * h;
  const depth = new Float32Array(w * h).fill(Infinity);
  const png = new PNG({ width: w, height: h });
  for (let p = 0; p < w * h; p++) {
    png.data[p * 4] = BACKGROUND[0];
    png.data[p * 4 + 1] = BACKGROUND[1];
    png.data[p * 4 + 2] = BACKGROUND[2];
    png.data[p * 4 + 3] = 255;
  }
  const n = Math.floor(gaussianValueCount(gaussians) / stride);
  forEachFloat32Block(gaussians, stride, 0, n, (block, start, end) => {
    for (let i = start; i < end; i++) {
      const o = i * stride;
      if (block[o + GAUSSIAN_OPACITY_OFFSET] < MIN_OPACITY) continue;
      const x = block[o + GAUSSIAN_XYZ_OFFSET], y = block[o + GAUSSIAN_XYZ_OFFSET + 1], z = -block[o + GAUSSIAN_XYZ_OFFSET + 2];
      if (!(z > 1e-6)) continue;
      // Pixel centres at +0.5, image y down (OpenGL y up).
      const u = Math.floor(cx + (fx * x) / z);
      const v = Math.floor(cy - (fy * y) / z);
      if (u < 0 || v < 0 || u >= w || v >= h) continue;
      const p = v * w + u;
      if (z >= depth[p]) continue;
      depth[p] = z;
      for (let c = 0; c < 3; c++) {
        const value = 0.5 + SH_C0 * block[o + GAUSSIAN_SH_OFFSET + c];
        png.data[p * 4 + c] = Math.max(0, Math.min(255, Math.round(value * 255)));
      }
    }
  });
  return PNG.sync.write(png);
}

export function thumbnailDataUrl(gaussians: GaussianInput, stride: number, cameras: Float32Array, heightPx: number, widthPx: number): string {
  const png = renderThumbnail(gaussians, stride, cameras.subarray(0, CAMERA_STRIDE), heightPx / widthPx);
  return `data:image/png;base64,${png.toString('base64')}`;
}
