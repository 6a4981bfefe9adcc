/**
 * The runtime's own behaviour on the built-in test model: seeds, the text-embedding cache,
 * cancellation between stages.
 */
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { validateGenerationRequest } from '../../src/shared/request/generationRequest';
import { createFlashWorldRuntime, type FlashWorldRuntime } from '../../src/engine/runtime';

const cam = (z: number) => ({ quaternion: [1, 0, 0, 0], position: [0.1 * z, 0, z], fx: 48, fy: 48, cx: 48, cy: 32 });
const request = (text: string) =>
  validateGenerationRequest({ text_prompt: text, cameras: [cam(0), cam(-0.3), cam(-0.6)], resolution: [2, 64, 96] });

describe('FlashWorld runtime (test model)', () => {
  let runtime: FlashWorldRuntime;
  let textEncodes = 0;

  beforeAll(async () => {
    runtime = await createFlashWorldRuntime({ model: 'test', cacheDir: join(tmpdir(), 'flashworld-test-graphs') });
    const encode = runtime.networks.encodeText.bind(runtime.networks);
    runtime.networks.encodeText = (ids, mask) => {
      textEncodes++;
      return encode(ids, mask);
    };
  }, 300_000);

  it('labels the test model as random weights', () => {
    expect(runtime.info).toMatchObject({ randomWeights: true, provider: 'cpu', floatType: 'float32' });
    // everything runs on the CPU provider, so every graph is float32
    expect(runtime.info.floatTypes).toEqual({ 'text encoder': 'float32', 'VAE encoder': 'float32', transformer: 'float32', 'recon decoder': 'float32' });
    expect(runtime.info.label).toMatch(/random weights/);
  });

  it('gives the same scene for the same seed and another for another seed', async () => {
    const a = await runtime.generateScene(request('a stone bridge'), { seed: 11 });
    const b = await runtime.generateScene(request('a stone bridge'), { seed: 11 });
    const c = await runtime.generateScene(request('a stone bridge'), { seed: 12 });
    expect(a.count).toBe(2 * 2 * 32 * 48);
    expect(a.seed).toBe(11);
    // CPU graphs are f32, so the Gaussians are too
    expect(a.gaussians.dtype).toBe('float32');
    expect(Buffer.from(a.gaussians.data.buffer).equals(Buffer.from(b.gaussians.data.buffer))).toBe(true);
    expect(a.gaussians.data.some((v, i) => v !== c.gaussians.data[i])).toBe(true);
  });

  it('encodes a prompt once and reuses its embedding', async () => {
    const before = textEncodes;
    await runtime.generateScene(request('a lighthouse on a cliff'), { seed: 1 });
    await runtime.generateScene(request('a lighthouse on a cliff'), { seed: 2 });
    expect(textEncodes - before).toBe(1);
    await runtime.generateScene(request('a different prompt'), { seed: 1 });
    expect(textEncodes - before).toBe(2);
  });

  it('stops between stages when cancelled and says so', async () => {
    const controller = new AbortController();
    const seen: string[] = [];
    const run = runtime.generateScene(request('a harbor'), {
      seed: 5,
      signal: controller.signal,
      onStage: (s) => {
        seen.push(s.stage === 'step' ? `${s.step} ${s.part}` : s.stage);
        if (s.stage === 'step' && s.step === 2 && s.part === 'transformer') controller.abort();
      },
    });
    await expect(run).rejects.toMatchObject({ code: 'CANCELLED' });
    expect(seen.at(-1)).toBe('2 transformer');
    expect(seen).not.toContain('done');
  });
});

describe('FlashWorld runtime on a machine without CUDA', () => {
  it('falls back to the CPU with a warning that says why, and still generates', async () => {
    // This machine's onnxruntime-node has no CUDA provider (installed with ONNXRUNTIME_NODE_INSTALL=skip).
    const rt = await createFlashWorldRuntime({ model: 'test', provider: 'cuda', memoryMode: 'auto', cacheDir: join(tmpdir(), 'flashworld-test-graphs-cpu-fallback') });
    try {
      expect(rt.info.provider).toBe('cpu');
      expect(rt.info.floatType).toBe('float32');
      expect(Object.values(rt.info.floatTypes)).toEqual(['float32', 'float32', 'float32', 'float32']);
      expect(rt.info.warnings).toHaveLength(1);
      expect(rt.info.warnings[0]).toMatch(/^Running on the CPU \(much slower\): ONNX Runtime's CUDA provider is not installed/);
      const scene = await rt.generateScene(request('a quiet lake'), { seed: 1 });
      expect(scene.count).toBe(2 * 2 * 32 * 48);
    } finally {
      await rt.dispose();
    }
  }, 300_000);
});
