import { describe, expect, it } from 'vitest';
import { StudioError } from '../../shared/errors';
import { chunkFrames, planFrameChunks, runInFrameChunks } from './frameChunks';

describe('frame chunks', () => {
  it('splits 5 frames into calls of 2 with the last one padded to 2', () => {
    expect(planFrameChunks(5, 2)).toEqual([
      { start: 0, frames: 2, fed: 2 },
      { start: 2, frames: 2, fed: 2 },
      { start: 4, frames: 1, fed: 2 },
    ]);
    expect(planFrameChunks(6, 3)).toEqual([
      { start: 0, frames: 3, fed: 3 },
      { start: 3, frames: 3, fed: 3 },
    ]);
  });

  it('runs all frames at once when no limit is set or the limit is not smaller', () => {
    expect(planFrameChunks(24)).toEqual([{ start: 0, frames: 24, fed: 24 }]);
    expect(planFrameChunks(4, 8)).toEqual([{ start: 0, frames: 4, fed: 4 }]);
  });

  it('rejects a limit that is not a whole number of frames', () => {
    for (const bad of [0, -1, 1.5, Number.NaN]) expect(() => planFrameChunks(4, bad)).toThrow(StudioError);
  });

  it('pads a short chunk by repeating its last frame', () => {
    const data = Float32Array.of(0, 0.5, 1, 1.5, 2, 2.5); // 3 frames of 2 values
    expect(Array.from(chunkFrames(data, 2, { start: 2, frames: 1, fed: 3 }))).toEqual([2, 2.5, 2, 2.5, 2, 2.5]);
    expect(Array.from(chunkFrames(data, 2, { start: 0, frames: 2, fed: 2 }))).toEqual([0, 0.5, 1, 1.5]);
  });

  it('feeds every call the same number of frames and keeps only the real frames of the output', async () => {
    const frames = 5;
    const a = Float32Array.from({ length: frames * 2 }, (_, i) => i); // 2 values a frame
    const b = Float32Array.from({ length: frames }, (_, i) => 100 + i); // 1 value a frame
    const fedSizes: number[] = [];
    // a per-frame "network": 3 outputs per frame from that frame's inputs only
    const out = await runInFrameChunks({
      frames,
      maxFramesPerCall: 2,
      inputs: [{ data: a, frameSize: 2 }, { data: b, frameSize: 1 }],
      run: async ([x, y], fed) => {
        fedSizes.push(fed);
        expect(x.length).toBe(fed * 2);
        return Float32Array.from({ length: fed * 3 }, (_, i) => x[Math.floor(i / 3) * 2] + y[Math.floor(i / 3)] * (1 + (i % 3)));
      },
    });
    expect(fedSizes).toEqual([2, 2, 2]);
    const whole = Float32Array.from({ length: frames * 3 }, (_, i) => a[Math.floor(i / 3) * 2] + b[Math.floor(i / 3)] * (1 + (i % 3)));
    expect(Array.from(out)).toEqual(Array.from(whole));
  });

  it('keeps fp16 bits as Uint16Array through padded chunks and the concatenated output', async () => {
    const halves = Uint16Array.from({ length: 5 * 2 }, (_, i) => 0x3c00 + i); // 5 frames of 2 fp16 values
    const noise = Float32Array.from({ length: 5 }, (_, i) => i);
    const seen: string[] = [];
    const out = await runInFrameChunks({
      frames: 5,
      maxFramesPerCall: 3,
      inputs: [{ data: halves, frameSize: 2 }, { data: noise, frameSize: 1 }],
      run: async ([x, y], fed) => {
        seen.push(`${x.constructor.name}:${x.length} ${y.constructor.name}:${y.length}`);
        return Uint16Array.from({ length: fed }, (_, f) => x[f * 2 + 1] + y[f]);
      },
    });
    expect(seen).toEqual(['Uint16Array:6 Float32Array:3', 'Uint16Array:6 Float32Array:3']);
    expect(out).toBeInstanceOf(Uint16Array);
    expect(Array.from(out)).toEqual([0, 1, 2, 3, 4].map((f) => 0x3c00 + f * 2 + 1 + f));
  });

  it('says so when an input does not hold whole frames', async () => {
    const run = runInFrameChunks({ frames: 3, maxFramesPerCall: 2, inputs: [{ data: new Float32Array(7), frameSize: 2 }], run: async (x) => x[0] });
    await expect(run).rejects.toThrow(/7 values, not 3 frames × 2/);
  });
});
