/**
 * The FlashWorld runtime: loads a model once (tokenizer, four ONNX graphs built from the weight
 * files and cached, ORT sessions, the rasterizer) and turns validated requests into Gaussians.
 * The CLI, the engine host process and the tests all use this one object.
 */
import { dirname } from 'node:path';
import { StudioError } from '../shared/errors';
import type { GenerationRequest } from '../shared/request/generationRequest';
import { buildModelGraphs, type GraphNetwork } from './model/buildGraphs';
import { resolveModelFiles, type ModelFiles } from './model/modelFiles';
import type { GraphCacheEvent } from './onnx/cache';
import type { createSession } from './onnx/session';
import type { MemoryMode } from '../shared/engine/memoryModes';
import { cudaProviderProblem } from './gpu/cudaProvider';
import { listGpus, type GpuInfo } from './gpu/nvidiaSmi';
import { autoPlan, type AutoPlan } from './memory/autoPlan';
import { graphWeightBytes } from './memory/memoryEstimate';
import { graphFloatTypes, type GraphFloatType } from './networkPlacement';
import { NetworkSlots } from './networkSlots';
import { readReconDecoderConfig, type ReconDecoderConfig } from './models/reconDecoder';
import { readWanTransformerConfig, type WanTransformerConfig } from './models/wanTransformerConfig';
import { readWanVaeConfig } from './models/wanVaeEncoder';
import { planFrameChunks } from './pipeline/frameChunks';
import { generate, type GenerationResult, type GenerationStage } from './pipeline/generate';
import { prepareImagePrompt } from './pipeline/imagePrep';
import type { FlashWorldNetworks, SplatRenderer } from './pipeline/networks';
import { createOnnxNetworks, withCudaExplained } from './onnxNetworks';
import { SeededNoise, type NoiseSource } from './pipeline/noise';
import { tokenizeTextPrompt } from './pipeline/textPrompt';
import { rasterizerSplatRenderer } from './splatRenderer';
import { loadTokenizerFromFolder, type UnigramTokenizer } from './tokenizer';
import { openTorchCheckpoint } from './weights/torchCheckpoint';

export type ExecutionProvider = 'cpu' | 'cuda';

export interface RuntimeOptions {
  /** 'test' (built-in random weights), 'hub' (Hugging Face cache) or a model folder */
  model: string;
  /** where built ONNX graphs are cached */
  cacheDir: string;
  provider?: ExecutionProvider;
  /** CUDA device (nvidia-smi's index); default 0 */
  deviceId?: number;
  /** where each network runs on a CUDA device (shared/engine/memoryModes.ts); 'auto': the fastest that fits */
  memoryMode?: MemoryMode | 'auto';
  /**
   * Float type of the graphs of networks placed on the GPU; default float16. Networks the memory
   * mode (or the CPU provider) places on the CPU always get float32 graphs (networkPlacement.ts).
   */
  floatType?: GraphFloatType;
  /**
   * At most this many frames per VAE-encoder (renders) and recon-decoder call; default: all frames
   * at once. ORT keeps each session's arena at its peak, so fewer frames per call hold less memory
   * (every call is fed the same number of frames: the last chunk is padded, pipeline/frameChunks.ts).
   */
  maxFramesPerCall?: number;
  /**
   * The recon decoder's Gaussians where its graph is float16: fp16 by default (half the bytes;
   * model/buildGraphs.ts says what that costs in precision), or float32, exact.
   */
  reconGaussiansType?: GraphFloatType;
  /** UMT5 on the GPU in float32 instead of `floatType` (exact; 22.7 GB of weights at full size). No effect where it runs on the CPU (always float32). */
  textEncoderPrecision?: GraphFloatType;
  resourcesDir?: string;
  /** session factory (tests watch which session runs which shapes); default: onnx/session.ts createSession */
  openSession?: typeof createSession;
  onLoadProgress?: (event: { network: string; event: GraphCacheEvent['type'] | 'session' }) => void;
}

export interface SceneOptions {
  seed?: number;
  /** overrides `seed` (tests inject upstream's recorded noise) */
  noise?: NoiseSource;
  signal?: AbortSignal;
  onStage?: (stage: GenerationStage) => void;
  /** folder that relative image paths in the request are resolved against */
  baseDir?: string;
}

export interface SceneResult extends GenerationResult {
  seed: number | null;
  timingsMs: Record<string, number>;
  /** the image prompt as the network saw it ((3, H, W) in [-1, 1]), for previews */
  image: Float32Array | null;
}

export interface RuntimeInfo {
  label: string;
  randomWeights: boolean;
  /** the provider actually used (a CUDA request falls back to the CPU when CUDA can't run) */
  provider: ExecutionProvider;
  deviceId: number;
  /** the mode actually used ('auto' resolved) */
  memoryMode: MemoryMode;
  /** frames per VAE-encoder / recon-decoder call (the user's, or what 'auto' chose to fit); null = all at once */
  maxFramesPerCall: number | null;
  /** the transformer's graph float type (the main network) */
  floatType: GraphFloatType;
  /** each network's graph float type (float32 wherever a network runs on the CPU) */
  floatTypes: Record<GraphNetwork, GraphFloatType>;
  /** things the user should know (CPU fallback, no mode fits) */
  warnings: string[];
}

export interface FlashWorldRuntime {
  readonly info: RuntimeInfo;
  readonly networks: FlashWorldNetworks;
  generateScene(request: GenerationRequest, options?: SceneOptions): Promise<SceneResult>;
  dispose(): Promise<void>;
}

const TEXT_CACHE_SIZE = 16;

/** Sizes 'auto' plans for: upstream's default generation. */
const AUTO_PLAN_SIZE = { frames: 24, height: 480, width: 704 };

/**
 * Decides the provider before anything is built: a CUDA request on a machine that can't run the
 * CUDA provider falls back to the CPU with a warning instead of failing.
 */
async function preflight(options: RuntimeOptions, warnings: string[]): Promise<{ provider: ExecutionProvider; gpus: GpuInfo[] }> {
  const onCpu = { provider: 'cpu' as const, gpus: [] };
  if ((options.provider ?? 'cpu') === 'cpu') return onCpu;
  const providerProblem = cudaProviderProblem();
  if (providerProblem) {
    warnings.push(`Running on the CPU (much slower): ${providerProblem}`);
    return onCpu;
  }
  const { gpus, problem } = await listGpus();
  if (problem) {
    warnings.push(`Running on the CPU (much slower): ${problem}`);
    return onCpu;
  }
  // nvidia-smi numbers GPUs in PCI bus order, CUDA fastest first unless told otherwise: make the
  // device id the user picked from our list the one CUDA opens (read when CUDA first initialises,
  // which is the first CUDA session below).
  process.env.CUDA_DEVICE_ORDER ??= 'PCI_BUS_ID';
  const deviceId = options.deviceId ?? 0;
  if (!gpus.some((g) => g.index === deviceId)) {
    throw new StudioError(
      'GPU_UNAVAILABLE',
      `GPU ${deviceId} does not exist: this machine has ${gpus.length} NVIDIA GPU(s) (${gpus.map((g) => `${g.index}: ${g.name}`).join(', ')}). Choose one of them.`,
    );
  }
  return { provider: 'cuda', gpus };
}

/** 'auto': memory/autoPlan.ts on the GPU's free memory now; without a GPU (CPU fallback) nothing to weigh. */
function resolveAuto(graphs: Record<GraphNetwork, string>, gpu: GpuInfo | undefined, framesPerCall: number | undefined, warnings: string[]): AutoPlan {
  if (!gpu) return { mode: 'gpu', framesPerCall, note: null };
  const plan = autoPlan({ weightBytes: graphWeightBytes(graphs), size: AUTO_PLAN_SIZE, freeBytes: gpu.memoryFreeBytes, gpuName: gpu.name, framesPerCall });
  if (plan.note) warnings.push(plan.note);
  return plan;
}

export async function createFlashWorldRuntime(options: RuntimeOptions): Promise<FlashWorldRuntime> {
  planFrameChunks(1, options.maxFramesPerCall); // a bad value fails now, not in the first generation
  const files: ModelFiles = resolveModelFiles(options.model, options.resourcesDir);
  const warnings: string[] = [];
  const { provider, gpus } = await preflight(options, warnings);
  const deviceId = options.deviceId ?? 0;
  const { cacheDir } = options;
  const plan = (mode: MemoryMode) =>
    graphFloatTypes({ provider, memoryMode: mode, gpuFloatType: options.floatType, textEncoderPrecision: options.textEncoderPrecision });

  const tokenizer: UnigramTokenizer = loadTokenizerFromFolder(files.tokenizerDir);
  let slots: NetworkSlots | null = null;

  try {
    // Graphs come from the model manager's builder: one place decides cache keys and build order.
    // Each graph's load progress is reported once, though 'auto' asks for the graphs twice.
    const reported = new Set<string>();
    const build = (floatTypes: Record<GraphNetwork, GraphFloatType>) =>
      buildModelGraphs({
        model: files,
        cacheDir,
        floatTypes,
        reconGaussiansType: options.reconGaussiansType,
        onProgress: (e) => {
          if (e.type === 'graph-built') options.onLoadProgress?.({ network: e.network, event: 'built' });
          if (e.type !== 'graph') return;
          const key = `${e.network}:${floatTypes[e.network]}`;
          if (reported.has(key)) return;
          reported.add(key);
          options.onLoadProgress?.({ network: e.network, event: e.state === 'cached' ? 'hit' : 'build' });
        },
      });
    const requestedMode = provider === 'cuda' ? (options.memoryMode ?? 'gpu') : 'gpu';
    // 'auto' weighs the GPU graphs of every network (what the model manager builds) before it
    // knows which of them will run on the CPU instead.
    const { mode: memoryMode, framesPerCall: maxFramesPerCall } =
      requestedMode === 'auto'
        ? resolveAuto((await build(plan('gpu'))).graphs, gpus.find((g) => g.index === deviceId), options.maxFramesPerCall, warnings)
        : { mode: requestedMode, framesPerCall: options.maxFramesPerCall };
    const floatTypes = plan(memoryMode);
    const { graphs } = await build(floatTypes);
    const live = new NetworkSlots({
      graphs,
      provider,
      deviceId,
      memoryMode,
      open: options.openSession,
      onOpened: (network) => options.onLoadProgress?.({ network, event: 'session' }),
    });
    slots = live;
    // Load what stays loaded now, so the first job doesn't wait for it.
    for (const slot of live.resident()) await withCudaExplained({ slots: live, memoryMode, deviceId }, slot, () => live.get(slot));
    live.takeLoadMs();

    // Run-time sizes: the VAE config, and the FlashWorld widths read off the checkpoint's shapes.
    const vaeConfig = readWanVaeConfig(files.vaeDir);
    const ckpt = openTorchCheckpoint(files.checkpointPath);
    let transformerConfig: WanTransformerConfig;
    let reconConfig: ReconDecoderConfig;
    try {
      transformerConfig = readWanTransformerConfig(dirname(files.transformerConfigPath), ckpt.source('transformer.'));
      reconConfig = readReconDecoderConfig(vaeConfig, ckpt.source('recon_decoder.'));
    } finally {
      ckpt.close();
    }
    const networks = createOnnxNetworks({ slots: live, memoryMode, deviceId, floatTypes, vaeConfig, transformerConfig, reconConfig, maxFramesPerCall });
    const renderer: SplatRenderer = rasterizerSplatRenderer();
    const textCache = new Map<string, Float32Array>();

    return {
      info: {
        label: files.label,
        randomWeights: files.randomWeights,
        provider,
        deviceId,
        memoryMode,
        maxFramesPerCall: maxFramesPerCall ?? null,
        floatType: floatTypes.transformer,
        floatTypes,
        warnings,
      },
      networks,
      async generateScene(request, sceneOptions = {}) {
        const timingsMs: Record<string, number> = {};
        let last = performance.now();
        let current = 'prepare';
        const onStage = (s: GenerationStage) => {
          const now = performance.now();
          timingsMs[current] = (timingsMs[current] ?? 0) + (now - last);
          last = now;
          current = s.stage === 'step' ? `step ${s.step} ${s.part}` : s.stage;
          sceneOptions.onStage?.(s);
        };
        const prepared = request.imagePrompt
          ? prepareImagePrompt(request.imagePrompt, request.cameras, request.width, request.height, { baseDir: sceneOptions.baseDir })
          : null;
        const seed = sceneOptions.noise ? null : (sceneOptions.seed ?? Math.floor(Math.random() * 2 ** 31));
        const cachedText = textCache.get(request.textPrompt);
        const result = await generate(
          request,
          {
            cameras: prepared ? prepared.cameras : request.cameras,
            image: prepared ? prepared.image : null,
            tokens: toInt64Tokens(tokenizeTextPrompt(tokenizer, request.textPrompt)),
          },
          networks,
          renderer,
          { noise: sceneOptions.noise ?? new SeededNoise(seed ?? 0), textEmbeds: cachedText, onStage, signal: sceneOptions.signal },
        );
        // Sessions (re)opened during this job (the transient text encoder and what it displaced).
        const loadMs = live.takeLoadMs();
        if (loadMs > 0) timingsMs['session loads'] = loadMs;
        if (!cachedText) {
          textCache.set(request.textPrompt, result.textEmbeds);
          if (textCache.size > TEXT_CACHE_SIZE) textCache.delete(textCache.keys().next().value as string);
        }
        return { ...result, seed, timingsMs, image: prepared ? prepared.image : null };
      },
      async dispose() {
        await live.releaseAll();
      },
    };
  } catch (error) {
    await slots?.releaseAll();
    if (error instanceof StudioError) throw error;
    throw new StudioError('RUNTIME_FAILED', `Loading the model ${files.label} failed: ${(error as Error).message}`, { cause: error });
  }
}

function toInt64Tokens(e: { inputIds: ArrayLike<number>; attentionMask: ArrayLike<number> }) {
  return { inputIds: BigInt64Array.from(Array.from(e.inputIds, BigInt)), attentionMask: BigInt64Array.from(Array.from(e.attentionMask, BigInt)) };
}

