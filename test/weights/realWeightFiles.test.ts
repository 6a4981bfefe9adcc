/**
 * The readers against files written by real torch.save / safetensors / save_pretrained on the GPU
 * machine (tools/reference/make_weight_fixtures.py and make_tiny_model.py).
 */
import { copyFileSync, existsSync, readFileSync, truncateSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { float32ToHalfBits } from '../../src/engine/weights/halfFloat';
import { toPlain } from '../../src/engine/weights/pickle';
import { openSafetensors, openSafetensorsFolder } from '../../src/engine/weights/safetensors';
import { openTorchCheckpoint } from '../../src/engine/weights/torchCheckpoint';
import { TorchTensorRef } from '../../src/engine/weights/torchPickle';
import { DTYPE_BYTES, shapeElements } from '../../src/engine/weights/dtypes';
import type { WeightSource } from '../../src/engine/weights/types';
import { fixturesDir, testModelDir } from '../helpers/fixtures';
import { expectStudioError, makeTempDir } from '../helpers/weightFiles';
import { ZipArchive } from '../../src/engine/weights/zip';

const mixedCkpt = join(fixturesDir, 'weights', 'torch_mixed.ckpt');
const mixedExpected = join(fixturesDir, 'weights', 'torch_mixed_expected.safetensors');
const wanDir = join(testModelDir, 'Wan-AI', 'Wan2.2-TI2V-5B-Diffusers');
const flashCkpt = join(testModelDir, 'imlixinyang', 'FlashWorld', 'model.ckpt');

/** Every value finite, and ≥2-D weights with the spread make_tiny_model's randomize() gave them (std·√fan_in ≈ 1). */
function expectPlausibleRandomWeights(src: WeightSource): number {
  let checked = 0;
  for (const name of src.keys()) {
    const { shape } = src.info(name);
    const { data } = src.read(name, 'float32');
    expect(data.every(Number.isFinite), name).toBe(true);
    if (shape.length < 2 || data.length < 256) continue;
    let sum = 0;
    let sq = 0;
    for (const v of data) {
      sum += v;
      sq += v * v;
    }
    const mean = sum / data.length;
    const std = Math.sqrt(sq / data.length - mean * mean);
    expect(std * Math.sqrt(shapeElements(shape.slice(1))), name).toBeGreaterThan(0.75);
    expect(std * Math.sqrt(shapeElements(shape.slice(1))), name).toBeLessThan(1.25);
    checked++;
  }
  return checked;
}

describe.skipIf(!existsSync(mixedCkpt) || !existsSync(mixedExpected))('real torch.save checkpoint (torch_mixed.ckpt)', () => {
  it('reads every tensor exactly as torch wrote it: bf16, fp16, transposed, views sharing a storage, a scalar', () => {
    const ckpt = openTorchCheckpoint(mixedCkpt);
    const expected = openSafetensors(mixedExpected);
    const src = ckpt.source();
    expect(src.keys().sort()).toEqual(expected.keys().sort());
    for (const name of expected.keys()) {
      const want = expected.read(name, 'float32');
      const got = src.read(name, 'float32');
      expect(got.shape, name).toEqual(want.shape);
      expect(Array.from(got.data), name).toEqual(Array.from(want.data));
      expect(Array.from(src.read(name, 'float16').data), name).toEqual(Array.from(want.data, (v) => float32ToHalfBits(v)));
    }
    expect(src.info('transformer.a.weight').dtype).toBe('BF16');
    expect(src.info('transformer.b.bias').dtype).toBe('F16');
    expect(src.info('transformer.e.scalar').shape).toEqual([]);
    src.close();
    expected.close();
    ckpt.close();
  });

  it('describes the views as torch stored them and exposes the meta values', () => {
    const ckpt = openTorchCheckpoint(mixedCkpt);
    const tr = ckpt.value('transformer') as { items: Map<string, unknown> };
    const transposed = tr.items.get('c.transposed') as TorchTensorRef;
    expect(transposed.stride).toEqual([1, 6]);
    const v0 = tr.items.get('d.view0') as TorchTensorRef;
    const v1 = tr.items.get('d.view1') as TorchTensorRef;
    expect(v0.storage).toBe(v1.storage);
    expect([v0.offset, v1.offset]).toEqual([2, 5]);
    expect(toPlain(ckpt.value('meta'))).toEqual({ step: 1000, name: 'tiny', lr: 2.5e-4, list: [1, 2.5, 's', null, true], tuple: [1, 2] });
    const rd = ckpt.source('recon_decoder.');
    expect(rd.keys().sort()).toEqual(['gs_head.gs_proj.weight', 'lrs_mul']);
    rd.close();
    ckpt.close();
  });
});

describe.skipIf(!existsSync(mixedCkpt))('real torch.save checkpoint, cut short', () => {
  it('names the tensor whose data the cut falls in', () => {
    const { dir, cleanup } = makeTempDir('real-cut');
    try {
      const path = join(dir, 'model.ckpt');
      copyFileSync(mixedCkpt, path);
      const zip = ZipArchive.open(path);
      const big = zip.entries.find((e) => e.size === 64 * 33 * 4)!; // transformer.f.big, fp32 [64, 33]
      const cut = zip.dataOffset(big) + 1000;
      zip.close();
      truncateSync(path, cut);
      expectStudioError(() => openTorchCheckpoint(path), 'WEIGHTS_TRUNCATED', path, '"transformer.f.big"', big.name);
    } finally {
      cleanup();
    }
  });
});

describe.skipIf(!existsSync(wanDir))('tiny test model: Wan safetensors folders (save_pretrained)', () => {
  it('opens the sharded text encoder through its index, and sizes agree with the index total', () => {
    const folder = join(wanDir, 'text_encoder');
    const index = JSON.parse(readFileSync(join(folder, 'model.safetensors.index.json'), 'utf8'));
    const shards = new Set(Object.values(index.weight_map as Record<string, string>));
    expect(shards.size).toBeGreaterThan(1);
    const src = openSafetensorsFolder(folder);
    expect(src.keys().sort()).toEqual(Object.keys(index.weight_map).sort());
    const total = src.keys().reduce((n, k) => {
      const { dtype, shape } = src.info(k);
      return n + shapeElements(shape) * DTYPE_BYTES[dtype];
    }, 0);
    expect(total).toBe(index.metadata.total_size);
    expect(expectPlausibleRandomWeights(src)).toBeGreaterThan(5);
    src.close();
  });

  it('opens the single-file VAE folder', () => {
    const src = openSafetensorsFolder(join(wanDir, 'vae'));
    expect(src.keys().length).toBeGreaterThan(50);
    expect(expectPlausibleRandomWeights(src)).toBeGreaterThan(20);
    src.close();
  });
});

describe.skipIf(!existsSync(flashCkpt))('tiny test model: FlashWorld model.ckpt (torch.save)', () => {
  it('splits into the transformer and recon decoder state dicts, every tensor readable', () => {
    const ckpt = openTorchCheckpoint(flashCkpt);
    const tr = ckpt.source('transformer.');
    const rd = ckpt.source('recon_decoder.');
    expect(tr.keys().length + rd.keys().length).toBe(ckpt.tensorNames().length);
    expect(tr.has('proj_out.weight')).toBe(true);
    expect(rd.keys().some((k) => k.startsWith('gs_head.'))).toBe(true);
    expect(expectPlausibleRandomWeights(tr)).toBeGreaterThan(5);
    expect(expectPlausibleRandomWeights(rd)).toBeGreaterThan(5);
    tr.close();
    rd.close();
    ckpt.close();
  });
});
