import { describe, expect, it } from 'vitest';
import { MEMORY_MODES } from '../shared/engine/memoryModes';
import { graphFloatTypes, networkPlacement } from './networkPlacement';

const order = ['text encoder', 'VAE encoder', 'transformer', 'recon decoder'] as const;
const types = (...args: Parameters<typeof graphFloatTypes>) => {
  const t = graphFloatTypes(...args);
  return order.map((n) => t[n]).join(' ');
};

describe('graph float types by placement', () => {
  it('gives float32 graphs to the networks each memory mode puts on the CPU, float16 to the GPU ones', () => {
    expect(types({ provider: 'cuda', memoryMode: 'gpu' })).toBe('float16 float16 float16 float16');
    expect(types({ provider: 'cuda', memoryMode: 'unload-text-encoder' })).toBe('float16 float16 float16 float16');
    expect(types({ provider: 'cuda', memoryMode: 'text-encoder-cpu' })).toBe('float32 float16 float16 float16');
    expect(types({ provider: 'cuda', memoryMode: 'low-vram' })).toBe('float32 float32 float16 float32');
  });

  it('follows the placement rule for every mode', () => {
    for (const memoryMode of MEMORY_MODES) {
      const t = graphFloatTypes({ provider: 'cuda', memoryMode });
      for (const n of order) expect(t[n], `${memoryMode} ${n}`).toBe(networkPlacement(n, 'cuda', memoryMode) === 'cpu' ? 'float32' : 'float16');
    }
  });

  it('runs UMT5 in float32 on the GPU only when asked, and never in float16 on the CPU', () => {
    expect(types({ provider: 'cuda', memoryMode: 'gpu', textEncoderPrecision: 'float32' })).toBe('float32 float16 float16 float16');
    expect(types({ provider: 'cuda', memoryMode: 'unload-text-encoder', textEncoderPrecision: 'float32' })).toBe('float32 float16 float16 float16');
    expect(types({ provider: 'cuda', memoryMode: 'text-encoder-cpu', textEncoderPrecision: 'float16' })).toBe('float32 float16 float16 float16');
  });

  it('puts everything in float32 on the CPU provider, whatever GPU type was asked for', () => {
    expect(types({ provider: 'cpu', memoryMode: 'gpu', gpuFloatType: 'float16', textEncoderPrecision: 'float16' })).toBe('float32 float32 float32 float32');
    expect(types({ provider: 'cuda', memoryMode: 'gpu', gpuFloatType: 'float32' })).toBe('float32 float32 float32 float32');
  });
});
