/**
 * The model manager and engine settings as plain data: what the studio's Model panel shows
 * (download state of the official files, built graphs, GPUs and which memory mode fits each) and
 * what the user chooses (model, device, memory mode). One zod schema each, types from schemas.
 */
import { z } from 'zod';
import { MEMORY_MODES } from '../engine/memoryModes';
import { errorInfoSchema } from './jobSchemas';

export const ENGINE_MODEL_IDS = ['test', 'hub'] as const;
export const engineModelIdSchema = z.enum(ENGINE_MODEL_IDS);
export type EngineModelId = z.infer<typeof engineModelIdSchema>;

export const memoryModeSchema = z.enum(MEMORY_MODES);
export const memoryModeChoiceSchema = z.union([memoryModeSchema, z.literal('auto')]);
export type MemoryModeChoice = z.infer<typeof memoryModeChoiceSchema>;

export const executionProviderSchema = z.enum(['cpu', 'cuda']);

/** What the engine is started with; persisted in the data folder (settings.json). */
export const engineSettingsSchema = z.object({
  model: engineModelIdSchema,
  provider: executionProviderSchema,
  /** CUDA device index as nvidia-smi lists it (the engine sets CUDA_DEVICE_ORDER=PCI_BUS_ID so both agree) */
  deviceId: z.number().int().min(0).max(63),
  memoryMode: memoryModeChoiceSchema,
});
export type EngineSettings = z.infer<typeof engineSettingsSchema>;

export const DEFAULT_ENGINE_SETTINGS: EngineSettings = { model: 'test', provider: 'cpu', deviceId: 0, memoryMode: 'auto' };

export const gpuInfoSchema = z.object({
  index: z.number().int().nonnegative(),
  name: z.string(),
  /** null where nvidia-smi reports [N/A] (some unified-memory systems, vGPUs) */
  memoryTotalBytes: z.number().nonnegative().nullable(),
  memoryUsedBytes: z.number().nonnegative().nullable(),
  memoryFreeBytes: z.number().nonnegative().nullable(),
  driverVersion: z.string().nullable(),
  cudaVersion: z.string().nullable(),
});
export type GpuInfo = z.infer<typeof gpuInfoSchema>;

export const memoryModeEstimateSchema = z.object({ mode: memoryModeSchema, gpuBytes: z.number().nonnegative() });

export const gpuFitSchema = gpuInfoSchema.extend({
  /** per mode: fits the card's total memory; and what is free on it right now (other programs use some) */
  modes: z.array(memoryModeEstimateSchema.extend({ fits: z.boolean().nullable(), fitsFreeNow: z.boolean().nullable() })),
  /** what "automatic" would choose now: the fastest mode that fits the free memory */
  automatic: memoryModeSchema.nullable(),
});
export type GpuFit = z.infer<typeof gpuFitSchema>;

export const GENERATION_SIZE_FOR_ESTIMATE = { frames: 24, height: 480, width: 704 } as const;

export const memoryEstimateSchema = z.object({
  model: engineModelIdSchema,
  /** graphs: sizes of the built graphs; weights: from the weight files' tensor shapes (graphs not built yet) */
  basis: z.enum(['graphs', 'weights']),
  size: z.object({ frames: z.number().int(), height: z.number().int(), width: z.number().int() }),
  modes: z.array(memoryModeEstimateSchema),
});
export type MemoryEstimate = z.infer<typeof memoryEstimateSchema>;

export const graphNetworkStateSchema = z.object({ network: z.string(), built: z.boolean(), bytes: z.number().nullable() });

export const MODEL_TASK_KINDS = ['download', 'verify', 'build'] as const;
export const modelTaskKindSchema = z.enum(MODEL_TASK_KINDS);
export type ModelTaskKind = z.infer<typeof modelTaskKindSchema>;

export const modelTaskItemSchema = z.object({
  id: z.string(),
  label: z.string(),
  state: z.enum(['pending', 'active', 'done', 'failed']),
  /** in the task's unit */
  done: z.number().nonnegative(),
  total: z.number().nonnegative(),
  /** e.g. "resumed from 1.2 GB", "already downloaded", "rebuilt: manifest missing" */
  note: z.string().nullable(),
});
export type ModelTaskItem = z.infer<typeof modelTaskItemSchema>;

/** A download, verification or graph build with its progress, streamed as `modelTask` events. */
export const modelTaskSchema = z.object({
  id: z.number().int(),
  kind: modelTaskKindSchema,
  state: z.enum(['running', 'done', 'failed', 'cancelled']),
  startedAt: z.number(),
  finishedAt: z.number().nullable(),
  /** what `done`/`total` count: bytes (download), files (verify), networks (build) */
  unit: z.enum(['bytes', 'files', 'networks']),
  items: z.array(modelTaskItemSchema),
  done: z.number().nonnegative(),
  total: z.number().nonnegative(),
  /** download speed, bytes per second (null for other tasks or before it is measured) */
  bytesPerSecond: z.number().nonnegative().nullable(),
  /** the latest thing worth a line (a retry, a damaged file fetched again) */
  message: z.string().nullable(),
  /** one line when it ended, e.g. "4.1 GB downloaded, 12 MB reused" */
  summary: z.string().nullable(),
  /** verify: one sentence per damaged file, each with the fix */
  problems: z.array(z.string()),
  error: errorInfoSchema.nullable(),
});
export type ModelTask = z.infer<typeof modelTaskSchema>;

export const modelStateSchema = z.object({
  settings: engineSettingsSchema,
  /** set when settings.json was unreadable or invalid and the defaults are used */
  settingsNotice: z.string().nullable(),
  /** one engine per GPU (serve --gpus N): then each engine owns its GPU and the device choice is fixed */
  engineCount: z.number().int().positive(),
  hub: z.object({
    ready: z.boolean(),
    problem: z.string().nullable(),
    interrupted: z.boolean(),
    hubCache: z.string(),
    label: z.string().nullable(),
  }),
  /** graphs the studio built for the selected model and provider (recorded at the last build) */
  graphs: z.object({ provider: executionProviderSchema, floatType: z.enum(['float32', 'float16']), networks: z.array(graphNetworkStateSchema), builtAt: z.number().nullable() }),
  gpus: z.array(gpuFitSchema),
  /** why no GPU is listed (no driver, nvidia-smi failed), in one sentence with the fix */
  gpuProblem: z.string().nullable(),
  /** why the CUDA provider can't run here (not installed, libraries missing), or null */
  cudaProblem: z.string().nullable(),
  estimate: memoryEstimateSchema.nullable(),
  /** why there is no estimate (e.g. the model is not downloaded yet) */
  estimateProblem: z.string().nullable(),
  task: modelTaskSchema.nullable(),
});
export type ModelState = z.infer<typeof modelStateSchema>;

export const downloadModelOptionsSchema = z.object({
  /** Hugging Face token for gated repos (else HF_TOKEN or the saved `hf auth login` token) */
  token: z.string().min(1).max(400).regex(/^\S+$/, 'must not contain spaces').optional(),
  /** also hash files already in the cache and fetch damaged ones again */
  verifyExisting: z.boolean().optional(),
});
export type DownloadModelOptions = z.infer<typeof downloadModelOptionsSchema>;
