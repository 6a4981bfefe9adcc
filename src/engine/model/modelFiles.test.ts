import { mkdirSync, mkdtempSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FLASHWORLD_REPO, FLASHWORLD_REVISION, WAN_REPO, WAN_REVISION, hfHomeDir, hubCacheDir, hubModelFiles, modelFilesIn, resolveModelFiles } from './modelFiles';

describe('model files', () => {
  it('finds the built-in test model and labels it as random weights', () => {
    const files = resolveModelFiles('test');
    expect(files.randomWeights).toBe(true);
    expect(files.label).toMatch(/random weights/);
    expect(files.checkpointPath).toMatch(/imlixinyang[/\\]FlashWorld[/\\]model\.ckpt$/);
  });

  it('names the missing part of an incomplete folder', () => {
    const root = mkdtempSync(join(tmpdir(), 'fw-model-'));
    for (const sub of ['text_encoder', 'tokenizer', 'vae', 'transformer']) mkdirSync(join(root, WAN_REPO, sub), { recursive: true });
    writeFileSync(join(root, WAN_REPO, 'transformer', 'config.json'), '{}');
    expect(() => modelFilesIn(root)).toThrow(/FlashWorld model\.ckpt not found/);
    mkdirSync(join(root, FLASHWORLD_REPO), { recursive: true });
    writeFileSync(join(root, FLASHWORLD_REPO, 'model.ckpt'), '');
    expect(modelFilesIn(root).vaeDir).toBe(join(root, WAN_REPO, 'vae'));
  });

  it('reads the Hugging Face cache layout under HF_HUB_CACHE', () => {
    const cache = mkdtempSync(join(tmpdir(), 'fw-hub-'));
    const wan = join(cache, 'models--Wan-AI--Wan2.2-TI2V-5B-Diffusers', 'snapshots', 'abc');
    for (const sub of ['text_encoder', 'tokenizer', 'vae', 'transformer']) mkdirSync(join(wan, sub), { recursive: true });
    writeFileSync(join(wan, 'transformer', 'config.json'), '{}');
    expect(() => hubModelFiles({ HF_HUB_CACHE: cache })).toThrow(/imlixinyang\/FlashWorld is not in the Hugging Face cache/);
    const fw = join(cache, 'models--imlixinyang--FlashWorld', 'snapshots', 'def');
    mkdirSync(fw, { recursive: true });
    writeFileSync(join(fw, 'model.ckpt'), '');
    expect(hubModelFiles({ HF_HUB_CACHE: cache }).checkpointPath).toBe(join(fw, 'model.ckpt'));
  });

  it('prefers the pinned snapshot, then refs/main, over a newer one', () => {
    const cache = mkdtempSync(join(tmpdir(), 'fw-hub-'));
    const snapshot = (repo: string, rev: string, file: string) => {
      const dir = join(cache, `models--${repo.replace('/', '--')}`, 'snapshots', rev);
      mkdirSync(join(dir, file, '..'), { recursive: true });
      writeFileSync(join(dir, file), '');
      for (const sub of repo === WAN_REPO ? ['text_encoder', 'tokenizer', 'vae'] : []) mkdirSync(join(dir, sub), { recursive: true });
      return dir;
    };
    const pinned = snapshot(WAN_REPO, WAN_REVISION, 'transformer/config.json');
    snapshot(WAN_REPO, 'a'.repeat(40), 'transformer/config.json'); // newer, but not pinned
    utimesSync(pinned, new Date(2000, 1, 1), new Date(2000, 1, 1));
    const old = snapshot(FLASHWORLD_REPO, 'b'.repeat(40), 'model.ckpt');
    const latest = snapshot(FLASHWORLD_REPO, 'c'.repeat(40), 'model.ckpt');
    utimesSync(old, new Date(2000, 1, 1), new Date(2000, 1, 1));
    expect(hubModelFiles({ HF_HUB_CACHE: cache }).vaeDir).toBe(join(pinned, 'vae'));
    expect(hubModelFiles({ HF_HUB_CACHE: cache }).checkpointPath).toBe(join(latest, 'model.ckpt'));
    mkdirSync(join(cache, 'models--imlixinyang--FlashWorld', 'refs'), { recursive: true });
    writeFileSync(join(cache, 'models--imlixinyang--FlashWorld', 'refs', 'main'), 'b'.repeat(40));
    expect(hubModelFiles({ HF_HUB_CACHE: cache }).checkpointPath).toBe(join(old, 'model.ckpt'));
    const fwPinned = snapshot(FLASHWORLD_REPO, FLASHWORLD_REVISION, 'model.ckpt');
    expect(hubModelFiles({ HF_HUB_CACHE: cache }).checkpointPath).toBe(join(fwPinned, 'model.ckpt'));
  });

  it('says a download was interrupted when .incomplete blobs are there', () => {
    const cache = mkdtempSync(join(tmpdir(), 'fw-hub-'));
    const blobs = join(cache, 'models--imlixinyang--FlashWorld', 'blobs');
    mkdirSync(blobs, { recursive: true });
    writeFileSync(join(blobs, `${'d'.repeat(64)}.incomplete`), 'partial');
    expect(() => hubModelFiles({ HF_HUB_CACHE: cache })).toThrow(/was interrupted: run `flashworld model download` to finish it/);
  });

  it('finds the cache like huggingface_hub: HF_HUB_CACHE, else HF_HOME/hub, else XDG_CACHE_HOME or ~/.cache', () => {
    expect(hubCacheDir({ HF_HUB_CACHE: '/a', HF_HOME: '/b' })).toBe('/a');
    expect(hubCacheDir({ HF_HOME: '/b' })).toBe(join('/b', 'hub'));
    expect(hubCacheDir({ XDG_CACHE_HOME: '/x', HOME: '/h' })).toBe(join('/x', 'huggingface', 'hub'));
    expect(hfHomeDir({ HOME: '/h' })).toBe(join('/h', '.cache', 'huggingface'));
  });
});
