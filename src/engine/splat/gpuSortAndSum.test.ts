/**
 * The rasterizer's GPU building blocks on their own: multi-level prefix sums whose length is read
 * on the GPU, and the stable radix sort (equal keys must keep their input order, as gsplat's CUB
 * sort does, or equal-depth splats would blend in another order).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seededRandom } from '../../../test/helpers/randomSplatScene';
import { acquireSplatGpu, type SplatGpu } from './gpuDevice';
import { compileSplatKernels, type SplatKernels } from './gpuKernels';
import { PrefixSum, PrefixSumLevels } from './gpuPrefixSum';
import { histogramLength, RadixSort } from './gpuRadixSort';
import { UniformArena } from './uniformArena';

let gpu: SplatGpu;
let kernels: SplatKernels;
const owned: { destroy(): void }[] = [];
beforeAll(async () => {
  gpu = await acquireSplatGpu();
  kernels = await compileSplatKernels(gpu.device);
});
afterAll(() => owned.forEach((o) => o.destroy()));

function storage(words: number, init?: Uint32Array<ArrayBuffer>): GPUBuffer {
  const buffer = gpu.device.createBuffer({ size: Math.max(16, words * 4), usage: gpu.usage.storage | gpu.usage.copyDst | gpu.usage.copySrc });
  if (init) gpu.device.queue.writeBuffer(buffer, 0, init);
  owned.push(buffer);
  return buffer;
}

async function read(buffer: GPUBuffer, words: number): Promise<Uint32Array> {
  const staging = gpu.device.createBuffer({ size: Math.max(16, words * 4), usage: gpu.usage.mapRead | gpu.usage.copyDst });
  const encoder = gpu.device.createCommandEncoder();
  encoder.copyBufferToBuffer(buffer, 0, staging, 0, Math.max(16, words * 4));
  gpu.device.queue.submit([encoder.finish()]);
  await staging.mapAsync(gpu.mapModeRead);
  const out = new Uint32Array(staging.getMappedRange().slice(0, words * 4));
  staging.destroy();
  return out;
}

function record(encode: (pass: GPUComputePassEncoder) => void, params: UniformArena): void {
  params.flush(gpu.device.queue);
  const encoder = gpu.device.createCommandEncoder();
  const pass = encoder.beginComputePass();
  encode(pass);
  pass.end();
  gpu.device.queue.submit([encoder.finish()]);
}

describe('GPU prefix sum', () => {
  // 0 and 1: empty and single; 1025: two blocks; 1 100 000: three levels.
  for (const [length, capacity] of [[0, 16], [1, 1], [1025, 5000], [1_100_000, 1_100_000]]) {
    it(`sums ${length} values (capacity ${capacity}) exclusively, leaving values past the count alone, and reports the total`, async () => {
      const rand = seededRandom(length + 1);
      const values = Uint32Array.from({ length: capacity }, () => Math.floor(rand() * 5));
      const data = storage(capacity, values);
      const counters = storage(4, Uint32Array.of(length, 0, 0, 0));
      const levels = new PrefixSumLevels(gpu.device, gpu.usage.storage | gpu.usage.copyDst, capacity);
      const params = new UniformArena(gpu.device, gpu.usage.uniform | gpu.usage.copyDst, 'test');
      owned.push(levels, params);
      const sum = new PrefixSum(gpu.device, kernels, levels, params, { data, counters, countSlot: 0, capacity, totalSlot: 2 });
      record((pass) => sum.encode(pass, kernels, gpu.maxWorkgroupsPerDimension), params);
      const out = await read(data, capacity);
      let running = 0;
      let mismatches = 0;
      for (let i = 0; i < capacity; i++) {
        const want = i < length ? running : values[i];
        if (out[i] !== want) mismatches++;
        if (i < length) running += values[i];
      }
      expect(mismatches).toBe(0);
      expect((await read(counters, 4))[2]).toBe(running);
    });
  }
});

describe('GPU radix sort', () => {
  for (const [count, keyBits, keyRange] of [[1, 32, 2 ** 32], [5000, 12, 300], [70_000, 32, 2 ** 32], [70_000, 32, 50]]) {
    it(`sorts ${count} pairs on ${keyBits} bits (keys < ${keyRange}) stably`, async () => {
      const rand = seededRandom(count + keyBits);
      const keys = Uint32Array.from({ length: count }, () => Math.floor(rand() * keyRange) >>> 0);
      const capacity = count + 100; // more room than keys: the count comes from the GPU
      const buffers = [storage(capacity, keys), storage(capacity, Uint32Array.from({ length: count }, (_, i) => i)), storage(capacity), storage(capacity)];
      const counters = storage(4, Uint32Array.of(count, 0, 0, 0));
      const histogram = storage(histogramLength(capacity));
      const levels = new PrefixSumLevels(gpu.device, gpu.usage.storage | gpu.usage.copyDst, histogramLength(capacity));
      const params = new UniformArena(gpu.device, gpu.usage.uniform | gpu.usage.copyDst, 'test');
      owned.push(levels, params);
      const sort = new RadixSort(gpu.device, kernels, levels, params, {
        keys: buffers[0], values: buffers[1], keysAlt: buffers[2], valuesAlt: buffers[3], histogram,
        counters, countSlot: 0, capacity, keyBits, scratchSlot: 3,
      });
      record((pass) => sort.encode(pass, kernels, gpu.maxWorkgroupsPerDimension), params);
      const sortedKeys = await read(sort.sortedKeys, count);
      const sortedValues = await read(sort.sortedValues, count);
      const order = Array.from({ length: count }, (_, i) => i).sort((a, b) => keys[a] - keys[b] || a - b);
      expect(Array.from(sortedValues)).toEqual(order);
      expect(Array.from(sortedKeys)).toEqual(order.map((i) => keys[i]));
    });
  }
});
