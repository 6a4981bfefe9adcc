/**
 * The StudioApi method names as plain data, for the sandboxed preload (which can't load zod or
 * any other package). The contract test checks this list against `studioMethods`.
 */
export const STUDIO_METHOD_NAME_LIST = [
  'getSnapshot',
  'enqueue',
  'cancelJob',
  'retryJob',
  'removeJob',
  'getResultBytes',
  'getExportBytes',
  'listExamples',
  'listRecent',
  'newProject',
  'openProject',
  'saveProject',
  'autosave',
  'getRecovery',
  'discardRecovery',
  'pickFile',
  'saveFile',
  'getModelState',
  'setEngineSettings',
  'downloadModel',
  'verifyModel',
  'buildModelGraphs',
  'cancelModelTask',
] as const;
