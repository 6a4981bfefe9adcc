/**
 * The one loop of the export: engine Gaussians → exported splats (threshold, T_norm, logit
 * opacity, log scale, optional camera-0 pose), written wherever a destination says. The same
 * loop fills a SplatSet's separate arrays (prepareExport) or the interleaved rows of a PLY body
 * (encodePlyFromGaussians, writePlyFileFromGaussians), so the PLY needs no intermediate SplatSet: at 4 M splats that copy
 * is 0.6 GB of freshly faulted-in memory and a second pass over it.
 *
 * Every value is computed by the same double-precision expression, in the same order, as the
 * straightforward per-field code this replaced, then rounded once to float32 on store, so
 * outputs are identical to the bit (test/helpers/referenceExport.ts and its tests prove it).
 */
import {
  GAUSSIAN_OPACITY_OFFSET,
  GAUSSIAN_ROTATION_OFFSET,
  GAUSSIAN_SCALE_OFFSET,
  GAUSSIAN_SH_OFFSET,
  GAUSSIAN_XYZ_OFFSET,
  UPSTREAM_EXPORT_SCALE_LOG_EPS,
} from './formatConstants';
import { forEachFloat32Block, gaussianData, type GaussianInput } from './gaussianBlocks';
import type { ShRotation } from './shRotation';
import { halfToFloat32Table } from '../weights/halfFloat';

/** Everything an export does to each Gaussian, worked out once per call (see planExport). */
export interface ExportPlan {
  /** Floats per engine Gaussian. */
  stride: number;
  shDegree: number;
  /** Engine Gaussians in the buffer. */
  total: number;
  /** Keep Gaussians whose opacity is >= this; `keepAll` when the threshold is 0 (then NaN is kept too). */
  threshold: number;
  keepAll: boolean;
  /** Positions and scales are multiplied by this. */
  scale: number;
  /** Camera 0's pose, applied after the scale; null for the camera-0 frame (nothing to apply). */
  pose: {
    /** 3×3 row-major rotation. */
    rotation: Float64Array;
    translation: [number, number, number];
    /** The same rotation as a unit quaternion w, x, y, z. */
    quaternionWXYZ: [number, number, number, number];
  } | null;
  /** Rotation of the degree-1 and -2 SH bands; null where the pose is absent or the identity. */
  shRotation: ShRotation | null;
}

/** Where one field of splat j lands: array[offset + j·step + component]. */
export interface FieldSlot {
  array: Float32Array;
  offset: number;
  step: number;
}

/**
 * Destination of every field. The SH coefficients of degree ≥ 1 ("rest") of splat j, channel c,
 * coefficient k (0-based) land at offset + j·step + c·channelStep + k·coeffStep: channel-major
 * (coeffStep 1) for SplatSet and INRIA f_rest, coefficient-major (channelStep 1) for upstream's PLY.
 */
export interface ExportDestination {
  positions: FieldSlot;
  scalesLog: FieldSlot;
  rotationsWXYZ: FieldSlot;
  opacityLogit: FieldSlot;
  shDC: FieldSlot;
  shRest: FieldSlot & { channelStep: number; coeffStep: number };
}

/**
 * Largest logit we store. Upstream writes log(o / (1 - o)) and gets +inf when a bf16 sigmoid
 * rounds to exactly 1; a finite value keeps every reader working, and sigmoid(20) still rounds
 * to 1 in float32.
 */
const MAX_OPACITY_LOGIT = 20;

/**
 * How many Gaussians the threshold keeps: a pass over the opacities alone, for writers that must
 * state the count before the first splat (the streamed PLY's header). It waits on memory for
 * every opacity, so callers that can size afterwards skip it.
 */
export function countKept(gaussians: GaussianInput, plan: ExportPlan): number {
  if (plan.keepAll) return plan.total;
  const data = gaussianData(gaussians);
  let count = 0;
  if (data.dtype === 'float32') {
    const src = data.data;
    for (let i = 0, o = GAUSSIAN_OPACITY_OFFSET; i < plan.total; i++, o += plan.stride) if (src[o] >= plan.threshold) count++;
  } else {
    // Each opacity widened exactly through the table: the same comparison as on widened values.
    const bits = data.data, table = halfToFloat32Table();
    for (let i = 0, o = GAUSSIAN_OPACITY_OFFSET; i < plan.total; i++, o += plan.stride) if (table[bits[o]] >= plan.threshold) count++;
  }
  return count;
}

/** `dest` with every field moved on by `splats` splats. */
function advanceDestination(dest: ExportDestination, splats: number): ExportDestination {
  const move = (slot: FieldSlot): FieldSlot => ({ array: slot.array, offset: slot.offset + splats * slot.step, step: slot.step });
  return {
    positions: move(dest.positions),
    scalesLog: move(dest.scalesLog),
    rotationsWXYZ: move(dest.rotationsWXYZ),
    opacityLogit: move(dest.opacityLogit),
    shDC: move(dest.shDC),
    shRest: { ...move(dest.shRest), channelStep: dest.shRest.channelStep, coeffStep: dest.shRest.coeffStep },
  };
}

/**
 * writeExportedSplats for f32 or fp16 Gaussians. f32 is one call on the buffer itself; fp16 goes
 * a block of rows at a time through an f32 scratch (gaussianBlocks.ts), each block's splats
 * following the last one's, so the output is exactly that of widening the whole buffer first.
 */
export function writeExportedGaussians(gaussians: GaussianInput, plan: ExportPlan, dest: ExportDestination, from = 0, to = plan.total): number {
  let written = 0;
  forEachFloat32Block(gaussians, plan.stride, from, to, (block, start, end) => {
    written += writeExportedSplats(block, plan, written === 0 ? dest : advanceDestination(dest, written), start, end);
  });
  return written;
}

/**
 * Writes the splats kept from Gaussians [from, to) to `dest`, the first one as splat 0 of the
 * destination; returns how many were written.
 */
export function writeExportedSplats(gaussians: Float32Array, plan: ExportPlan, dest: ExportDestination, from = 0, to = plan.total): number {
  const src = gaussians;
  const { stride, threshold, keepAll, scale, pose, shRotation } = plan;
  const perChannel = (plan.shDegree + 1) * (plan.shDegree + 1) - 1;

  // Destination fields as locals with running indices: the loop then only adds.
  const pos = dest.positions.array, posStep = dest.positions.step;
  const scl = dest.scalesLog.array, sclStep = dest.scalesLog.step;
  const rot = dest.rotationsWXYZ.array, rotStep = dest.rotationsWXYZ.step;
  const opa = dest.opacityLogit.array, opaStep = dest.opacityLogit.step;
  const dc = dest.shDC.array, dcStep = dest.shDC.step;
  const rest = dest.shRest.array, restStep = dest.shRest.step;
  const { channelStep, coeffStep } = dest.shRest;
  let p = dest.positions.offset, s = dest.scalesLog.offset, q = dest.rotationsWXYZ.offset;
  let o = dest.opacityLogit.offset, d = dest.shDC.offset, r = dest.shRest.offset;

  const world = pose !== null;
  const m = pose?.rotation ?? new Float64Array(9);
  const r0 = m[0], r1 = m[1], r2 = m[2], r3 = m[3], r4 = m[4], r5 = m[5], r6 = m[6], r7 = m[7], r8 = m[8];
  const [tx, ty, tz] = pose?.translation ?? [0, 0, 0];
  const [qw0, qx0, qy0, qz0] = pose?.quaternionWXYZ ?? [1, 0, 0, 0];
  // Band-1 matrix entries as locals; band 2's 25 stay in their array (read with constant
  // indices below), since 25 more locals only make V8 spill registers.
  const m1 = shRotation?.band1 ?? new Float64Array(9), m2 = shRotation?.band2 ?? new Float64Array(25);
  const m10 = m1[0], m11 = m1[1], m12 = m1[2], m13 = m1[3], m14 = m1[4], m15 = m1[5], m16 = m1[6], m17 = m1[7], m18 = m1[8];
  // Rest coefficients the SH rotation rewrites (bands 1 and 2); the others are copied as they are.
  const rotated = shRotation ? (perChannel >= 8 ? 8 : perChannel >= 3 ? 3 : 0) : 0;

  let written = 0;
  for (let i = from, g = from * stride; i < to; i++, g += stride) {
    const opacity = src[g + GAUSSIAN_OPACITY_OFFSET];
    if (!keepAll && !(opacity >= threshold)) continue;

    const px = src[g + GAUSSIAN_XYZ_OFFSET] * scale;
    const py = src[g + GAUSSIAN_XYZ_OFFSET + 1] * scale;
    const pz = src[g + GAUSSIAN_XYZ_OFFSET + 2] * scale;
    // The branch on `world` is the same for every splat, so it costs nothing; folding the
    // identity pose into the arithmetic instead would turn an infinite coordinate into NaN.
    if (world) {
      pos[p] = r0 * px + r1 * py + r2 * pz + tx;
      pos[p + 1] = r3 * px + r4 * py + r5 * pz + ty;
      pos[p + 2] = r6 * px + r7 * py + r8 * pz + tz;
    } else {
      pos[p] = px;
      pos[p + 1] = py;
      pos[p + 2] = pz;
    }

    const logit = Math.log(opacity / (1 - opacity));
    opa[o] = logit > MAX_OPACITY_LOGIT ? MAX_OPACITY_LOGIT : logit;

    const sg = g + GAUSSIAN_SCALE_OFFSET;
    scl[s] = Math.log(src[sg] * scale + UPSTREAM_EXPORT_SCALE_LOG_EPS);
    scl[s + 1] = Math.log(src[sg + 1] * scale + UPSTREAM_EXPORT_SCALE_LOG_EPS);
    scl[s + 2] = Math.log(src[sg + 2] * scale + UPSTREAM_EXPORT_SCALE_LOG_EPS);

    const qg = g + GAUSSIAN_ROTATION_OFFSET;
    const w = src[qg], x = src[qg + 1], y = src[qg + 2], z = src[qg + 3];
    if (world) {
      // q0 ⊗ q: the splat's orientation seen from the world instead of camera 0.
      rot[q] = qw0 * w - qx0 * x - qy0 * y - qz0 * z;
      rot[q + 1] = qw0 * x + qx0 * w + qy0 * z - qz0 * y;
      rot[q + 2] = qw0 * y - qx0 * z + qy0 * w + qz0 * x;
      rot[q + 3] = qw0 * z + qx0 * y - qy0 * x + qz0 * w;
    } else {
      rot[q] = w;
      rot[q + 1] = x;
      rot[q + 2] = y;
      rot[q + 3] = z;
    }

    // Engine SH is coefficient-major (coeffs, 3): coefficient k of channel c at sh + 3k + c.
    const sh = g + GAUSSIAN_SH_OFFSET;
    dc[d] = src[sh];
    dc[d + 1] = src[sh + 1];
    dc[d + 2] = src[sh + 2];
    if (rotated > 0) {
      for (let c = 0, from1 = sh + 3, to1 = r; c < 3; c++, from1++, to1 += channelStep) {
        // c' = M1·c for band 1 and M2·c for band 2, read straight from the engine's floats.
        const c0 = src[from1], c1 = src[from1 + 3], c2 = src[from1 + 6];
        rest[to1] = m10 * c0 + m11 * c1 + m12 * c2;
        rest[to1 + coeffStep] = m13 * c0 + m14 * c1 + m15 * c2;
        rest[to1 + 2 * coeffStep] = m16 * c0 + m17 * c1 + m18 * c2;
        if (rotated === 8) {
          const d0 = src[from1 + 9], d1 = src[from1 + 12], d2 = src[from1 + 15], d3 = src[from1 + 18], d4 = src[from1 + 21];
          // Unrolled with constant indices: V8 then checks m2's bounds once, not 25 times (15 % of the loop).
          const at = to1 + 3 * coeffStep;
          rest[at] = m2[0] * d0 + m2[1] * d1 + m2[2] * d2 + m2[3] * d3 + m2[4] * d4;
          rest[at + 1 * coeffStep] = m2[5] * d0 + m2[6] * d1 + m2[7] * d2 + m2[8] * d3 + m2[9] * d4;
          rest[at + 2 * coeffStep] = m2[10] * d0 + m2[11] * d1 + m2[12] * d2 + m2[13] * d3 + m2[14] * d4;
          rest[at + 3 * coeffStep] = m2[15] * d0 + m2[16] * d1 + m2[17] * d2 + m2[18] * d3 + m2[19] * d4;
          rest[at + 4 * coeffStep] = m2[20] * d0 + m2[21] * d1 + m2[22] * d2 + m2[23] * d3 + m2[24] * d4;
        }
      }
    }
    // The coefficients not rotated (all of them in the camera-0 frame), in source order: one
    // coefficient's 3 channels at a time, which V8 runs ~20 % faster than channel by channel.
    for (let k = rotated, f = sh + 3 + 3 * rotated, t = r + rotated * coeffStep; k < perChannel; k++, f += 3, t += coeffStep) {
      rest[t] = src[f];
      rest[t + channelStep] = src[f + 1];
      rest[t + 2 * channelStep] = src[f + 2];
    }

    p += posStep; s += sclStep; q += rotStep; o += opaStep; d += dcStep; r += restStep;
    written++;
  }
  return written;
}
