/**
 * Engine output → exportable splats, with the semantics of upstream utils.py `export_gaussians`:
 * drop Gaussians with opacity below the threshold, undo the camera normalisation's scale
 * (positions and scales × T_norm), store opacity as a logit and scales as logs. Optionally carry
 * the result into the authored world frame so it lines up with the trajectory.
 */
import { StudioError } from '../../shared/errors';
import {
  GAUSSIAN_SH_OFFSET,
  UPSTREAM_CAMERA_NORM_EPS,
  UPSTREAM_EXPORT_OPACITY_THRESHOLD,
  UPSTREAM_SH_DEGREE,
} from './formatConstants';
import { writeExportedGaussians, type ExportDestination, type ExportPlan } from './exportWriter';
import { gaussianValueCount, type GaussianInput } from './gaussianBlocks';
import { allocateSplatSet, firstSplats, shRestPerChannel, type SplatSet } from './splatSet';
import { shRotationForMatrix } from './shRotation';

export type { ExportPlan } from './exportWriter';
export type { GaussianInput } from './gaussianBlocks';

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

function validate(gaussians: GaussianInput, options: ExportOptions, stride: number): void {
  const values = gaussianValueCount(gaussians);
  if (values % stride !== 0) {
    throw new StudioError('INVALID_REQUEST', `Gaussian buffer has ${values} floats, not a multiple of ${stride} (xyz, opacity, scale, rotation, SH of degree ${options.shDegree ?? UPSTREAM_SH_DEGREE}).`);
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

/**
 * Validates the options and works out, once, what the export does to each Gaussian: the
 * threshold, the scale, camera 0's pose and SH rotation.
 */
export function planExport(gaussians: GaussianInput, options: ExportOptions): ExportPlan {
  const shDegree = options.shDegree ?? UPSTREAM_SH_DEGREE;
  const stride = gaussianStride(shDegree);
  validate(gaussians, options, stride);
  const threshold = options.opacityThreshold ?? UPSTREAM_EXPORT_OPACITY_THRESHOLD;
  const total = gaussianValueCount(gaussians) / stride;
  // Upstream prunes only when the threshold is > 0 (a 0 threshold keeps NaN opacities too).
  const keepAll = !(threshold > 0);

  if (options.frame !== 'world') {
    return { stride, shDegree, total, threshold, keepAll, scale: options.tNorm, pose: null, shRotation: null };
  }
  const { quaternion: q, position: t } = options.refC2w!;
  const rotation = quaternionToMatrixWXYZ(q);
  const n = Math.hypot(q[0], q[1], q[2], q[3]);
  const pose = {
    rotation,
    translation: [t[0], t[1], t[2]] as [number, number, number],
    quaternionWXYZ: [q[0] / n, q[1] / n, q[2] / n, q[3] / n] as [number, number, number, number],
  };
  // Identity poses leave SH alone (and degree 0 has nothing to rotate).
  const identity = rotation[0] === 1 && rotation[4] === 1 && rotation[8] === 1;
  const shRotation = shDegree > 0 && !identity ? shRotationForMatrix(rotation) : null;
  // The world frame undoes normalize_cameras exactly: its divisor was T_norm + 0.01.
  return { stride, shDegree, total, threshold, keepAll, scale: options.tNorm + UPSTREAM_CAMERA_NORM_EPS, pose, shRotation };
}

/** A SplatSet's arrays as an export destination: one splat after another in each array. */
function splatSetDestination(set: SplatSet): ExportDestination {
  const perChannel = shRestPerChannel(set.shDegree);
  return {
    positions: { array: set.positions, offset: 0, step: 3 },
    scalesLog: { array: set.scalesLog, offset: 0, step: 3 },
    rotationsWXYZ: { array: set.rotationsWXYZ, offset: 0, step: 4 },
    opacityLogit: { array: set.opacityLogit, offset: 0, step: 1 },
    shDC: { array: set.shDC, offset: 0, step: 3 },
    // SplatSet holds rest coefficients channel-major, like INRIA's f_rest_*.
    shRest: { array: set.shRest, offset: 0, step: 3 * perChannel, channelStep: perChannel, coeffStep: 1 },
  };
}

/**
 * Engine Gaussians (N × stride floats, activated values; f32, or fp16 bits as FloatData) → a
 * SplatSet ready for PLY/SPZ writers; fp16 gives exactly the set of its widened values.
 * For a PLY alone, encodePlyFromGaussians (ply.ts) gives the same bytes without the SplatSet.
 */
export function prepareExport(gaussians: GaussianInput, options: ExportOptions): SplatSet {
  const plan = planExport(gaussians, options);
  // Room for every Gaussian, then views of the ones kept: no counting pass first, which waits on
  // memory for every opacity (50–100 ms at 4 M Gaussians on the build machine).
  const set = allocateSplatSet(plan.total, plan.shDegree);
  return firstSplats(set, writeExportedGaussians(gaussians, plan, splatSetDestination(set)));
}
