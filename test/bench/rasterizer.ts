/**
 * Rasterizer benchmark: random Gaussians shaped like a FlashWorld scene (about a pixel or two per
 * splat, in front of the cameras) rendered from a 24-camera trajectory, upstream's full size by
 * default: 4 M Gaussians × 24 views at 480×704 (upstream's gsplat: 69 ms for 24 views on an H200).
 *
 *   npx tsx test/bench/rasterizer.ts            full size (needs a real GPU)
 *   npx tsx test/bench/rasterizer.ts --small    50 k Gaussians × 4 views at 240×352 (CPU lavapipe)
 *   options: --gaussians N --views V --width W --height H --repeats R
 *
 * Prints the adapter, upload time, and per call: ms, ms per view, Gaussians·views per second.
 */
import { SplatRasterizer } from '../../src/engine/splat/rasterizer';
import type { RasterCamera } from '../../src/engine/splat/rasterCamera';
import { seededRandom } from '../helpers/randomSplatScene';

function option(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}

const small = process.argv.includes('--small');
const count = option('gaussians', small ? 50_000 : 4_000_000);
const views = option('views', small ? 4 : 24);
const width = option('width', small ? 352 : 704);
const height = option('height', small ? 240 : 480);
const repeats = option('repeats', small ? 2 : 5);

/** Gaussians around (0, 0, -3), sized so each covers ~1–2 px at this resolution, like FlashWorld's. */
function flashWorldLikeScene(n: number, focalPx: number): Float32Array {
  const rand = seededRandom(42);
  const normal = () => Math.sqrt(-2 * Math.log(rand() + 1e-12)) * Math.cos(2 * Math.PI * rand());
  const pixelWorld = 3 / focalPx; // one pixel at depth 3
  const g = new Float32Array(n * 38);
  for (let i = 0; i < n; i++) {
    const b = i * 38;
    g[b] = normal() * 1.2;
    g[b + 1] = normal() * 0.8;
    g[b + 2] = -3 + normal() * 1.0;
    g[b + 3] = 0.05 + 0.9 * rand();
    for (let k = 0; k < 3; k++) g[b + 4 + k] = pixelWorld * Math.exp(normal() * 0.5);
    const q = [normal(), normal(), normal(), normal()];
    const norm = Math.hypot(...q) || 1;
    for (let k = 0; k < 4; k++) g[b + 7 + k] = q[k] / norm;
    for (let k = 0; k < 27; k++) g[b + 11 + k] = (k < 3 ? 1.2 : 0.3) * normal();
  }
  return g;
}

/** A gentle forward-and-sideways trajectory (OpenGL c2w), all cameras looking down -z. */
function trajectory(v: number, focalPx: number): RasterCamera[] {
  return Array.from({ length: v }, (_, i) => {
    const t = v > 1 ? i / (v - 1) : 0;
    const yaw = 0.4 * (t - 0.5);
    const c = Math.cos(yaw), s = Math.sin(yaw);
    return {
      c2wGL: [c, 0, s, 0.6 * (t - 0.5), 0, 1, 0, 0, -s, 0, c, -0.5 * t, 0, 0, 0, 1],
      fxPx: focalPx, fyPx: focalPx, cxPx: width / 2, cyPx: height / 2,
    };
  });
}

const focalPx = 0.9 * width;
console.log(`scene: ${count} Gaussians × ${views} views at ${width}×${height}`);
let t0 = performance.now();
const gaussians = flashWorldLikeScene(count, focalPx);
console.log(`generated in ${(performance.now() - t0).toFixed(0)} ms`);
const cameras = trajectory(views, focalPx);

t0 = performance.now();
const rasterizer = await SplatRasterizer.create();
console.log(`adapter: ${rasterizer.adapterDescription} (device + kernels ${(performance.now() - t0).toFixed(0)} ms)`);

t0 = performance.now();
const uploaded = rasterizer.upload(gaussians);
await rasterizer.renderViews(uploaded, cameras.slice(0, 1), width, height); // warm-up; sizes the buffers
console.log(`upload + warm-up view: ${(performance.now() - t0).toFixed(0)} ms`);

const timings: number[] = [];
for (let r = 0; r < repeats; r++) {
  t0 = performance.now();
  await rasterizer.renderViews(uploaded, cameras, width, height);
  timings.push(performance.now() - t0);
}
t0 = performance.now();
await rasterizer.renderViews(gaussians, cameras, width, height);
const withUpload = performance.now() - t0;

const best = Math.min(...timings);
const median = timings.slice().sort((a, b) => a - b)[Math.floor(timings.length / 2)];
console.log(`render ${views} views (uploaded scene, incl. read-back): best ${best.toFixed(1)} ms, median ${median.toFixed(1)} ms`);
console.log(`  ${(best / views).toFixed(2)} ms per view; ${((count * views) / (best / 1000) / 1e6).toFixed(1)} M Gaussians/s (Gaussians × views per second)`);
console.log(`render ${views} views from a Float32Array (upload included): ${withUpload.toFixed(1)} ms`);
console.log(`bands per view: ${rasterizer.lastBandsPerView.join(',')}`);
uploaded.destroy();
rasterizer.destroy();
