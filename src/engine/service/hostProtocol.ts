/**
 * Messages between the service and the engine host process (child process or Electron
 * utilityProcess). Both sides validate what they receive: a confused or half-dead engine must not
 * corrupt the queue. Result files travel by path (the host writes them), never by value.
 */
import { z } from 'zod';
import { generationRequestSchema } from '../../shared/request/generationRequest';

export const hostInitSchema = z.object({
  type: z.literal('init'),
  model: z.string(),
  cacheDir: z.string(),
  resultsDir: z.string(),
  provider: z.enum(['cpu', 'cuda']).optional(),
  /** folder holding test-model/ (bundled builds can't find it relative to their own file) */
  resourcesDir: z.string().optional(),
});

export const hostRequestSchema = z.discriminatedUnion('type', [
  hostInitSchema,
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

export const hostReplySchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('loading'), fraction: z.number().min(0).max(1) }),
  z.object({ type: z.literal('ready'), label: z.string(), randomWeights: z.boolean(), loadMs: z.number() }),
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
]);
export type HostReply = z.infer<typeof hostReplySchema>;
