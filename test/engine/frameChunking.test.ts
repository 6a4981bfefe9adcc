/**
 * Frames are independent in the VAE encoder and the recon decoder, so running them a few frames
 * per call (RuntimeOptions.maxFramesPerCall) gives the same outputs as all frames at once. Both
 * graphs treat frames as the batch axis: 2-D convolutions, RMS norms over channels, attention
 * within one frame's pixels, and the Gaussian head takes each view's own camera row; nothing
 * reduces or attends across frames. Test model on the CPU EP, 5 frames (not a multiple of the
 * chunk sizes), each frame different.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { float32Data, widenToFloat32 } from '../../src/engine/pipeline/floatData';
import { createFlashWorldRuntime, type FlashWorldRuntime } from '../../src/engine/runtime';
import { validateGenerationRequest } from '../../src/shared/request/generationRequest';
import { fixturesDir } from '../helpers/fixtures';
import { seeded } from '../helpers/onnxHarness';
import { watchedOpen, type WatchedSession } from '../helpers/watchedSessions';

const FRAMES = 5;
const HEIGHT = 64;
const WIDTH = 96;
const h = HEIGHT / 16;
const w = WIDTH / 16;

/** Normalised 11-vectors [q wxyz, t, fx/W, fy/H, cx/W, cy/H], a different pose per frame. */
function cameras(frames: number): Float32Array {
  const out = new Float32Array(frames * 11);
  const q = seeded(frames * 4, 7);
  const t = seeded(frames * 3, 8, -0.5, 0.5);
  for (let f = 0; f < frames; f++) {
    const n = Math.hypot(q[f * 4], q[f * 4 + 1], q[f * 4 + 2], q[f * 4 + 3]);
    for (let k = 0; k < 4; k++) out[f * 11 + k] = q[f * 4 + k] / n;
    out.set(t.subarray(f * 3, f * 3 + 3), f * 11 + 4);
    out.set([0.7 + 0.05 * f, 1.05, 0.5, 0.48], f * 11 + 7);
  }
  return out;
}

function worstDifference(a: Float32Array, b: Float32Array): number {
  expect(a.length).toBe(b.length);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]) / Math.max(1, Math.abs(b[i])));
  return worst;
}

describe('frame chunking (maxFramesPerCall)', () => {
  const cacheDir = mkdtempSync(join(tmpdir(), 'fw-chunks-'));
  const sessions: Record<number, WatchedSession[]> = { 2: [], 3: [] };
  let whole: FlashWorldRuntime;
  const chunked: Record<number, FlashWorldRuntime> = {};

  beforeAll(async () => {
    whole = await createFlashWorldRuntime({ model: 'test', cacheDir });
    for (const k of [2, 3]) chunked[k] = await createFlashWorldRuntime({ model: 'test', cacheDir, maxFramesPerCall: k, openSession: watchedOpen(sessions[k]) });
  }, 300_000);
  afterAll(async () => {
    await whole.dispose();
    for (const rt of Object.values(chunked)) await rt.dispose();
  });

  it('encodes 5 renders in chunks of 2 or 3 exactly as all 5 at once', async () => {
    const z = whole.networks.latentDim;
    const images = seeded(FRAMES * 3 * HEIGHT * WIDTH, 1);
    const noise = seeded(FRAMES * z * h * w, 2);
    const reference = await whole.networks.encodeImages(float32Data(images), noise, FRAMES, HEIGHT, WIDTH);
    expect(reference.length).toBe(FRAMES * z * h * w);
    for (const k of [2, 3]) {
      const out = await chunked[k].networks.encodeImages(float32Data(images), noise, FRAMES, HEIGHT, WIDTH);
      const worst = worstDifference(out, reference);
      console.log(`VAE encoder, ${FRAMES} frames in chunks of ${k}: worst relative difference ${worst.toExponential(2)}`);
      expect(worst).toBeLessThanOrEqual(1e-6);
    }
  }, 120_000);

  it('decodes 5 frames in chunks of 2 or 3 exactly as all 5 at once', async () => {
    const { featDim, latentDim } = whole.networks;
    const feats = seeded(FRAMES * featDim * h * w, 3);
    const latents = seeded(FRAMES * latentDim * h * w, 4);
    const cams = cameras(FRAMES);
    const reference = widenToFloat32(await whole.networks.reconDecode(float32Data(feats), latents, cams, FRAMES, h, w));
    expect(reference.length).toBe(FRAMES * 2 * 8 * h * 8 * w * 38);
    expect(reference.every(Number.isFinite)).toBe(true);
    for (const k of [2, 3]) {
      const out = widenToFloat32(await chunked[k].networks.reconDecode(float32Data(feats), latents, cams, FRAMES, h, w));
      const worst = worstDifference(out, reference);
      console.log(`recon decoder, ${FRAMES} frames in chunks of ${k}: worst relative difference ${worst.toExponential(2)}`);
      expect(worst).toBeLessThanOrEqual(1e-6);
    }
  }, 120_000);

  it('generates the same scene chunked as unchunked (image + text, 5 frames in chunks of 2)', async () => {
    const request = validateGenerationRequest({
      text_prompt: 'a stone bridge',
      image_prompt: join(fixturesDir, 'images', 'case0.png'),
      cameras: [0, -0.3, -0.6].map((z) => ({ quaternion: [1, 0, 0, 0], position: [0.1 * z, 0, z], fx: 48, fy: 48, cx: 48, cy: 32 })),
      resolution: [FRAMES, HEIGHT, WIDTH],
    });
    const a = await whole.generateScene(request, { seed: 3 });
    const b = await chunked[2].generateScene(request, { seed: 3 });
    expect(b.count).toBe(a.count);
    expect(worstDifference(widenToFloat32(b.gaussians), widenToFloat32(a.gaussians))).toBeLessThanOrEqual(1e-6);
  }, 120_000);

  it('refuses a frame limit that is not a whole number ≥ 1 before loading anything', async () => {
    const err = await createFlashWorldRuntime({ model: 'test', cacheDir, maxFramesPerCall: 0 }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'INVALID_REQUEST', message: expect.stringMatching(/maxFramesPerCall/) });
  });

  it('feeds each session one shape: every chunk, the padded last one too, has k frames', () => {
    for (const k of [2, 3]) {
      const shapesOf = (graph: string) => sessions[k].filter((s) => s.graph === graph).flatMap((s) => [...s.shapes]);
      // per session: the prompt image's session only ever sees batch 1 (k = 2 generated a scene)
      const vae = sessions[k].filter((s) => s.graph === 'wan_vae_encoder.onnx').map((s) => [...s.shapes]);
      expect(vae).toContainEqual([`image[${k},3,${HEIGHT},${WIDTH}] noise[${k},4,${h},${w}]`]);
      for (const shapes of vae) expect(shapes.length).toBeLessThanOrEqual(1);
      if (k === 2) expect(vae).toContainEqual([`image[1,3,${HEIGHT},${WIDTH}] noise[1,4,${h},${w}]`]);
      expect(shapesOf('recon_decoder.onnx')).toEqual([`cameras[1,${k},11] feats[${k},16,${h},${w}] z[${k},4,${h},${w}]`]);
    }
  });
});
