/**
 * Seeded random Gaussian scenes (upstream's scene_params rows, N × 38) and OpenGL look-at cameras,
 * for rasterizer tests and the benchmark.
 */
import type { RasterCamera } from '../../src/engine/splat/rasterCamera';

/** mulberry32: small, fast, deterministic. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface SceneOptions {
  count: number;
  seed: number;
  /** Gaussian centres uniformly in a cube of this half-size around the origin. */
  extent?: number;
  scaleMin?: number;
  scaleMax?: number;
  opacityMin?: number;
  /** Magnitude of SH coefficients of degree ≥ 1 (DC is in [-1.5, 1.5]). */
  shRest?: number;
}

export function randomScene(o: SceneOptions): Float32Array {
  const rand = seededRandom(o.seed);
  const extent = o.extent ?? 1;
  const smin = o.scaleMin ?? 0.01, smax = o.scaleMax ?? 0.1;
  const g = new Float32Array(o.count * 38);
  for (let i = 0; i < o.count; i++) {
    const b = i * 38;
    for (let k = 0; k < 3; k++) g[b + k] = (rand() * 2 - 1) * extent;
    g[b + 3] = (o.opacityMin ?? 0.05) + rand() * (1 - (o.opacityMin ?? 0.05));
    for (let k = 0; k < 3; k++) g[b + 4 + k] = smin * Math.pow(smax / smin, rand());
    const q = [rand() * 2 - 1, rand() * 2 - 1, rand() * 2 - 1, rand() * 2 - 1];
    const n = Math.hypot(...q) || 1;
    for (let k = 0; k < 4; k++) g[b + 7 + k] = q[k] / n;
    for (let k = 0; k < 3; k++) g[b + 11 + k] = (rand() * 2 - 1) * 1.5;
    for (let k = 3; k < 27; k++) g[b + 11 + k] = (rand() * 2 - 1) * (o.shRest ?? 0.3);
  }
  return g;
}

/** OpenGL camera at `eye` looking at `target` (+y up), row-major c2w. */
export function lookAtCamera(eye: number[], target: number[], width: number, height: number, focalPx = 0.9 * width): RasterCamera {
  const f = normalize(sub(target, eye)); // camera -z
  let right = cross(f, [0, 1, 0]);
  if (Math.hypot(...right) < 1e-6) right = [1, 0, 0];
  right = normalize(right);
  const up = cross(right, f);
  const z = f.map((v) => -v);
  const c2wGL = [
    right[0], up[0], z[0], eye[0],
    right[1], up[1], z[1], eye[1],
    right[2], up[2], z[2], eye[2],
    0, 0, 0, 1,
  ];
  return { c2wGL, fxPx: focalPx, fyPx: focalPx, cxPx: width / 2, cyPx: height / 2 };
}

/** `views` cameras on a circle of radius `radius` around the origin, all looking at it. */
export function orbitCameras(views: number, radius: number, width: number, height: number): RasterCamera[] {
  return Array.from({ length: views }, (_, v) => {
    const a = (2 * Math.PI * v) / views;
    return lookAtCamera([radius * Math.sin(a), 0.3 * radius, radius * Math.cos(a)], [0, 0, 0], width, height);
  });
}

const sub = (a: number[], b: number[]) => a.map((v, i) => v - b[i]);
const cross = (a: number[], b: number[]) => [a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]];
const normalize = (a: number[]) => {
  const n = Math.hypot(...a);
  return a.map((v) => v / n);
};
