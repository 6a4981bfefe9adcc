/**
 * End-to-end benchmark of the engine (issue 6): one generation through createFlashWorldRuntime per
 * memory mode — time per stage, total, peak GPU memory — and, given upstream's numbers from
 * tools/reference/bench_upstream.py on the same card with the same random weights, the ratio
 * ours/upstream. Optionally the per-network numerics against upstream's full-size outputs.
 *
 *   npm run bench:gpu -- --model DIR --cache DIR [--request examples/image_text_forward.json]
 *       [--provider cuda] [--device 0] [--modes gpu,unload-text-encoder,text-encoder-cpu,low-vram]
 *       [--runs 3] [--resolution 24x480x704] [--frames-per-call N] [--upstream upstream_timing.json]
 *       [--numerics DIR] [--profile DIR] [--no-warmup] [--out results.json]
 *   npm run bench:gpu -- --model DIR --cache DIR --build-only [--for-mode MODE] [--networks 'text encoder,VAE encoder']
 *
 * On the GPU machine it runs as one esbuild bundle with the ORT CUDA bundle's Node
 * (tools/reference/gpu_bench.sh). Without a GPU it runs on the CPU EP at small sizes, which is
 * how its own test exercises it.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import { MEMORY_MODES, isMemoryMode, type MemoryMode } from '../../src/shared/engine/memoryModes';
import { validateGenerationRequest, withResolution } from '../../src/shared/request/generationRequest';
import { buildModelGraphs, buildSomeGraphs, GRAPH_NETWORKS, type GraphNetwork } from '../../src/engine/model/buildGraphs';
import { resolveModelFiles } from '../../src/engine/model/modelFiles';
import { graphWeightBytes } from '../../src/engine/memory/memoryEstimate';
import { createFlashWorldRuntime } from '../../src/engine/runtime';
import { createSession } from '../../src/engine/onnx/session';
import { encodePlyFromGaussians } from '../../src/engine/splat/ply';
import { graphFloatTypes } from '../../src/engine/networkPlacement';
import { GpuMemorySampler } from './gpuMemorySampler';
import { formatProfile, summarizeProfileDir } from './ortProfile';
import { formatNumerics, networkNumerics, type NumericsRow } from './networkNumerics';
import { compareWithUpstream, formatComparison, type UpstreamTiming } from './upstreamComparison';

export const STAGE_GROUPS = ['prepare', 'text', 'image', 'transformer', 'decode', 'render', 'encode', 'session loads'] as const;
export type StageGroup = (typeof STAGE_GROUPS)[number];

/** Sums the runtime's per-stage timings ("step 2 decode", …) into one number per kind of work. */
export function groupStages(timingsMs: Record<string, number>): Record<StageGroup, number> {
  const out = Object.fromEntries(STAGE_GROUPS.map((g) => [g, 0])) as Record<StageGroup, number>;
  for (const [key, ms] of Object.entries(timingsMs)) {
    const step = /^step \d+ (transformer|decode|render|encode)$/.exec(key);
    const group = (step ? step[1] : key) as StageGroup;
    if (group in out) out[group] += ms;
  }
  return out;
}

export interface ModeResult {
  mode: MemoryMode;
  framesPerCall: number | null;
  /** false: the runs include the first (cold) generation */
  warmedUp: boolean;
  provider: string;
  loadMs: number;
  runs: { totalMs: number; exportMs: number; stages: Record<StageGroup, number> }[];
  median: { totalMs: number; exportMs: number; stages: Record<StageGroup, number> };
  peakGpuMiB: number | null;
  peakGpuAboveIdleMiB: number | null;
  splats: number;
  warnings: string[];
}

export interface BenchOptions {
  model: string;
  cacheDir: string;
  requestPath: string;
  provider: 'cpu' | 'cuda';
  deviceId: number;
  modes: MemoryMode[];
  runs: number;
  resolution?: [number, number, number];
  seed?: number;
  /** runtime maxFramesPerCall (VAE renders and recon decoder N frames a call) */
  framesPerCall?: number;
  /** ONNX Runtime profiles of every session go to this folder (costs time: a separate run) */
  profileDir?: string;
  /** false: no warm-up generation, every run counts (for the CPU modes, whose one run takes minutes) */
  warmup?: boolean;
  log?: (line: string) => void;
}

/** The splat count from a PLY header ("element vertex N"). */
export function plyVertexCount(ply: Buffer): number {
  const m = /element vertex (\d+)/.exec(ply.subarray(0, 512).toString('latin1'));
  if (!m) throw new Error('no "element vertex" line in the PLY header');
  return Number(m[1]);
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)];

export async function benchModes(opts: BenchOptions): Promise<{ graphs: Record<GraphNetwork, string>; graphBuildMs: number; modes: ModeResult[] }> {
  const log = opts.log ?? console.log;
  const raw = JSON.parse(readFileSync(opts.requestPath, 'utf8')) as unknown;
  let request = validateGenerationRequest(raw, opts.requestPath);
  if (opts.resolution) request = withResolution(request, opts.resolution);
  const files = resolveModelFiles(opts.model);
  const floatType = opts.provider === 'cuda' ? 'float16' : 'float32';

  const t0 = performance.now();
  const { graphs, built, cached } = await buildModelGraphs({ model: files, cacheDir: opts.cacheDir, floatType });
  const graphBuildMs = performance.now() - t0;
  log(`graphs: ${built} built, ${cached} cached in ${(graphBuildMs / 1000).toFixed(1)} s; sizes ${JSON.stringify(graphWeightBytes(graphs))}`);

  const modes: ModeResult[] = [];
  for (const mode of opts.modes) {
    const sampler = new GpuMemorySampler(opts.deviceId);
    sampler.start();
    let profiled = 0;
    const profileDir = opts.profileDir;
    const openSession: typeof createSession | undefined = profileDir
      ? (modelPath, sessionOptions) => createSession(modelPath, { ...sessionOptions, profileFilePrefix: resolve(profileDir, `${mode}-${++profiled}-${basename(modelPath, '.onnx')}`) })
      : undefined;
    const loadStart = performance.now();
    const runtime = await createFlashWorldRuntime({
      model: opts.model,
      cacheDir: opts.cacheDir,
      provider: opts.provider,
      deviceId: opts.deviceId,
      memoryMode: mode,
      floatType,
      ...(opts.framesPerCall ? { maxFramesPerCall: opts.framesPerCall } : {}),
      ...(openSession ? { openSession } : {}),
    });
    const loadMs = performance.now() - loadStart;
    log(`[${mode}] loaded in ${(loadMs / 1000).toFixed(1)} s on ${runtime.info.provider} (${runtime.info.memoryMode})`);
    const runs: ModeResult['runs'] = [];
    let splats = 0;
    try {
      // Run 0 warms up (cuDNN algorithm search, arenas). Every run gets a new prompt so the text
      // encoder really runs (upstream encodes on every request; our embedding cache would hide it).
      const first = opts.warmup === false ? 1 : 0;
      for (let i = first; i <= opts.runs; i++) {
        const prompt = `${request.textPrompt} (run ${i})`;
        const started = performance.now();
        const scene = await runtime.generateScene({ ...request, textPrompt: prompt }, { seed: opts.seed ?? 42, baseDir: dirname(resolve(opts.requestPath)) });
        const exportStart = performance.now();
        // What the studio and the CLI write: the PLY straight from the engine's buffer (world frame).
        const ply = encodePlyFromGaussians(scene.gaussians, { tNorm: scene.tNorm, frame: 'world', refC2w: request.cameras[0] });
        const exportMs = performance.now() - exportStart;
        const totalMs = performance.now() - started;
        splats = plyVertexCount(ply);
        const stages = groupStages(scene.timingsMs);
        log(`[${mode}] run ${i}${i === 0 ? ' (warm-up)' : first === 1 && i === 1 ? ' (cold: no warm-up)' : ''}: ${(totalMs / 1000).toFixed(2)} s ${JSON.stringify(Object.fromEntries(Object.entries(stages).map(([k, v]) => [k, Math.round(v)])))} export ${Math.round(exportMs)} ms`);
        if (i > 0) runs.push({ totalMs, exportMs, stages });
      }
    } finally {
      await runtime.dispose();
    }
    const peak = await sampler.stop();
    const med = {
      totalMs: median(runs.map((r) => r.totalMs)),
      exportMs: median(runs.map((r) => r.exportMs)),
      stages: Object.fromEntries(STAGE_GROUPS.map((g) => [g, median(runs.map((r) => r.stages[g]))])) as Record<StageGroup, number>,
    };
    modes.push({
      mode,
      framesPerCall: opts.framesPerCall ?? null,
      warmedUp: opts.warmup !== false,
      provider: runtime.info.provider,
      loadMs,
      runs,
      median: med,
      peakGpuMiB: peak?.peakMiB ?? null,
      peakGpuAboveIdleMiB: peak?.aboveBaselineMiB ?? null,
      splats,
      warnings: runtime.info.warnings,
    });
  }
  return { graphs, graphBuildMs, modes };
}

export function formatModes(modes: ModeResult[]): string {
  const s = (ms: number) => (ms / 1000).toFixed(3);
  const head = ['mode', 'total s', ...STAGE_GROUPS.map((g) => `${g} s`), 'export s', 'peak GPU GiB', 'load s'];
  const lines = [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`];
  for (const m of modes) {
    const gib = m.peakGpuMiB === null ? 'n/a' : (m.peakGpuMiB / 1024).toFixed(1);
    lines.push(`| ${m.mode}${m.framesPerCall ? ` (${m.framesPerCall} frames a call)` : ''}${m.warmedUp ? '' : ' (cold)'} | ${s(m.median.totalMs)} | ${STAGE_GROUPS.map((g) => s(m.median.stages[g])).join(' | ')} | ${s(m.median.exportMs)} | ${gib} | ${s(m.loadMs)} |`);
  }
  return lines.join('\n');
}

function arg(argv: string[], name: string): string | undefined {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : undefined;
}

async function main(argv: string[]) {
  const model = arg(argv, 'model');
  const cacheDir = arg(argv, 'cache');
  if (!model || !cacheDir) throw new Error('usage: bench:gpu -- --model DIR --cache DIR [--request FILE] [--provider cuda|cpu] [--modes a,b] [--runs N] [--upstream FILE] [--numerics DIR] [--out FILE]');
  const provider = (arg(argv, 'provider') ?? 'cuda') as 'cpu' | 'cuda';
  const deviceId = Number(arg(argv, 'device') ?? 0);
  const modes = (arg(argv, 'modes') ?? MEMORY_MODES.join(',')).split(',').filter(Boolean);
  for (const m of modes) if (!isMemoryMode(m)) throw new Error(`unknown memory mode "${m}" (one of ${MEMORY_MODES.join(', ')})`);
  const res = arg(argv, 'resolution')?.split('x').map(Number) as [number, number, number] | undefined;
  const out: Record<string, unknown> = { date: new Date().toISOString(), argv };

  if (argv.includes('--build-only')) {
    // --for-mode M: the graphs memory mode M loads (fp32 for the networks it runs on the CPU)
    const forMode = arg(argv, 'for-mode');
    if (forMode && !isMemoryMode(forMode)) throw new Error(`unknown memory mode "${forMode}"`);
    const floatTypes = graphFloatTypes({ provider, memoryMode: (forMode ?? 'gpu') as MemoryMode, gpuFloatType: provider === 'cuda' ? 'float16' : 'float32' });
    // --networks a,b: only those graphs (a second process can build others at the same time)
    const only = arg(argv, 'networks')?.split(',').map((n) => n.trim()) ?? [...GRAPH_NETWORKS];
    for (const n of only) if (!(GRAPH_NETWORKS as readonly string[]).includes(n)) throw new Error(`unknown network "${n}" (one of ${GRAPH_NETWORKS.join(', ')})`);
    const t0 = performance.now();
    const r = await buildSomeGraphs({ model, cacheDir, floatTypes, onProgress: (e) => console.log(JSON.stringify(e)) }, only as GraphNetwork[]);
    console.log(`graphs ready in ${((performance.now() - t0) / 1000).toFixed(1)} s: ${r.built} built, ${r.cached} cached`);
    return;
  }
  const numericsDir = arg(argv, 'numerics');
  const onlyNumerics = argv.includes('--numerics-only');
  let numerics: NumericsRow[] | null = null;
  const profileDir = arg(argv, 'profile');
  if (profileDir) mkdirSync(profileDir, { recursive: true });
  if (!onlyNumerics) {
    const result = await benchModes({
      model,
      cacheDir,
      requestPath: arg(argv, 'request') ?? 'examples/image_text_forward.json',
      provider,
      deviceId,
      modes: modes as MemoryMode[],
      runs: Number(arg(argv, 'runs') ?? 3),
      resolution: res,
      framesPerCall: arg(argv, 'frames-per-call') ? Number(arg(argv, 'frames-per-call')) : undefined,
      profileDir,
      warmup: !argv.includes('--no-warmup'),
    });
    out.graphBuildMs = result.graphBuildMs;
    out.modes = result.modes;
    if (profileDir) {
      const profiles = summarizeProfileDir(profileDir);
      out.profiles = profiles;
      console.log(`\nONNX Runtime profiles (last run of each session):\n${profiles.map(formatProfile).join('\n')}`);
    }
    console.log(`\nOurs (median of runs, seconds):\n${formatModes(result.modes)}`);
    const upstreamPath = arg(argv, 'upstream');
    if (upstreamPath) {
      const upstream = JSON.parse(readFileSync(upstreamPath, 'utf8')) as UpstreamTiming;
      const comparison = compareWithUpstream(result.modes, upstream);
      out.upstream = upstream;
      out.comparison = comparison;
      console.log(`\nOurs / upstream PyTorch on the same card:\n${formatComparison(comparison)}`);
    }
  }
  if (numericsDir) {
    const files = resolveModelFiles(model);
    const floatType = provider === 'cuda' ? 'float16' : 'float32';
    const { graphs } = await buildModelGraphs({ model: files, cacheDir, floatType });
    numerics = await networkNumerics({ fixturesDir: numericsDir, files, graphs, floatType, provider, deviceId, log: (l) => console.log(l) });
    out.numerics = numerics;
    console.log(`\nNumerics (${floatType} graphs on ${provider}) vs upstream PyTorch:\n${formatNumerics(numerics)}`);
  }
  const outPath = arg(argv, 'out');
  if (outPath) {
    mkdirSync(dirname(resolve(outPath)), { recursive: true });
    writeFileSync(outPath, JSON.stringify(out, null, 1));
  }
}

// Run as a script (tsx or the esbuild bundle), not when a test imports it.
if (process.argv[1] && /gpuBench\.(ts|mjs|js)$/.test(process.argv[1])) {
  main(process.argv.slice(2)).catch((error: unknown) => {
    console.error(error instanceof Error ? (error.stack ?? error.message) : error);
    process.exit(1);
  });
}
