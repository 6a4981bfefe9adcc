/**
 * The project file: a zip of `project.json` (this schema), the prompt images and the results.
 * `schemaVersion` changes when the layout does; readers migrate older versions forward.
 */
import { z } from 'zod';
import { trajectorySchema } from '../trajectory/document';
import { generationRequestSchema } from '../request/generationRequest';
import { jobSchema } from './jobSchemas';

export const PROJECT_SCHEMA_VERSION = 1;
export const PROJECT_FILE_EXTENSION = 'fwproj';

/** The prompt panel as the user left it (may be incomplete: no validation beyond types). */
export const promptDraftSchema = z.object({
  imageDataUrl: z.string().nullable(),
  imageName: z.string().nullable(),
  text: z.string(),
  imageIndex: z.number().int().nonnegative(),
  frames: z.number().int().positive(),
  height: z.number().int().positive(),
  width: z.number().int().positive(),
  seed: z.number().int().nonnegative(),
  model: z.string(),
  cameras: generationRequestSchema.shape.cameras,
});
export type PromptDraft = z.infer<typeof promptDraftSchema>;

/** What the renderer owns and hands to save/autosave; the service adds the jobs and results. */
export const projectDocumentSchema = z.object({
  name: z.string().min(1).max(200),
  prompt: promptDraftSchema,
  selectedJobId: z.string().nullable(),
  /** the authored camera path (keyframes + interpolation); absent in projects saved before it existed */
  trajectory: trajectorySchema.optional(),
});
export type ProjectDocument = z.infer<typeof projectDocumentSchema>;

export const projectFileSchema = z.object({
  schemaVersion: z.literal(PROJECT_SCHEMA_VERSION),
  savedAt: z.number(),
  document: projectDocumentSchema,
  jobs: z.array(jobSchema),
});
export type ProjectFile = z.infer<typeof projectFileSchema>;

export const recentProjectSchema = z.object({ path: z.string(), name: z.string(), savedAt: z.number() });
export type RecentProject = z.infer<typeof recentProjectSchema>;

export const openedProjectSchema = z.object({
  path: z.string().nullable(),
  document: projectDocumentSchema,
  jobs: z.array(jobSchema),
});
export type OpenedProject = z.infer<typeof openedProjectSchema>;

export const exampleSchema = z.object({
  id: z.string(),
  title: z.string(),
  /** upstream request JSON; image_prompt resolved to a data URL */
  request: generationRequestSchema,
});
export type Example = z.infer<typeof exampleSchema>;
