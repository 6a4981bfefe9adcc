import { createHash } from 'node:crypto';
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { StudioError } from '../../shared/errors';
import { FakeHub, gitBlobId, sha256, testModelRepos } from '../../../test/helpers/fakeHub';
import { testModelDir } from '../../../test/helpers/fixtures';
import { downloadModel, type ModelDownloadEvent, type ModelDownloadOptions } from './downloadModel';
import { FLASHWORLD_REPO, FLASHWORLD_REVISION, WAN_REPO, WAN_REVISION, hubModelFiles } from './modelFiles';
import { nodeModelFs, type ModelFs } from './modelFs';

const VAE = 'vae/diffusion_pytorch_model.safetensors';
const CKPT = 'model.ckpt';
const wanStorage = (cache: string) => join(cache, 'models--Wan-AI--Wan2.2-TI2V-5B-Diffusers');
const fwStorage = (cache: string) => join(cache, 'models--imlixinyang--FlashWorld');

let hub: FakeHub;
let cache: string;
let vaeBytes: Buffer;

beforeEach(async () => {
  hub = new FakeHub(testModelRepos(testModelDir, { wan: WAN_REVISION, flashworld: FLASHWORLD_REVISION }));
  await hub.start();
  cache = mkdtempSync(join(tmpdir(), 'fw-hubcache-'));
  vaeBytes = Buffer.from(hub.repos[0].files[VAE]);
});
afterEach(() => hub.close());

function options(extra: Partial<ModelDownloadOptions> = {}): ModelDownloadOptions & { events: ModelDownloadEvent[] } {
  const events: ModelDownloadEvent[] = [];
  return { hubCache: cache, endpoint: hub.url, env: {}, progressIntervalMs: 0, retryDelayMs: 1, onProgress: (e) => events.push(e), events, ...extra };
}

async function failure(p: Promise<unknown>): Promise<StudioError> {
  const e = await p.then(() => null, (x: unknown) => x);
  expect(e).toBeInstanceOf(StudioError);
  return e as StudioError;
}

/** Every file under blobs/ that has its final name holds the bytes its name promises. */
function expectOnlyVerifiedBlobs(storage: string) {
  const blobs = join(storage, 'blobs');
  if (!existsSync(blobs)) return;
  for (const name of readdirSync(blobs).filter((n) => !n.endsWith('.incomplete'))) {
    const data = readFileSync(join(blobs, name));
    expect([sha256(data), gitBlobId(data)], `blob ${name}`).toContain(name);
  }
}

describe('downloadModel', () => {
  it('fetches only the needed files into the Hugging Face cache layout, with per-file and total progress', async () => {
    const opts = options();
    const result = await downloadModel(opts);

    const wanSnap = join(wanStorage(cache), 'snapshots', WAN_REVISION);
    const vaeLink = join(wanSnap, ...VAE.split('/'));
    expect(lstatSync(vaeLink).isSymbolicLink()).toBe(true);
    expect(readlinkSync(vaeLink)).toBe(`../../../blobs/${sha256(vaeBytes)}`);
    expect(readFileSync(vaeLink).equals(vaeBytes)).toBe(true);
    const configLink = join(wanSnap, 'transformer', 'config.json');
    expect(readlinkSync(configLink)).toBe(`../../../blobs/${gitBlobId(hub.repos[0].files['transformer/config.json'])}`);
    expect(existsSync(join(wanSnap, 'scheduler', 'scheduler_config.json'))).toBe(true);
    expect(existsSync(join(wanSnap, 'tokenizer', 'spiece.model'))).toBe(true);
    expect(existsSync(join(wanSnap, 'text_encoder', 'model-00002-of-00002.safetensors'))).toBe(true);
    // FlashWorld's model.ckpt carries the transformer: the Wan repo's transformer weights stay on the Hub.
    expect(existsSync(join(wanSnap, 'transformer', 'diffusion_pytorch_model.safetensors'))).toBe(false);
    expect(existsSync(join(wanSnap, 'README.md'))).toBe(false);
    expect(hub.contentRequests('transformer/diffusion_pytorch_model.safetensors')).toHaveLength(0);
    expect(readFileSync(join(fwStorage(cache), 'snapshots', FLASHWORLD_REVISION, CKPT)).equals(Buffer.from(hub.repos[1].files[CKPT]))).toBe(true);
    expect(readFileSync(join(wanStorage(cache), 'refs', 'main'), 'utf8')).toBe(WAN_REVISION);
    expect(readFileSync(join(fwStorage(cache), 'refs', 'main'), 'utf8')).toBe(FLASHWORLD_REVISION);
    expectOnlyVerifiedBlobs(wanStorage(cache));
    expect(readdirSync(join(wanStorage(cache), 'blobs')).some((n) => n.endsWith('.incomplete'))).toBe(false);

    const plan = opts.events.find((e) => e.type === 'plan');
    expect(plan?.type === 'plan' && plan.plan.files.map((f) => f.path).sort()).toEqual([
      CKPT, 'scheduler/scheduler_config.json', 'text_encoder/config.json', 'text_encoder/model-00001-of-00002.safetensors',
      'text_encoder/model-00002-of-00002.safetensors', 'text_encoder/model.safetensors.index.json', 'tokenizer/spiece.model',
      'tokenizer/tokenizer.json', 'tokenizer/tokenizer_config.json', 'transformer/config.json', 'vae/config.json', VAE,
    ]);
    const total = result.plan.totalBytes;
    expect(total).toBe(result.plan.files.reduce((a, f) => a + f.size, 0));
    const progress = opts.events.flatMap((e) => (e.type === 'progress' ? [e] : []));
    for (let i = 1; i < progress.length; i++) expect(progress[i].doneBytes).toBeGreaterThanOrEqual(progress[i - 1].doneBytes);
    expect(progress.at(-1)?.doneBytes).toBe(total);
    expect(progress.filter((p) => p.path === VAE).map((p) => p.fileBytes).at(-1)).toBe(vaeBytes.length);
    expect(progress.every((p) => p.totalBytes === total)).toBe(true);
    expect(opts.events.filter((e) => e.type === 'file-done')).toHaveLength(12);
    expect(opts.events.at(-1)).toMatchObject({ type: 'done', downloadedBytes: total, reusedBytes: 0 });
    expect(result.files.vaeDir).toBe(join(wanSnap, 'vae'));
    expect(result.files.checkpointPath).toBe(join(fwStorage(cache), 'snapshots', FLASHWORLD_REVISION, CKPT));
  });

  it('reuses files already in the cache and fetches nothing again', async () => {
    await downloadModel(options());
    const before = hub.requests.length;
    const again = options();
    const result = await downloadModel(again);
    expect(result.downloadedBytes).toBe(0);
    expect(result.reusedBytes).toBe(result.plan.totalBytes);
    expect(hub.requests.slice(before).every((r) => r.url.startsWith('/api/models/'))).toBe(true);
    expect(again.events.filter((e) => e.type === 'file-done').every((e) => e.type === 'file-done' && e.reused)).toBe(true);
  });

  it('sends the token to the Hub but never to the CDN it redirects to', async () => {
    await downloadModel(options({ token: 'hf_valid' }));
    const api = hub.requests.filter((r) => r.url.startsWith('/api/') || r.url.includes('/resolve/'));
    expect(api.length).toBeGreaterThan(0);
    expect(api.every((r) => r.authorization === 'Bearer hf_valid')).toBe(true);
    const cdn = hub.requests.filter((r) => r.url.startsWith('/cdn/'));
    expect(cdn.length).toBeGreaterThan(0);
    expect(cdn.every((r) => r.authorization === null)).toBe(true);
  });

  it('resumes with a Range request after the connection drops mid-file', async () => {
    hub.setFault(VAE, { dropAfter: [1_000_000] });
    const opts = options();
    await downloadModel(opts);
    const reqs = hub.contentRequests(VAE);
    expect(reqs.map((r) => r.range)).toEqual([null, 'bytes=1000000-']);
    expect(reqs[1].bodyBytes).toBe(vaeBytes.length - 1_000_000);
    expect(opts.events.some((e) => e.type === 'file-retry' && e.path === VAE && e.atBytes === 1_000_000)).toBe(true);
    expect(readFileSync(join(wanStorage(cache), 'blobs', sha256(vaeBytes))).equals(vaeBytes)).toBe(true);
  });

  it('continues a partial file an earlier run left behind', async () => {
    const blobs = join(wanStorage(cache), 'blobs');
    mkdirSync(blobs, { recursive: true });
    writeFileSync(join(blobs, `${sha256(vaeBytes)}.incomplete`), vaeBytes.subarray(0, 1_234_567));
    const opts = options();
    const result = await downloadModel(opts);
    const planned = result.plan.files.find((f) => f.path === VAE)!;
    expect(planned).toMatchObject({ state: 'partial', partialBytes: 1_234_567 });
    const reqs = hub.contentRequests(VAE);
    expect(reqs.map((r) => r.range)).toEqual(['bytes=1234567-']);
    expect(reqs[0].bodyBytes).toBe(vaeBytes.length - 1_234_567);
    expect(opts.events.find((e) => e.type === 'file-start' && e.path === VAE)).toMatchObject({ resumeFromBytes: 1_234_567 });
    expect(readFileSync(join(blobs, sha256(vaeBytes))).equals(vaeBytes)).toBe(true);
    expect(existsSync(join(blobs, `${sha256(vaeBytes)}.incomplete`))).toBe(false);
  });

  it('starts over when the server ignores the Range header', async () => {
    hub.setFault(VAE, { dropAfter: [700_000], ignoreRange: true });
    await downloadModel(options());
    expect(hub.contentRequests(VAE).map((r) => r.range)).toEqual([null, 'bytes=700000-']);
    expect(hub.contentRequests(VAE)[1].bodyBytes).toBe(vaeBytes.length);
    expect(readFileSync(join(wanStorage(cache), 'blobs', sha256(vaeBytes))).equals(vaeBytes)).toBe(true);
  });

  it('drops a connection that goes silent and resumes', async () => {
    hub.setFault(VAE, { stallAfter: 300_000 });
    // Long enough that a slow test machine is not mistaken for a stall before the first bytes.
    await downloadModel(options({ stallTimeoutMs: 1500 }));
    expect(hub.contentRequests(VAE).map((r) => r.range)).toEqual([null, 'bytes=300000-']);
    expect(readFileSync(join(wanStorage(cache), 'blobs', sha256(vaeBytes))).equals(vaeBytes)).toBe(true);
  });

  it('detects a damaged download by its sha256 and fetches it again', async () => {
    hub.setFault(CKPT, { corruptTimes: 1 });
    const opts = options();
    await downloadModel(opts);
    const ckpt = Buffer.from(hub.repos[1].files[CKPT]);
    expect(hub.contentRequests(CKPT)).toHaveLength(2);
    expect(opts.events.find((e) => e.type === 'file-corrupt')).toMatchObject({ path: CKPT, where: 'download', expected: sha256(ckpt) });
    expect(readFileSync(join(fwStorage(cache), 'snapshots', FLASHWORLD_REVISION, CKPT)).equals(ckpt)).toBe(true);
  });

  it('detects a damaged resumed prefix and fetches the whole file again', async () => {
    const blobs = join(wanStorage(cache), 'blobs');
    mkdirSync(blobs, { recursive: true });
    writeFileSync(join(blobs, `${sha256(vaeBytes)}.incomplete`), Buffer.alloc(1_000_000, 7));
    const opts = options();
    await downloadModel(opts);
    expect(hub.contentRequests(VAE).map((r) => r.range)).toEqual(['bytes=1000000-', null]);
    expect(readFileSync(join(blobs, sha256(vaeBytes))).equals(vaeBytes)).toBe(true);
  });

  it('gives up with DOWNLOAD_CORRUPT when every copy arrives damaged, leaving nothing that looks complete', async () => {
    hub.setFault(CKPT, { corruptTimes: 10 });
    const err = await failure(downloadModel(options({ concurrency: 1 })));
    expect(err.code).toBe('DOWNLOAD_CORRUPT');
    expect(err.message).toMatch(/model\.ckpt of imlixinyang\/FlashWorld arrived damaged twice.*try another network/);
    expect(readdirSync(join(fwStorage(cache), 'blobs'))).toEqual([]);
    expect(existsSync(join(fwStorage(cache), 'snapshots', FLASHWORLD_REVISION, CKPT))).toBe(false);
    expect(existsSync(join(fwStorage(cache), 'refs'))).toBe(false);
    expect(() => hubModelFiles({ HF_HUB_CACHE: cache })).toThrow(/not in the Hugging Face cache/);
  });

  it('refuses to start when the disk has no room for the download', async () => {
    const fs: ModelFs = { ...nodeModelFs, freeBytes: async () => 1_000_000 };
    const err = await failure(downloadModel(options({ fs })));
    expect(err.code).toBe('DISK_FULL');
    expect(err.message).toMatch(/needs 5\.\d MB .* and 1\.0 MB are free.*HF_HUB_CACHE/);
    expect(hub.requests.filter((r) => r.file)).toHaveLength(0);
    expect(existsSync(join(wanStorage(cache), 'blobs'))).toBe(false);
  });

  it('stops with DISK_FULL when the disk fills up mid-file, keeps the partial file, and resumes after', async () => {
    let budget = 2_000_000;
    const fs: ModelFs = {
      ...nodeModelFs,
      async openAppend(path, truncate) {
        const inner = await nodeModelFs.openAppend(path, truncate);
        return {
          startSize: inner.startSize,
          async write(chunk) {
            if (chunk.length > budget) {
              await inner.write(chunk.subarray(0, budget));
              budget = 0;
              throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
            }
            budget -= chunk.length;
            await inner.write(chunk);
          },
          close: () => inner.close(),
        };
      },
    };
    const err = await failure(downloadModel(options({ fs, concurrency: 1 })));
    expect(err.code).toBe('DISK_FULL');
    expect(err.message).toMatch(/is full .*partial file is kept.*free up space.* are still to download\./);
    // Nothing half-written carries a final name, and no snapshot entry points at a missing blob.
    expectOnlyVerifiedBlobs(wanStorage(cache));
    expectOnlyVerifiedBlobs(fwStorage(cache));
    const partials = [wanStorage(cache), fwStorage(cache)].flatMap((s) =>
      existsSync(join(s, 'blobs')) ? readdirSync(join(s, 'blobs')).filter((n) => n.endsWith('.incomplete')).map((n) => join(s, 'blobs', n)) : [],
    );
    expect(partials).toHaveLength(1);
    const snap = join(wanStorage(cache), 'snapshots', WAN_REVISION);
    for (const rel of existsSync(snap) ? readdirSync(snap, { recursive: true }).map(String) : []) {
      if (lstatSync(join(snap, rel)).isSymbolicLink()) expect(existsSync(resolve(dirname(join(snap, rel)), readlinkSync(join(snap, rel))))).toBe(true);
    }
    expect(() => hubModelFiles({ HF_HUB_CACHE: cache })).toThrow(/interrupted: run `flashworld model download` to finish it/);

    const partialBytes = readFileSync(partials[0]).length;
    const resumed = await downloadModel(options());
    expect(resumed.plan.files.find((f) => f.state === 'partial')?.partialBytes).toBe(partialBytes);
    expect(hub.requests.some((r) => r.range === `bytes=${partialBytes}-`)).toBe(true);
    expectOnlyVerifiedBlobs(wanStorage(cache));
    expect(hubModelFiles({ HF_HUB_CACHE: cache }).vaeDir).toBe(join(snap, 'vae'));
  });

  it('copies into the snapshot where symlinks are refused', async () => {
    const fs: ModelFs = { ...nodeModelFs, symlink: async () => Promise.reject(Object.assign(new Error('EPERM'), { code: 'EPERM' })) };
    await downloadModel(options({ fs }));
    const vae = join(wanStorage(cache), 'snapshots', WAN_REVISION, ...VAE.split('/'));
    expect(lstatSync(vae).isSymbolicLink()).toBe(false);
    expect(createHash('sha256').update(readFileSync(vae)).digest('hex')).toBe(sha256(vaeBytes));
  });

  it('is cancelled by its AbortSignal, keeps what arrived, and resumes from it', async () => {
    const controller = new AbortController();
    hub.setFault(VAE, { stallAfter: 500_000 });
    const opts = options({
      concurrency: 1,
      onProgress: (e) => {
        if (e.type === 'progress' && e.path === VAE && e.fileBytes >= 500_000) controller.abort();
      },
      signal: controller.signal,
    });
    const err = await failure(downloadModel(opts));
    expect(err.code).toBe('CANCELLED');
    const partial = join(wanStorage(cache), 'blobs', `${sha256(vaeBytes)}.incomplete`);
    expect(readFileSync(partial).length).toBe(500_000);
    await downloadModel(options());
    expect(hub.contentRequests(VAE).map((r) => r.range)).toEqual([null, 'bytes=500000-']);
  });

  it('fetches a blob once when two paths hold the same content', async () => {
    hub.repos[0].files['vae/config_copy.json'] = hub.repos[0].files['vae/config.json'];
    const result = await downloadModel(options());
    const snap = join(wanStorage(cache), 'snapshots', WAN_REVISION, 'vae');
    expect(readlinkSync(join(snap, 'config_copy.json'))).toBe(readlinkSync(join(snap, 'config.json')));
    expect(hub.contentRequests('vae/config.json').length + hub.contentRequests('vae/config_copy.json').length).toBe(1);
    expect(result.plan.files).toHaveLength(13);
  });

  it('waits for no one: a lock left by a dead process is taken over, a live one stops with DOWNLOAD_LOCKED', async () => {
    const locks = join(cache, '.locks', 'models--imlixinyang--FlashWorld');
    mkdirSync(locks, { recursive: true });
    const lock = join(locks, `${sha256(hub.repos[1].files[CKPT])}.flashworld.lock`);
    writeFileSync(lock, String(process.ppid));
    const err = await failure(downloadModel(options()));
    expect(err.code).toBe('DOWNLOAD_LOCKED');
    expect(err.message).toMatch(new RegExp(`model\\.ckpt of imlixinyang/FlashWorld is being downloaded by another process \\(pid ${process.ppid}\\)`));
    // Above Linux's largest pid: no such process.
    writeFileSync(lock, String(2 ** 22 + 1));
    await downloadModel(options());
    expect(existsSync(lock)).toBe(false);
    expect(existsSync(join(fwStorage(cache), 'snapshots', FLASHWORLD_REVISION, CKPT))).toBe(true);
  });

  it('two downloads at once in one process: the second says so instead of writing the same file twice', async () => {
    hub.setFault(VAE, { stallAfter: 200_000 });
    const first = downloadModel(options({ concurrency: 1, stallTimeoutMs: 1500 }));
    while (!hub.contentRequests(VAE).length) await new Promise((r) => setTimeout(r, 10));
    const err = await failure(downloadModel(options({ concurrency: 1 })));
    expect(err.code).toBe('DOWNLOAD_LOCKED');
    expect(err.message).toMatch(/vae\/diffusion_pytorch_model\.safetensors of Wan-AI\/Wan2\.2-TI2V-5B-Diffusers is already being downloaded by this program/);
    await first;
    expect(readFileSync(join(wanStorage(cache), 'blobs', sha256(vaeBytes))).equals(vaeBytes)).toBe(true);
  });

  it('takes over a lock carrying its own pid that it does not hold (left by an earlier process)', async () => {
    const locks = join(cache, '.locks', 'models--imlixinyang--FlashWorld');
    mkdirSync(locks, { recursive: true });
    writeFileSync(join(locks, `${sha256(hub.repos[1].files[CKPT])}.flashworld.lock`), String(process.pid));
    await downloadModel(options());
    expect(existsSync(join(fwStorage(cache), 'snapshots', FLASHWORLD_REVISION, CKPT))).toBe(true);
  });

  it('downloads other revisions on request and records the branch in refs/', async () => {
    hub.repos[1].branches = { main: 'f'.repeat(40) };
    hub.repos[1].commit = 'f'.repeat(40);
    const result = await downloadModel(options({ revisions: { [FLASHWORLD_REPO]: 'main' } }));
    expect(result.plan.repos.find((r) => r.repo === FLASHWORLD_REPO)?.commit).toBe('f'.repeat(40));
    expect(readFileSync(join(fwStorage(cache), 'refs', 'main'), 'utf8')).toBe('f'.repeat(40));
    expect(result.files.checkpointPath).toBe(join(fwStorage(cache), 'snapshots', 'f'.repeat(40), CKPT));
    expect(result.plan.repos.find((r) => r.repo === WAN_REPO)?.commit).toBe(WAN_REVISION);
  });
});
