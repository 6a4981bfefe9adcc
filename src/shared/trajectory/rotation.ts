/**
 * Rotation maths for authoring, in double precision: camera-to-world quaternions [w, x, y, z] in the
 * OpenGL / three.js convention (the camera looks down its local -Z, +Y is up, +X is right).
 *
 * The matrix conversions and the Hamilton product come from src/shared/camera/quaternion.ts. Its
 * slerp is deliberately NOT reused here: it reproduces upstream's float32 arithmetic and its
 * "return q0 below 1e-5 rad" rule so that the engine matches upstream bit for bit, whereas an
 * editor needs a double-precision, shortest-path slerp that reaches both ends exactly.
 *
 * Angles follow the right-hand rule: a positive yaw turns the view left (about +Y), a positive
 * pitch looks up (about the camera's +X), a positive roll tilts the horizon counter-clockwise as
 * the viewer sees it (about the camera's +Z). Yaw-pitch-roll is the Euler order Y, then X, then Z
 * (three.js's 'YXZ', the usual first-person camera order).
 */
import { StudioError } from '../errors';
import { matrixToQuaternion, quaternionMultiply, quaternionToMatrix } from '../camera/quaternion';
import { cross3, dot3, length3, normalize3, sub3, WORLD_UP, type Vec3 } from './vector';

export type QuatWXYZ = [number, number, number, number];

export const IDENTITY_QUAT: Readonly<QuatWXYZ> = [1, 0, 0, 0];

const DEG = Math.PI / 180;

export function degToRad(deg: number): number {
  return deg * DEG;
}

export function radToDeg(rad: number): number {
  return rad / DEG;
}

export function quatDot(a: Readonly<QuatWXYZ>, b: Readonly<QuatWXYZ>): number {
  return a[0] * b[0] + a[1] * b[1] + a[2] * b[2] + a[3] * b[3];
}

export function quatNegate(q: Readonly<QuatWXYZ>): QuatWXYZ {
  return [-q[0], -q[1], -q[2], -q[3]];
}

export function quatConjugate(q: Readonly<QuatWXYZ>): QuatWXYZ {
  return [q[0], -q[1], -q[2], -q[3]];
}

export function quatMultiply(a: Readonly<QuatWXYZ>, b: Readonly<QuatWXYZ>): QuatWXYZ {
  const m = quaternionMultiply(a, b);
  return [m[0], m[1], m[2], m[3]];
}

/** q / |q|; throws for a (near-)zero quaternion, which has no rotation to keep. */
export function quatNormalize(q: Readonly<QuatWXYZ>): QuatWXYZ {
  const n = Math.hypot(q[0], q[1], q[2], q[3]);
  if (!(n > 1e-12) || !Number.isFinite(n)) {
    throw new StudioError('INVALID_REQUEST', `The rotation quaternion [${q.join(', ')}] has no length; give a unit quaternion [w, x, y, z].`);
  }
  return [q[0] / n, q[1] / n, q[2] / n, q[3] / n];
}

/**
 * Unit quaternion with a fixed sign (w > 0, or the first non-zero component positive when w = 0):
 * q and -q are the same rotation, and one spelling per rotation makes documents and round trips
 * comparable component by component.
 */
export function quatCanonical(q: Readonly<QuatWXYZ>): QuatWXYZ {
  const n = quatNormalize(q);
  for (const c of n) {
    if (c > 0) return n;
    if (c < 0) return quatNegate(n);
  }
  return n;
}

/** Rotation angle between two orientations, in radians, in [0, π]. */
export function quatAngleBetween(a: Readonly<QuatWXYZ>, b: Readonly<QuatWXYZ>): number {
  // atan2 of the relative rotation keeps full precision for tiny angles, where acos(dot) would not
  const r = quatMultiply(quatConjugate(quatNormalize(a)), quatNormalize(b));
  return 2 * Math.atan2(Math.hypot(r[1], r[2], r[3]), Math.abs(r[0]));
}

export function quatFromAxisAngle(axis: Readonly<Vec3>, angleRad: number): QuatWXYZ {
  const n = normalize3(axis);
  if (length3(n) === 0) throw new StudioError('INVALID_REQUEST', 'A rotation axis has zero length; give a direction.');
  const s = Math.sin(angleRad / 2);
  return [Math.cos(angleRad / 2), n[0] * s, n[1] * s, n[2] * s];
}

/** v rotated by the unit quaternion q (q v q*). */
export function rotateVector(q: Readonly<QuatWXYZ>, v: Readonly<Vec3>): Vec3 {
  const [w, x, y, z] = q;
  // t = 2 (q.xyz × v); v' = v + w t + q.xyz × t
  const tx = 2 * (y * v[2] - z * v[1]);
  const ty = 2 * (z * v[0] - x * v[2]);
  const tz = 2 * (x * v[1] - y * v[0]);
  return [
    v[0] + w * tx + (y * tz - z * ty),
    v[1] + w * ty + (z * tx - x * tz),
    v[2] + w * tz + (x * ty - y * tx),
  ];
}

/** The camera's viewing direction in world space (its local -Z). */
export function cameraForward(q: Readonly<QuatWXYZ>): Vec3 {
  return rotateVector(q, [0, 0, -1]);
}

export function cameraRight(q: Readonly<QuatWXYZ>): Vec3 {
  return rotateVector(q, [1, 0, 0]);
}

export function cameraUp(q: Readonly<QuatWXYZ>): Vec3 {
  return rotateVector(q, [0, 1, 0]);
}

/** 3×3 row-major rotation matrix of a quaternion. */
export function quatToMatrix3(q: Readonly<QuatWXYZ>): number[] {
  return Array.from(quaternionToMatrix(q));
}

/** Canonical quaternion of a 3×3 row-major rotation matrix. */
export function matrix3ToQuat(m: ArrayLike<number>): QuatWXYZ {
  const q = matrixToQuaternion(m);
  return quatCanonical([q[0], q[1], q[2], q[3]]);
}

/**
 * Slerp that never flips: the caller has put a and b on the same hemisphere (squad needs this,
 * since flipping inside it would break its tangents). Reaches a at u = 0 and b at u = 1.
 */
export function slerpUnflipped(a: Readonly<QuatWXYZ>, b: Readonly<QuatWXYZ>, u: number): QuatWXYZ {
  const d = quatDot(a, b);
  if (Math.abs(d) > 1 - 1e-12) {
    // nearly the same rotation: sin θ ≈ 0, so a normalised lerp is exact to rounding
    return quatNormalize([a[0] + (b[0] - a[0]) * u, a[1] + (b[1] - a[1]) * u, a[2] + (b[2] - a[2]) * u, a[3] + (b[3] - a[3]) * u]);
  }
  const theta = Math.acos(Math.max(-1, Math.min(1, d)));
  const s = Math.sin(theta);
  const wa = Math.sin((1 - u) * theta) / s;
  const wb = Math.sin(u * theta) / s;
  return quatNormalize([wa * a[0] + wb * b[0], wa * a[1] + wb * b[1], wa * a[2] + wb * b[2], wa * a[3] + wb * b[3]]);
}

/** Spherical interpolation along the shorter of the two arcs between the rotations a and b. */
export function slerpShortest(a: Readonly<QuatWXYZ>, b: Readonly<QuatWXYZ>, u: number): QuatWXYZ {
  return slerpUnflipped(a, quatDot(a, b) < 0 ? quatNegate(b) : b, u);
}

/** b or -b, whichever lies on a's hemisphere. */
export function alignHemisphere(reference: Readonly<QuatWXYZ>, q: Readonly<QuatWXYZ>): QuatWXYZ {
  return quatDot(reference, q) < 0 ? quatNegate(q) : [q[0], q[1], q[2], q[3]];
}

/** log of a unit quaternion: the pure quaternion (0, θ·axis), θ being half the rotation angle. */
export function quatLog(q: Readonly<QuatWXYZ>): QuatWXYZ {
  const vn = Math.hypot(q[1], q[2], q[3]);
  if (vn < 1e-15) return [0, 0, 0, 0];
  const halfAngle = Math.atan2(vn, q[0]);
  const k = halfAngle / vn;
  return [0, q[1] * k, q[2] * k, q[3] * k];
}

/** exp of a pure quaternion (0, v): (cos|v|, sin|v| v/|v|). */
export function quatExp(v: Readonly<QuatWXYZ>): QuatWXYZ {
  const a = Math.hypot(v[1], v[2], v[3]);
  if (a < 1e-15) return [1, v[1], v[2], v[3]];
  const k = Math.sin(a) / a;
  return [Math.cos(a), v[1] * k, v[2] * k, v[3] * k];
}

/**
 * Shoemake's squad control point for q (between prev and next, all on one hemisphere):
 * s = q · exp(-(log(q⁻¹·next) + log(q⁻¹·prev)) / 4). It makes squad C1 across keyframes.
 */
export function squadControlPoint(prev: Readonly<QuatWXYZ>, q: Readonly<QuatWXYZ>, next: Readonly<QuatWXYZ>): QuatWXYZ {
  const inv = quatConjugate(q);
  const a = quatLog(quatMultiply(inv, next));
  const b = quatLog(quatMultiply(inv, prev));
  return quatMultiply(q, quatExp([0, -(a[1] + b[1]) / 4, -(a[2] + b[2]) / 4, -(a[3] + b[3]) / 4]));
}

/** squad(q1, q2, s1, s2, u) = slerp(slerp(q1, q2, u), slerp(s1, s2, u), 2u(1 − u)). */
export function squad(q1: Readonly<QuatWXYZ>, q2: Readonly<QuatWXYZ>, s1: Readonly<QuatWXYZ>, s2: Readonly<QuatWXYZ>, u: number): QuatWXYZ {
  return slerpUnflipped(slerpUnflipped(q1, q2, u), slerpUnflipped(s1, s2, u), 2 * u * (1 - u));
}

export interface YawPitchRollDeg {
  yawDeg: number;
  pitchDeg: number;
  rollDeg: number;
}

/** q = Ry(yaw) · Rx(pitch) · Rz(roll): turn about world up, then look up/down, then roll. */
export function quatFromYawPitchRoll({ yawDeg, pitchDeg, rollDeg }: YawPitchRollDeg): QuatWXYZ {
  const qy = quatFromAxisAngle([0, 1, 0], degToRad(yawDeg));
  const qx = quatFromAxisAngle([1, 0, 0], degToRad(pitchDeg));
  const qz = quatFromAxisAngle([0, 0, 1], degToRad(rollDeg));
  return quatCanonical(quatMultiply(quatMultiply(qy, qx), qz));
}

/**
 * Yaw, pitch, roll of a rotation (inverse of quatFromYawPitchRoll). Pitch is in [-90°, 90°]; at
 * ±90° (looking straight up or down) yaw and roll turn about the same axis, so roll is reported 0.
 */
export function yawPitchRollFromQuat(q: Readonly<QuatWXYZ>): YawPitchRollDeg {
  const m = quatToMatrix3(quatNormalize(q));
  const m12 = Math.max(-1, Math.min(1, m[5]));
  const pitch = Math.asin(-m12);
  if (Math.abs(m12) < 1 - 1e-9) {
    return { yawDeg: radToDeg(Math.atan2(m[2], m[8])), pitchDeg: radToDeg(pitch), rollDeg: radToDeg(Math.atan2(m[3], m[4])) };
  }
  return { yawDeg: radToDeg(Math.atan2(-m[6], m[0])), pitchDeg: radToDeg(pitch), rollDeg: 0 };
}

/**
 * Orientation of a camera at `eye` looking at `target`, with its up vector as close to `up` as the
 * view direction allows (no roll about the view axis). When the view is parallel to `up`, the
 * camera's up falls back to the world's -Z or +Z so the result stays defined.
 */
export function lookAtQuat(eye: Readonly<Vec3>, target: Readonly<Vec3>, up: Readonly<Vec3> = WORLD_UP): QuatWXYZ {
  const back = sub3(eye, target); // camera +Z points away from what it looks at
  if (length3(back) < 1e-12) {
    throw new StudioError('INVALID_REQUEST', 'The camera is at the point it should look at; move the target or the camera apart.');
  }
  const z = normalize3(back);
  let x = cross3(up, z);
  if (length3(x) < 1e-9 * Math.max(1, length3(up))) {
    const fallback: Vec3 = dot3(z, up) > 0 ? [0, 0, -1] : [0, 0, 1];
    x = cross3(fallback, z);
  }
  x = normalize3(x);
  const y = cross3(z, x);
  // columns are the camera axes in world space
  return matrix3ToQuat([x[0], y[0], z[0], x[1], y[1], z[1], x[2], y[2], z[2]]);
}
