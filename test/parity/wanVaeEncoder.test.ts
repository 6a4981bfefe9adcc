/**
 * Wan2.2 VAE encoder parity with upstream (tools/reference/make_network_fixtures.py `vae_encoder`):
 * the tiny test model's VAE, with upstream's causal-padding cut, run by diffusers' `vae.encode` on
 * two 128×192 images; `latent_dist.sample()` with the recorded noise; upstream `latent_scale_fn`.
 * References: fp32 on the CPU (same maths as our fp32 graph) and bf16 autocast on the GPU (what
 * upstream users get). Our graph is built from the real safetensors file through the real reader.
 */
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { getWanVaeEncoderGraph, readWanVaeConfig, wanVaeLatentSize, type WanVaeConfig } from '../../src/engine/models/wanVaeEncoder';
import { fileFingerprint } from '../../src/engine/onnx/cache';
import { createSession, floatTensor, toFloat32, type GraphSession } from '../../src/engine/onnx/session';
import { openSafetensors } from '../../src/engine/weights/safetensors';
import { compareArrays, fixtureExists, loadFixture, testModelDir } from '../helpers/fixtures';
import { cleanupTempDirs, tempDir } from '../helpers/onnxHarness';

const FIXTURE = 'parity/vae_encoder.safetensors';
const vaeDir = join(testModelDir, 'Wan-AI', 'Wan2.2-TI2V-5B-Diffusers', 'vae');
const weightsPath = join(vaeDir, 'diffusion_pytorch_model.safetensors');
const present = fixtureExists(FIXTURE);

afterAll(cleanupTempDirs);

async function encoderSession(floatType: 'float32' | 'float16', config: WanVaeConfig, attention: 'plain' | 'contrib' = 'plain'): Promise<GraphSession> {
  const weights = openSafetensors(weightsPath);
  try {
    const modelPath = await getWanVaeEncoderGraph({ cacheDir: tempDir('vae-enc-'), weights, weightsId: fileFingerprint(weightsPath), config, floatType, attention });
    return await createSession(modelPath, { provider: 'cpu' });
  } finally {
    weights.close();
  }
}

function report(label: string, actual: Float32Array, expected: ArrayLike<number>) {
  const r = compareArrays(actual, expected);
  console.log(`VAE encoder ${label}: max abs ${r.maxAbs.toExponential(3)}, max rel ${r.maxRel.toExponential(3)}, reference max |x| ${r.refMaxAbs.toFixed(4)}`);
  return r;
}

describe('Wan VAE encoder parity with upstream', () => {
  const fx = present ? loadFixture(FIXTURE).tensors : {};
  const config = readWanVaeConfig(vaeDir);
  const [batch, , height, width] = present ? fx.image.shape : [0, 0, 0, 0];
  const latent = present ? wanVaeLatentSize(config, height, width) : { height: 0, width: 0 };
  const latentShape = [batch, config.zDim, latent.height, latent.width];
  const feeds = (type: 'float32' | 'float16') => ({
    image: floatTensor(type, fx.image.shape, fx.image.data as Float32Array),
    noise: floatTensor('float32', latentShape, fx.noise.data as Float32Array),
  });

  /** The bf16 reference sample, normalised the same way (upstream latent_scale_fn in fp32). */
  function normalisedBf16(): Float32Array {
    const s = fx.sample_bf16.data as Float32Array;
    const m = fx.latents_mean.data as Float32Array;
    const d = fx.latents_std.data as Float32Array;
    const plane = latent.height * latent.width;
    return s.map((v, i) => (v - m[Math.floor(i / plane) % config.zDim]) / d[Math.floor(i / plane) % config.zDim]);
  }

  it('reads latents_mean/std from config.json as upstream does', () => {
    expect(Float32Array.from(config.latentsMean)).toEqual(fx.latents_mean.data);
    expect(Float32Array.from(config.latentsStd)).toEqual(fx.latents_std.data);
  });

  it("matches upstream's fp32 encoder: posterior mean and normalised sample", async () => {
    for (const attention of ['plain', 'contrib'] as const) {
      const session = await encoderSession('float32', config, attention);
      const out = await session.run(feeds('float32'));
      await session.release();
      expect(out.mean.shape).toEqual(latentShape);
      expect(out.latents.shape).toEqual(latentShape);
      // fp32 vs fp32: only summation order differs (ORT vs torch conv kernels) across ~30 layers;
      // measured ≈ 5e-7 absolute at an output scale of ~1-4, so 1e-5 absolute (≈ 1e-5 relative
      // to the scale) is tight yet not flaky across CPUs.
      const mean = report(`fp32 mean (${attention} attention)`, toFloat32(out.mean), fx.mean_fp32.data as Float32Array);
      const latents = report(`fp32 latents (${attention} attention)`, toFloat32(out.latents), fx.normalized_fp32.data as Float32Array);
      expect(mean.maxAbs).toBeLessThan(1e-5 * Math.max(1, mean.refMaxAbs));
      expect(latents.maxAbs).toBeLessThan(1e-5 * Math.max(1, latents.refMaxAbs));
    }
  });

  it("stays within bf16 rounding of upstream's GPU bf16 encoder", async () => {
    const session = await encoderSession('float32', config);
    const out = await session.run(feeds('float32'));
    await session.release();
    // bf16 keeps 8 significant bits (relative rounding 2^-9 ≈ 0.2 % per op); upstream rounds every
    // activation and weight of ~30 layers to it, so errors of ~1 % of the output scale are expected
    // (measured 1.4 % on the mean). 3 % of the scale still catches any structural mistake, which
    // shows up as errors of the order of the outputs themselves.
    const mean = report('fp32 graph vs bf16 mean', toFloat32(out.mean), fx.mean_bf16.data as Float32Array);
    const latents = report('fp32 graph vs bf16 normalised sample', toFloat32(out.latents), normalisedBf16());
    expect(mean.maxAbs).toBeLessThan(0.03 * mean.refMaxAbs);
    expect(latents.maxAbs).toBeLessThan(0.03 * latents.refMaxAbs);
  });

  it('runs as an fp16 graph (fp32 norm statistics) on ORT CPU close to both references', async () => {
    const session = await encoderSession('float16', config);
    const out = await session.run(feeds('float16'));
    await session.release();
    expect(out.mean.dtype).toBe('float32');
    // fp16 keeps 11 significant bits: ~8× finer than bf16, so the fp32 reference must be met to
    // 1 % of the scale (measured ≈ 0.12 %) and the bf16 one within the bf16 bound above.
    const vs32 = report('fp16 graph vs fp32 mean', toFloat32(out.mean), fx.mean_fp32.data as Float32Array);
    const vsBf16 = report('fp16 graph vs bf16 mean', toFloat32(out.mean), fx.mean_bf16.data as Float32Array);
    const latents = report('fp16 graph vs fp32 latents', toFloat32(out.latents), fx.normalized_fp32.data as Float32Array);
    expect(vs32.maxAbs).toBeLessThan(0.01 * vs32.refMaxAbs);
    expect(latents.maxAbs).toBeLessThan(0.01 * latents.refMaxAbs);
    expect(vsBf16.maxAbs).toBeLessThan(0.03 * vsBf16.refMaxAbs);
  });

  it('serves any batch and resolution from one graph (dynamic axes)', async () => {
    const session = await encoderSession('float32', config);
    // batch 1 with the second image gives the second row of the batch-2 reference
    const per = 3 * height * width;
    const plane = config.zDim * latent.height * latent.width;
    const one = await session.run({
      image: floatTensor('float32', [1, 3, height, width], (fx.image.data as Float32Array).slice(per, 2 * per)),
      noise: floatTensor('float32', [1, config.zDim, latent.height, latent.width], (fx.noise.data as Float32Array).slice(plane, 2 * plane)),
    });
    const row = report('batch-1 run vs row 1 of the fp32 reference', toFloat32(one.latents), (fx.normalized_fp32.data as Float32Array).slice(plane, 2 * plane));
    expect(row.maxAbs).toBeLessThan(1e-5 * Math.max(1, row.refMaxAbs));
    // another resolution: the top-left 64×96 crop gives a 4×6 latent grid
    const crop = new Float32Array(3 * 64 * 96);
    for (let c = 0; c < 3; c++) for (let y = 0; y < 64; y++) crop.set((fx.image.data as Float32Array).subarray(c * height * width + y * width, c * height * width + y * width + 96), (c * 64 + y) * 96);
    const small = await session.run({ image: floatTensor('float32', [1, 3, 64, 96], crop), noise: floatTensor('float32', [1, config.zDim, 4, 6], new Float32Array(config.zDim * 24)) });
    await session.release();
    expect(small.latents.shape).toEqual([1, config.zDim, 4, 6]);
    expect(toFloat32(small.mean).every(Number.isFinite)).toBe(true);
  });

  it('rejects image sizes the VAE cannot encode exactly', () => {
    expect(() => wanVaeLatentSize(config, 120, 192)).toThrow(/multiples of 16/);
  });
});
