/**
 * Per-pixel camera rays and the 6-channel raymaps the FlashWorld transformer is conditioned on,
 * as upstream FlashWorld's utils.py `create_rays` / `create_raymaps`.
 *
 * Pixel (col, row) of an h×w grid is sampled at its centre (col + 0.5, row + 0.5); the intrinsics
 * are the 11-vector's normalized ones scaled to this grid, so the same cameras give consistent rays
 * at any resolution. Directions follow OpenGL (x right, y up, -z forward) and are rotated to world
 * space and normalized; origins are the camera centres.
 */
import { quaternionToMatrix } from './quaternion';
import { CAMERA_STRIDE, cameraCount, type PackedCameras } from './types';

export interface Rays {
  /** (N, h, w, 3) ray origins */
  origins: Float32Array;
  /** (N, h, w, 3) unit ray directions */
  directions: Float32Array;
}

export interface RaymapOptions {
  /**
   * Emulate upstream `generate`, which calls create_raymaps inside
   * `torch.autocast(dtype=bfloat16)` on CUDA: there the direction × rotation matmul runs in
   * bfloat16 (inputs and product rounded to bf16), while the normalization runs in float32.
   * Off (default): plain float32 maths, as create_raymaps outside autocast.
   */
  autocastBf16?: boolean;
}

/** Round a number to bfloat16 (round to nearest even), returned as a number. */
const bf16Scratch = new Float32Array(1);
const bf16Bits = new Uint32Array(bf16Scratch.buffer);
function toBf16(x: number): number {
  bf16Scratch[0] = x;
  const bits = bf16Bits[0];
  bf16Bits[0] = ((bits + 0x7fff + ((bits >>> 16) & 1)) & 0xffff0000) >>> 0;
  return bf16Scratch[0];
}

/**
 * Rays of every pixel of an h×w grid for each camera. `uvOffset`, when given, is (N, h, w, 2) and
 * shifts each pixel's normalized coordinates (u = col_centre / cx + du, v = row_centre / cy + dv),
 * as the reconstruction decoder's predicted offsets do.
 */
export function createRays(cameras: PackedCameras, h: number, w: number, uvOffset?: Float32Array, options: RaymapOptions = {}): Rays {
  const n = cameraCount(cameras);
  const pixels = h * w;
  if (uvOffset && uvOffset.length !== n * pixels * 2) {
    throw new RangeError(`uvOffset has ${uvOffset.length} values; expected ${n}×${h}×${w}×2`);
  }
  const bf16 = options.autocastBf16 === true;
  const origins = new Float32Array(n * pixels * 3);
  const directions = new Float32Array(n * pixels * 3);
  for (let c = 0; c < n; c++) {
    const o = c * CAMERA_STRIDE;
    const rotation = Float32Array.from(quaternionToMatrix(cameras, o));
    const r = bf16 ? rotation.map(toBf16) : rotation;
    const fx = Math.fround(cameras[o + 7] * w), fy = Math.fround(cameras[o + 8] * h);
    const cx = Math.fround(cameras[o + 9] * w), cy = Math.fround(cameras[o + 10] * h);
    const tx = cameras[o + 4], ty = cameras[o + 5], tz = cameras[o + 6];
    for (let p = 0; p < pixels; p++) {
      const col = (p % w) + 0.5;
      const row = Math.floor(p / w) + 0.5;
      const uvBase = (c * pixels + p) * 2;
      const u = col / cx + (uvOffset ? uvOffset[uvBase] : 0);
      const v = row / cy + (uvOffset ? uvOffset[uvBase + 1] : 0);
      // camera-space direction at depth z = -1 (OpenGL: image rows grow downwards, y up)
      let dx = ((u - 1) * cx) / fx;
      let dy = -((v - 1) * cy) / fy;
      const dz = -1;
      if (bf16) {
        dx = toBf16(dx);
        dy = toBf16(dy);
      }
      let wx = r[0] * dx + r[1] * dy + r[2] * dz;
      let wy = r[3] * dx + r[4] * dy + r[5] * dz;
      let wz = r[6] * dx + r[7] * dy + r[8] * dz;
      if (bf16) {
        wx = toBf16(wx);
        wy = toBf16(wy);
        wz = toBf16(wz);
      }
      const len = Math.max(Math.sqrt(wx * wx + wy * wy + wz * wz), 1e-12);
      const base = (c * pixels + p) * 3;
      directions[base] = wx / len;
      directions[base + 1] = wy / len;
      directions[base + 2] = wz / len;
      origins[base] = tx;
      origins[base + 1] = ty;
      origins[base + 2] = tz;
    }
  }
  return { origins, directions };
}

/**
 * Raymaps (N, h, w, 6): [d, o − (o·d)·d] per pixel — the direction and the ray's closest point to
 * the world origin (upstream `create_raymaps`).
 */
export function createRaymaps(cameras: PackedCameras, h: number, w: number, options: RaymapOptions = {}): Float32Array {
  const { origins, directions } = createRays(cameras, h, w, undefined, options);
  const count = origins.length / 3;
  const out = new Float32Array(count * 6);
  for (let i = 0; i < count; i++) {
    const dx = directions[i * 3], dy = directions[i * 3 + 1], dz = directions[i * 3 + 2];
    const ox = origins[i * 3], oy = origins[i * 3 + 1], oz = origins[i * 3 + 2];
    const along = ox * dx + oy * dy + oz * dz;
    out.set([dx, dy, dz, ox - along * dx, oy - along * dy, oz - along * dz], i * 6);
  }
  return out;
}

/**
 * (N, h, w, 6) raymaps → (6, N, h, w), the channel-first layout the transformer takes
 * (upstream rearranges 'B T H W C -> B C T H W' with B = 1).
 */
export function raymapsToChannelsFirst(raymaps: Float32Array, n: number, h: number, w: number): Float32Array {
  const plane = n * h * w;
  if (raymaps.length !== plane * 6) throw new RangeError(`raymaps have ${raymaps.length} values; expected ${plane * 6}`);
  const out = new Float32Array(raymaps.length);
  for (let i = 0; i < plane; i++) {
    for (let c = 0; c < 6; c++) out[c * plane + i] = raymaps[i * 6 + c];
  }
  return out;
}
