/**
 * The engine host with a scene in fp16 (what the recon decoder gives on the GPU): the PLY, the
 * SPZ, the thumbnail and the splat count it reports are those of the same scene widened to f32,
 * and the video writer gets the fp16 bits as they are (the rasterizer reads them).
 */
import { readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { float16Data, float32Data, type FloatData } from '../pipeline/floatData';
import { float32ArrayToHalf, halfArrayToFloat32 } from '../weights/halfFloat';
import { cleanupTempDirs, tempDir } from '../../../test/helpers/onnxHarness';
import { randomEngineGaussians } from '../../../test/helpers/randomSplats';
import type { HostReply } from './hostProtocol';
import { createHostWorker, type HostRuntime } from './hostWorker';
import { renderThumbnail } from './thumbnail';

afterAll(() => cleanupTempDirs());

const CAMERA0 = [1, 0, 0, 0, 0, 0, 0, 0.5, 0.75, 0.5, 0.5];
const REQUEST = {
  text_prompt: 'a stone bridge',
  cameras: [0, -0.3].map((z) => ({ quaternion: [0.9, 0.1, -0.3, 0.3], position: [0.5, -1, z], fx: 48, fy: 48, cx: 48, cy: 32 })),
  resolution: [2, 64, 96],
};

/** fp16 engine Gaussians in front of camera 0 (z < 0), with some NaN and infinite values. */
function halfScene(count: number): Uint16Array {
  const g = randomEngineGaussians(count, 5);
  for (let i = 0; i < count; i++) g[i * 38 + 2] = -1 - Math.abs(g[i * 38 + 2]);
  const bits = float32ArrayToHalf(g);
  for (let i = 0; i < bits.length; i += 97) bits[i] = [0x7e00, 0x7c00, 0xfc00, 0x0001][i % 4];
  return bits;
}

async function runJob(gaussians: FloatData) {
  const replies: HostReply[] = [];
  const videoInputs: FloatData[] = [];
  const resultsDir = tempDir('host-scenes-');
  const runtime: HostRuntime = {
    info: { label: 'fake', randomWeights: true },
    generateScene: async () => ({ gaussians, count: gaussians.data.length / 38, tNorm: 1.3, cameras: Float32Array.from([...CAMERA0, ...CAMERA0]), timingsMs: {} }),
  };
  let settle: (r: HostReply) => void = () => undefined;
  const handle = createHostWorker(
    (r) => {
      replies.push(r);
      if (['done', 'failed', 'videoDone', 'videoFailed', 'fatal'].includes(r.type)) settle(r);
    },
    async () => runtime,
    async (_path, g) => videoInputs.push(g),
  );
  const next = () => new Promise<HostReply>((resolve) => (settle = resolve));
  handle({ type: 'init', model: 'test', cacheDir: resultsDir, resultsDir });
  let waiting = next();
  handle({ type: 'generate', jobId: 'job1', request: REQUEST, seed: 1 });
  const done = await waiting;
  if (done.type !== 'done') throw new Error(`job failed: ${JSON.stringify(done)}`);
  waiting = next();
  handle({ type: 'video', taskId: 1, jobId: 'job1', path: `${resultsDir}/v.mp4` });
  expect((await waiting).type).toBe('videoDone');
  return { done, ply: readFileSync(done.files.ply), spz: readFileSync(done.files.spz), videoInputs };
}

describe('host worker: fp16 scenes', () => {
  const bits = halfScene(5000);

  it('writes the PLY, SPZ and thumbnail of the widened scene and hands the video the fp16 bits', async () => {
    const half = float16Data(bits);
    const a = await runJob(half);
    const b = await runJob(float32Data(halfArrayToFloat32(bits)));
    expect(a.done.splatCount).toBe(b.done.splatCount);
    expect(a.done.splatCount).toBeGreaterThan(4000);
    expect(a.ply.equals(b.ply)).toBe(true);
    expect(a.spz.equals(b.spz)).toBe(true);
    expect(a.done.thumbnail).toBe(b.done.thumbnail);
    expect(a.videoInputs).toEqual([half]);
    expect(a.videoInputs[0]).toBe(half);
  });

  it('draws the same thumbnail from fp16 bits as from their widened values, and not an empty one', () => {
    const fromHalf = renderThumbnail(float16Data(bits), 38, CAMERA0, 0.75);
    expect(fromHalf.equals(renderThumbnail(halfArrayToFloat32(bits), 38, CAMERA0, 0.75))).toBe(true);
    expect(fromHalf.equals(renderThumbnail(new Float32Array(0), 38, CAMERA0, 0.75))).toBe(false);
  });
});
