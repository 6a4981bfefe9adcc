/**
 * A local HTTP server that speaks the parts of the Hugging Face Hub's file API the model manager
 * uses, with the same headers the real Hub sends, plus switches for the failures users hit:
 *
 *   GET  /api/models/{repo}/revision/{rev}?blobs=true   { sha, siblings: [{ rfilename, size, blobId, lfs? }] }
 *   GET|HEAD /{repo}/resolve/{rev}/{path}
 *        LFS file   → 302 to /cdn/{sha256}?sig=… with X-Linked-Etag, X-Linked-Size, X-Repo-Commit
 *        small file → 200/206 with ETag = git blob sha1, X-Repo-Commit
 *   GET|HEAD /cdn/{sha256}                               the bytes, with Range support and an S3-like ETag
 *   errors carry X-Error-Code (RepoNotFound, RevisionNotFound, EntryNotFound, GatedRepo)
 */
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';

export interface FakeRepo {
  repo: string;
  commit: string;
  /** Branch → commit (main defaults to `commit`). */
  branches?: Record<string, string>;
  files: Record<string, Uint8Array>;
  /** 'gated': needs a token whose account was granted; 'private': needs any valid token. */
  access?: 'public' | 'gated' | 'private';
}

export interface FileFault {
  /** Send this many bytes of the body, then cut the connection (one entry per request, in order). */
  dropAfter?: number[];
  /** Serve a damaged copy (one byte flipped) this many times. */
  corruptTimes?: number;
  /** Answer with this status this many times. */
  status?: { code: number; times: number; errorCode?: string };
  /** Send this many bytes, then go silent without closing (once). */
  stallAfter?: number;
  /** Answer Range requests with the whole file (200), like some proxies. */
  ignoreRange?: boolean;
}

export interface RecordedRequest {
  method: string;
  url: string;
  range: string | null;
  authorization: string | null;
  /** For content routes: the repo path served. */
  file?: string;
  bodyBytes: number;
}

export const gitBlobId = (data: Uint8Array) => createHash('sha1').update(`blob ${data.length}\0`).update(data).digest('hex');
export const sha256 = (data: Uint8Array) => createHash('sha256').update(data).digest('hex');

/** Like the Hub: weights and other big binaries are LFS; configs and text are plain git. */
function isLfs(path: string, data: Uint8Array): boolean {
  return /\.(safetensors|ckpt|bin|model)$/.test(path) || data.length > 10 * 1024 * 1024;
}

export class FakeHub {
  readonly requests: RecordedRequest[] = [];
  readonly faults = new Map<string, FileFault>();
  /** Tokens the server accepts; `grantedTokens` also open gated repos. */
  validTokens = new Set<string>(['hf_valid']);
  grantedTokens = new Set<string>(['hf_valid']);
  private server: Server | null = null;
  private cdnServer: Server | null = null;
  url = '';
  /** The CDN LFS files redirect to: another origin, as on the real Hub, so tokens must not follow. */
  cdnUrl = '';

  constructor(readonly repos: FakeRepo[]) {}

  async start(): Promise<string> {
    const listen = async () => {
      const server = createServer((req, res) => this.handle(req, res));
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
    };
    ({ server: this.server, url: this.url } = await listen());
    ({ server: this.cdnServer, url: this.cdnUrl } = await listen());
    return this.url;
  }

  async close(): Promise<void> {
    for (const server of [this.server, this.cdnServer]) {
      server?.closeAllConnections();
      await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
    }
  }

  /** GET requests that carried bytes of a repo file (resolve for small files, the CDN for LFS ones). */
  contentRequests(path: string): RecordedRequest[] {
    return this.requests.filter((r) => r.file === path && r.method === 'GET');
  }

  private fault(path: string): FileFault {
    let f = this.faults.get(path);
    if (!f) this.faults.set(path, (f = {}));
    return f;
  }

  setFault(path: string, fault: FileFault): void {
    this.faults.set(path, { ...this.fault(path), ...fault });
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? '/', this.url);
    const record: RecordedRequest = {
      method: req.method ?? 'GET',
      url: url.pathname + url.search,
      range: req.headers.range ?? null,
      authorization: req.headers.authorization ?? null,
      bodyBytes: 0,
    };
    this.requests.push(record);
    const path = decodeURIComponent(url.pathname);

    const api = /^\/api\/models\/([^/]+\/[^/]+)\/revision\/([^/]+)$/.exec(path);
    if (api) return this.listing(req, res, api[1], api[2]);
    const resolve = /^\/([^/]+\/[^/]+)\/resolve\/([^/]+)\/(.+)$/.exec(path);
    if (resolve) return this.resolve(req, res, record, resolve[1], resolve[2], resolve[3]);
    const cdn = /^\/cdn\/([0-9a-f]{64})$/.exec(path);
    if (cdn) {
      for (const r of this.repos) {
        for (const [p, data] of Object.entries(r.files)) {
          if (sha256(data) === cdn[1]) return this.serveBytes(req, res, record, p, data, { ETag: `"${createHash('md5').update(data).digest('hex')}"` });
        }
      }
    }
    res.writeHead(404).end('not found');
  }

  /** Access check shared by the API and resolve routes; false when it has answered. */
  private allowed(req: IncomingMessage, res: ServerResponse, repo: FakeRepo | undefined): repo is FakeRepo {
    const auth = req.headers.authorization;
    const token = auth?.startsWith('Bearer ') ? auth.slice(7) : null;
    if (token && !this.validTokens.has(token)) {
      res.writeHead(401, { 'X-Error-Message': 'Invalid credentials in Authorization header' }).end();
      return false;
    }
    if (!repo || (repo.access === 'private' && !token)) {
      res.writeHead(token ? 404 : 401, { 'X-Error-Code': 'RepoNotFound' }).end();
      return false;
    }
    if (repo.access === 'gated' && !(token && this.grantedTokens.has(token))) {
      res.writeHead(token ? 403 : 401, { 'X-Error-Code': 'GatedRepo' }).end();
      return false;
    }
    return true;
  }

  private commitOf(repo: FakeRepo, rev: string): string | null {
    if (rev === repo.commit) return repo.commit;
    return { main: repo.commit, ...repo.branches }[rev] ?? null;
  }

  private listing(req: IncomingMessage, res: ServerResponse, repoId: string, rev: string): void {
    const repo = this.repos.find((r) => r.repo === repoId);
    if (!this.allowed(req, res, repo)) return;
    const sha = this.commitOf(repo, rev);
    if (!sha) return void res.writeHead(404, { 'X-Error-Code': 'RevisionNotFound' }).end();
    const siblings = Object.entries(repo.files).map(([rfilename, data]) => ({
      rfilename,
      size: data.length,
      blobId: isLfs(rfilename, data) ? gitBlobId(Buffer.from(`pointer ${sha256(data)}`)) : gitBlobId(data),
      ...(isLfs(rfilename, data) ? { lfs: { sha256: sha256(data), size: data.length, pointerSize: 134 } } : {}),
    }));
    res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify({ id: repo.repo, sha, siblings }));
  }

  private resolve(req: IncomingMessage, res: ServerResponse, record: RecordedRequest, repoId: string, rev: string, path: string): void {
    const repo = this.repos.find((r) => r.repo === repoId);
    if (!this.allowed(req, res, repo)) return;
    const sha = this.commitOf(repo, rev);
    if (!sha) return void res.writeHead(404, { 'X-Error-Code': 'RevisionNotFound' }).end();
    const data = repo.files[path];
    if (!data) return void res.writeHead(404, { 'X-Error-Code': 'EntryNotFound' }).end();
    const status = this.fault(path).status;
    if (status && status.times > 0) {
      status.times--;
      return void res.writeHead(status.code, status.errorCode ? { 'X-Error-Code': status.errorCode } : {}).end();
    }
    if (isLfs(path, data)) {
      const digest = sha256(data);
      res.writeHead(302, {
        Location: `${this.cdnUrl}/cdn/${digest}?sig=${Date.now()}`,
        'X-Linked-Etag': `"${digest}"`,
        'X-Linked-Size': String(data.length),
        'X-Repo-Commit': sha,
        // The real Hub's ETag on this answer is the pointer's git id, not the content's.
        ETag: `"${gitBlobId(Buffer.from(`pointer ${digest}`))}"`,
      });
      return void res.end();
    }
    this.serveBytes(req, res, record, path, data, { ETag: `"${gitBlobId(data)}"`, 'X-Repo-Commit': sha });
  }

  private serveBytes(req: IncomingMessage, res: ServerResponse, record: RecordedRequest, path: string, data: Uint8Array, headers: Record<string, string>): void {
    record.file = path;
    const fault = this.fault(path);
    let body = Buffer.from(data);
    if (fault.corruptTimes && fault.corruptTimes > 0 && req.method === 'GET') {
      fault.corruptTimes--;
      body = Buffer.from(data);
      body[body.length >> 1] ^= 0xff;
    }
    const m = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
    let start = 0;
    if (m && !fault.ignoreRange) {
      start = Number(m[1]);
      if (start >= body.length) {
        res.writeHead(416, { 'Content-Range': `bytes */${body.length}` }).end();
        return;
      }
      res.writeHead(206, { ...headers, 'Content-Length': String(body.length - start), 'Content-Range': `bytes ${start}-${body.length - 1}/${body.length}` });
    } else {
      res.writeHead(200, { ...headers, 'Content-Length': String(body.length) });
    }
    if (req.method === 'HEAD') return void res.end();
    const part = body.subarray(start);
    const drop = fault.dropAfter?.shift();
    const stall = fault.stallAfter;
    if (drop !== undefined || stall !== undefined) {
      const n = Math.min(drop ?? stall!, part.length);
      if (stall !== undefined && drop === undefined) fault.stallAfter = undefined;
      record.bodyBytes = n;
      res.write(part.subarray(0, n), () => {
        // Give the bytes time to leave before the cut, so the client sees exactly n of them.
        if (drop !== undefined) setTimeout(() => res.socket?.destroy(), 20);
      });
      return;
    }
    record.bodyBytes = part.length;
    res.end(part);
  }
}

function readTree(dir: string, prefix = ''): Record<string, Uint8Array> {
  const out: Record<string, Uint8Array> = {};
  for (const name of readdirSync(dir)) {
    const full = join(dir, name);
    const rel = prefix ? `${prefix}/${name}` : name;
    if (statSync(full).isDirectory()) Object.assign(out, readTree(full, rel));
    else out[rel] = readFileSync(full);
  }
  return out;
}

/**
 * The built-in test model as two Hub repos at the given commits, plus files a real repo has that the
 * studio must not download (README, model_index.json; the Wan transformer weights are already there).
 */
export function testModelRepos(modelDir: string, commits: { wan: string; flashworld: string }): FakeRepo[] {
  const wanFiles = readTree(join(modelDir, 'Wan-AI', 'Wan2.2-TI2V-5B-Diffusers'));
  wanFiles['README.md'] = Buffer.from('# Wan2.2 TI2V 5B (test stand-in)\n');
  wanFiles['model_index.json'] = Buffer.from('{"_class_name": "WanPipeline"}\n');
  const fwFiles = readTree(join(modelDir, 'imlixinyang', 'FlashWorld'));
  fwFiles['README.md'] = Buffer.from('# FlashWorld (test stand-in)\n');
  return [
    { repo: 'Wan-AI/Wan2.2-TI2V-5B-Diffusers', commit: commits.wan, files: wanFiles },
    { repo: 'imlixinyang/FlashWorld', commit: commits.flashworld, files: fwFiles },
  ];
}
