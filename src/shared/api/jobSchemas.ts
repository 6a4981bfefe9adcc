/**
 * Jobs, progress and engine status as plain data: what the service keeps, what crosses IPC and
 * the WebSocket, and what a project file stores. One zod schema each; the TypeScript types come
 * from the schemas so the two can't drift.
 */
import { z } from 'zod';
import { generationRequestSchema } from '../request/generationRequest';
import { MEMORY_MODES } from '../engine/memoryModes';

export const JOB_STATUSES = ['queued', 'running', 'done', 'failed', 'cancelled'] as const;
export const jobStatusSchema = z.enum(JOB_STATUSES);
export type JobStatus = z.infer<typeof jobStatusSchema>;

export const jobIdSchema = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'must be a job id');

/** What the user asked for: upstream's request JSON (image as a data URL), a seed and a model. */
export const jobSettingsSchema = z.object({
  request: generationRequestSchema,
  seed: z.number().int().min(0).max(2 ** 32 - 1),
  model: z.string().min(1).max(200),
  label: z.string().max(200).optional(),
});
export type JobSettings = z.infer<typeof jobSettingsSchema>;

/**
 * The stages a job's progress bars show, in order. `load` only happens when the engine loads the
 * model (first job, after a restart); steps 1–3 have four parts, step 4 two (upstream's last step
 * decodes the 2D prediction without rendering).
 */
export const STAGE_IDS = ['load', 'text', 'image', 'step1', 'step2', 'step3', 'step4', 'export'] as const;
export const stageIdSchema = z.enum(STAGE_IDS);
export type StageId = z.infer<typeof stageIdSchema>;

export const stageProgressSchema = z.object({
  id: stageIdSchema,
  label: z.string(),
  state: z.enum(['pending', 'active', 'done', 'skipped']),
  /** 0..1 within this stage (estimated from learned durations while active) */
  fraction: z.number().min(0).max(1),
  /** current sub-stage, e.g. 'render' in step 2 */
  part: z.string().nullable(),
});
export type StageProgress = z.infer<typeof stageProgressSchema>;

export const jobProgressSchema = z.object({
  stages: z.array(stageProgressSchema),
  /** 0..1 over the whole job, weighted by learned stage durations */
  fraction: z.number().min(0).max(1),
  /** milliseconds left, from durations of past runs at this resolution; null until learned */
  etaMs: z.number().nonnegative().nullable(),
});
export type JobProgress = z.infer<typeof jobProgressSchema>;

export const errorInfoSchema = z.object({ code: z.string(), message: z.string() });
export type ErrorInfo = z.infer<typeof errorInfoSchema>;

export const jobResultSchema = z.object({
  splatCount: z.number().int().nonnegative(),
  /** wall time from start to result, ms */
  totalMs: z.number().nonnegative(),
  /** per stage, ms */
  timingsMs: z.record(z.string(), z.number()),
  /** a small PNG data URL (point render from camera 0), or null */
  thumbnail: z.string().nullable(),
});
export type JobResult = z.infer<typeof jobResultSchema>;

export const jobSchema = z.object({
  id: jobIdSchema,
  createdAt: z.number(),
  settings: jobSettingsSchema,
  status: jobStatusSchema,
  progress: jobProgressSchema.nullable(),
  error: errorInfoSchema.nullable(),
  result: jobResultSchema.nullable(),
  startedAt: z.number().nullable(),
  finishedAt: z.number().nullable(),
});
export type Job = z.infer<typeof jobSchema>;

export const engineStateSchema = z.enum(['starting', 'loading', 'ready', 'busy', 'crashed', 'stopped']);
export type EngineState = z.infer<typeof engineStateSchema>;

export const engineStatusSchema = z.object({
  state: engineStateSchema,
  model: z.string(),
  /** e.g. "Test model (random weights)" once loaded */
  label: z.string().nullable(),
  randomWeights: z.boolean(),
  /** model load progress 0..1 while state is 'loading' */
  loadFraction: z.number().min(0).max(1),
  restarts: z.number().int().nonnegative(),
  /** the engine process id (shown in the status tooltip; tests kill it to prove recovery) */
  pid: z.number().int().nullable(),
  lastCrash: z.object({ reason: z.string(), at: z.number(), jobId: z.string().nullable() }).nullable(),
  /** where the loaded model runs, as the engine reports it once ready (null before) */
  provider: z.enum(['cpu', 'cuda']).nullable(),
  deviceId: z.number().int().nullable(),
  /** the memory mode in use (the one "automatic" picked, when it was automatic) */
  memoryMode: z.enum(MEMORY_MODES).nullable(),
  /** what the user must know about how it runs, e.g. "CUDA unavailable: …; running on the CPU" */
  warnings: z.array(z.string()),
});
export type EngineStatus = z.infer<typeof engineStatusSchema>;

export const modelInfoSchema = z.object({
  id: z.string(),
  label: z.string(),
  randomWeights: z.boolean(),
  available: z.boolean(),
  /** why it can't be chosen, when not available */
  reason: z.string().nullable(),
});
export type ModelInfo = z.infer<typeof modelInfoSchema>;
