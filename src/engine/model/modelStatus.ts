/**
 * Is the model ready to load? Answered from the cache alone (no network), fast enough for a
 * status panel at start-up: which snapshot would be used, and what is missing or half-downloaded.
 */
import { StudioError } from '../../shared/errors';
import { hasInterruptedDownload, hubCacheDir, hubModelFiles, type ModelFiles } from './modelFiles';

export interface ModelStatus {
  hubCache: string;
  /** True when `createFlashWorldRuntime({ model: 'hub' })` will find every file. */
  ready: boolean;
  files: ModelFiles | null;
  /** What is missing and what to do, when not ready. */
  problem: string | null;
  /** A download stopped half-way (`.incomplete` blobs): `downloadModel` resumes it. */
  interrupted: boolean;
}

export function modelStatus(opts: { hubCache?: string; env?: NodeJS.ProcessEnv } = {}): ModelStatus {
  const env = opts.env ?? process.env;
  const hubCache = opts.hubCache ?? hubCacheDir(env);
  const interrupted = hasInterruptedDownload(hubCache);
  try {
    const files = hubModelFiles({ ...env, HF_HUB_CACHE: hubCache });
    return { hubCache, ready: true, files, problem: null, interrupted };
  } catch (e) {
    if (!(e instanceof StudioError)) throw e;
    return { hubCache, ready: false, files: null, problem: e.message, interrupted };
  }
}
