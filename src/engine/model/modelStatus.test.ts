import { mkdtempSync, readFileSync, renameSync, rmSync, truncateSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FakeHub, sha256, testModelRepos } from '../../../test/helpers/fakeHub';
import { testModelDir } from '../../../test/helpers/fixtures';
import { downloadModel, type ModelDownloadEvent } from './downloadModel';
import { FLASHWORLD_REVISION, WAN_REVISION } from './modelFiles';
import { modelStatus } from './modelStatus';

const VAE = 'vae/diffusion_pytorch_model.safetensors';
const SHARD = 'text_encoder/model-00002-of-00002.safetensors';
const wanStorage = (cache: string) => join(cache, 'models--Wan-AI--Wan2.2-TI2V-5B-Diffusers');
const wanSnapshot = (cache: string) => join(wanStorage(cache), 'snapshots', WAN_REVISION);
const ckptPath = (cache: string) => join(cache, 'models--imlixinyang--FlashWorld', 'snapshots', FLASHWORLD_REVISION, 'model.ckpt');

let hub: FakeHub;
let cache: string;

beforeEach(async () => {
  hub = new FakeHub(testModelRepos(testModelDir, { wan: WAN_REVISION, flashworld: FLASHWORLD_REVISION }));
  await hub.start();
  cache = mkdtempSync(join(tmpdir(), 'fw-status-'));
});
afterEach(async () => {
  await hub.close();
  rmSync(cache, { recursive: true, force: true });
});

const download = (extra: Parameters<typeof downloadModel>[0] = {}) =>
  downloadModel({ hubCache: cache, endpoint: hub.url, env: {}, progressIntervalMs: 0, retryDelayMs: 1, ...extra });
const status = () => modelStatus({ hubCache: cache, env: {} });

/** Replaces a snapshot's symlink with a copy of what it points at (as on systems without symlinks). */
function replaceLinkWithCopy(pointer: string): void {
  const data = readFileSync(pointer);
  unlinkSync(pointer);
  writeFileSync(pointer, data);
}

describe('modelStatus', () => {
  it('a download cancelled while the VAE is still .incomplete is not ready, though every small file is linked; resuming makes it ready', async () => {
    hub.setFault(VAE, { stallAfter: 400_000 });
    const stop = new AbortController();
    const done = new Set<string>();
    let vaeBytes = 0;
    const onProgress = (e: ModelDownloadEvent) => {
      if (e.type === 'file-done') done.add(e.path);
      if (e.type === 'progress' && e.path === VAE) vaeBytes = e.fileBytes;
      // Cancel once everything but the VAE is in place and the VAE hangs part-way: the reported case.
      if (done.size === 11 && vaeBytes >= 400_000) stop.abort();
    };
    await expect(download({ signal: stop.signal, onProgress })).rejects.toMatchObject({ code: 'CANCELLED' });
    expect(done.has(VAE)).toBe(false);
    expect(readFileSync(join(wanStorage(cache), 'blobs', `${sha256(hub.repos[0].files[VAE])}.incomplete`)).length).toBe(400_000);

    const cancelled = status();
    expect(cancelled.ready).toBe(false);
    expect(cancelled.interrupted).toBe(true);
    expect(cancelled.problem).toMatch(/vae\/diffusion_pytorch_model\.safetensors of Wan-AI\/Wan2\.2-TI2V-5B-Diffusers is not downloaded yet/);
    expect(cancelled.problem).toMatch(/resumes where it stopped/);
    // The snapshots are there (the panel can say where), they just can't be loaded yet.
    expect(cancelled.files?.vaeDir).toBe(join(wanSnapshot(cache), 'vae'));

    await download();
    expect(status()).toMatchObject({ ready: true, problem: null, interrupted: false });
  });

  it('a weight shard not fetched yet (no link, no partial file) is not ready', async () => {
    await download();
    unlinkSync(join(wanSnapshot(cache), ...SHARD.split('/')));
    const s = status();
    expect(s).toMatchObject({ ready: false, interrupted: false });
    expect(s.problem).toContain(`${SHARD} of Wan-AI/Wan2.2-TI2V-5B-Diffusers is not downloaded yet`);
  });

  it('a link whose blob is still .incomplete says how much arrived', async () => {
    await download();
    const blob = join(wanStorage(cache), 'blobs', sha256(hub.repos[0].files[VAE]));
    renameSync(blob, `${blob}.incomplete`);
    truncateSync(`${blob}.incomplete`, 123_000);
    const s = status();
    expect(s).toMatchObject({ ready: false, interrupted: true });
    expect(s.problem).toContain(`${VAE} of Wan-AI/Wan2.2-TI2V-5B-Diffusers is only partly downloaded (123 kB so far)`);
  });

  it('a truncated copy of the VAE is not ready: its header declares more bytes than the file has', async () => {
    await download();
    const pointer = join(wanSnapshot(cache), ...VAE.split('/'));
    replaceLinkWithCopy(pointer);
    truncateSync(pointer, 1_000_000);
    const s = status();
    expect(s.ready).toBe(false);
    expect(s.problem).toMatch(/diffusion_pytorch_model\.safetensors: tensor .* beyond the end of the file/);
  });

  it('a truncated copy of model.ckpt is not ready: its ZIP directory is cut off', async () => {
    await download();
    replaceLinkWithCopy(ckptPath(cache));
    truncateSync(ckptPath(cache), 600_000);
    const s = status();
    expect(s.ready).toBe(false);
    expect(s.problem).toContain('model.ckpt');
  });

  it('a partial blob no needed file points at leaves the model ready, and says a download was interrupted', async () => {
    await download();
    const blobs = join(wanStorage(cache), 'blobs');
    writeFileSync(join(blobs, `${sha256(Buffer.from('some other file'))}.incomplete`), 'some oth');
    // A whole copy (no symlinks) is fine too: its header says it is complete.
    const pointer = join(wanSnapshot(cache), ...VAE.split('/'));
    replaceLinkWithCopy(pointer);
    expect(status()).toMatchObject({ ready: true, problem: null, interrupted: true });
  });

  it('an empty cache is not ready and names the download', () => {
    const s = status();
    expect(s).toMatchObject({ ready: false, files: null, interrupted: false });
    expect(s.problem).toMatch(/not in the Hugging Face cache.*flashworld model download/);
  });
});
