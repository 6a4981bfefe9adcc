/**
 * The two Hub endpoints the downloader needs, over Node's fetch:
 *  - GET {endpoint}/api/models/{repo}/revision/{rev}?blobs=true → the commit id and every file with
 *    its size, git blob id and, for LFS files, the sha256 of the content;
 *  - GET {endpoint}/{repo}/resolve/{commit}/{path} → the bytes. LFS files answer 302 to a CDN with
 *    X-Linked-Etag (the sha256), X-Linked-Size and X-Repo-Commit; small files answer 200 with their
 *    git blob id as ETag. Redirects are followed by hand so the token never leaves the Hub's origin
 *    (signed CDN URLs must not carry it), as huggingface_hub does.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { StudioError } from '../../shared/errors';
import { hfHomeDir } from './modelFiles';
import { checkEtag, checkRepoPath } from './hubCache';
import { hubHttpError, isRetryableStatus, networkErrorCode, unreachableError, type HubRequestContext } from './hubErrors';

export const DEFAULT_HUB_ENDPOINT = 'https://huggingface.co';

export function hubEndpoint(env: NodeJS.ProcessEnv = process.env): string {
  return (env.HF_ENDPOINT || DEFAULT_HUB_ENDPOINT).replace(/\/+$/, '');
}

/** An explicit token, else HF_TOKEN, else the file `hf auth login` writes (HF_TOKEN_PATH or $HF_HOME/token). */
export function resolveHubToken(explicit: string | undefined, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const fromEnv = explicit ?? env.HF_TOKEN ?? env.HUGGING_FACE_HUB_TOKEN;
  if (fromEnv?.trim()) return fromEnv.trim();
  try {
    const stored = readFileSync(env.HF_TOKEN_PATH ?? join(hfHomeDir(env), 'token'), 'utf8').trim();
    return stored || undefined;
  } catch {
    return undefined;
  }
}

/** One file of a repo at a commit, as the Hub lists it. */
export interface RemoteFile {
  path: string;
  size: number;
  /** The blob's name in the cache: the LFS sha256, else the git blob sha1. */
  etag: string;
  /** True when `etag` is the sha256 of the content (LFS); else it is the git blob id. */
  lfs: boolean;
}

export interface RepoListing {
  repo: string;
  revision: string;
  commit: string;
  files: RemoteFile[];
}

const listingSchema = z.object({
  sha: z.string().regex(/^[0-9a-f]{40}$/),
  siblings: z.array(
    z.object({
      rfilename: z.string(),
      size: z.number().int().nonnegative().optional(),
      blobId: z.string().optional(),
      lfs: z.object({ sha256: z.string(), size: z.number().int().nonnegative() }).nullish(),
    }),
  ),
});

export interface OpenedFile {
  /** 206 when the Range was honoured, 200 when the whole file comes. */
  status: 200 | 206 | 416;
  /** First byte of the body within the file. */
  start: number;
  /** From X-Linked-Etag, else ETag (quotes and W/ removed). */
  etag: string | null;
  commit: string | null;
  body: ReadableStream<Uint8Array> | null;
}

export interface HubClientOptions {
  endpoint?: string;
  token?: string;
  /** Tests and other transports may pass their own. */
  fetch?: typeof fetch;
  /** Tries for the listing on network errors and 429/5xx. */
  retries?: number;
  retryDelayMs?: number;
}

export function normalizeEtag(value: string | null): string | null {
  if (!value) return null;
  return value.replace(/^W\//, '').replace(/^"|"$/g, '');
}

const MAX_REDIRECTS = 10;

export class HubClient {
  readonly endpoint: string;
  private readonly token: string | undefined;
  private readonly fetchFn: typeof fetch;
  private readonly retries: number;
  private readonly retryDelayMs: number;

  constructor(options: HubClientOptions = {}) {
    this.endpoint = (options.endpoint ?? hubEndpoint()).replace(/\/+$/, '');
    this.token = options.token;
    this.fetchFn = options.fetch ?? fetch;
    // Short: the listing is the first request, and an offline user should hear so within seconds.
    this.retries = options.retries ?? 2;
    this.retryDelayMs = options.retryDelayMs ?? 500;
  }

  get hasToken(): boolean {
    return Boolean(this.token);
  }

  context(repo: string, revision: string, path?: string): HubRequestContext {
    return { endpoint: this.endpoint, repo, revision, path, hasToken: this.hasToken };
  }

  private headersFor(url: URL, extra: Record<string, string> = {}): Record<string, string> {
    // Identity encoding: sizes, ranges and hashes are of the file's own bytes, never of a gzip of them.
    const headers: Record<string, string> = { 'Accept-Encoding': 'identity', 'User-Agent': 'flashworld-studio', ...extra };
    if (this.token && url.origin === new URL(this.endpoint).origin) headers.Authorization = `Bearer ${this.token}`;
    return headers;
  }

  /** The commit a revision names and every file there, with sizes and content ids. */
  async listFiles(repo: string, revision: string, signal?: AbortSignal): Promise<RepoListing> {
    const url = new URL(`${this.endpoint}/api/models/${repo}/revision/${encodeURIComponent(revision)}?blobs=true`);
    const ctx = this.context(repo, revision);
    for (let attempt = 0; ; attempt++) {
      let res: Response;
      try {
        res = await this.fetchFn(url, { headers: this.headersFor(url, { Accept: 'application/json' }), signal });
      } catch (e) {
        if (signal?.aborted) throw cancelled(e);
        const code = networkErrorCode(e);
        if (!code) throw e;
        if (attempt >= this.retries) throw unreachableError(this.endpoint, code, e);
        await sleep(this.retryDelayMs * 2 ** attempt, signal);
        continue;
      }
      if (!res.ok) {
        await res.body?.cancel();
        if (isRetryableStatus(res.status) && attempt < this.retries) {
          await sleep(this.retryDelayMs * 2 ** attempt, signal);
          continue;
        }
        throw hubHttpError(res.status, res.headers, ctx);
      }
      return parseListing(repo, revision, await res.json().catch(() => null), this.endpoint);
    }
  }

  /**
   * Starts fetching a file from byte `start`. Errors from the Hub become StudioErrors; network
   * errors are thrown as they are (the downloader retries them).
   */
  async openFile(repo: string, commit: string, path: string, start: number, signal?: AbortSignal): Promise<OpenedFile> {
    let url = new URL(`${this.endpoint}/${repo}/resolve/${encodeURIComponent(commit)}/${path.split('/').map(encodeURIComponent).join('/')}`);
    const hubOrigin = new URL(this.endpoint).origin;
    let linkedEtag: string | null = null;
    let hubEtag: string | null = null;
    let repoCommit: string | null = null;
    for (let hop = 0; hop <= MAX_REDIRECTS; hop++) {
      const res = await this.fetchFn(url, {
        redirect: 'manual',
        signal,
        headers: this.headersFor(url, start > 0 ? { Range: `bytes=${start}-` } : {}),
      });
      linkedEtag ??= normalizeEtag(res.headers.get('x-linked-etag'));
      // A CDN's own ETag (an S3 md5, say) is not the Hub's id: only the Hub's origin speaks for the file.
      if (url.origin === hubOrigin) hubEtag = normalizeEtag(res.headers.get('etag')) ?? hubEtag;
      repoCommit ??= res.headers.get('x-repo-commit');
      if (res.status >= 300 && res.status < 400) {
        await res.body?.cancel();
        const location = res.headers.get('location');
        if (!location) throw new StudioError('HUB_UNAVAILABLE', `${this.endpoint} redirected ${path} of ${repo} nowhere (no Location header). Check HF_ENDPOINT.`);
        url = new URL(location, url);
        continue;
      }
      if (res.status === 416) {
        await res.body?.cancel();
        return { status: 416, start, etag: linkedEtag, commit: repoCommit, body: null };
      }
      if (res.status !== 200 && res.status !== 206) {
        await res.body?.cancel();
        const error = hubHttpError(res.status, res.headers, this.context(repo, commit, path));
        throw isRetryableStatus(res.status) ? new RetryableHubError(error) : error;
      }
      const etag = linkedEtag ?? hubEtag;
      const bodyStart = res.status === 206 ? rangeStart(res.headers.get('content-range')) : 0;
      return { status: res.status, start: bodyStart ?? -1, etag, commit: repoCommit, body: res.body };
    }
    throw new StudioError('HUB_UNAVAILABLE', `Too many redirects fetching ${path} of ${repo} from ${this.endpoint}. Check HF_ENDPOINT and any proxy.`);
  }
}

/** A 429/5xx answer: worth retrying; `error` is what to report when the retries run out. */
export class RetryableHubError extends Error {
  readonly code = 'HUB_RETRYABLE';
  constructor(readonly error: StudioError) {
    super(error.message);
  }
}

function rangeStart(contentRange: string | null): number | null {
  const m = /^bytes (\d+)-\d+\/(\d+|\*)$/.exec(contentRange ?? '');
  return m ? Number(m[1]) : null;
}

function parseListing(repo: string, revision: string, json: unknown, endpoint: string): RepoListing {
  const parsed = listingSchema.safeParse(json);
  if (!parsed.success) {
    throw new StudioError('HUB_UNAVAILABLE', `The file list of ${repo} from ${endpoint} is not in the Hub's format. Check HF_ENDPOINT points at a Hugging Face Hub.`);
  }
  const files: RemoteFile[] = parsed.data.siblings.map((s) => {
    const path = checkRepoPath(s.rfilename);
    if (s.lfs) return { path, size: s.lfs.size, etag: checkEtag(s.lfs.sha256, path), lfs: true };
    if (s.size === undefined || !s.blobId) {
      throw new StudioError('HUB_UNAVAILABLE', `The Hub listed ${path} of ${repo} without its size or id. Check HF_ENDPOINT points at a Hugging Face Hub.`);
    }
    return { path, size: s.size, etag: checkEtag(s.blobId, path), lfs: false };
  });
  return { repo, revision, commit: parsed.data.sha, files };
}

export function cancelled(cause?: unknown): StudioError {
  return new StudioError('CANCELLED', 'The download was cancelled. Finished files are kept and partial ones resume on the next download.', { cause });
}

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (ms <= 0) return signal?.aborted ? Promise.reject(cancelled()) : Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(cancelled());
    };
    if (signal?.aborted) onAbort();
    else signal?.addEventListener('abort', onAbort, { once: true });
  });
}
