/**
 * 'auto' on cards of common sizes, with the full-size graphs (the estimate is calibrated on the
 * H200 runs, memoryEstimate.test.ts): the fastest mode that fits whole, else a GPU mode a few
 * frames a call before the minutes-long CPU mode.
 */
import { describe, expect, it } from 'vitest';
import { autoPlan } from './autoPlan';
import { estimateMemoryModes } from './memoryEstimate';

const FULL_GRAPHS = { 'text encoder': 11366191254, 'VAE encoder': 108509068, transformer: 10203648213, 'recon decoder': 417957888 };
const SIZE = { frames: 24, height: 480, width: 704 };
const plan = (freeGB: number, framesPerCall?: number) => autoPlan({ weightBytes: FULL_GRAPHS, size: SIZE, freeBytes: freeGB * 1e9, gpuName: 'Test GPU', framesPerCall });
const estimate = (mode: string, framesPerCall?: number) => estimateMemoryModes(FULL_GRAPHS, SIZE, { framesPerCall }).find((e) => e.mode === mode)!.gpuBytes;

describe("'auto' memory plan", () => {
  it('takes the fastest mode whole when it fits, and says nothing', () => {
    expect(plan(141)).toEqual({ mode: 'gpu', framesPerCall: undefined, note: null });
    expect(plan(75)).toEqual({ mode: 'unload-text-encoder', framesPerCall: undefined, note: null });
  });

  it('runs a GPU mode a few frames a call rather than the VAE and recon decoder on the CPU, with the most frames that fit', () => {
    for (const freeGB of [48, 32, 24]) {
      const p = plan(freeGB);
      expect(p.mode, `${freeGB} GB`).not.toBe('low-vram');
      expect(p.framesPerCall, `${freeGB} GB`).toBeLessThan(24);
      // it fits, with auto's 5 % margin
      expect(estimate(p.mode, p.framesPerCall)).toBeLessThanOrEqual(freeGB * 1e9 * 0.95);
      expect(p.note).toMatch(new RegExp(`${p.framesPerCall} frames? at a time`));
      expect(p.note).toContain('Test GPU');
    }
    expect(plan(48).framesPerCall).toBeGreaterThan(plan(32).framesPerCall!);
    expect(plan(32).framesPerCall).toBeGreaterThanOrEqual(plan(24).framesPerCall!);
  });

  it('falls back to low-vram only when no GPU mode fits even one frame a call, and says so when nothing fits', () => {
    const tight = plan(18.5); // low-vram's ≈ 17 GB fits, a GPU mode at one frame a call does not
    expect(tight).toEqual({ mode: 'low-vram', framesPerCall: undefined, note: null });
    const none = plan(8);
    expect(none.mode).toBe('low-vram');
    expect(none.note).toMatch(/No memory mode is expected to fit the 8\.0 GB free on Test GPU/);
  });

  it("keeps the user's own frames per call and only picks the mode", () => {
    expect(plan(141, 4)).toEqual({ mode: 'gpu', framesPerCall: 4, note: null });
    expect(plan(32, 12)).toMatchObject({ mode: 'low-vram', framesPerCall: 12 });
  });
});
