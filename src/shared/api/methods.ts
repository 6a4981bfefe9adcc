/**
 * Every StudioApi call with the schema of its arguments (checked where a message arrives: the
 * Electron main process and the serve-mode server) and of its result (checked by clients).
 * Adding a method = one entry here + one in StudioApi; the contract test keeps them in step.
 */
import { z } from 'zod';
import { engineStatusSchema, jobIdSchema, jobSchema, jobSettingsSchema, modelInfoSchema } from './jobSchemas';
import {
  exampleSchema,
  openedProjectSchema,
  projectDocumentSchema,
  recentProjectSchema,
} from './projectSchemas';
import { downloadModelOptionsSchema, engineSettingsSchema, modelStateSchema, modelTaskSchema } from './modelSchemas';

const bytesSchema = z.custom<Uint8Array>((v) => v instanceof Uint8Array, { message: "must be bytes (Uint8Array)" });

export const RESULT_FORMATS = ['spz', 'ply'] as const;
export const resultFormatSchema = z.enum(RESULT_FORMATS);
export type ResultFormat = z.infer<typeof resultFormatSchema>;

export const EXPORT_FORMATS = ['ply', 'spz', 'trajectory', 'mp4'] as const;
export const exportFormatSchema = z.enum(EXPORT_FORMATS);
export type ExportFormat = z.infer<typeof exportFormatSchema>;

export const FILE_KINDS = ['project', 'splat', 'request', 'image', 'trajectory'] as const;
export const fileKindSchema = z.enum(FILE_KINDS);
export type FileKind = z.infer<typeof fileKindSchema>;

export const snapshotSchema = z.object({
  jobs: z.array(jobSchema),
  engine: engineStatusSchema,
  models: z.array(modelInfoSchema),
  /** 'electron' or 'serve': only for labels ("Download" vs "Save…"), never for behaviour */
  shell: z.enum(['electron', 'serve']),
  /** which export formats this backend can produce, with the reason when not */
  /** an autosave from a session that didn't end cleanly, offered on the start screen */
  recovery: z.object({ savedAt: z.number() }).nullable(),
  exportFormats: z.array(z.object({ format: exportFormatSchema, available: z.boolean(), reason: z.string().nullable() })),
});
export type Snapshot = z.infer<typeof snapshotSchema>;

export const exportBytesSchema = z.object({ fileName: z.string(), bytes: bytesSchema });
export type ExportBytes = z.infer<typeof exportBytesSchema>;

export const pickedFileSchema = z.object({ name: z.string(), bytes: bytesSchema, path: z.string().nullable() });
export type PickedFile = z.infer<typeof pickedFileSchema>;

export const saveFileRequestSchema = z.object({
  suggestedName: z.string().min(1).max(255),
  bytes: bytesSchema,
  kind: z.enum(['ply', 'spz', 'trajectory', 'mp4', 'request']),
});
export type SaveFileRequest = z.infer<typeof saveFileRequestSchema>;

export const saveOutcomeSchema = z.object({ saved: z.boolean(), path: z.string().nullable() });
export type SaveOutcome = z.infer<typeof saveOutcomeSchema>;

export const projectSourceSchema = z.union([
  z.object({ path: z.string().min(1) }),
  z.object({ fileName: z.string().min(1), bytes: bytesSchema }),
]);
export type ProjectSource = z.infer<typeof projectSourceSchema>;

export const saveProjectRequestSchema = z.object({
  document: projectDocumentSchema,
  /** the project's current file; null for a new project */
  path: z.string().nullable(),
  /** ask for a new location even when path is set */
  saveAs: z.boolean(),
});
export type SaveProjectRequest = z.infer<typeof saveProjectRequestSchema>;

export const recoverySchema = z.object({ savedAt: z.number(), project: openedProjectSchema });
export type Recovery = z.infer<typeof recoverySchema>;

function method<A extends z.ZodTuple, R extends z.ZodType>(args: A, result: R) {
  return { args, result };
}

export const studioMethods = {
  getSnapshot: method(z.tuple([]), snapshotSchema),
  enqueue: method(z.tuple([jobSettingsSchema]), jobSchema),
  cancelJob: method(z.tuple([jobIdSchema]), z.void()),
  retryJob: method(z.tuple([jobIdSchema]), jobSchema),
  removeJob: method(z.tuple([jobIdSchema]), z.void()),
  getResultBytes: method(z.tuple([jobIdSchema, resultFormatSchema]), bytesSchema),
  getExportBytes: method(z.tuple([jobIdSchema, exportFormatSchema]), exportBytesSchema),
  listExamples: method(z.tuple([]), z.array(exampleSchema)),
  listRecent: method(z.tuple([]), z.array(recentProjectSchema)),
  newProject: method(z.tuple([]), z.void()),
  openProject: method(z.tuple([projectSourceSchema]), openedProjectSchema),
  saveProject: method(z.tuple([saveProjectRequestSchema]), z.object({ path: z.string() }).nullable()),
  autosave: method(z.tuple([projectDocumentSchema, z.string().nullable()]), z.void()),
  getRecovery: method(z.tuple([]), recoverySchema.nullable()),
  discardRecovery: method(z.tuple([]), z.void()),
  pickFile: method(z.tuple([fileKindSchema]), pickedFileSchema.nullable()),
  saveFile: method(z.tuple([saveFileRequestSchema]), saveOutcomeSchema),
  // ---- model manager and engine settings ----
  getModelState: method(z.tuple([]), modelStateSchema),
  /** saves the settings and restarts the engine with them (after the running job, if any) */
  setEngineSettings: method(z.tuple([engineSettingsSchema]), modelStateSchema),
  /** starts the download (progress as `modelTask` events); resumes partial files */
  downloadModel: method(z.tuple([downloadModelOptionsSchema]), modelTaskSchema),
  verifyModel: method(z.tuple([]), modelTaskSchema),
  buildModelGraphs: method(z.tuple([]), modelTaskSchema),
  /** stops the running download, verification or build (a download resumes later) */
  cancelModelTask: method(z.tuple([]), z.void()),
} as const;

export type StudioMethodName = keyof typeof studioMethods;
export const STUDIO_METHOD_NAMES = Object.keys(studioMethods) as StudioMethodName[];

/**
 * Methods a transport answers on the renderer's own side when it can (the browser has no native
 * dialogs: serve mode picks files with <input type=file> and saves with a download).
 */
export const SHELL_METHODS: readonly StudioMethodName[] = ['pickFile', 'saveFile'];

export type MethodArgs<M extends StudioMethodName> = z.infer<(typeof studioMethods)[M]['args']>;
export type MethodResult<M extends StudioMethodName> = z.infer<(typeof studioMethods)[M]['result']>;
