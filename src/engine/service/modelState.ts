/**
 * What the Model panel shows, gathered from disk and nvidia-smi (never the network): is the
 * official model in the Hugging Face cache, which graphs the studio built, which GPUs there are,
 * and per GPU which memory mode fits, from the built graphs' sizes or, before a build, from the
 * weight files' tensor shapes (labelled as such).
 */
import { GENERATION_SIZE_FOR_ESTIMATE, type EngineSettings, type GpuFit, type GpuInfo, type MemoryEstimate, type ModelState } from '../../shared/api/modelSchemas';
import { estimateMemoryModes, fastestFittingMode, type MemoryModeEstimate } from '../memory/memoryEstimate';
import { modelStatus } from '../model/modelStatus';
import { resolveModelFiles, hubModelFiles, type ModelFiles } from '../model/modelFiles';
import { listGpus } from '../gpu/nvidiaSmi';
import { cudaProviderProblem } from '../gpu/cudaProvider';
import { builtGraphs, type GraphRecordEntry } from './graphRecord';
import { estimateGraphBytesFromWeights, weightFilesIdentity } from './weightEstimate';

/** nvidia-smi's GPU list and whether the CUDA provider is installed (injected in tests). */
export interface GpuProbe {
  listGpus(): Promise<{ gpus: GpuProbeGpu[]; problem: string | null }>;
  cudaProviderProblem(): string | null;
}

/** As src/engine/gpu/nvidiaSmi.ts reports a GPU (memory NaN where nvidia-smi says [N/A]). */
export interface GpuProbeGpu {
  index: number;
  name: string;
  memoryTotalBytes: number;
  memoryUsedBytes: number;
  memoryFreeBytes: number;
  driverVersion: string | null;
  cudaVersion: string | null;
}

/** Room left for fragmentation and other programs' small allocations (fastestFittingMode's default). */
const FIT_MARGIN = 0.05;

const known = (n: number): number | null => (Number.isFinite(n) && n >= 0 ? n : null);

export function toGpuInfo(g: GpuProbeGpu): GpuInfo {
  return {
    index: g.index,
    name: g.name,
    memoryTotalBytes: known(g.memoryTotalBytes),
    memoryUsedBytes: known(g.memoryUsedBytes),
    memoryFreeBytes: known(g.memoryFreeBytes),
    driverVersion: g.driverVersion || null,
    cudaVersion: g.cudaVersion,
  };
}

export function fitGpu(gpu: GpuInfo, modes: MemoryModeEstimate[] | null): GpuFit {
  const fitsIn = (bytes: number, room: number | null) => (room === null ? null : bytes <= room * (1 - FIT_MARGIN));
  return {
    ...gpu,
    modes: (modes ?? []).map((m) => ({ ...m, fits: fitsIn(m.gpuBytes, gpu.memoryTotalBytes), fitsFreeNow: fitsIn(m.gpuBytes, gpu.memoryFreeBytes) })),
    automatic: modes && gpu.memoryFreeBytes !== null ? fastestFittingMode(modes, gpu.memoryFreeBytes, FIT_MARGIN) : null,
  };
}

export interface ModelStateInputs {
  settings: EngineSettings;
  settingsNotice: string | null;
  engineCount: number;
  env: NodeJS.ProcessEnv;
  resourcesDir?: string;
  graphRecord: GraphRecordEntry[];
  probe: GpuProbe;
  task: ModelState['task'];
}

function filesFor(model: EngineSettings['model'], env: NodeJS.ProcessEnv, resourcesDir?: string): ModelFiles | null {
  try {
    return model === 'hub' ? hubModelFiles(env) : resolveModelFiles(model, resourcesDir);
  } catch {
    return null;
  }
}

/** Whether the official model can be loaded (modelStatus checks every needed file is whole). */
export function officialModelStatus(env: NodeJS.ProcessEnv): ModelState['hub'] {
  const status = modelStatus({ env });
  return { hubCache: status.hubCache, interrupted: status.interrupted, label: status.files?.label ?? null, ready: status.ready, problem: status.problem };
}

export async function computeModelState(inputs: ModelStateInputs): Promise<ModelState> {
  const { settings, env } = inputs;
  const hub = officialModelStatus(env);
  const files = filesFor(settings.model, env, inputs.resourcesDir);
  const identity = files ? weightFilesIdentity(files) : null;
  const floatType = settings.provider === 'cuda' ? 'float16' : 'float32';
  const graphs = builtGraphs(inputs.graphRecord, settings.model, floatType, identity);
  // GPU memory is about fp16 graphs (the CUDA provider's), whatever the provider chosen now.
  const gpuGraphs = floatType === 'float16' ? graphs : builtGraphs(inputs.graphRecord, settings.model, 'float16', identity);

  let estimate: MemoryEstimate | null = null;
  let estimateProblem: string | null = null;
  if (gpuGraphs.complete) {
    estimate = { model: settings.model, basis: 'graphs', size: { ...GENERATION_SIZE_FOR_ESTIMATE }, modes: estimateMemoryModes(gpuGraphs.complete, GENERATION_SIZE_FOR_ESTIMATE) };
  } else if (files) {
    try {
      const weights = estimateGraphBytesFromWeights(files, 'float16');
      estimate = { model: settings.model, basis: 'weights', size: { ...GENERATION_SIZE_FOR_ESTIMATE }, modes: estimateMemoryModes(weights, GENERATION_SIZE_FOR_ESTIMATE) };
    } catch (error) {
      estimateProblem = `The weight files could not be read for an estimate: ${(error as Error).message}`;
    }
  } else {
    estimateProblem = 'Download the model to see which memory mode fits: the estimate reads the sizes of its weights.';
  }

  const [gpuList, cudaProblem] = await Promise.all([
    inputs.probe.listGpus().catch((error: unknown) => ({ gpus: [], problem: `The GPU list could not be read: ${(error as Error).message}` })),
    Promise.resolve().then(() => inputs.probe.cudaProviderProblem()).catch((error: unknown) => `The CUDA provider check failed: ${(error as Error).message}`),
  ]);

  return {
    settings,
    settingsNotice: inputs.settingsNotice,
    engineCount: inputs.engineCount,
    hub,
    graphs: { provider: settings.provider, floatType, networks: graphs.networks, builtAt: graphs.builtAt },
    gpus: gpuList.gpus.map((g) => fitGpu(toGpuInfo(g), estimate?.modes ?? null)),
    gpuProblem: gpuList.problem,
    cudaProblem,
    estimate,
    estimateProblem,
    task: inputs.task,
  };
}

/** The machine's real GPUs and CUDA provider (nvidia-smi; onnxruntime-node's folder). */
export const systemGpuProbe: GpuProbe = {
  listGpus: () => listGpus(),
  cudaProviderProblem: () => cudaProviderProblem(),
};
