/**
 * Downloads one file of a repo into blobs/<etag>, the way that survives real networks and disks:
 *  - bytes go to blobs/<etag>.incomplete; a later run (or a retry after a dropped connection)
 *    continues from its size with an HTTP Range request;
 *  - the content is hashed as it is written (sha256 for LFS files, git's blob sha1 for small ones)
 *    and compared with the Hub's id before the file gets its final name, so nothing unverified is
 *    ever in blobs/<etag>;
 *  - a mismatch discards the partial file and fetches it once more from scratch;
 *  - a full disk stops with DISK_FULL and keeps the partial file for the resume.
 */
import { createHash, type Hash } from 'node:crypto';
import { StudioError } from '../../shared/errors';
import { blobPath, incompletePath, lockBlob, type RepoCache } from './hubCache';
import { cancelled, RetryableHubError, sleep, type HubClient, type RemoteFile } from './hubClient';
import { describeNetworkError, networkErrorCode } from './hubErrors';
import { isDiskFullError, type AppendWriter, type ModelFs } from './modelFs';
import { formatBytes } from '../../shared/formatBytes';

export type BlobEvent =
  | { type: 'resume'; fromBytes: number }
  | { type: 'retry'; attempt: number; reason: string; atBytes: number }
  | { type: 'corrupt'; expected: string; actual: string };

export interface BlobDownloadOptions {
  client: HubClient;
  fs: ModelFs;
  rc: RepoCache;
  commit: string;
  file: RemoteFile;
  signal?: AbortSignal;
  /** Bytes of this file received so far (written or about to be). */
  onBytes?: (bytes: number) => void;
  onEvent?: (event: BlobEvent) => void;
  /** Tries in a row without a single new byte before giving up (huggingface_hub: 5). */
  retries?: number;
  retryDelayMs?: number;
  /** A connection that delivers nothing for this long is dropped and retried. */
  stallTimeoutMs?: number;
}

/** Network chunks are ~16-64 KiB; writing them in MiB batches keeps syscalls rare on 10 GB files. */
const FLUSH_BYTES = 4 * 1024 * 1024;

function contentHash(file: RemoteFile): Hash {
  if (file.lfs) return createHash('sha256');
  // A git blob id is sha1("blob <size>\0" + content): small files are checked too.
  return createHash('sha1').update(`blob ${file.size}\0`);
}

class Stalled extends Error {
  readonly code = 'STALLED';
}

export async function downloadBlob(opts: BlobDownloadOptions): Promise<void> {
  const { fs, rc, file } = opts;
  const label = `${file.path} of ${rc.repo}`;
  if ((await fs.targetSize(blobPath(rc, file.etag))) === file.size) return;
  await fs.mkdir(rc.blobs);
  const release = await lockBlob(fs, rc, file.etag, label);
  try {
    // Another process may have finished it while we waited for nothing: check again under the lock.
    if ((await fs.targetSize(blobPath(rc, file.etag))) === file.size) return;
    for (let pass = 1; ; pass++) {
      const actual = await fetchToIncomplete(opts, label);
      if (actual === file.etag) {
        await fs.rename(incompletePath(rc, file.etag), blobPath(rc, file.etag));
        return;
      }
      await fs.remove(incompletePath(rc, file.etag));
      opts.onEvent?.({ type: 'corrupt', expected: file.etag, actual });
      if (pass >= 2) {
        throw new StudioError(
          'DOWNLOAD_CORRUPT',
          `${label} arrived damaged twice (its ${file.lfs ? 'sha256' : 'git id'} is ${actual}, the Hub says ${file.etag}). Something between this computer and the Hub alters files (a proxy or antivirus?): try another network, or set HF_ENDPOINT to a mirror. The damaged copy was deleted.`,
        );
      }
      opts.onBytes?.(0);
    }
  } finally {
    await release();
  }
}

/** Brings blobs/<etag>.incomplete to the full size; returns the hex digest of what it holds. */
async function fetchToIncomplete(opts: BlobDownloadOptions, label: string): Promise<string> {
  const { fs, rc, file, client, signal } = opts;
  const partPath = incompletePath(rc, file.etag);
  const maxRetries = opts.retries ?? 5;
  const stallMs = opts.stallTimeoutMs ?? 60_000;

  let existing = (await fs.targetSize(partPath)) ?? 0;
  if (existing > file.size) existing = 0;
  let hash = contentHash(file);
  if (existing > 0) {
    // The bytes already there were verified by no one: they go into the hash like new ones.
    let hashed = 0;
    for await (const chunk of fs.read(partPath)) {
      hash.update(chunk);
      hashed += chunk.length;
    }
    existing = hashed;
    opts.onEvent?.({ type: 'resume', fromBytes: existing });
  }
  let writer: AppendWriter = await openWriter(fs, partPath, existing === 0, label, rc);
  let written = writer.startSize;
  if (written !== existing) {
    // The file changed between hashing and opening (it should not): start clean.
    await writer.close();
    writer = await openWriter(fs, partPath, true, label, rc);
    hash = contentHash(file);
    written = 0;
  }
  opts.onBytes?.(written);

  let pending: Uint8Array[] = [];
  let pendingBytes = 0;
  const flush = async () => {
    if (!pendingBytes) return;
    const data = pending.length === 1 ? pending[0] : Buffer.concat(pending, pendingBytes);
    pending = [];
    pendingBytes = 0;
    try {
      await writer.write(data);
    } catch (e) {
      throw diskError(e, label, written, file.size, rc);
    }
    hash.update(data);
    written += data.length;
  };
  const restartFromZero = async () => {
    pending = [];
    pendingBytes = 0;
    await writer.close();
    writer = await openWriter(fs, partPath, true, label, rc);
    hash = contentHash(file);
    written = 0;
    opts.onBytes?.(0);
  };

  let attempt = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const armStallTimer = () => {
    clearTimeout(timer);
    const current = attempt;
    timer = setTimeout(() => current.abort(new Stalled()), stallMs);
  };
  const streamBody = async (body: ReadableStream<Uint8Array> | null) => {
    if (!body) return;
    const reader = body.getReader();
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        armStallTimer();
        const room = file.size - written - pendingBytes;
        if (value.length > room) {
          // More bytes than the file has: keep what fits; the hash check then says it is wrong.
          pending.push(value.subarray(0, room));
          pendingBytes += room;
          await reader.cancel();
          break;
        }
        pending.push(value);
        pendingBytes += value.length;
        opts.onBytes?.(written + pendingBytes);
        if (pendingBytes >= FLUSH_BYTES) await flush();
      }
    } finally {
      reader.releaseLock();
    }
    await flush();
    if (written < file.size) throw Object.assign(new Error('the connection ended early'), { code: 'UND_ERR_SOCKET' });
  };

  try {
    let failuresInARow = 0;
    while (written < file.size) {
      if (signal?.aborted) throw cancelled();
      attempt = new AbortController();
      const attemptSignal = signal ? AbortSignal.any([signal, attempt.signal]) : attempt.signal;
      armStallTimer();
      const progressAt = written;
      try {
        const opened = await client.openFile(rc.repo, opts.commit, file.path, written, attemptSignal);
        if (opened.etag && opened.etag !== file.etag) {
          await opened.body?.cancel();
          throw new StudioError(
            'DOWNLOAD_CORRUPT',
            `The Hub served ${label} with id ${opened.etag}, but its file list says ${file.etag}. The repository changed under the download or HF_ENDPOINT is not a faithful mirror; run the download again.`,
          );
        }
        if (opened.status === 416 || (opened.status === 206 && opened.start !== written) || (opened.status === 200 && written > 0)) {
          // The server can't continue from our size (or chose to send everything): start this file over.
          await restartFromZero();
          if (opened.status !== 200) {
            await opened.body?.cancel();
            continue;
          }
        }
        await streamBody(opened.body);
      } catch (e) {
        if (e instanceof StudioError) throw e;
        if (signal?.aborted) {
          // Keep what arrived, so the next run resumes from it.
          await flush().catch(() => undefined);
          throw cancelled(e);
        }
        const code = attempt.signal.aborted ? 'STALLED' : e instanceof RetryableHubError ? 'HUB_RETRYABLE' : networkErrorCode(e);
        if (!code) throw e;
        await flush();
        failuresInARow = written > progressAt ? 1 : failuresInARow + 1;
        if (failuresInARow > maxRetries) {
          if (e instanceof RetryableHubError) throw e.error;
          throw new StudioError(
            'DOWNLOAD_INTERRUPTED',
            `Downloading ${label} kept failing (${describeNetworkError(code)}) at ${formatBytes(written)} of ${formatBytes(file.size)}. The partial file is kept: check the connection and run the download again to resume.`,
            { cause: e },
          );
        }
        const reason = e instanceof RetryableHubError ? 'the Hub answered with a server error' : describeNetworkError(code);
        opts.onEvent?.({ type: 'retry', attempt: failuresInARow, reason, atBytes: written });
        await sleep((opts.retryDelayMs ?? 1000) * 2 ** (failuresInARow - 1), signal);
      } finally {
        clearTimeout(timer);
      }
    }
  } finally {
    clearTimeout(timer);
    await writer.close().catch(() => undefined);
  }
  return hash.digest('hex');
}

async function openWriter(fs: ModelFs, path: string, truncate: boolean, label: string, rc: RepoCache): Promise<AppendWriter> {
  try {
    return await fs.openAppend(path, truncate);
  } catch (e) {
    throw diskError(e, label, 0, 0, rc);
  }
}

function diskError(e: unknown, label: string, written: number, size: number, rc: RepoCache): StudioError {
  if (isDiskFullError(e)) {
    return new StudioError(
      'DISK_FULL',
      `The disk holding ${rc.blobs} is full${size ? ` (${label} stopped at ${formatBytes(written)} of ${formatBytes(size)})` : ''}. The partial file is kept and the download resumes from it: free up space, or move the cache (HF_HUB_CACHE or HF_HOME) to a bigger disk, then run it again.`,
      { cause: e },
    );
  }
  const code = (e as NodeJS.ErrnoException).code ?? String(e);
  return new StudioError('IO_FAILED', `Could not write ${label} into ${rc.blobs} (${code}). Check that the cache folder is writable.`, { cause: e });
}
