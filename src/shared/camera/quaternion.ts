/**
 * Quaternion ⇄ rotation matrix and slerp, with upstream FlashWorld's conventions (utils.py:
 * `quaternion_to_matrix`, `matrix_to_quaternion` (from pytorch3d), `quaternion_slerp`).
 * Quaternions are [w, x, y, z]; matrices are 3×3 row-major.
 */

const f32 = Math.fround;

/**
 * Rotation matrix of a quaternion; like upstream it divides by |q|², so a non-unit quaternion
 * still gives a rotation.
 */
export function quaternionToMatrix(q: ArrayLike<number>, offset = 0): Float64Array {
  const r = q[offset], i = q[offset + 1], j = q[offset + 2], k = q[offset + 3];
  const twoS = 2 / (r * r + i * i + j * j + k * k);
  return Float64Array.of(
    1 - twoS * (j * j + k * k), twoS * (i * j - k * r), twoS * (i * k + j * r),
    twoS * (i * j + k * r), 1 - twoS * (i * i + k * k), twoS * (j * k - i * r),
    twoS * (i * k - j * r), twoS * (j * k + i * r), 1 - twoS * (i * i + j * j),
  );
}

/**
 * Quaternion of a rotation matrix, pytorch3d's algorithm as upstream uses it: build the four
 * candidates, keep the best-conditioned one (largest |component|), then make the real part
 * non-negative. A 180° rotation (w = 0) keeps whichever sign the candidate had, as upstream.
 */
export function matrixToQuaternion(m: ArrayLike<number>, offset = 0): Float64Array {
  const m00 = m[offset], m01 = m[offset + 1], m02 = m[offset + 2];
  const m10 = m[offset + 3], m11 = m[offset + 4], m12 = m[offset + 5];
  const m20 = m[offset + 6], m21 = m[offset + 7], m22 = m[offset + 8];
  const sqrtPositive = (x: number): number => (x > 0 ? Math.sqrt(x) : 0);
  const qAbs = [
    sqrtPositive(1 + m00 + m11 + m22),
    sqrtPositive(1 + m00 - m11 - m22),
    sqrtPositive(1 - m00 + m11 - m22),
    sqrtPositive(1 - m00 - m11 + m22),
  ];
  // argmax returns the first maximum, as torch.argmax does
  let best = 0;
  for (let c = 1; c < 4; c++) if (qAbs[c] > qAbs[best]) best = c;
  const a = qAbs[best];
  let cand: number[];
  switch (best) {
    case 0: cand = [a * a, m21 - m12, m02 - m20, m10 - m01]; break;
    case 1: cand = [m21 - m12, a * a, m10 + m01, m02 + m20]; break;
    case 2: cand = [m02 - m20, m10 + m01, a * a, m12 + m21]; break;
    default: cand = [m10 - m01, m20 + m02, m21 + m12, a * a]; break;
  }
  // upstream floors the denominator at 0.1; the chosen candidate always has |q| ≥ 0.5 anyway
  const denom = 2 * Math.max(a, 0.1);
  const sign = cand[0] / denom < 0 ? -1 : 1;
  return Float64Array.of((sign * cand[0]) / denom, (sign * cand[1]) / denom, (sign * cand[2]) / denom, (sign * cand[3]) / denom);
}

/** Dot product rounded as a float32 torch `(a*b).sum(-1)` would be (pairwise order of 4 terms). */
function dot4F32(a: ArrayLike<number>, ao: number, b: ArrayLike<number>, bo: number): number {
  const p0 = f32(a[ao] * b[bo]), p1 = f32(a[ao + 1] * b[bo + 1]);
  const p2 = f32(a[ao + 2] * b[bo + 2]), p3 = f32(a[ao + 3] * b[bo + 3]);
  return f32(f32(p0 + p1) + f32(p2 + p3));
}

/**
 * Spherical interpolation from q0 (fraction 0) to q1 (fraction 1), as upstream's
 * `quaternion_slerp(q0, q1, fraction)` (spin 0, shortest path): the cosine is taken as |q0·q1|
 * clamped to [0, 1] (upstream negates d but not q1, so callers flip q1 beforehand, as
 * `sampleFromTwoPoses` does), and when the angle is below 1e-5 the result is q0 itself. Evaluated
 * in float32 like upstream, because the threshold decides between q0 and the interpolation for
 * nearly equal rotations. The result is not normalized (upstream normalizes afterwards).
 */
export function quaternionSlerp(q0: ArrayLike<number>, q1: ArrayLike<number>, fraction: number, q0Offset = 0, q1Offset = 0): Float64Array {
  const frac = f32(fraction);
  const d = Math.min(Math.abs(dot4F32(q0, q0Offset, q1, q1Offset)), 1);
  const angle = f32(Math.acos(d));
  if (angle < f32(1e-5)) {
    return Float64Array.of(q0[q0Offset], q0[q0Offset + 1], q0[q0Offset + 2], q0[q0Offset + 3]);
  }
  const isin = f32(1 / f32(f32(Math.sin(angle)) + f32(1e-10)));
  const w0 = f32(f32(Math.sin(f32(f32(1 - frac) * angle))) * isin);
  const w1 = f32(f32(Math.sin(f32(frac * angle))) * isin);
  const out = new Float64Array(4);
  for (let c = 0; c < 4; c++) out[c] = f32(f32(q0[q0Offset + c] * w0) + f32(q1[q1Offset + c] * w1));
  return out;
}

/** q / max(|q|, 1e-12) (torch.nn.functional.normalize), in float32 like upstream. */
export function normalizeQuaternionF32(q: ArrayLike<number>): Float64Array {
  const n = f32(Math.sqrt(q[0] * q[0] + q[1] * q[1] + q[2] * q[2] + q[3] * q[3]));
  const s = Math.max(n, 1e-12);
  return Float64Array.of(f32(q[0] / s), f32(q[1] / s), f32(q[2] / s), f32(q[3] / s));
}

/** Hamilton product a ⊗ b of [w, x, y, z] quaternions. */
export function quaternionMultiply(a: ArrayLike<number>, b: ArrayLike<number>): Float64Array {
  const [aw, ax, ay, az] = [a[0], a[1], a[2], a[3]];
  const [bw, bx, by, bz] = [b[0], b[1], b[2], b[3]];
  return Float64Array.of(
    aw * bw - ax * bx - ay * by - az * bz,
    aw * bx + ax * bw + ay * bz - az * by,
    aw * by - ax * bz + ay * bw + az * bx,
    aw * bz + ax * by - ay * bx + az * bw,
  );
}
