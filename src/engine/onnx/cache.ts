/**
 * Build-once cache for generated graphs. A key (builder version + weight hash + config) names a
 * folder; a build happens in a temporary sibling folder, writes a manifest of file sizes last,
 * and is renamed into place, so a crash mid-build never leaves a folder that looks finished.
 * A folder whose files disagree with its manifest (truncated data, missing file) is rebuilt.
 */
import { createHash, randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { StudioError } from '../../shared/errors';
import { isProcessAlive } from '../processAlive';

export const MANIFEST_NAME = 'manifest.json';
const MANIFEST_VERSION = 1;

export interface GraphCacheManifest {
  version: number;
  key: string;
  /** The .onnx file the cache entry serves. */
  model: string;
  /** Every file of the entry (manifest excluded) with its size in bytes. */
  files: Record<string, number>;
  createdAt: string;
}

export type GraphCacheEvent =
  | { type: 'hit'; key: string; dir: string }
  | { type: 'build'; key: string; dir: string }
  | { type: 'built'; key: string; dir: string; bytes: number; ms: number }
  | { type: 'corrupt'; key: string; dir: string; reason: string };

export interface GetOrBuildOptions {
  cacheDir: string;
  key: string;
  /** Writes the graph (one .onnx, optional data files) into `dir`. */
  build: (dir: string) => Promise<void>;
  onEvent?: (event: GraphCacheEvent) => void;
}

/** A stable key from arbitrary JSON-able parts (object keys sorted). */
export function cacheKey(parts: Record<string, unknown>): string {
  return createHash('sha256').update(stableStringify(parts)).digest('hex').slice(0, 32);
}

function stableStringify(v: unknown): string {
  if (v === null || typeof v !== 'object') return JSON.stringify(v) ?? 'null';
  if (Array.isArray(v)) return `[${v.map(stableStringify).join(',')}]`;
  const entries = Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, x]) => `${JSON.stringify(k)}:${stableStringify(x)}`).join(',')}}`;
}

/**
 * A cheap identity for a (possibly 20 GB) weight file to put in a cache key: size, mtime and
 * SHA-256 of the first and last MiB. Hashing the whole file would cost a minute per launch.
 */
export function fileFingerprint(filePath: string): string {
  const CHUNK = 1024 * 1024;
  let fd: number;
  try {
    fd = fs.openSync(filePath, 'r');
  } catch (cause) {
    throw new StudioError('WEIGHTS_NOT_FOUND', `Cannot read ${filePath} to fingerprint it. Check that the weights are installed.`, { cause });
  }
  try {
    const { size, mtimeMs } = fs.fstatSync(fd);
    const hash = createHash('sha256').update(`${size}:${Math.floor(mtimeMs)}:`);
    const buf = Buffer.alloc(Math.min(CHUNK, size));
    for (const at of size > CHUNK ? [0, size - CHUNK] : [0]) {
      const n = fs.readSync(fd, buf, 0, buf.length, at);
      hash.update(buf.subarray(0, n));
    }
    return hash.digest('hex').slice(0, 32);
  } finally {
    fs.closeSync(fd);
  }
}

/** Removes temp folders of this key left by builds whose process died (crash, kill). */
async function removeAbandonedTemps(cacheDir: string, folder: string): Promise<void> {
  const prefix = `.tmp-${folder}-`;
  let names: string[];
  try {
    names = await fs.promises.readdir(cacheDir);
  } catch {
    return;
  }
  for (const name of names) {
    if (!name.startsWith(prefix)) continue;
    const pid = Number(name.slice(prefix.length).split('-')[0]);
    if (Number.isInteger(pid) && pid > 0 && isProcessAlive(pid)) continue;
    await fs.promises.rm(path.join(cacheDir, name), { recursive: true, force: true });
  }
}

/** Folder name for a key: readable prefix + hash, so any key string is a safe name. */
export function cacheFolderName(key: string): string {
  const readable = key.replace(/[^A-Za-z0-9._-]+/g, '_').slice(0, 60);
  const hash = createHash('sha256').update(key).digest('hex').slice(0, 16);
  return `${readable}-${hash}`;
}

/** Returns the reason the entry is unusable, or null when it matches its manifest. */
function checkEntry(dir: string, key: string): { manifest: GraphCacheManifest | null; problem: string | null } {
  const manifestPath = path.join(dir, MANIFEST_NAME);
  let manifest: GraphCacheManifest;
  try {
    manifest = JSON.parse(fs.readFileSync(manifestPath, 'utf8')) as GraphCacheManifest;
  } catch {
    return { manifest: null, problem: 'its manifest is missing or unreadable' };
  }
  if (manifest.version !== MANIFEST_VERSION || manifest.key !== key || typeof manifest.files !== 'object') {
    return { manifest, problem: 'its manifest belongs to another key or format' };
  }
  for (const [name, size] of Object.entries(manifest.files)) {
    let actual: number;
    try {
      actual = fs.statSync(path.join(dir, name)).size;
    } catch {
      return { manifest, problem: `${name} is missing` };
    }
    if (actual !== size) return { manifest, problem: `${name} is ${actual} bytes, expected ${size}` };
  }
  if (!(manifest.model in manifest.files)) return { manifest, problem: 'its manifest names no model file' };
  return { manifest, problem: null };
}

function listFiles(dir: string): Record<string, number> {
  const files: Record<string, number> = {};
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    if (entry.isFile() && entry.name !== MANIFEST_NAME) files[entry.name] = fs.statSync(path.join(dir, entry.name)).size;
  }
  return files;
}

/** Builds in flight in this process, so two callers of one key share one build. */
const inFlight = new Map<string, Promise<string>>();

/** Returns the path of the cached .onnx for `key`, building it first when absent or corrupt. */
export function getOrBuildGraph(opts: GetOrBuildOptions): Promise<string> {
  const dir = path.resolve(opts.cacheDir, cacheFolderName(opts.key));
  const pending = inFlight.get(dir);
  if (pending) return pending;
  const job = getOrBuildUnshared(opts, dir).finally(() => inFlight.delete(dir));
  inFlight.set(dir, job);
  return job;
}

async function getOrBuildUnshared(opts: GetOrBuildOptions, dir: string): Promise<string> {
  const { cacheDir, key, build, onEvent } = opts;

  if (fs.existsSync(dir)) {
    const { manifest, problem } = checkEntry(dir, key);
    if (!problem && manifest) {
      onEvent?.({ type: 'hit', key, dir });
      return path.join(dir, manifest.model);
    }
    onEvent?.({ type: 'corrupt', key, dir, reason: problem ?? 'unknown' });
    await fs.promises.rm(dir, { recursive: true, force: true });
  }

  onEvent?.({ type: 'build', key, dir });
  const started = Date.now();
  await fs.promises.mkdir(cacheDir, { recursive: true });
  await removeAbandonedTemps(cacheDir, path.basename(dir));
  const tmp = path.join(cacheDir, `.tmp-${path.basename(dir)}-${process.pid}-${randomBytes(4).toString('hex')}`);
  await fs.promises.mkdir(tmp);
  try {
    await build(tmp);
    const files = listFiles(tmp);
    const models = Object.keys(files).filter((f) => f.endsWith('.onnx'));
    if (models.length !== 1) {
      throw new StudioError(
        'GRAPH_BUILD_FAILED',
        `Building graph "${key}" produced ${models.length} .onnx files (${models.join(', ') || 'none'}); exactly one is expected. This is a bug in the graph builder.`,
      );
    }
    const manifest: GraphCacheManifest = { version: MANIFEST_VERSION, key, model: models[0], files, createdAt: new Date().toISOString() };
    await fs.promises.writeFile(path.join(tmp, MANIFEST_NAME), JSON.stringify(manifest, null, 2));
    try {
      await fs.promises.rename(tmp, dir);
    } catch (cause) {
      // Another process finished the same key first: use its entry if it is sound.
      const other = fs.existsSync(dir) ? checkEntry(dir, key) : null;
      if (other && !other.problem && other.manifest) {
        await fs.promises.rm(tmp, { recursive: true, force: true });
        return path.join(dir, other.manifest.model);
      }
      throw new StudioError('IO_FAILED', `Could not move the built graph into the cache at ${dir}. Check the cache folder's permissions.`, {
        cause,
      });
    }
    const bytes = Object.values(files).reduce((a, b) => a + b, 0);
    onEvent?.({ type: 'built', key, dir, bytes, ms: Date.now() - started });
    return path.join(dir, manifest.model);
  } catch (error) {
    await fs.promises.rm(tmp, { recursive: true, force: true });
    if (error instanceof StudioError) throw error;
    throw new StudioError('GRAPH_BUILD_FAILED', `Building graph "${key}" failed: ${(error as Error)?.message ?? error}.`, { cause: error });
  }
}
