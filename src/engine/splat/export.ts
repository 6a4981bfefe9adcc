/**
 * Engine output → exportable splats, with the semantics of upstream utils.py `export_gaussians`:
 * drop Gaussians with opacity below the threshold, undo the camera normalisation's scale
 * (positions and scales × T_norm), store opacity as a logit and scales as logs. Optionally carry
 * the result into the authored world frame so it lines up with the trajectory.
 */
import { StudioError } from '../../shared/errors';
import {
  GAUSSIAN_OPACITY_OFFSET,
  GAUSSIAN_ROTATION_OFFSET,
  GAUSSIAN_SCALE_OFFSET,
  GAUSSIAN_SH_OFFSET,
  GAUSSIAN_XYZ_OFFSET,
  UPSTREAM_CAMERA_NORM_EPS,
  UPSTREAM_EXPORT_OPACITY_THRESHOLD,
  UPSTREAM_EXPORT_SCALE_LOG_EPS,
  UPSTREAM_SH_DEGREE,
} from './formatConstants';
import { allocateSplatSet, type SplatSet } from './splatSet';
import { rotateSplatShRest, shRotationForMatrix, type ShRotation } from './shRotation';

/** A rigid camera-to-world pose as the request JSON writes cameras: quaternion [w, x, y, z], position [x, y, z]. */
export interface PoseWXYZ {
  quaternion: ArrayLike<number>;
  position: ArrayLike<number>;
}

export interface ExportOptions {
  /** upstream `T_norm`: the largest camera distance from camera 0 before normalisation. */
  tNorm: number;
  /** Keep Gaussians whose activated opacity is >= this (upstream: 0.00025). 0 keeps all. */
  opacityThreshold?: number;
  /**
   * 'camera0': upstream's frame (camera 0 at the origin, OpenGL axes), positions × T_norm — the
   * files upstream writes. 'world': the authored frame of the trajectory: positions ×
   * (T_norm + 0.01), the exact inverse of `normalize_cameras`, then camera 0's pose.
   */
  frame: 'camera0' | 'world';
  /** Camera 0's camera-to-world pose in the authored frame; required for frame 'world'. */
  refC2w?: PoseWXYZ;
  /** SH degree of the engine output (upstream: 2, i.e. 38 floats a Gaussian). */
  shDegree?: number;
}

/** Floats per Gaussian in engine output of the given SH degree (38 for degree 2). */
export function gaussianStride(shDegree: number): number {
  return GAUSSIAN_SH_OFFSET + 3 * (shDegree + 1) * (shDegree + 1);
}

/**
 * Largest logit we store. Upstream writes log(o / (1 - o)) and gets +inf when a bf16 sigmoid
 * rounds to exactly 1; a finite value keeps every reader working, and sigmoid(20) still rounds
 * to 1 in float32.
 */
const MAX_OPACITY_LOGIT = 20;

/** Row-major 3×3 rotation of a (not necessarily unit) quaternion w, x, y, z. */
export function quaternionToMatrixWXYZ(q: ArrayLike<number>): Float64Array {
  const n = Math.hypot(q[0], q[1], q[2], q[3]);
  if (!(n > 0) || !Number.isFinite(n)) {
    throw new StudioError('INVALID_REQUEST', `Camera 0's quaternion [${Array.from(q).join(', ')}] is not a rotation; give a non-zero [w, x, y, z].`);
  }
  const w = q[0] / n, x = q[1] / n, y = q[2] / n, z = q[3] / n;
  return Float64Array.from([
    1 - 2 * (y * y + z * z), 2 * (x * y - z * w), 2 * (x * z + y * w),
    2 * (x * y + z * w), 1 - 2 * (x * x + z * z), 2 * (y * z - x * w),
    2 * (x * z - y * w), 2 * (y * z + x * w), 1 - 2 * (x * x + y * y),
  ]);
}

function validate(gaussians: Float32Array, options: ExportOptions, stride: number): void {
  if (gaussians.length % stride !== 0) {
    throw new StudioError('INVALID_REQUEST', `Gaussian buffer has ${gaussians.length} floats, not a multiple of ${stride} (xyz, opacity, scale, rotation, SH of degree ${options.shDegree ?? UPSTREAM_SH_DEGREE}).`);
  }
  if (!(options.tNorm > 0) || !Number.isFinite(options.tNorm)) {
    throw new StudioError('INVALID_REQUEST', `T_norm must be a positive finite number; got ${options.tNorm}.`);
  }
  const threshold = options.opacityThreshold ?? UPSTREAM_EXPORT_OPACITY_THRESHOLD;
  if (!(threshold >= 0 && threshold < 1)) {
    throw new StudioError('INVALID_REQUEST', `Opacity threshold must be in [0, 1); got ${threshold}.`);
  }
  if (options.frame === 'world') {
    const pose = options.refC2w;
    if (!pose || pose.quaternion.length !== 4 || pose.position.length !== 3) {
      throw new StudioError('INVALID_REQUEST', "Exporting in the world frame needs camera 0's pose (refC2w: quaternion [w, x, y, z] and position [x, y, z]).");
    }
  } else if (options.frame !== 'camera0') {
    throw new StudioError('INVALID_REQUEST', `Unknown export frame '${String(options.frame)}'; use 'camera0' or 'world'.`);
  }
}

/** Engine Gaussians (N × stride floats, activated values) → a SplatSet ready for PLY/SPZ writers. */
export function prepareExport(gaussians: Float32Array, options: ExportOptions): SplatSet {
  const shDegree = options.shDegree ?? UPSTREAM_SH_DEGREE;
  const stride = gaussianStride(shDegree);
  validate(gaussians, options, stride);
  const threshold = options.opacityThreshold ?? UPSTREAM_EXPORT_OPACITY_THRESHOLD;
  const total = gaussians.length / stride;

  // Upstream prunes only when the threshold is > 0 (a 0 threshold keeps NaN opacities too).
  let count = 0;
  if (threshold > 0) {
    for (let i = 0, o = GAUSSIAN_OPACITY_OFFSET; i < total; i++, o += stride) if (gaussians[o] >= threshold) count++;
  } else {
    count = total;
  }

  const set = allocateSplatSet(count, shDegree);
  const { positions, scalesLog, rotationsWXYZ, opacityLogit, shDC, shRest } = set;
  const world = options.frame === 'world';
  const scale = world ? options.tNorm + UPSTREAM_CAMERA_NORM_EPS : options.tNorm;
  const rot = world ? quaternionToMatrixWXYZ(options.refC2w!.quaternion) : Float64Array.of(1, 0, 0, 0, 1, 0, 0, 0, 1);
  const t = world ? options.refC2w!.position : [0, 0, 0];
  const [r0, r1, r2, r3, r4, r5, r6, r7, r8] = rot;
  const tx = t[0], ty = t[1], tz = t[2];
  let qw0 = 1, qx0 = 0, qy0 = 0, qz0 = 0;
  if (world) {
    const q = options.refC2w!.quaternion;
    const n = Math.hypot(q[0], q[1], q[2], q[3]);
    qw0 = q[0] / n; qx0 = q[1] / n; qy0 = q[2] / n; qz0 = q[3] / n;
  }
  const coeffs = (shDegree + 1) * (shDegree + 1);
  const rest = coeffs - 1;
  const keepAll = !(threshold > 0);
  // Identity poses leave SH alone; otherwise each splat's SH is rotated while it is still in cache.
  const shRot: ShRotation | null = world && rest > 0 && !(r0 === 1 && r4 === 1 && r8 === 1) ? shRotationForMatrix(rot) : null;

  for (let i = 0, j = 0; i < total; i++) {
    const g = i * stride;
    const opacity = gaussians[g + GAUSSIAN_OPACITY_OFFSET];
    if (!keepAll && !(opacity >= threshold)) continue;

    const px = gaussians[g + GAUSSIAN_XYZ_OFFSET] * scale;
    const py = gaussians[g + GAUSSIAN_XYZ_OFFSET + 1] * scale;
    const pz = gaussians[g + GAUSSIAN_XYZ_OFFSET + 2] * scale;
    if (world) {
      positions[j * 3] = r0 * px + r1 * py + r2 * pz + tx;
      positions[j * 3 + 1] = r3 * px + r4 * py + r5 * pz + ty;
      positions[j * 3 + 2] = r6 * px + r7 * py + r8 * pz + tz;
    } else {
      positions[j * 3] = px;
      positions[j * 3 + 1] = py;
      positions[j * 3 + 2] = pz;
    }

    const logit = Math.log(opacity / (1 - opacity));
    opacityLogit[j] = logit > MAX_OPACITY_LOGIT ? MAX_OPACITY_LOGIT : logit;

    const s = g + GAUSSIAN_SCALE_OFFSET;
    scalesLog[j * 3] = Math.log(gaussians[s] * scale + UPSTREAM_EXPORT_SCALE_LOG_EPS);
    scalesLog[j * 3 + 1] = Math.log(gaussians[s + 1] * scale + UPSTREAM_EXPORT_SCALE_LOG_EPS);
    scalesLog[j * 3 + 2] = Math.log(gaussians[s + 2] * scale + UPSTREAM_EXPORT_SCALE_LOG_EPS);

    const q = g + GAUSSIAN_ROTATION_OFFSET;
    const w = gaussians[q], x = gaussians[q + 1], y = gaussians[q + 2], z = gaussians[q + 3];
    if (world) {
      // q0 ⊗ q: the splat's orientation seen from the world instead of camera 0.
      rotationsWXYZ[j * 4] = qw0 * w - qx0 * x - qy0 * y - qz0 * z;
      rotationsWXYZ[j * 4 + 1] = qw0 * x + qx0 * w + qy0 * z - qz0 * y;
      rotationsWXYZ[j * 4 + 2] = qw0 * y - qx0 * z + qy0 * w + qz0 * x;
      rotationsWXYZ[j * 4 + 3] = qw0 * z + qx0 * y - qy0 * x + qz0 * w;
    } else {
      rotationsWXYZ[j * 4] = w;
      rotationsWXYZ[j * 4 + 1] = x;
      rotationsWXYZ[j * 4 + 2] = y;
      rotationsWXYZ[j * 4 + 3] = z;
    }

    // Engine SH is coefficient-major (coeffs, 3); INRIA's f_rest is channel-major.
    const sh = g + GAUSSIAN_SH_OFFSET;
    shDC[j * 3] = gaussians[sh];
    shDC[j * 3 + 1] = gaussians[sh + 1];
    shDC[j * 3 + 2] = gaussians[sh + 2];
    const r = j * 3 * rest;
    for (let k = 1; k < coeffs; k++) {
      const src = sh + k * 3;
      shRest[r + k - 1] = gaussians[src];
      shRest[r + rest + k - 1] = gaussians[src + 1];
      shRest[r + 2 * rest + k - 1] = gaussians[src + 2];
    }
    if (shRot) rotateSplatShRest(shRest, j, rest, shRot);
    j++;
  }

  return set;
}
