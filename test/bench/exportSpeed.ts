/**
 * PLY export speed (DESIGN.md §6: "PLY export of 4 M splats ≤ 1 s"). A full-size scene's worth
 * of seeded random Gaussians (4,055,040 = 24 views × 480 × 704 ÷ 2, what the recon decoder
 * emits for upstream's 480×704 request) through prepareExport in both frames and encodePly,
 * each step timed on its own, then the two together, then encodePlyFromGaussians (the same
 * bytes in one pass, no SplatSet), then the streaming file writers (writePlyFile of the set,
 * writePlyFileFromGaussians) into a temporary folder; best and median of 5.
 * Then the same Gaussians as fp16 bits (what the recon decoder gives on the GPU): each export
 * reading them a block at a time, against the path it replaces (widening the whole buffer into
 * a fresh Float32Array first, as generate() did, then the f32 export).
 * Run: npm run bench:export [-- --count N --runs R --dir FOLDER --fp16-only]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { float16Data } from '../../src/engine/pipeline/floatData';
import { float32ArrayToHalf, halfArrayToFloat32 } from '../../src/engine/weights/halfFloat';
import { prepareExport, type ExportOptions } from '../../src/engine/splat/export';
import { encodePly, encodePlyFromGaussians, writePlyFile, writePlyFileFromGaussians } from '../../src/engine/splat/ply';
import type { SplatSet } from '../../src/engine/splat/splatSet';
import { seededRandom } from '../helpers/randomSplatScene';

const STRIDE = 38;

function argValue(name: string, fallback: number): number {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}

const count = argValue('--count', 4_055_040);
const runs = argValue('--runs', 5);
const fp16Only = process.argv.includes('--fp16-only');
const dirArg = process.argv.indexOf('--dir');
const dir = mkdtempSync(join(dirArg >= 0 ? process.argv[dirArg + 1] : tmpdir(), 'bench-export-'));

/**
 * Engine output rows: xyz, opacity in (0, 1) with about 5 % below upstream's 0.00025 threshold
 * (so pruning runs), 3 activated scales > 0, a unit quaternion w x y z, 27 SH coefficient-major.
 */
function randomGaussians(n: number, seed: number): Float32Array {
  const rand = seededRandom(seed);
  const g = new Float32Array(n * STRIDE);
  for (let i = 0, o = 0; i < n; i++, o += STRIDE) {
    g[o] = rand() * 4 - 2;
    g[o + 1] = rand() * 4 - 2;
    g[o + 2] = rand() * 4 - 2;
    g[o + 3] = rand() < 0.05 ? rand() * 0.0002 : 0.0003 + rand() * 0.9996;
    for (let k = 4; k < 7; k++) g[o + k] = Math.exp(rand() * 6 - 7);
    const w = rand() * 2 - 1, x = rand() * 2 - 1, y = rand() * 2 - 1, z = rand() * 2 - 1;
    const len = Math.hypot(w, x, y, z) || 1;
    g[o + 7] = w / len;
    g[o + 8] = x / len;
    g[o + 9] = y / len;
    g[o + 10] = z / len;
    for (let k = 0; k < 27; k++) g[o + 11 + k] = (rand() * 2 - 1) * (k < 3 ? 1.5 : 0.6);
  }
  return g;
}

interface Timing {
  bestMs: number;
  medianMs: number;
}

async function time<T>(what: () => T | Promise<T>): Promise<{ timing: Timing; last: T }> {
  const ms: number[] = [];
  let last: T | undefined;
  for (let r = 0; r < runs; r++) {
    last = undefined; // let the previous result go before the next allocation
    const t0 = performance.now();
    last = await what();
    ms.push(performance.now() - t0);
  }
  ms.sort((a, b) => a - b);
  return { timing: { bestMs: ms[0], medianMs: ms[Math.floor(ms.length / 2)] }, last: last as T };
}

function report(label: string, t: Timing): void {
  const rate = (ms: number): string => (count / 1e6 / (ms / 1000)).toFixed(2);
  console.log(`${label.padEnd(38)} best ${t.bestMs.toFixed(0).padStart(5)} ms (${rate(t.bestMs)} M splats/s)   median ${t.medianMs.toFixed(0).padStart(5)} ms (${rate(t.medianMs)} M splats/s)`);
}

const t0 = performance.now();
const gaussians = randomGaussians(count, 2026);
console.log(`${count} Gaussians generated in ${(performance.now() - t0).toFixed(0)} ms; ${runs} runs each`);

// A camera-0 pose that is neither identity nor axis-aligned, so the world frame's SH rotation runs.
const refC2w = { quaternion: [0.9, 0.1, 0.3, -0.2], position: [1, 2, 3] };
const frames: [string, ExportOptions][] = [
  ['world', { tNorm: 1.5, frame: 'world', refC2w }],
  ['camera0', { tNorm: 1.5, frame: 'camera0' }],
];
const file = join(dir, 'bench.ply');
for (const [name, options] of fp16Only ? [] : frames) {
  const prepared = await time(() => prepareExport(gaussians, options));
  report(`prepareExport ${name}`, prepared.timing);
  const set: SplatSet = prepared.last;
  const encoded = await time(() => encodePly(set));
  report(`encodePly (${name} set)`, encoded.timing);
  report(`prepareExport+encodePly ${name}`, (await time(() => encodePly(prepareExport(gaussians, options)))).timing);
  report(`encodePlyFromGaussians ${name}`, (await time(() => encodePlyFromGaussians(gaussians, options))).timing);
  report(`writePlyFile (${name} set)`, (await time(() => writePlyFile(file, set))).timing);
  report(`prepareExport+writePlyFile ${name}`, (await time(() => writePlyFile(file, prepareExport(gaussians, options)))).timing);
  report(`writePlyFileFromGaussians ${name}`, (await time(() => writePlyFileFromGaussians(file, gaussians, options))).timing);
  console.log(`  ${set.count} splats kept, ${(encoded.last.length / 2 ** 20).toFixed(0)} MiB of PLY`);
}

// fp16: the same scene as the recon decoder's fp16 bits; the f32 rows read the exact widening of them.
const bits = float32ArrayToHalf(gaussians);
const half = float16Data(bits);
const widened = halfArrayToFloat32(bits);
report('widen fp16 → fresh f32 (replaced)', (await time(() => halfArrayToFloat32(bits))).timing);
for (const [name, options] of frames) {
  report(`prepareExport f32 (no widening) ${name}`, (await time(() => prepareExport(widened, options))).timing);
  report(`widen+prepareExport ${name}`, (await time(() => prepareExport(halfArrayToFloat32(bits), options))).timing);
  report(`prepareExport fp16 ${name}`, (await time(() => prepareExport(half, options))).timing);
  report(`encodePlyFromGaussians f32 ${name}`, (await time(() => encodePlyFromGaussians(widened, options))).timing);
  report(`widen+encodePlyFromGaussians ${name}`, (await time(() => encodePlyFromGaussians(halfArrayToFloat32(bits), options))).timing);
  report(`encodePlyFromGaussians fp16 ${name}`, (await time(() => encodePlyFromGaussians(half, options))).timing);
  report(`writePlyFileFromGaussians f32 ${name}`, (await time(() => writePlyFileFromGaussians(file, widened, options))).timing);
  report(`widen+writePlyFileFromGaussians ${name}`, (await time(() => writePlyFileFromGaussians(file, halfArrayToFloat32(bits), options))).timing);
  report(`writePlyFileFromGaussians fp16 ${name}`, (await time(() => writePlyFileFromGaussians(file, half, options))).timing);
}
rmSync(dir, { recursive: true, force: true });
