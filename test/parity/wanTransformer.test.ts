/**
 * FlashWorld's Wan transformer graph against upstream's own forward pass on the tiny test model
 * (tools/reference/make_network_fixtures.py `transformer`): the same weights read from model.ckpt,
 * the same inputs, ORT CPU. References: out_fp32 (upstream on the CPU with its bf16 casts turned
 * into fp32) and out_bf16 (upstream on the GPU under bf16 autocast: what users get).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StudioError } from '../../src/shared/errors';
import type { GraphCacheEvent } from '../../src/engine/onnx/cache';
import { createSession, toFloat32, type HostTensor } from '../../src/engine/onnx/session';
import {
  WAN_TRANSFORMER_IO,
  getWanTransformerGraph,
  wanTransformerFeeds,
  type WanAttentionImpl,
} from '../../src/engine/models/wanTransformer';
import { readWanTransformerConfig, type WanTransformerConfig } from '../../src/engine/models/wanTransformerConfig';
import { openTorchCheckpoint, type TorchCheckpoint } from '../../src/engine/weights/torchCheckpoint';
import type { WeightSource } from '../../src/engine/weights/types';
import { compareArrays, loadFixture, testModelDir } from '../helpers/fixtures';
import { cleanupTempDirs, tempDir } from '../helpers/onnxHarness';

const CKPT = join(testModelDir, 'imlixinyang', 'FlashWorld', 'model.ckpt');
const CONFIG_DIR = join(testModelDir, 'Wan-AI', 'Wan2.2-TI2V-5B-Diffusers', 'transformer');

const fx = loadFixture('parity/transformer.safetensors').tensors;
const hidden = fx.hidden_states.data as Float32Array;
const [, , T, H, W] = fx.hidden_states.shape;
const grid = { frames: T, height: H, width: W };
const timestep = fx.timestep.data as Float32Array;
const text = fx.encoder_hidden_states.data as Float32Array;
const outFp32 = fx.out_fp32.data as Float32Array;
const outBf16 = fx.out_bf16.data as Float32Array;

/**
 * fp32 graph vs fp32 upstream: the same operations in the same precision; only summation order
 * and last-ulp differences of exp/sin/tanh remain, so the worst element stays within 2e-5 of the
 * output's scale (observed ≈ 1.5e-6).
 */
const FP32_TOL = 2e-5;
/**
 * fp16 graph (fp16 weights/matmuls/attention, fp32 residual and norms) vs fp32 upstream: fp16 keeps
 * 11 significant bits (relative rounding 2^-11 ≈ 4.9e-4 per op); over two blocks the worst element
 * stays within 5e-3 of the output's scale (observed ≈ 7e-4).
 */
const FP16_TOL = 5e-3;
/**
 * Against out_bf16, upstream itself is the noisy side: it runs every block in bf16 (8 significant
 * bits, 2^-9 ≈ 2e-3 per op, the residual stream included), so its own fp32 run differs from it by
 * ≈ 0.8 % of the scale. We require (a) at most 2 % of the scale and (b) no more distance than
 * upstream's fp32 run has, plus our own fp32/fp16 tolerance: the whole gap is bf16 rounding.
 */
const BF16_TOL = 2e-2;
const UPSTREAM_FP32_TO_BF16 = compareArrays(outFp32, outBf16).maxAbs;

let ckpt: TorchCheckpoint;
let weights: WeightSource;
let config: WanTransformerConfig;
const cacheDir = tempDir('wan-transformer-cache-');

beforeAll(() => {
  ckpt = openTorchCheckpoint(CKPT);
  weights = ckpt.source('transformer.');
  config = readWanTransformerConfig(CONFIG_DIR, weights);
});

afterAll(() => {
  weights?.close();
  ckpt?.close();
  cleanupTempDirs();
});

async function runGraph(modelPath: string, feeds: Record<string, HostTensor>): Promise<HostTensor> {
  const session = await createSession(modelPath, { provider: 'cpu' });
  try {
    return (await session.run(feeds))[WAN_TRANSFORMER_IO.output];
  } finally {
    await session.release();
  }
}

function graph(floatType: 'float32' | 'float16', attention: WanAttentionImpl, ioType: 'float32' | 'float16', onEvent?: (e: GraphCacheEvent) => void) {
  return getWanTransformerGraph({ cacheDir, weights, weightsId: 'test-model', config, floatType, attention, ioType, onEvent });
}

function report(label: string, actual: Float32Array): { fp32: ReturnType<typeof compareArrays>; bf16: ReturnType<typeof compareArrays> } {
  const fp32 = compareArrays(actual, outFp32);
  const bf16 = compareArrays(actual, outBf16);
  console.log(
    `[wan transformer ${label}] vs out_fp32: max abs ${fp32.maxAbs.toExponential(3)} (scale ${fp32.refMaxAbs.toFixed(3)}, ` +
      `${(fp32.maxAbs / fp32.refMaxAbs).toExponential(2)} of it), max rel ${fp32.maxRel.toExponential(3)} | ` +
      `vs out_bf16: max abs ${bf16.maxAbs.toExponential(3)} (${(bf16.maxAbs / bf16.refMaxAbs).toExponential(2)} of scale), max rel ${bf16.maxRel.toExponential(3)} ` +
      `| upstream fp32↔bf16 max abs ${UPSTREAM_FP32_TO_BF16.toExponential(3)}`,
  );
  return { fp32, bf16 };
}

describe('Wan transformer config', () => {
  it('derives the FlashWorld widths from the checkpoint: latent 4, features 16, input 34, output 20', () => {
    expect(config).toMatchObject({ latentChannels: 4, featChannels: 16, inChannels: 34, outChannels: 20, dim: 24, numHeads: 2, headDim: 12 });
    expect(fx.hidden_states.shape[1]).toBe(config.inChannels);
    expect(fx.out_fp32.shape[1]).toBe(config.outChannels);
  });

  it('rejects a config whose latent width does not fit the checkpoint', () => {
    const json = JSON.parse(readFileSync(join(CONFIG_DIR, 'config.json'), 'utf8')) as Record<string, unknown>;
    let error: unknown;
    try {
      readWanTransformerConfig({ ...json, in_channels: 5 }, weights);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(StudioError);
    expect((error as StudioError).code).toBe('WEIGHTS_SHAPE_MISMATCH');
  });
});

describe('Wan transformer parity with upstream', () => {
  for (const attention of ['contrib', 'plain'] as const) {
    it(`fp32 graph (${attention} attention) matches upstream fp32 tightly and bf16 within bf16 rounding`, async () => {
      const events: GraphCacheEvent[] = [];
      const modelPath = await graph('float32', attention, 'float32', (e) => events.push(e));
      expect(events.map((e) => e.type)).toEqual(['build', 'built']);
      const out = await runGraph(modelPath, wanTransformerFeeds({ config, grid, hiddenStates: hidden, timestep, encoderHiddenStates: text }));
      expect(out.dtype).toBe('float32');
      expect(out.shape).toEqual(fx.out_fp32.shape);
      const { fp32, bf16 } = report(`fp32 ${attention}`, toFloat32(out));
      expect(fp32.maxAbs).toBeLessThanOrEqual(FP32_TOL * fp32.refMaxAbs);
      expect(bf16.maxAbs).toBeLessThanOrEqual(BF16_TOL * bf16.refMaxAbs);
      expect(bf16.maxAbs).toBeLessThanOrEqual(UPSTREAM_FP32_TO_BF16 + FP32_TOL * fp32.refMaxAbs);
      // a second request is served from the cache
      const again: GraphCacheEvent[] = [];
      expect(await graph('float32', attention, 'float32', (e) => again.push(e))).toBe(modelPath);
      expect(again.map((e) => e.type)).toEqual(['hit']);
    });
  }

  for (const [attention, ioType] of [['contrib', 'float16'], ['plain', 'float32']] as const) {
    it(`fp16 graph (${attention} attention, ${ioType} I/O) runs on ORT CPU within fp16 rounding of upstream`, async () => {
      const modelPath = await graph('float16', attention, ioType);
      const feeds = wanTransformerFeeds({ config, grid, hiddenStates: hidden, timestep, encoderHiddenStates: text, ioType });
      const out = await runGraph(modelPath, feeds);
      expect(out.dtype).toBe(ioType);
      expect(out.shape).toEqual(fx.out_fp32.shape);
      const { fp32, bf16 } = report(`fp16 ${attention} io=${ioType}`, toFloat32(out));
      expect(fp32.maxAbs).toBeLessThanOrEqual(FP16_TOL * fp32.refMaxAbs);
      expect(bf16.maxAbs).toBeLessThanOrEqual(BF16_TOL * bf16.refMaxAbs);
      expect(bf16.maxAbs).toBeLessThanOrEqual(UPSTREAM_FP32_TO_BF16 + FP16_TOL * fp32.refMaxAbs);
    });
  }

  it('keeps batch elements independent: a batch of two equals two single runs', async () => {
    const modelPath = await graph('float32', 'contrib', 'float32');
    // second sample: other latents (reversed), another timestep, other text (negated)
    const hidden2 = hidden.slice().reverse();
    const text2 = text.map((v) => -v);
    const t2 = Float32Array.of(timestep[0] * 0.5);
    const both = await runGraph(
      modelPath,
      wanTransformerFeeds({
        config,
        grid,
        hiddenStates: concat(hidden, hidden2),
        timestep: Float32Array.of(timestep[0], t2[0]),
        encoderHiddenStates: concat(text, text2),
      }),
    );
    const second = await runGraph(modelPath, wanTransformerFeeds({ config, grid, hiddenStates: hidden2, timestep: t2, encoderHiddenStates: text2 }));
    const y = toFloat32(both);
    const n = outFp32.length;
    expect(both.shape).toEqual([2, ...fx.out_fp32.shape.slice(1)]);
    const first = compareArrays(y.subarray(0, n), outFp32);
    expect(first.maxAbs).toBeLessThanOrEqual(FP32_TOL * first.refMaxAbs);
    expect(compareArrays(y.subarray(n), toFloat32(second)).maxAbs).toBeLessThan(1e-5);
    // the second sample really differs, so the check above is not vacuous
    expect(compareArrays(y.subarray(n), outFp32).maxAbs).toBeGreaterThan(0.1);
  });

  it('serves another resolution and frame count from the same graph', async () => {
    const modelPath = await graph('float32', 'contrib', 'float32');
    const small = { frames: 2, height: 4, width: 6 };
    const crop = new Float32Array(config.inChannels * small.frames * small.height * small.width);
    let o = 0;
    for (let c = 0; c < config.inChannels; c++)
      for (let t = 0; t < small.frames; t++)
        for (let y = 0; y < small.height; y++)
          for (let x = 0; x < small.width; x++) crop[o++] = hidden[((c * T + t) * H + y) * W + x];
    const out = await runGraph(modelPath, wanTransformerFeeds({ config, grid: small, hiddenStates: crop, timestep, encoderHiddenStates: text }));
    expect(out.shape).toEqual([1, config.outChannels, small.frames, small.height, small.width]);
    expect(toFloat32(out).every(Number.isFinite)).toBe(true);
  });
});

function concat(a: Float32Array, b: Float32Array): Float32Array {
  const out = new Float32Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}
