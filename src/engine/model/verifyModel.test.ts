import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FakeHub, sha256, testModelRepos } from '../../../test/helpers/fakeHub';
import { testModelDir } from '../../../test/helpers/fixtures';
import { downloadModel, type ModelDownloadEvent } from './downloadModel';
import { FLASHWORLD_REVISION, WAN_REVISION } from './modelFiles';
import { nodeModelFs, type ModelFs } from './modelFs';
import { verifyModel } from './verifyModel';

const VAE = 'vae/diffusion_pytorch_model.safetensors';
let hub: FakeHub;
let cache: string;
let vaeBlob: string;

beforeEach(async () => {
  hub = new FakeHub(testModelRepos(testModelDir, { wan: WAN_REVISION, flashworld: FLASHWORLD_REVISION }));
  await hub.start();
  cache = mkdtempSync(join(tmpdir(), 'fw-hubcache-'));
  vaeBlob = join(cache, 'models--Wan-AI--Wan2.2-TI2V-5B-Diffusers', 'blobs', sha256(hub.repos[0].files[VAE]));
});
afterEach(() => hub.close());

/** Flips one byte in place: same size, so only a hash can tell. */
function damage(path: string) {
  const data = readFileSync(path);
  data[100] ^= 0x55;
  writeFileSync(path, data);
}

describe('verifyModel', () => {
  it('passes a fresh download, hashing every file against its Hub id', async () => {
    await downloadModel({ hubCache: cache, endpoint: hub.url, env: {} });
    const report = await verifyModel({ hubCache: cache, env: {} });
    expect(report.problems).toEqual([]);
    expect(report.ok).toBe(true);
    expect(report.files).toHaveLength(12);
    expect(report.files.every((f) => f.status === 'ok')).toBe(true);
  });

  it('finds a damaged blob of the right size, says how to fix it, and repair removes it', async () => {
    await downloadModel({ hubCache: cache, endpoint: hub.url, env: {} });
    damage(vaeBlob);
    const report = await verifyModel({ hubCache: cache, env: {} });
    expect(report.ok).toBe(false);
    expect(report.files.find((f) => f.path === VAE)?.status).toBe('corrupt');
    expect(report.problems).toEqual([expect.stringMatching(/vae\/diffusion_pytorch_model\.safetensors of Wan-AI\/.* is damaged.*verify --repair/)]);

    const repaired = await verifyModel({ hubCache: cache, env: {}, repair: true });
    expect(repaired.removed).toEqual(['Wan-AI/Wan2.2-TI2V-5B-Diffusers/' + VAE]);
    expect(existsSync(vaeBlob)).toBe(false);
    await downloadModel({ hubCache: cache, endpoint: hub.url, env: {} });
    expect(hub.contentRequests(VAE)).toHaveLength(2);
    expect((await verifyModel({ hubCache: cache, env: {} })).ok).toBe(true);
  });

  it('download --verify re-fetches a damaged cached file', async () => {
    await downloadModel({ hubCache: cache, endpoint: hub.url, env: {} });
    damage(vaeBlob);
    const events: ModelDownloadEvent[] = [];
    await downloadModel({ hubCache: cache, endpoint: hub.url, env: {}, verifyExisting: true, onProgress: (e) => events.push(e) });
    expect(events.filter((e) => e.type === 'file-corrupt')).toEqual([expect.objectContaining({ path: VAE, where: 'cache' })]);
    expect(sha256(readFileSync(vaeBlob))).toBe(sha256(hub.repos[0].files[VAE]));
  });

  it('reports a snapshot entry whose blob was deleted', async () => {
    await downloadModel({ hubCache: cache, endpoint: hub.url, env: {} });
    rmSync(vaeBlob);
    const report = await verifyModel({ hubCache: cache, env: {} });
    expect(report.files.find((f) => f.path === VAE)?.status).toBe('missing');
    expect(report.problems[0]).toMatch(/points at a blob that is gone/);
  });

  it('reports a model that was never downloaded', async () => {
    const report = await verifyModel({ hubCache: cache, env: {} });
    expect(report.ok).toBe(false);
    expect(report.problems).toHaveLength(2);
    expect(report.problems[0]).toMatch(/Wan-AI\/Wan2\.2-TI2V-5B-Diffusers .* is not downloaded at revision b8fff73.*flashworld model download/);
  });

  it('checks copies (no symlinks) against the blobs they came from', async () => {
    const fs: ModelFs = { ...nodeModelFs, symlink: async () => Promise.reject(Object.assign(new Error('EPERM'), { code: 'EPERM' })) };
    await downloadModel({ hubCache: cache, endpoint: hub.url, env: {}, fs });
    expect((await verifyModel({ hubCache: cache, env: {} })).ok).toBe(true);
    damage(join(cache, 'models--Wan-AI--Wan2.2-TI2V-5B-Diffusers', 'snapshots', WAN_REVISION, 'vae', 'diffusion_pytorch_model.safetensors'));
    const report = await verifyModel({ hubCache: cache, env: {} });
    expect(report.files.find((f) => f.path === VAE)?.status).toBe('unverifiable');
    expect(report.ok).toBe(false);
  });
});
