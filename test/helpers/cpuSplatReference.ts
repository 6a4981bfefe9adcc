/**
 * A slow, plain-JS Gaussian rasterizer with gsplat's classic-mode rules (the maths the WGSL
 * rasterizer implements), for tests on tiny scenes before and beside the gsplat fixtures. It reads
 * the same inputs (scene_params rows, OpenGL cameras) and returns (V, 3, H, W) in [-1, 1].
 * Written from gsplat 32f2a54's rules: ProjectionEWA3DGSPacked.cu, Utils.cuh, IntersectTile.cu,
 * RasterizeToPixels3DGSFwd.cu, SphericalHarmonicsCUDA.cu, rendering.py.
 */
import { viewTransformOf, type RasterCamera } from '../../src/engine/splat/rasterCamera';

const NEAR = 0.01, FAR = 1000, EPS2D = 0.3, TILE = 16, ALPHA_MIN = 1 / 255, T_STOP = 1e-4;

interface Projected {
  index: number;
  x: number; y: number;
  conic: [number, number, number];
  opacity: number;
  depth: number;
  color: [number, number, number];
  tiles: [number, number, number, number];
}

export function projectOne(g: Float32Array, i: number, camera: RasterCamera, width: number, height: number, viewIndex = 0): Projected | null {
  const { w2cRotation: R, w2cTranslation: t, centre } = viewTransformOf(camera, viewIndex);
  const b = i * 38;
  const p = [g[b], g[b + 1], g[b + 2]];
  const mc = [0, 1, 2].map((r) => R[3 * r] * p[0] + R[3 * r + 1] * p[1] + R[3 * r + 2] * p[2] + t[r]);
  if (mc[2] < NEAR || mc[2] > FAR) return null;
  // rotation from wxyz
  let [w, x, y, z] = [g[b + 7], g[b + 8], g[b + 9], g[b + 10]];
  const inv = 1 / Math.hypot(w, x, y, z);
  w *= inv; x *= inv; y *= inv; z *= inv;
  const Rq = [
    [1 - 2 * (y * y + z * z), 2 * (x * y - w * z), 2 * (x * z + w * y)],
    [2 * (x * y + w * z), 1 - 2 * (x * x + z * z), 2 * (y * z - w * x)],
    [2 * (x * z - w * y), 2 * (y * z + w * x), 1 - 2 * (x * x + y * y)],
  ];
  const s = [g[b + 4], g[b + 5], g[b + 6]];
  const M = Rq.map((row) => row.map((v, j) => v * s[j]));
  const cov = M.map((ri) => M.map((rk) => ri[0] * rk[0] + ri[1] * rk[1] + ri[2] * rk[2]));
  const Rw = [[R[0], R[1], R[2]], [R[3], R[4], R[5]], [R[6], R[7], R[8]]];
  const mul = (A: number[][], B: number[][]) => A.map((row) => [0, 1, 2].map((j) => row[0] * B[0][j] + row[1] * B[1][j] + row[2] * B[2][j]));
  const T = (A: number[][]) => [0, 1, 2].map((i2) => [0, 1, 2].map((j) => A[j][i2]));
  const covC = mul(mul(Rw, cov), T(Rw));
  const { fxPx: fx, fyPx: fy, cxPx: cx, cyPx: cy } = camera;
  const tanX = (0.5 * width) / fx, tanY = (0.5 * height) / fy;
  const limXP = (width - cx) / fx + 0.3 * tanX, limXN = cx / fx + 0.3 * tanX;
  const limYP = (height - cy) / fy + 0.3 * tanY, limYN = cy / fy + 0.3 * tanY;
  const rz = 1 / mc[2], rz2 = rz * rz;
  const tx = mc[2] * Math.min(limXP, Math.max(-limXN, mc[0] * rz));
  const ty = mc[2] * Math.min(limYP, Math.max(-limYN, mc[1] * rz));
  const J = [[fx * rz, 0, -fx * tx * rz2], [0, fy * rz, -fy * ty * rz2]];
  const JC = J.map((row) => [0, 1, 2].map((j) => row[0] * covC[0][j] + row[1] * covC[1][j] + row[2] * covC[2][j]));
  const c2 = JC.map((row) => J.map((jr) => row[0] * jr[0] + row[1] * jr[1] + row[2] * jr[2]));
  const a = c2[0][0] + EPS2D, bb = c2[0][1], d = c2[1][1] + EPS2D;
  const det = a * d - bb * bb;
  if (!(det > 0)) return null;
  const opacity = g[b + 3];
  if (!(opacity >= ALPHA_MIN)) return null;
  const extent = Math.min(3.33, Math.sqrt(2 * Math.log(opacity / ALPHA_MIN)));
  const rx = Math.ceil(extent * Math.sqrt(a)), ry = Math.ceil(extent * Math.sqrt(d));
  const mx = fx * mc[0] * rz + cx, my = fy * mc[1] * rz + cy;
  if (!(rx > 0 || ry > 0)) return null;
  if (mx + rx <= 0 || mx - rx >= width || my + ry <= 0 || my - ry >= height) return null;
  const tilesX = Math.ceil(width / TILE), tilesY = Math.ceil(height / TILE);
  const clampT = (v: number, hi: number) => Math.min(hi, Math.max(0, v));
  const tiles: [number, number, number, number] = rx > 0 && ry > 0
    ? [clampT(Math.floor(mx / TILE - rx / TILE), tilesX), clampT(Math.floor(my / TILE - ry / TILE), tilesY),
      clampT(Math.ceil(mx / TILE + rx / TILE), tilesX), clampT(Math.ceil(my / TILE + ry / TILE), tilesY)]
    : [0, 0, 0, 0];
  return {
    index: i, x: mx, y: my, conic: [d / det, -bb / det, a / det], opacity, depth: mc[2],
    color: shColor(g, b, [p[0] - centre[0], p[1] - centre[1], p[2] - centre[2]]), tiles,
  };
}

function shColor(g: Float32Array, b: number, dir: number[]): [number, number, number] {
  const n = 1 / Math.hypot(dir[0], dir[1], dir[2]);
  const [x, y, z] = [dir[0] * n, dir[1] * n, dir[2] * n];
  const basis = [
    0.2820947917738781,
    -0.48860251190292 * y, 0.48860251190292 * z, -0.48860251190292 * x,
    0.5462742152960395 * 2 * x * y, -1.092548430592079 * z * y, 0.9461746957575601 * z * z - 0.3153915652525201,
    -1.092548430592079 * z * x, 0.5462742152960395 * (x * x - y * y),
  ];
  const rgb: [number, number, number] = [0, 0, 0];
  for (let c = 0; c < 3; c++) {
    let v = 0;
    for (let k = 0; k < 9; k++) v += basis[k] * g[b + 11 + k * 3 + c];
    rgb[c] = Math.max(v + 0.5, 0);
  }
  return rgb;
}

/** (V, 3, H, W) in [-1, 1], white background unless given. */
export function cpuRenderViews(g: Float32Array, cameras: RasterCamera[], width: number, height: number, background: [number, number, number] = [1, 1, 1]): Float32Array {
  const n = g.length / 38, plane = width * height;
  const out = new Float32Array(cameras.length * 3 * plane);
  const tilesX = Math.ceil(width / TILE), tilesY = Math.ceil(height / TILE);
  cameras.forEach((camera, v) => {
    const lists: Projected[][] = Array.from({ length: tilesX * tilesY }, () => []);
    for (let i = 0; i < n; i++) {
      const p = projectOne(g, i, camera, width, height, v);
      if (!p) continue;
      for (let ty = p.tiles[1]; ty < p.tiles[3]; ty++) for (let tx = p.tiles[0]; tx < p.tiles[2]; tx++) lists[ty * tilesX + tx].push(p);
    }
    for (const list of lists) list.sort((a, b) => a.depth - b.depth || a.index - b.index);
    for (let py = 0; py < height; py++) {
      for (let px = 0; px < width; px++) {
        const list = lists[Math.floor(py / TILE) * tilesX + Math.floor(px / TILE)];
        let T = 1;
        const acc = [0, 0, 0];
        for (const p of list) {
          const dx = p.x - (px + 0.5), dy = p.y - (py + 0.5);
          const power = 0.5 * (p.conic[0] * dx * dx + p.conic[2] * dy * dy) + p.conic[1] * dx * dy;
          const alpha = Math.min(0.999, p.opacity * Math.exp(-power));
          if (power < 0 || alpha < ALPHA_MIN) continue;
          const next = T * (1 - alpha);
          if (next <= T_STOP) break;
          for (let c = 0; c < 3; c++) acc[c] += p.color[c] * alpha * T;
          T = next;
        }
        for (let c = 0; c < 3; c++) {
          out[(v * 3 + c) * plane + py * width + px] = Math.min(1, Math.max(-1, (acc[c] + T * background[c]) * 2 - 1));
        }
      }
    }
  });
  return out;
}

/** PSNR in dB of two [-1, 1] images compared on [0, 1] (upstream-style rgb*2-1 undone). */
export function psnr01(a: Float32Array, b: Float32Array, offset = 0, length = a.length): number {
  let se = 0;
  for (let i = offset; i < offset + length; i++) {
    const d = (a[i] - b[i]) / 2;
    se += d * d;
  }
  const mse = se / length;
  return mse === 0 ? Infinity : -10 * Math.log10(mse);
}
