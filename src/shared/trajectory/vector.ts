/**
 * Three-component vectors as plain tuples, so trajectory documents stay plain serialisable data
 * (JSON, structured clone, zustand) with no classes inside.
 */

export type Vec3 = [number, number, number];

export const ZERO3: Readonly<Vec3> = [0, 0, 0];
/** +Y: the world's up axis in the OpenGL / three.js convention the cameras use. */
export const WORLD_UP: Readonly<Vec3> = [0, 1, 0];

export function add3(a: Readonly<Vec3>, b: Readonly<Vec3>): Vec3 {
  return [a[0] + b[0], a[1] + b[1], a[2] + b[2]];
}

export function sub3(a: Readonly<Vec3>, b: Readonly<Vec3>): Vec3 {
  return [a[0] - b[0], a[1] - b[1], a[2] - b[2]];
}

export function scale3(a: Readonly<Vec3>, s: number): Vec3 {
  return [a[0] * s, a[1] * s, a[2] * s];
}

/** a + b·s */
export function addScaled3(a: Readonly<Vec3>, b: Readonly<Vec3>, s: number): Vec3 {
  return [a[0] + b[0] * s, a[1] + b[1] * s, a[2] + b[2] * s];
}

export function dot3(a: Readonly<Vec3>, b: Readonly<Vec3>): number {
  return a[0] * b[0] + a[1] * b[1] + a[2] * b[2];
}

export function cross3(a: Readonly<Vec3>, b: Readonly<Vec3>): Vec3 {
  return [a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]];
}

export function length3(a: Readonly<Vec3>): number {
  return Math.hypot(a[0], a[1], a[2]);
}

export function distance3(a: Readonly<Vec3>, b: Readonly<Vec3>): number {
  return Math.hypot(a[0] - b[0], a[1] - b[1], a[2] - b[2]);
}

/** a / |a|; a zero vector stays zero (callers that need a direction check the length first). */
export function normalize3(a: Readonly<Vec3>): Vec3 {
  const n = length3(a);
  return n > 0 ? [a[0] / n, a[1] / n, a[2] / n] : [0, 0, 0];
}

export function lerp3(a: Readonly<Vec3>, b: Readonly<Vec3>, u: number): Vec3 {
  return [a[0] + (b[0] - a[0]) * u, a[1] + (b[1] - a[1]) * u, a[2] + (b[2] - a[2]) * u];
}

export function isFiniteVec3(a: Readonly<Vec3>): boolean {
  return Number.isFinite(a[0]) && Number.isFinite(a[1]) && Number.isFinite(a[2]);
}
