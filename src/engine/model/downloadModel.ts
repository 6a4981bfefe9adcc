/**
 * The model manager's download: list what the pinned revisions hold, see what the cache already
 * has, check the disk has room for the rest, fetch it (a few files at a time, each resumable and
 * verified), then link snapshots/<commit>/<path> and write refs — in the Hugging Face cache, so
 * Python tools and this studio share one copy.
 */
import { StudioError } from '../../shared/errors';
import { blobPath, incompletePath, linkSnapshotFile, pointerPath, readRef, repoCache, writeRef, type RepoCache } from './hubCache';
import { cancelled, HubClient, hubEndpoint, resolveHubToken, type RemoteFile } from './hubClient';
import { downloadBlob } from './downloadBlob';
import { formatBytes } from '../../shared/formatBytes';
import { hubCacheDir, hubModelFiles, type ModelFiles } from './modelFiles';
import { isCommitId, modelRequirements } from './modelManifest';
import { nodeModelFs, type ModelFs } from './modelFs';
import { hashFile } from './verifyModel';

export interface ModelDownloadOptions {
  /** Defaults to HF_HUB_CACHE, else $HF_HOME/hub, else ~/.cache/huggingface/hub. */
  hubCache?: string;
  /** Defaults to HF_ENDPOINT, else https://huggingface.co. */
  endpoint?: string;
  /** For gated or private repos; defaults to HF_TOKEN or the token `hf auth login` saved. */
  token?: string;
  /** Repo → revision, replacing the pinned ones. */
  revisions?: Record<string, string>;
  /** Hash files already in the cache too (slow: ~15 GB) and fetch again the ones that differ. */
  verifyExisting?: boolean;
  signal?: AbortSignal;
  onProgress?: (event: ModelDownloadEvent) => void;
  /** Files fetched at once (default 3). */
  concurrency?: number;
  /** Least time between two `progress` events (default 250 ms; file ends always report). */
  progressIntervalMs?: number;
  retries?: number;
  retryDelayMs?: number;
  stallTimeoutMs?: number;
  env?: NodeJS.ProcessEnv;
  /** The file system (tests inject failures) and fetch (tests and other transports). */
  fs?: ModelFs;
  fetch?: typeof fetch;
}

export type PlannedFileState = 'cached' | 'partial' | 'missing' | 'damaged';

export interface PlannedFile {
  repo: string;
  commit: string;
  path: string;
  size: number;
  etag: string;
  lfs: boolean;
  state: PlannedFileState;
  /** Bytes of a `.incomplete` file the download will resume from. */
  partialBytes: number;
}

export interface DownloadPlan {
  hubCache: string;
  endpoint: string;
  repos: { repo: string; revision: string; commit: string; label: string }[];
  files: PlannedFile[];
  totalBytes: number;
  cachedBytes: number;
  /** What still has to come over the network (partial files count only their missing part). */
  toDownloadBytes: number;
  freeBytes: number;
}

export type ModelDownloadEvent =
  | { type: 'plan'; plan: DownloadPlan }
  | { type: 'verify-start'; repo: string; path: string; size: number }
  | { type: 'file-start'; repo: string; path: string; size: number; resumeFromBytes: number }
  | { type: 'progress'; repo: string; path: string; fileBytes: number; fileSize: number; doneBytes: number; totalBytes: number; bytesPerSecond: number }
  | { type: 'file-retry'; repo: string; path: string; attempt: number; reason: string; atBytes: number }
  | { type: 'file-corrupt'; repo: string; path: string; where: 'download' | 'cache'; expected: string; actual: string }
  | { type: 'file-done'; repo: string; path: string; size: number; reused: boolean }
  | { type: 'done'; downloadedBytes: number; reusedBytes: number; seconds: number };

export interface ModelDownloadResult {
  plan: DownloadPlan;
  downloadedBytes: number;
  reusedBytes: number;
  seconds: number;
  /** The downloaded model, ready for createFlashWorldRuntime({ model: 'hub' }). */
  files: ModelFiles;
}

/** Room kept free beyond the download itself, for the graph cache's first files and the OS. */
const SPARE_BYTES = 256 * 1024 * 1024;

async function fileState(fs: ModelFs, rc: RepoCache, file: RemoteFile): Promise<{ state: PlannedFileState; partialBytes: number }> {
  const blobSize = await fs.targetSize(blobPath(rc, file.etag));
  if (blobSize === file.size) return { state: 'cached', partialBytes: 0 };
  const partial = (await fs.targetSize(incompletePath(rc, file.etag))) ?? 0;
  const partialBytes = partial <= file.size ? partial : 0;
  if (blobSize !== null) return { state: 'damaged', partialBytes };
  return { state: partialBytes > 0 ? 'partial' : 'missing', partialBytes };
}

function clientFor(opts: ModelDownloadOptions): HubClient {
  const env = opts.env ?? process.env;
  return new HubClient({
    endpoint: opts.endpoint ?? hubEndpoint(env),
    token: resolveHubToken(opts.token, env),
    fetch: opts.fetch,
    retryDelayMs: opts.retryDelayMs,
  });
}

/** What the download would do (network: the Hub's file lists; no writes). */
export async function planModelDownload(opts: ModelDownloadOptions = {}): Promise<DownloadPlan> {
  return planWith(clientFor(opts), opts);
}

async function planWith(client: HubClient, opts: ModelDownloadOptions): Promise<DownloadPlan> {
  const fs = opts.fs ?? nodeModelFs;
  const hubCache = opts.hubCache ?? hubCacheDir(opts.env ?? process.env);
  const repos: DownloadPlan['repos'] = [];
  const files: PlannedFile[] = [];
  for (const req of modelRequirements(opts.revisions)) {
    const listing = await client.listFiles(req.repo, req.revision, opts.signal);
    const wanted = listing.files.filter((f) => req.wants(f.path));
    if (!wanted.length) {
      throw new StudioError('HUB_NOT_FOUND', `${req.repo} at revision ${req.revision} holds none of the files FlashWorld needs (${req.label}). Download another revision, e.g. --revision ${req.repo}=main.`);
    }
    repos.push({ repo: req.repo, revision: req.revision, commit: listing.commit, label: req.label });
    const rc = repoCache(hubCache, req.repo);
    for (const f of wanted) files.push({ repo: req.repo, commit: listing.commit, ...f, ...(await fileState(fs, rc, f)) });
  }
  const totalBytes = sum(files.map((f) => f.size));
  const cachedBytes = sum(files.filter((f) => f.state === 'cached').map((f) => f.size));
  const toDownloadBytes = sum(files.filter((f) => f.state !== 'cached').map((f) => f.size - f.partialBytes));
  return { hubCache, endpoint: client.endpoint, repos, files, totalBytes, cachedBytes, toDownloadBytes, freeBytes: await fs.freeBytes(hubCache) };
}

const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);

/** Bytes per second over the last few seconds. */
class RateMeter {
  private samples: { t: number; bytes: number }[] = [];
  add(bytes: number): number {
    const t = Date.now();
    this.samples.push({ t, bytes });
    while (this.samples.length > 2 && t - this.samples[0].t > 5000) this.samples.shift();
    const first = this.samples[0];
    return t > first.t ? ((bytes - first.bytes) * 1000) / (t - first.t) : 0;
  }
}

/** Downloads what is missing, verifies it, and links the snapshots. Safe to call again after any failure. */
export async function downloadModel(opts: ModelDownloadOptions = {}): Promise<ModelDownloadResult> {
  const started = Date.now();
  const fs = opts.fs ?? nodeModelFs;
  const client = clientFor(opts);
  const emit = (e: ModelDownloadEvent) => opts.onProgress?.(e);
  const plan = await planWith(client, opts);
  emit({ type: 'plan', plan });

  if (plan.toDownloadBytes > 0 && plan.freeBytes < plan.toDownloadBytes + SPARE_BYTES) {
    throw new StudioError(
      'DISK_FULL',
      `Not enough free disk space in ${plan.hubCache}: the download needs ${formatBytes(plan.toDownloadBytes)} (plus ${formatBytes(SPARE_BYTES)} to spare) and ${formatBytes(plan.freeBytes)} are free. Free up space, or set HF_HUB_CACHE (or HF_HOME) to a disk with more room.`,
    );
  }

  // Everything else stops when one file fails, so the error that matters is the one reported.
  const stop = new AbortController();
  const signal = opts.signal ? AbortSignal.any([opts.signal, stop.signal]) : stop.signal;
  const fileBytes = new Map<PlannedFile, number>();
  let doneBytes = plan.cachedBytes;
  let downloadedBytes = 0;
  let reusedBytes = 0;
  let lastEmit = 0;
  const meter = new RateMeter();
  const interval = opts.progressIntervalMs ?? 250;
  let receivedTotal = 0;

  const report = (file: PlannedFile, bytes: number, force: boolean) => {
    const before = fileBytes.get(file);
    fileBytes.set(file, bytes);
    doneBytes += bytes - (before ?? 0);
    // The first report of a file is what a resume starts from: on disk already, not received now.
    if (before !== undefined && bytes > before) receivedTotal += bytes - before;
    const rate = meter.add(receivedTotal);
    const now = Date.now();
    if (!force && now - lastEmit < interval) return;
    lastEmit = now;
    emit({ type: 'progress', repo: file.repo, path: file.path, fileBytes: bytes, fileSize: file.size, doneBytes, totalBytes: plan.totalBytes, bytesPerSecond: rate });
  };

  const blobJobs = new Map<string, Promise<void>>();
  const fetchOne = async (file: PlannedFile) => {
    const rc = repoCache(plan.hubCache, file.repo);
    if (file.state === 'cached' && opts.verifyExisting) {
      emit({ type: 'verify-start', repo: file.repo, path: file.path, size: file.size });
      const actual = await hashFile(fs, blobPath(rc, file.etag), file.lfs ? 'sha256' : 'git-sha1', signal);
      if (actual !== file.etag) {
        emit({ type: 'file-corrupt', repo: file.repo, path: file.path, where: 'cache', expected: file.etag, actual });
        await fs.remove(blobPath(rc, file.etag));
        doneBytes -= file.size;
        file.state = 'damaged';
      }
    }
    if (file.state === 'damaged') await fs.remove(blobPath(rc, file.etag));
    const sameBlob = blobJobs.get(`${file.repo}:${file.etag}`);
    if (file.state !== 'cached' && sameBlob) {
      // Two paths with identical content share one blob: fetch it once, link it twice.
      await sameBlob;
      report(file, file.size, true);
    } else if (file.state !== 'cached') {
      emit({ type: 'file-start', repo: file.repo, path: file.path, size: file.size, resumeFromBytes: file.partialBytes });
      const resumedFrom = file.partialBytes;
      const job = downloadBlob({
        client,
        fs,
        rc,
        commit: file.commit,
        file,
        signal,
        retries: opts.retries,
        retryDelayMs: opts.retryDelayMs,
        stallTimeoutMs: opts.stallTimeoutMs,
        onBytes: (bytes) => report(file, bytes, false),
        onEvent: (e) => {
          if (e.type === 'retry') emit({ type: 'file-retry', repo: file.repo, path: file.path, attempt: e.attempt, reason: e.reason, atBytes: e.atBytes });
          if (e.type === 'corrupt') emit({ type: 'file-corrupt', repo: file.repo, path: file.path, where: 'download', expected: e.expected, actual: e.actual });
        },
      });
      blobJobs.set(`${file.repo}:${file.etag}`, job);
      await job;
      report(file, file.size, true);
      downloadedBytes += file.size - resumedFrom;
    }
    await linkSnapshotFile(fs, rc, file.commit, file.path, file.etag);
    if (file.state === 'cached') reusedBytes += file.size;
    emit({ type: 'file-done', repo: file.repo, path: file.path, size: file.size, reused: file.state === 'cached' });
  };

  // Small files first: configs and tokenizers are in place early, and the bar moves at once.
  const queue = [...plan.files].sort((a, b) => a.size - b.size);
  let firstError: unknown = null;
  const worker = async () => {
    for (let file = queue.shift(); file && !firstError; file = queue.shift()) {
      try {
        await fetchOne(file);
      } catch (e) {
        if (!firstError || isStudioCancel(firstError)) firstError = e;
        stop.abort();
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, opts.concurrency ?? 3) }, worker));
  if (firstError) throw explainFailure(firstError, plan, fileBytes, opts.signal);

  for (const repo of plan.repos) await writeRefs(fs, repoCache(plan.hubCache, repo.repo), repo.revision, repo.commit);
  const seconds = (Date.now() - started) / 1000;
  emit({ type: 'done', downloadedBytes, reusedBytes, seconds });
  return { plan, downloadedBytes, reusedBytes, seconds, files: hubModelFiles({ ...(opts.env ?? process.env), HF_HUB_CACHE: plan.hubCache }) };
}

/**
 * huggingface_hub records a branch's commit in refs/<branch>. For a pinned commit we also write
 * refs/main when there is none, so tools that resolve `main` offline (diffusers' from_pretrained,
 * upstream app.py with HF_HUB_OFFLINE=1) find this snapshot; an existing refs/main is left alone.
 */
async function writeRefs(fs: ModelFs, rc: RepoCache, revision: string, commit: string): Promise<void> {
  if (!isCommitId(revision)) await writeRef(fs, rc, revision, commit);
  else if ((await readRef(fs, rc, 'main')) === null) await writeRef(fs, rc, 'main', commit);
}

function isStudioCancel(e: unknown): boolean {
  return e instanceof StudioError && e.code === 'CANCELLED';
}

function explainFailure(error: unknown, plan: DownloadPlan, fileBytes: Map<PlannedFile, number>, userSignal?: AbortSignal): unknown {
  if (userSignal?.aborted && !(error instanceof StudioError && error.code !== 'CANCELLED')) return cancelled(error);
  if (error instanceof StudioError && error.code === 'DISK_FULL') {
    const left = sum(plan.files.filter((f) => f.state !== 'cached').map((f) => f.size - (fileBytes.get(f) ?? f.partialBytes)));
    return new StudioError('DISK_FULL', `${error.message} ${formatBytes(left)} are still to download.`, { cause: error.cause });
  }
  return error;
}

/** The snapshot entry a planned file ends up at (for status displays). */
export function plannedFilePath(plan: DownloadPlan, file: PlannedFile): string {
  return pointerPath(repoCache(plan.hubCache, file.repo), file.commit, file.path);
}
