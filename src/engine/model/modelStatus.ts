/**
 * Is the model ready to load? Answered from the cache alone (no network), fast enough for a
 * status panel at start-up: which snapshot would be used, and what is missing or half-downloaded.
 *
 * The snapshot folders alone don't answer it: the download links small files first, so a cancelled
 * download leaves `vae/config.json` linked (the folder exists) while the VAE's weights are still a
 * `.incomplete` blob. So every file the engine needs is checked one by one, and the big ones against
 * the sizes their own headers declare (safetensors data offsets, the checkpoint's ZIP directory):
 * the manifest has no sizes without asking the Hub, and a truncated copy must not count as there.
 */
import { existsSync, lstatSync, readFileSync, readdirSync, readlinkSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { StudioError } from '../../shared/errors';
import { openSafetensorsFolder } from '../weights/safetensors';
import { ZipArchive } from '../weights/zip';
import { formatBytes } from '../../shared/formatBytes';
import { incompletePath, repoCache, type RepoCache } from './hubCache';
import { modelRequirements } from './modelManifest';
import { FLASHWORLD_REPO, WAN_REPO, hasInterruptedDownload, hubCacheDir, hubModelFiles, type ModelFiles } from './modelFiles';

export interface ModelStatus {
  hubCache: string;
  /** True when `createFlashWorldRuntime({ model: 'hub' })` will find every file, each complete. */
  ready: boolean;
  /** Where the snapshots' files are (null when a snapshot is not in the cache); loadable only when `ready`. */
  files: ModelFiles | null;
  /** What is missing and what to do, when not ready. */
  problem: string | null;
  /** Some download into these repos stopped half-way (`.incomplete` blobs): `downloadModel` resumes it. */
  interrupted: boolean;
}

export function modelStatus(opts: { hubCache?: string; env?: NodeJS.ProcessEnv } = {}): ModelStatus {
  const env = opts.env ?? process.env;
  const hubCache = opts.hubCache ?? hubCacheDir(env);
  const interrupted = hasInterruptedDownload(hubCache);
  let files: ModelFiles;
  try {
    files = hubModelFiles({ ...env, HF_HUB_CACHE: hubCache });
  } catch (e) {
    if (!(e instanceof StudioError)) throw e;
    return { hubCache, ready: false, files: null, problem: e.message, interrupted };
  }
  const problem = unfinishedFiles(hubCache, files);
  return { hubCache, ready: problem === null, files, problem, interrupted };
}

/** Blob names in the cache are the Hub's ids (see hubCache.ts). */
const ETAG = /^[0-9a-f]{40}$|^[0-9a-f]{64}$/;
/** The weight files openSafetensorsFolder looks for, index first. */
const WEIGHT_INDEXES = ['model.safetensors.index.json', 'diffusion_pytorch_model.safetensors.index.json'];
const WEIGHT_SINGLES = ['model.safetensors', 'diffusion_pytorch_model.safetensors'];

/** Why the files of the snapshots hubModelFiles picked can't all be loaded yet, or null when they can. */
function unfinishedFiles(hubCache: string, files: ModelFiles): string | null {
  const snapshots: Record<string, string> = { [WAN_REPO]: dirname(files.textEncoderDir), [FLASHWORLD_REPO]: dirname(files.checkpointPath) };
  const problems: string[] = [];
  for (const req of modelRequirements()) {
    const snapshot = snapshots[req.repo];
    const rc = repoCache(hubCache, req.repo);
    const needed = new Set(req.repo === WAN_REPO ? wanNeeds(snapshot) : ['model.ckpt']);
    // Anything else of the manifest's that is linked must be whole too (tokenizer_config.json, …).
    // (`.linking` names are a link being made right now, see linkSnapshotFile.)
    for (const path of listFiles(snapshot)) if (req.wants(path) && !path.endsWith('.linking')) needed.add(path);
    for (const path of needed) {
      const why = entryProblem(rc, snapshot, path);
      if (why) problems.push(`${path} of ${req.repo} ${why}`);
    }
  }
  if (!problems.length) {
    const truncated = headerProblem(files);
    if (truncated) problems.push(truncated.replace(/\.$/, ''));
  }
  if (!problems.length) return null;
  const shown = problems.slice(0, 3).join('; ') + (problems.length > 3 ? `; and ${problems.length - 3} more` : '');
  return `The download into ${hubCache} is not finished: ${shown}. Run \`flashworld model download\` (or Download in the Model panel) to finish it: it resumes where it stopped.`;
}

/** What the engine reads from the Wan snapshot (runtime.ts, loadTokenizer.ts, openSafetensorsFolder). */
function wanNeeds(snapshot: string): string[] {
  const tokenizer = ['tokenizer/tokenizer.json', 'tokenizer/spiece.model'];
  return [
    'transformer/config.json',
    'scheduler/scheduler_config.json',
    'text_encoder/config.json',
    ...weightFiles(snapshot, 'text_encoder'),
    'vae/config.json',
    ...weightFiles(snapshot, 'vae'),
    // Either tokenizer file is enough for the loader; name the one the Hub repo ships when neither is there.
    tokenizer.find((p) => linked(join(snapshot, p))) ?? tokenizer[0],
  ];
}

/** A component's weights: its index and every shard the index names, or its single file. */
function weightFiles(snapshot: string, folder: string): string[] {
  const index = WEIGHT_INDEXES.find((name) => linked(join(snapshot, folder, name)));
  if (!index) return [`${folder}/${WEIGHT_SINGLES.find((name) => linked(join(snapshot, folder, name))) ?? (folder === 'vae' ? WEIGHT_SINGLES[1] : WEIGHT_SINGLES[0])}`];
  let shards: string[] = [];
  try {
    const map = (JSON.parse(readFileSync(join(snapshot, folder, index), 'utf8')) as { weight_map?: Record<string, unknown> }).weight_map ?? {};
    shards = [...new Set(Object.values(map).filter((s): s is string => typeof s === 'string' && !/[\\/]/.test(s)))];
  } catch {
    // an unreadable index is reported by entryProblem (missing or partial) or by headerProblem
  }
  return [`${folder}/${index}`, ...shards.map((s) => `${folder}/${s}`)];
}

/** Something is at this path, even a link to nothing. */
function linked(path: string): boolean {
  try {
    lstatSync(path);
    return true;
  } catch {
    return false;
  }
}

function listFiles(dir: string, prefix = ''): string[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  return names.flatMap((name) => {
    const rel = prefix ? `${prefix}/${name}` : name;
    const path = join(dir, name);
    const isDir = lstatSync(path).isDirectory();
    return isDir ? listFiles(path, rel) : [rel];
  });
}

/** Why one snapshot entry is not a whole file, or null. */
function entryProblem(rc: RepoCache, snapshot: string, path: string): string | null {
  const pointer = join(snapshot, ...path.split('/'));
  if (!linked(pointer)) return 'is not downloaded yet';
  try {
    if (statSync(pointer).isFile()) return null;
    return 'is not a file';
  } catch {
    // a link to a blob that is not there (yet): say whether its download is under way
  }
  let etag = '';
  try {
    etag = basename(readlinkSync(pointer));
  } catch {
    return 'is not readable';
  }
  if (ETAG.test(etag)) {
    const partial = incompletePath(rc, etag);
    if (existsSync(partial)) return `is only partly downloaded (${formatBytes(statSync(partial).size)} so far)`;
  }
  return 'points at a file that is gone';
}

/**
 * The big files against the sizes their headers declare: a safetensors file must reach the end of
 * its last tensor, the checkpoint must end in its ZIP directory. Reads headers only.
 */
function headerProblem(files: ModelFiles): string | null {
  try {
    openSafetensorsFolder(files.textEncoderDir).close();
    openSafetensorsFolder(files.vaeDir).close();
    ZipArchive.open(files.checkpointPath, 'FlashWorld model.ckpt').close();
    return null;
  } catch (e) {
    if (!(e instanceof StudioError)) throw e;
    return e.message;
  }
}
