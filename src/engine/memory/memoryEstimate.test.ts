/**
 * The estimate against what the H200 run measured (docs/BENCHMARKS.md, 2026-11-28): the graph
 * sizes of that run, 24×480×704, and the peaks nvidia-smi saw for the two modes measured there.
 */
import { describe, expect, it } from 'vitest';
import { estimateMemoryModes, fastestFittingMode } from './memoryEstimate';

/** Bytes of the four fp16 graphs built from the official shapes (bench:gpu's log line). */
const FULL_GRAPHS = { 'text encoder': 11366191254, 'VAE encoder': 108509068, transformer: 10203648399, 'recon decoder': 417957829 };
const FULL_SIZE = { frames: 24, height: 480, width: 704 };
const MiB = 2 ** 20;

describe('memory estimate', () => {
  const est = Object.fromEntries(estimateMemoryModes(FULL_GRAPHS, FULL_SIZE).map((e) => [e.mode, e.gpuBytes]));

  it('reproduces the peaks measured on the H200 within 3 %', () => {
    expect(Math.abs(est.gpu / (71502 * MiB) - 1)).toBeLessThan(0.03);
    expect(Math.abs(est['unload-text-encoder'] / (59040 * MiB) - 1)).toBeLessThan(0.03);
  });

  it('orders the modes from most to least GPU memory', () => {
    expect(est.gpu).toBeGreaterThan(est['unload-text-encoder']);
    expect(est['unload-text-encoder']).toBeGreaterThanOrEqual(est['text-encoder-cpu']);
    expect(est['text-encoder-cpu']).toBeGreaterThan(est['low-vram']);
  });

  it('shrinks with fewer frames per call, and picks the fastest mode that fits', () => {
    const chunked = Object.fromEntries(estimateMemoryModes(FULL_GRAPHS, FULL_SIZE, { framesPerCall: 4 }).map((e) => [e.mode, e.gpuBytes]));
    expect(chunked.gpu).toBeLessThan(est.gpu / 2);
    const list = estimateMemoryModes(FULL_GRAPHS, FULL_SIZE);
    expect(fastestFittingMode(list, 141e9)).toBe('gpu');
    expect(fastestFittingMode(list, 68e9)).toBe('unload-text-encoder');
    expect(fastestFittingMode(list, 8e9)).toBeNull();
  });
});
