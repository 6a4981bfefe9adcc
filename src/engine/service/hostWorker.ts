/**
 * The engine host's message loop, apart from the process plumbing (src/engine/host.ts) so tests
 * can run it in-process with a fake runtime. It loads the model once, runs one job at a time,
 * writes PLY + SPZ + a thumbnail for each result and reports stages as they happen.
 */
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { StudioError } from '../../shared/errors';
import { validateGenerationRequest, type GenerationRequest } from '../../shared/request/generationRequest';
import type { GenerationStage } from '../pipeline/generate';
import { writePlyFile } from '../splat/plyFile';
import { encodeSpz } from '../splat/spz';
import { gaussianStride, prepareExport } from '../splat/export';
import { UPSTREAM_SH_DEGREE } from '../splat/formatConstants';
import { hostRequestSchema, type HostBuild, type HostReply } from './hostProtocol';
import type { GraphBuildOptions, GraphBuildResult } from '../model/buildGraphs';
import type { MemoryMode } from '../../shared/engine/memoryModes';
import { thumbnailDataUrl } from './thumbnail';
import { graphFloatTypes } from '../networkPlacement';
import type { FloatData } from '../pipeline/floatData';

/** Renders an MP4 of engine output (f32 or fp16) along its normalised cameras (src/engine/splat/video.ts). */
export type VideoWriter = (path: string, gaussians: FloatData, cameras: Float32Array, size: { width: number; height: number }) => Promise<unknown>;

/** Scenes kept in memory for MP4 export: a 24×480×704 scene is ~600 MB (~300 MB as the GPU path's fp16), so only the latest few. */
export const SCENES_KEPT_FOR_VIDEO = 2;

/** What the host needs of the runtime (src/engine/runtime.ts `FlashWorldRuntime`). */
export interface HostRuntime {
  info: {
    label: string;
    randomWeights: boolean;
    /** what it actually runs on (CUDA may have fallen back to the CPU; `warnings` then says why) */
    provider?: 'cpu' | 'cuda';
    deviceId?: number | null;
    memoryMode?: MemoryMode | null;
    warnings?: string[];
  };
  generateScene(
    request: GenerationRequest,
    options: { seed?: number; signal?: AbortSignal; onStage?: (stage: GenerationStage) => void },
  ): Promise<{ gaussians: FloatData; count: number; tNorm: number; cameras: Float32Array; timingsMs: Record<string, number> }>;
}

export type RuntimeFactory = (init: {
  model: string;
  cacheDir: string;
  provider?: 'cpu' | 'cuda';
  deviceId?: number;
  memoryMode?: MemoryMode | 'auto';
  resourcesDir?: string;
  onLoadFraction: (fraction: number) => void;
}) => Promise<HostRuntime>;

/** src/engine/model/buildGraphs.ts `buildModelGraphs` (injected so the host file stays light). */
export type GraphBuilder = (options: GraphBuildOptions) => Promise<GraphBuildResult>;

async function defaultGraphBuilder(options: GraphBuildOptions): Promise<GraphBuildResult> {
  const { buildModelGraphs } = await import('../model/buildGraphs');
  return buildModelGraphs(options);
}

/** The runtime builds or loads this many networks (UMT5, VAE encoder, transformer, recon decoder). */
export const NETWORKS_TO_LOAD = 4;

function errorReply(jobId: string, error: unknown): HostReply {
  if (error instanceof StudioError) return { type: 'failed', jobId, code: error.code, message: error.message };
  return { type: 'failed', jobId, code: 'RUNTIME_FAILED', message: `The engine failed: ${(error as Error)?.message ?? String(error)}` };
}

async function writeAtomic(path: string, bytes: Uint8Array): Promise<void> {
  const tmp = `${path}.tmp-${process.pid}`;
  await writeFile(tmp, bytes);
  await rename(tmp, path);
}

export function createHostWorker(post: (reply: HostReply) => void, createRuntime: RuntimeFactory, writeVideo?: VideoWriter, buildGraphs: GraphBuilder = defaultGraphBuilder) {
  let runtime: Promise<HostRuntime> | null = null;
  let resultsDir = '';
  const aborts = new Map<string, AbortController>();
  // One job at a time: the GPU (or the CPU EP's thread pool) is the bottleneck; a second job
  // would only slow the first.
  let chain: Promise<void> = Promise.resolve();
  const scenes = new Map<string, { gaussians: FloatData; cameras: Float32Array; width: number; height: number }>();

  async function video(taskId: number, jobId: string, path: string): Promise<void> {
    try {
      const scene = scenes.get(jobId);
      if (!writeVideo) throw new StudioError('UNSUPPORTED_FILE', 'This engine was started without video support.');
      if (!scene) {
        throw new StudioError('NOT_FOUND', 'The engine no longer holds this scene (it keeps the latest few; it may also have restarted or the project was reopened). Duplicate the job and generate it again to export a video.');
      }
      await writeVideo(path, scene.gaussians, scene.cameras, { width: scene.width, height: scene.height });
      post({ type: 'videoDone', taskId, path });
    } catch (error) {
      const e = error instanceof StudioError ? error : new StudioError('IO_FAILED', `The video could not be written: ${(error as Error)?.message ?? error}`);
      post({ type: 'videoFailed', taskId, code: e.code, message: e.message });
    }
  }

  async function generate(jobId: string, requestJson: unknown, seed: number): Promise<void> {
    const abort = new AbortController();
    aborts.set(jobId, abort);
    try {
      const rt = await runtime!;
      if (abort.signal.aborted) throw new StudioError('CANCELLED', 'The job was cancelled before it started.');
      const request = validateGenerationRequest(requestJson, `job ${jobId}`);
      const started = performance.now();
      const scene = await rt.generateScene(request, {
        seed,
        signal: abort.signal,
        onStage: (stage) => {
          if (stage.stage !== 'done') post({ type: 'stage', jobId, event: stage });
        },
      });
      if (abort.signal.aborted) throw new StudioError('CANCELLED', 'The generation was cancelled.');
      post({ type: 'stage', jobId, event: { stage: 'export' } });
      const exportStart = performance.now();
      // World frame: the splats line up with the trajectory the user drew.
      const set = prepareExport(scene.gaussians, { tNorm: scene.tNorm, frame: 'world', refC2w: request.cameras[0] });
      await mkdir(resultsDir, { recursive: true });
      const files = { ply: join(resultsDir, `${jobId}.ply`), spz: join(resultsDir, `${jobId}.spz`) };
      // streamed from the SplatSet (temporary file + rename, like writeAtomic), no whole-file buffer
      await writePlyFile(files.ply, set);
      await writeAtomic(files.spz, await encodeSpz(set));
      const thumbnail = thumbnailDataUrl(scene.gaussians, gaussianStride(UPSTREAM_SH_DEGREE), scene.cameras, request.height, request.width);
      scenes.delete(jobId);
      scenes.set(jobId, { gaussians: scene.gaussians, cameras: scene.cameras, width: request.width, height: request.height });
      while (scenes.size > SCENES_KEPT_FOR_VIDEO) scenes.delete(scenes.keys().next().value as string);
      const timingsMs = { ...scene.timingsMs, export: performance.now() - exportStart, total: performance.now() - started };
      post({ type: 'stage', jobId, event: { stage: 'done' } });
      post({ type: 'done', jobId, splatCount: set.count, timingsMs, files, thumbnail });
    } catch (error) {
      post(errorReply(jobId, error));
    } finally {
      aborts.delete(jobId);
    }
  }

  async function build(msg: HostBuild): Promise<void> {
    try {
      const options: GraphBuildOptions = {
        model: msg.model,
        cacheDir: msg.cacheDir,
        provider: msg.provider,
        resourcesDir: msg.resourcesDir,
        onProgress: (event) => {
          if (event.type !== 'done') post({ type: 'buildEvent', taskId: msg.taskId, event });
        },
      };
      const result = await buildGraphs(options);
      const { cached } = result;
      let { built } = result;
      // Networks the memory mode runs on the CPU load fp32 graphs (the CPU has no fast fp16
      // kernels): build those too, so the first load after "Build graphs" builds nothing.
      const floatTypes = msg.provider === 'cuda' && msg.memoryMode ? graphFloatTypes({ provider: 'cuda', memoryMode: msg.memoryMode }) : null;
      if (floatTypes && Object.values(floatTypes).includes('float32')) built += (await buildGraphs({ ...options, floatTypes })).built;
      // the record keeps the GPU (fp16) set: the memory estimate sizes what lives on the GPU
      post({ type: 'buildDone', taskId: msg.taskId, graphs: result.graphs, built, cached });
    } catch (error) {
      const e = error instanceof StudioError ? error : new StudioError('GRAPH_BUILD_FAILED', `Building the graphs failed: ${(error as Error)?.message ?? error}`);
      post({ type: 'buildFailed', taskId: msg.taskId, code: e.code, message: e.message });
    }
  }

  return function handle(raw: unknown): void {
    const parsed = hostRequestSchema.safeParse(raw);
    if (!parsed.success) {
      post({ type: 'fatal', code: 'INVALID_MESSAGE', message: `engine got a malformed message: ${parsed.error.issues[0]?.message}` });
      return;
    }
    const msg = parsed.data;
    switch (msg.type) {
      case 'init': {
        if (runtime) return;
        resultsDir = msg.resultsDir;
        const loadStart = performance.now();
        post({ type: 'loading', fraction: 0 });
        runtime = createRuntime({
          model: msg.model,
          cacheDir: msg.cacheDir,
          provider: msg.provider,
          deviceId: msg.deviceId,
          memoryMode: msg.memoryMode,
          resourcesDir: msg.resourcesDir,
          onLoadFraction: (fraction) => post({ type: 'loading', fraction: Math.min(1, fraction) }),
        });
        runtime.then(
          (rt) =>
            post({
              type: 'ready',
              label: rt.info.label,
              randomWeights: rt.info.randomWeights,
              loadMs: performance.now() - loadStart,
              provider: rt.info.provider ?? msg.provider ?? 'cpu',
              deviceId: rt.info.deviceId ?? null,
              memoryMode: rt.info.memoryMode ?? null,
              warnings: rt.info.warnings ?? [],
            }),
          (error: unknown) => {
            const e = error instanceof StudioError ? error : new StudioError('RUNTIME_FAILED', String((error as Error)?.message ?? error));
            post({ type: 'fatal', code: e.code, message: e.message });
          },
        );
        break;
      }
      case 'generate':
        if (!runtime) {
          post({ type: 'failed', jobId: msg.jobId, code: 'INTERNAL', message: 'The engine got a job before it was told which model to load.' });
          return;
        }
        chain = chain.then(() => generate(msg.jobId, msg.request, msg.seed));
        break;
      case 'cancel':
        aborts.get(msg.jobId)?.abort();
        break;
      case 'video':
        chain = chain.then(() => video(msg.taskId, msg.jobId, msg.path));
        break;
      case 'buildGraphs':
        void build(msg);
        break;
    }
  };
}
