/**
 * Messages between the service and the engine host process (child process or Electron
 * utilityProcess). Both sides validate what they receive: a confused or half-dead engine must not
 * corrupt the queue. Result files travel by path (the host writes them), never by value.
 */
import { z } from 'zod';
import { generationRequestSchema } from '../../shared/request/generationRequest';
import { MEMORY_MODES } from '../../shared/engine/memoryModes';

export const hostInitSchema = z.object({
  type: z.literal('init'),
  model: z.string(),
  cacheDir: z.string(),
  resultsDir: z.string(),
  provider: z.enum(['cpu', 'cuda']).optional(),
  /** CUDA device (nvidia-smi's index); the engine runs with CUDA_DEVICE_ORDER=PCI_BUS_ID */
  deviceId: z.number().int().nonnegative().optional(),
  memoryMode: z.union([z.enum(MEMORY_MODES), z.literal('auto')]).optional(),
  /** folder holding test-model/ (bundled builds can't find it relative to their own file) */
  resourcesDir: z.string().optional(),
});
export type HostInit = z.infer<typeof hostInitSchema>;

/**
 * Builds a model's graphs into the cache and reports each network. Sent to a process of its own
 * (never the one serving jobs): building the full model takes minutes of CPU, and killing that
 * process is how a build is cancelled (the cache cleans up the dead process's temporary folder).
 */
export const hostBuildSchema = z.object({
  type: z.literal('buildGraphs'),
  taskId: z.number().int(),
  model: z.string(),
  cacheDir: z.string(),
  provider: z.enum(['cpu', 'cuda']).optional(),
  /** with CUDA: also build the fp32 graphs of the networks this mode runs on the CPU */
  memoryMode: z.enum(MEMORY_MODES).optional(),
  resourcesDir: z.string().optional(),
});
export type HostBuild = z.infer<typeof hostBuildSchema>;

export const hostRequestSchema = z.discriminatedUnion('type', [
  hostInitSchema,
  hostBuildSchema,
  z.object({
    type: z.literal('generate'),
    jobId: z.string(),
    request: generationRequestSchema,
    seed: z.number().int(),
  }),
  z.object({ type: z.literal('cancel'), jobId: z.string() }),
  /** MP4 along a finished job's trajectory, rendered from the scene the host still holds */
  z.object({ type: z.literal('video'), taskId: z.number().int(), jobId: z.string(), path: z.string() }),
]);
export type HostRequest = z.infer<typeof hostRequestSchema>;

const stageEventSchema = z.discriminatedUnion('stage', [
  z.object({ stage: z.literal('text') }),
  z.object({ stage: z.literal('image') }),
  z.object({
    stage: z.literal('step'),
    step: z.number().int(),
    of: z.number().int(),
    part: z.enum(['transformer', 'decode', 'render', 'encode']),
  }),
  z.object({ stage: z.literal('export') }),
  z.object({ stage: z.literal('done') }),
]);

/** buildModelGraphs' events without the final one (its result travels in buildDone). */
const graphBuildEventSchema = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('graph'),
    network: z.string(),
    index: z.number().int(),
    of: z.number().int(),
    state: z.enum(['cached', 'building', 'rebuilding']),
    reason: z.string().optional(),
  }),
  z.object({ type: z.literal('graph-built'), network: z.string(), index: z.number().int(), of: z.number().int(), bytes: z.number(), ms: z.number() }),
]);
export type HostGraphBuildEvent = z.infer<typeof graphBuildEventSchema>;

export const hostReplySchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('loading'), fraction: z.number().min(0).max(1) }),
  z.object({
    type: z.literal('ready'),
    label: z.string(),
    randomWeights: z.boolean(),
    loadMs: z.number(),
    /** what the runtime actually runs on: CUDA may have fallen back to the CPU (then a warning says why) */
    provider: z.enum(['cpu', 'cuda']).optional(),
    deviceId: z.number().int().nullable().optional(),
    memoryMode: z.enum(MEMORY_MODES).nullable().optional(),
    warnings: z.array(z.string()).optional(),
  }),
  z.object({ type: z.literal('fatal'), code: z.string(), message: z.string() }),
  z.object({ type: z.literal('stage'), jobId: z.string(), event: stageEventSchema }),
  z.object({
    type: z.literal('done'),
    jobId: z.string(),
    splatCount: z.number().int().nonnegative(),
    timingsMs: z.record(z.string(), z.number()),
    files: z.object({ ply: z.string(), spz: z.string() }),
    thumbnail: z.string().nullable(),
  }),
  z.object({ type: z.literal('failed'), jobId: z.string(), code: z.string(), message: z.string() }),
  z.object({ type: z.literal('videoDone'), taskId: z.number().int(), path: z.string() }),
  z.object({ type: z.literal('videoFailed'), taskId: z.number().int(), code: z.string(), message: z.string() }),
  z.object({ type: z.literal('buildEvent'), taskId: z.number().int(), event: graphBuildEventSchema }),
  z.object({ type: z.literal('buildDone'), taskId: z.number().int(), graphs: z.record(z.string(), z.string()), built: z.number().int(), cached: z.number().int() }),
  z.object({ type: z.literal('buildFailed'), taskId: z.number().int(), code: z.string(), message: z.string() }),
]);
export type HostReply = z.infer<typeof hostReplySchema>;
