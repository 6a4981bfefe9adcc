/**
 * The Hugging Face cache layout, written the way huggingface_hub writes it, so the Python tools
 * (diffusers, `hf cache scan`, upstream's app.py) and this studio share one copy of the weights:
 *
 *   <hub cache>/models--<org>--<name>/
 *     blobs/<etag>                  file contents, named by the Hub's id (sha256 for LFS files,
 *                                   git blob sha1 for small ones)
 *     blobs/<etag>.incomplete       a download in progress; resumed from its size
 *     snapshots/<commit>/<path>     relative symlink to ../../blobs/<etag> (a copy where symlinks
 *                                   are not allowed, as huggingface_hub does on Windows)
 *     refs/<branch>                 the commit id a branch pointed to
 *   <hub cache>/.locks/models--<org>--<name>/<etag>.flashworld.lock
 */
import { dirname, join, relative } from 'node:path';
import { StudioError } from '../../shared/errors';
import type { ModelFs } from './modelFs';
import { isProcessAlive } from '../processAlive';

export interface RepoCache {
  repo: string;
  storage: string;
  blobs: string;
  snapshots: string;
  refs: string;
  locks: string;
}

export function repoFolderName(repo: string): string {
  return `models--${repo.split('/').join('--')}`;
}

export function repoCache(hubCache: string, repo: string): RepoCache {
  const storage = join(hubCache, repoFolderName(repo));
  return {
    repo,
    storage,
    blobs: join(storage, 'blobs'),
    snapshots: join(storage, 'snapshots'),
    refs: join(storage, 'refs'),
    locks: join(hubCache, '.locks', repoFolderName(repo)),
  };
}

/** Etags become file names: only the Hub's hex ids are accepted. */
export function checkEtag(etag: string, what: string): string {
  if (!/^[0-9a-f]{40}$|^[0-9a-f]{64}$/.test(etag)) {
    throw new StudioError('HUB_UNAVAILABLE', `The Hub sent "${etag}" as the id of ${what}, which is not a sha1 or sha256. Check HF_ENDPOINT points at a Hugging Face Hub.`);
  }
  return etag;
}

/** Repo paths become file paths: nothing absolute, no `..`, no empty parts. */
export function checkRepoPath(path: string): string {
  const parts = path.split('/');
  if (!path || path.startsWith('/') || path.includes('\\') || parts.some((p) => p === '' || p === '.' || p === '..')) {
    throw new StudioError('HUB_UNAVAILABLE', `The Hub listed a file named "${path}", which is not a safe relative path. Check HF_ENDPOINT points at a Hugging Face Hub.`);
  }
  return path;
}

export const blobPath = (rc: RepoCache, etag: string): string => join(rc.blobs, etag);
export const incompletePath = (rc: RepoCache, etag: string): string => join(rc.blobs, `${etag}.incomplete`);
export const snapshotDir = (rc: RepoCache, commit: string): string => join(rc.snapshots, commit);
export const pointerPath = (rc: RepoCache, commit: string, path: string): string => join(rc.snapshots, commit, ...path.split('/'));

/** The blob a snapshot entry points at (its etag), or null for a copy or nothing. */
export async function pointedEtag(fs: ModelFs, pointer: string): Promise<string | null> {
  const target = await fs.readlink(pointer);
  if (!target) return null;
  const name = target.split(/[\\/]/).pop() ?? '';
  return /^[0-9a-f]{40}$|^[0-9a-f]{64}$/.test(name) ? name : null;
}

function symlinkRefused(e: unknown): boolean {
  const code = (e as NodeJS.ErrnoException).code;
  return code === 'EPERM' || code === 'EACCES' || code === 'ENOTSUP' || code === 'EOPNOTSUPP' || code === 'ENOSYS';
}

/**
 * Makes snapshots/<commit>/<path> point at the blob: a relative symlink (survives moving the whole
 * cache), or a copy where the file system or OS refuses symlinks.
 */
export async function linkSnapshotFile(fs: ModelFs, rc: RepoCache, commit: string, path: string, etag: string): Promise<'symlink' | 'copy'> {
  const pointer = pointerPath(rc, commit, path);
  const blob = blobPath(rc, etag);
  if ((await pointedEtag(fs, pointer)) === etag && (await fs.targetSize(pointer)) !== null) return 'symlink';
  await fs.mkdir(dirname(pointer));
  const tmp = `${pointer}.${process.pid}.linking`;
  await fs.remove(tmp);
  try {
    await fs.symlink(relative(dirname(pointer), blob), tmp);
    await fs.rename(tmp, pointer);
    return 'symlink';
  } catch (e) {
    await fs.remove(tmp);
    if (!symlinkRefused(e)) throw e;
  }
  await fs.copyFile(blob, tmp);
  await fs.rename(tmp, pointer);
  return 'copy';
}

export async function readRef(fs: ModelFs, rc: RepoCache, name: string): Promise<string | null> {
  const text = await fs.readText(join(rc.refs, name));
  return text === null ? null : text.trim();
}

export async function writeRef(fs: ModelFs, rc: RepoCache, name: string, commit: string): Promise<void> {
  await fs.mkdir(dirname(join(rc.refs, name)));
  await fs.writeTextAtomic(join(rc.refs, name), commit);
}

/** Locks this process holds right now. */
const heldLocks = new Set<string>();

/**
 * Takes the per-blob lock, so two processes (the studio and the CLI, say) never append to the same
 * .incomplete file. A lock left by a process that died is taken over. Returns the release function.
 */
export async function lockBlob(fs: ModelFs, rc: RepoCache, etag: string, fileLabel: string): Promise<() => Promise<void>> {
  await fs.mkdir(rc.locks);
  const lock = join(rc.locks, `${etag}.flashworld.lock`);
  for (let attempt = 0; attempt < 2; attempt++) {
    if (await fs.createExclusive(lock, String(process.pid))) {
      heldLocks.add(lock);
      return async () => {
        heldLocks.delete(lock);
        await fs.remove(lock);
      };
    }
    const owner = Number((await fs.readText(lock))?.trim());
    if (heldLocks.has(lock)) {
      throw new StudioError('DOWNLOAD_LOCKED', `${fileLabel} is already being downloaded by this program. Wait for that download to finish.`);
    }
    // Our own pid in a lock we don't hold is a leftover of an earlier process that had the same pid.
    if (Number.isInteger(owner) && owner > 0 && owner !== process.pid && isProcessAlive(owner)) {
      throw new StudioError(
        'DOWNLOAD_LOCKED',
        `${fileLabel} is being downloaded by another process (pid ${owner}). Wait for it to finish, or stop it and run the download again.`,
      );
    }
    await fs.remove(lock);
  }
  throw new StudioError('DOWNLOAD_LOCKED', `Could not take the download lock ${lock}. Delete it if no download is running, then try again.`);
}
