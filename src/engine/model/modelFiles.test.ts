import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FLASHWORLD_REPO, WAN_REPO, hubModelFiles, modelFilesIn, resolveModelFiles } from './modelFiles';

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
});
