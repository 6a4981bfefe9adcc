/**
 * Checks the model in the Hugging Face cache without the network: every snapshot entry links to a
 * blob named by the Hub's id (sha256 for LFS files, git blob sha1 for small ones), so hashing the
 * blob and comparing with its own name proves it intact. `repair` removes what is damaged, so the
 * next download fetches exactly those files again.
 */
import { createHash, type Hash } from 'node:crypto';
import { join } from 'node:path';
import { StudioError } from '../../shared/errors';
import { blobPath, pointedEtag, readRef, repoCache, snapshotDir, type RepoCache } from './hubCache';
import { cancelled } from './hubClient';
import { hubCacheDir, hubModelFiles } from './modelFiles';
import { isCommitId, modelRequirements } from './modelManifest';
import { nodeModelFs, type ModelFs } from './modelFs';

export type HashKind = 'sha256' | 'git-sha1';

export async function hashFile(fs: ModelFs, path: string, kind: HashKind, signal?: AbortSignal, onBytes?: (bytes: number) => void): Promise<string> {
  let hash: Hash;
  if (kind === 'sha256') hash = createHash('sha256');
  else {
    const size = await fs.targetSize(path);
    hash = createHash('sha1').update(`blob ${size ?? 0}\0`);
  }
  let bytes = 0;
  for await (const chunk of fs.read(path)) {
    if (signal?.aborted) throw cancelled();
    hash.update(chunk);
    bytes += chunk.length;
    onBytes?.(bytes);
  }
  return hash.digest('hex');
}

export type VerifiedFileStatus = 'ok' | 'corrupt' | 'missing' | 'unverifiable';

export interface VerifiedFile {
  repo: string;
  path: string;
  size: number;
  status: VerifiedFileStatus;
}

export interface ModelVerifyReport {
  hubCache: string;
  ok: boolean;
  files: VerifiedFile[];
  /** One sentence per problem, each with what to do. */
  problems: string[];
  /** Files removed by `repair` (the next download fetches them). */
  removed: string[];
}

export interface ModelVerifyOptions {
  hubCache?: string;
  revisions?: Record<string, string>;
  repair?: boolean;
  signal?: AbortSignal;
  onProgress?: (event: { type: 'verify-file'; repo: string; path: string; index: number; of: number; size: number }) => void;
  env?: NodeJS.ProcessEnv;
  fs?: ModelFs;
}

async function walk(fs: ModelFs, dir: string, prefix = ''): Promise<string[]> {
  const out: string[] = [];
  for (const name of (await fs.readdir(dir)).sort()) {
    const rel = prefix ? `${prefix}/${name}` : name;
    const info = await fs.info(join(dir, name));
    if (!info) continue;
    if (!info.isFile && !info.isSymlink) out.push(...(await walk(fs, join(dir, name), rel)));
    else out.push(rel);
  }
  return out;
}

async function checkEntry(fs: ModelFs, rc: RepoCache, pointer: string, signal?: AbortSignal): Promise<{ status: VerifiedFileStatus; blob: string | null; size: number }> {
  const etag = await pointedEtag(fs, pointer);
  const size = (await fs.targetSize(pointer)) ?? 0;
  if (etag) {
    if ((await fs.targetSize(blobPath(rc, etag))) === null) return { status: 'missing', blob: null, size };
    const actual = await hashFile(fs, blobPath(rc, etag), etag.length === 64 ? 'sha256' : 'git-sha1', signal);
    return { status: actual === etag ? 'ok' : 'corrupt', blob: blobPath(rc, etag), size };
  }
  // A copy (no symlinks on this system): intact when its hash names a blob the download verified.
  for (const kind of ['sha256', 'git-sha1'] as const) {
    const digest = await hashFile(fs, pointer, kind, signal);
    if ((await fs.targetSize(blobPath(rc, digest))) !== null) return { status: 'ok', blob: null, size };
  }
  return { status: 'unverifiable', blob: null, size };
}

export async function verifyModel(opts: ModelVerifyOptions = {}): Promise<ModelVerifyReport> {
  const fs = opts.fs ?? nodeModelFs;
  const env = opts.env ?? process.env;
  const hubCache = opts.hubCache ?? hubCacheDir(env);
  const files: VerifiedFile[] = [];
  const problems: string[] = [];
  const removed: string[] = [];
  const fix = opts.repair ? 'It was removed: run `flashworld model download` to fetch it again.' : 'Run `flashworld model verify --repair`, then `flashworld model download`.';

  for (const req of modelRequirements(opts.revisions)) {
    const rc = repoCache(hubCache, req.repo);
    const commit = isCommitId(req.revision) ? req.revision : await readRef(fs, rc, req.revision);
    const dir = commit ? snapshotDir(rc, commit) : null;
    const entries = dir ? (await walk(fs, dir)).filter((p) => req.wants(p)) : [];
    if (!entries.length) {
      problems.push(`${req.repo} (${req.label}) is not downloaded at revision ${req.revision}: run \`flashworld model download\`.`);
      continue;
    }
    for (const [index, path] of entries.entries()) {
      if (opts.signal?.aborted) throw cancelled();
      const pointer = join(dir!, ...path.split('/'));
      opts.onProgress?.({ type: 'verify-file', repo: req.repo, path, index, of: entries.length, size: (await fs.targetSize(pointer)) ?? 0 });
      const { status, blob, size } = await checkEntry(fs, rc, pointer, opts.signal);
      files.push({ repo: req.repo, path, size, status });
      if (status === 'ok') continue;
      problems.push(
        status === 'corrupt'
          ? `${path} of ${req.repo} is damaged (its content no longer matches the Hub's id). ${fix}`
          : status === 'missing'
            ? `${path} of ${req.repo} points at a blob that is gone. ${fix}`
            : `${path} of ${req.repo} is a copy that matches no downloaded blob, so it is damaged or foreign. ${fix}`,
      );
      if (opts.repair) {
        if (blob) await fs.remove(blob);
        await fs.remove(pointer);
        removed.push(`${req.repo}/${path}`);
      }
    }
  }
  if (!problems.length) {
    try {
      hubModelFiles({ ...env, HF_HUB_CACHE: hubCache });
    } catch (e) {
      if (!(e instanceof StudioError)) throw e;
      problems.push(e.message);
    }
  }
  return { hubCache, ok: problems.length === 0, files, problems, removed };
}
