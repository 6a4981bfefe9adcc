/**
 * The PLY export path exactly as it was before it was made faster (commit 538a98b), kept as the
 * byte-for-byte reference for the fast one: `referencePrepareExport` is the old prepareExport loop
 * and `referenceEncodePly` the old encodePly. Do not optimise this file; its only job is to be
 * obviously the old behaviour.
 */
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
} from '../../src/engine/splat/formatConstants';
import { gaussianStride, quaternionToMatrixWXYZ, type ExportOptions } from '../../src/engine/splat/export';
import { plyHeader, plyPropertyNames, type PlyLayout } from '../../src/engine/splat/ply';
import { allocateSplatSet, shRestPerChannel, type SplatSet } from '../../src/engine/splat/splatSet';
import { rotateSplatShRest, shRotationForMatrix, type ShRotation } from '../../src/engine/splat/shRotation';

const MAX_OPACITY_LOGIT = 20;

/** The old prepareExport (input validation left out: the tests only feed it valid options). */
export function referencePrepareExport(gaussians: Float32Array, options: ExportOptions): SplatSet {
  const shDegree = options.shDegree ?? UPSTREAM_SH_DEGREE;
  const stride = gaussianStride(shDegree);
  const threshold = options.opacityThreshold ?? UPSTREAM_EXPORT_OPACITY_THRESHOLD;
  const total = gaussians.length / stride;

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

function referenceFillRows(set: SplatSet, layout: PlyLayout, start: number, end: number, out: Float32Array): void {
  const { positions, scalesLog, rotationsWXYZ, opacityLogit, shDC, shRest } = set;
  const rest = shRestPerChannel(set.shDegree);
  const rowFloats = plyPropertyNames(set.shDegree, layout).length;
  let o = 0;
  for (let i = start; i < end; i++, o += rowFloats) {
    out[o] = positions[i * 3];
    out[o + 1] = positions[i * 3 + 1];
    out[o + 2] = positions[i * 3 + 2];
    let p: number;
    if (layout === 'inria') {
      out[o + 3] = 0;
      out[o + 4] = 0;
      out[o + 5] = 0;
      out[o + 6] = shDC[i * 3];
      out[o + 7] = shDC[i * 3 + 1];
      out[o + 8] = shDC[i * 3 + 2];
      const r = i * 3 * rest;
      for (let k = 0; k < 3 * rest; k++) out[o + 9 + k] = shRest[r + k];
      p = o + 9 + 3 * rest;
    } else {
      out[o + 3] = shDC[i * 3];
      out[o + 4] = shDC[i * 3 + 1];
      out[o + 5] = shDC[i * 3 + 2];
      const r = i * 3 * rest;
      for (let k = 0; k < rest; k++) {
        const d = o + 6 + k * 3;
        out[d] = shRest[r + k];
        out[d + 1] = shRest[r + rest + k];
        out[d + 2] = shRest[r + 2 * rest + k];
      }
      p = o + 6 + 3 * rest;
    }
    out[p] = opacityLogit[i];
    out[p + 1] = scalesLog[i * 3];
    out[p + 2] = scalesLog[i * 3 + 1];
    out[p + 3] = scalesLog[i * 3 + 2];
    out[p + 4] = rotationsWXYZ[i * 4];
    out[p + 5] = rotationsWXYZ[i * 4 + 1];
    out[p + 6] = rotationsWXYZ[i * 4 + 2];
    out[p + 7] = rotationsWXYZ[i * 4 + 3];
  }
}

/** The old encodePly (shape and endianness checks left out). */
export function referenceEncodePly(set: SplatSet, layout: PlyLayout = 'inria'): Buffer {
  const header = Buffer.from(plyHeader(set.count, set.shDegree, layout), 'ascii');
  const rowFloats = plyPropertyNames(set.shDegree, layout).length;
  const arrayBuffer = new ArrayBuffer(header.length + set.count * rowFloats * 4);
  const out = Buffer.from(arrayBuffer);
  header.copy(out, 0);
  referenceFillRows(set, layout, 0, set.count, new Float32Array(arrayBuffer, header.length, set.count * rowFloats));
  return out;
}
