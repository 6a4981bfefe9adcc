/**
 * Camera normalization, as upstream FlashWorld's utils.py `normalize_cameras`: express every pose
 * relative to camera 0 (camera 0 becomes the identity) and divide positions by
 * (T_norm + 0.01), T_norm being the largest distance from camera 0. `generate` normalizes the
 * n_frame cameras first and then the preview-video cameras with the same ref_w2c and T_norm.
 */
import { matrixToQuaternion, quaternionToMatrix } from './quaternion';
import { CAMERA_STRIDE, cameraCount, type PackedCameras } from './types';

const f32 = Math.fround;

/** Added to T_norm before dividing (upstream utils.py `normalize_cameras`). */
export const T_NORM_EPSILON = 1e-2;

export interface NormalizedCameras {
  cameras: PackedCameras;
  /** world-to-camera-0 transform, 4×4 row-major, float32 as upstream keeps it */
  refW2c: Float32Array;
  /** largest distance of a camera from camera 0, before normalization (float32) */
  tNorm: number;
}

export interface NormalizeOptions {
  /** reuse the reference transform of an earlier call (upstream: video cameras) */
  refW2c?: Float32Array;
  /** reuse the scale of an earlier call */
  tNorm?: number;
  /** take T_norm over the first nFrame cameras only (upstream's `n_frame` argument) */
  nFrame?: number;
}

/** Camera-to-world 4×4 (row-major) of camera `index`: [R t; 0 0 0 1]. */
export function cameraToWorld(cameras: PackedCameras, index: number): Float64Array {
  const o = index * CAMERA_STRIDE;
  const r = quaternionToMatrix(cameras, o);
  return Float64Array.of(
    r[0], r[1], r[2], cameras[o + 4],
    r[3], r[4], r[5], cameras[o + 5],
    r[6], r[7], r[8], cameras[o + 6],
    0, 0, 0, 1,
  );
}

/** Inverse of a rigid 4×4 [R t; 0 1]: [Rᵀ −Rᵀt; 0 1]. */
export function invertRigid(m: ArrayLike<number>): Float64Array {
  const out = new Float64Array(16);
  for (let r = 0; r < 3; r++) {
    for (let c = 0; c < 3; c++) out[r * 4 + c] = m[c * 4 + r];
    out[r * 4 + 3] = -(m[0 * 4 + r] * m[3] + m[1 * 4 + r] * m[7] + m[2 * 4 + r] * m[11]);
  }
  out[15] = 1;
  return out;
}

/** a·b for 4×4 row-major matrices. */
export function multiply4x4(a: ArrayLike<number>, b: ArrayLike<number>): Float64Array {
  const out = new Float64Array(16);
  for (let r = 0; r < 4; r++) {
    for (let c = 0; c < 4; c++) {
      out[r * 4 + c] = a[r * 4] * b[c] + a[r * 4 + 1] * b[4 + c] + a[r * 4 + 2] * b[8 + c] + a[r * 4 + 3] * b[12 + c];
    }
  }
  return out;
}

export function normalizeCameras(cameras: PackedCameras, options: NormalizeOptions = {}): NormalizedCameras {
  const n = cameraCount(cameras);
  if (n === 0) throw new RangeError('normalizeCameras needs at least one camera');
  const refW2c = options.refW2c ?? Float32Array.from(invertRigid(cameraToWorld(cameras, 0)));

  const relative: Float64Array[] = [];
  for (let i = 0; i < n; i++) relative.push(multiply4x4(refW2c, cameraToWorld(cameras, i)));

  let tNorm = options.tNorm;
  if (tNorm === undefined) {
    const upTo = Math.min(options.nFrame ?? n, n);
    let max = 0;
    for (let i = 0; i < upTo; i++) {
      const m = relative[i];
      max = Math.max(max, Math.hypot(m[3], m[7], m[11]));
    }
    tNorm = f32(max);
  }
  const divisor = f32(tNorm + T_NORM_EPSILON);

  const out = new Float32Array(cameras.length);
  for (let i = 0; i < n; i++) {
    const m = relative[i], o = i * CAMERA_STRIDE;
    const q = matrixToQuaternion([m[0], m[1], m[2], m[4], m[5], m[6], m[8], m[9], m[10]]);
    out.set(q, o);
    out[o + 4] = f32(m[3]) / divisor;
    out[o + 5] = f32(m[7]) / divisor;
    out[o + 6] = f32(m[11]) / divisor;
    for (let c = 7; c < CAMERA_STRIDE; c++) out[o + c] = cameras[o + c];
  }
  return { cameras: out, refW2c, tNorm };
}
