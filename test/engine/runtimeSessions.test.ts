/**
 * Which ONNX session sees which input shapes during a generation (test model, CPU EP). On CUDA a
 * session whose input shape changes re-tunes its convolutions, so every session must keep one shape.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validateGenerationRequest } from '../../src/shared/request/generationRequest';
import { createFlashWorldRuntime, type FlashWorldRuntime } from '../../src/engine/runtime';
import { fixturesDir } from '../helpers/fixtures';
import { watchedOpen, type WatchedSession } from '../helpers/watchedSessions';

const cam = (z: number) => ({ quaternion: [1, 0, 0, 0], position: [0.1 * z, 0, z], fx: 48, fy: 48, cx: 48, cy: 32 });
const request = (frames: number) =>
  validateGenerationRequest({
    text_prompt: 'a stone bridge',
    image_prompt: join(fixturesDir, 'images', 'case0.png'),
    cameras: [cam(0), cam(-0.3), cam(-0.6)],
    resolution: [frames, 64, 96],
  });

describe('VAE encoder sessions', () => {
  const sessions: WatchedSession[] = [];
  let runtime: FlashWorldRuntime;
  const vae = () => sessions.filter((s) => s.graph === 'wan_vae_encoder.onnx');

  beforeAll(async () => {
    runtime = await createFlashWorldRuntime({ model: 'test', cacheDir: mkdtempSync(join(tmpdir(), 'fw-sessions-')), openSession: watchedOpen(sessions) });
  }, 300_000);
  afterAll(() => runtime.dispose());

  it('encodes the prompt image and the renders in two sessions of the same graph, one shape each', async () => {
    await runtime.generateScene(request(3), { seed: 1 });
    await runtime.generateScene(request(3), { seed: 2 });
    expect(vae()).toHaveLength(2);
    const shapes = vae().map((s) => [...s.shapes]);
    expect(shapes).toContainEqual(['image[1,3,64,96] noise[1,4,4,6]']);
    expect(shapes).toContainEqual(['image[3,3,64,96] noise[3,4,4,6]']);
  }, 120_000);

  it('releases both VAE sessions with the others', async () => {
    await runtime.dispose();
    expect(vae().every((s) => s.released)).toBe(true);
    expect(sessions.every((s) => s.released)).toBe(true);
  });
});
