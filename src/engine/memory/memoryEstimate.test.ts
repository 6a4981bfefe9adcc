/**
 * The estimate against what the H200 runs measured (docs/BENCHMARKS.md, 2026-11-28, second
 * session): the graph sizes of that run, 24×480×704, and the peaks nvidia-smi saw for each mode.
 */
import { describe, expect, it } from 'vitest';
import { estimateMemoryModes, fastestFittingMode } from './memoryEstimate';

/** Bytes of the four fp16 graphs built from the official shapes (bench:gpu's log line). */
const FULL_GRAPHS = { 'text encoder': 11366191254, 'VAE encoder': 108509068, transformer: 10203648213, 'recon decoder': 417957888 };
const FULL_SIZE = { frames: 24, height: 480, width: 704 };
const MiB = 2 ** 20;

describe('memory estimate', () => {
  const est = Object.fromEntries(estimateMemoryModes(FULL_GRAPHS, FULL_SIZE).map((e) => [e.mode, e.gpuBytes]));

  it('reproduces the peaks measured on the H200 within 3 %, every mode', () => {
    const measuredMiB = { gpu: 76375, 'unload-text-encoder': 63329, 'text-encoder-cpu': 63332, 'low-vram': 16181 };
    for (const [mode, mib] of Object.entries(measuredMiB)) expect(Math.abs(est[mode] / (mib * MiB) - 1), mode).toBeLessThan(0.03);
  });

  it('orders the modes from most to least GPU memory', () => {
    expect(est.gpu).toBeGreaterThan(est['unload-text-encoder']);
    expect(est['unload-text-encoder']).toBeGreaterThanOrEqual(est['text-encoder-cpu']);
    expect(est['text-encoder-cpu']).toBeGreaterThan(est['low-vram']);
  });

  it('shrinks with fewer frames per call, and picks the fastest mode that fits', () => {
    const chunked = Object.fromEntries(estimateMemoryModes(FULL_GRAPHS, FULL_SIZE, { framesPerCall: 4 }).map((e) => [e.mode, e.gpuBytes]));
    expect(chunked.gpu).toBeLessThan(0.55 * est.gpu); // the arenas scale with frames, the 22 GB of weights do not
    const list = estimateMemoryModes(FULL_GRAPHS, FULL_SIZE);
    expect(fastestFittingMode(list, 141e9)).toBe('gpu');
    expect(fastestFittingMode(list, 72e9)).toBe('unload-text-encoder');
    expect(fastestFittingMode(list, 24e9)).toBe('low-vram'); // a 24 GB card
    expect(fastestFittingMode(list, 8e9)).toBeNull();
  });
});
