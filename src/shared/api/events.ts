/** Events the backend pushes to the renderer (job updates, engine status, native menu commands). */
import { z } from 'zod';
import { engineStatusSchema, jobSchema } from './jobSchemas';
import { engineSettingsSchema, modelTaskSchema } from './modelSchemas';

export const MENU_COMMANDS = [
  'new-project',
  'open-project',
  'save-project',
  'save-project-as',
  'import-request',
  'export-request',
  'open-splat',
  'export-ply',
  'export-spz',
  'export-trajectory',
  'export-mp4',
  'reset-view',
  'show-start',
] as const;
export const menuCommandSchema = z.enum(MENU_COMMANDS);
export type MenuCommand = z.infer<typeof menuCommandSchema>;

export const studioEventSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('job'), job: jobSchema }),
  z.object({ type: z.literal('jobRemoved'), id: z.string() }),
  z.object({ type: z.literal('jobsReset'), jobs: z.array(jobSchema) }),
  z.object({ type: z.literal('engine'), status: engineStatusSchema }),
  z.object({ type: z.literal('menu'), command: menuCommandSchema }),
  /** a model download, verification or graph build moved (throttled like job progress) */
  z.object({ type: z.literal('modelTask'), task: modelTaskSchema }),
  /** the engine settings changed (the engine restarts with them) */
  z.object({ type: z.literal('engineSettings'), settings: engineSettingsSchema }),
]);
export type StudioEvent = z.infer<typeof studioEventSchema>;
