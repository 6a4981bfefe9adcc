/**
 * Records a stable LSD radix sort of (u32 key, u32 value) pairs (wgsl/radixSort.wgsl): per 4-bit
 * pass a digit histogram per block, a prefix sum over it, then a stable scatter, ping-ponging
 * between two buffer pairs. The count is read on the GPU from `counters[countSlot]`.
 */
import { ITEMS_PER_BLOCK } from './wgsl/common.wgsl';
import { RADIX_BITS, RADIX_DIGITS } from './wgsl/radixSort.wgsl';
import { bindGroup, run, type SplatKernels } from './gpuKernels';
import { PrefixSum, type PrefixSumLevels } from './gpuPrefixSum';
import { u32, type UniformArena } from './uniformArena';

export interface RadixSortSpec {
  keys: GPUBuffer;
  values: GPUBuffer;
  keysAlt: GPUBuffer;
  valuesAlt: GPUBuffer;
  /** ≥ RADIX_DIGITS · ceil(capacity / ITEMS_PER_BLOCK) u32. */
  histogram: GPUBuffer;
  counters: GPUBuffer;
  countSlot: number;
  capacity: number;
  /** Sorts on key bits [0, keyBits). */
  keyBits: number;
  /** Any counters slot the sort may overwrite (its histogram sum's total). */
  scratchSlot: number;
}

export function histogramLength(capacity: number): number {
  return RADIX_DIGITS * Math.ceil(Math.max(1, capacity) / ITEMS_PER_BLOCK);
}

export class RadixSort {
  private readonly histograms: GPUBindGroup[] = [];
  private readonly scatters: GPUBindGroup[] = [];
  private readonly histogramSum: PrefixSum;
  private readonly workgroups: number;
  /** Buffers holding the sorted pairs after `encode`. */
  readonly sortedKeys: GPUBuffer;
  readonly sortedValues: GPUBuffer;

  constructor(device: GPUDevice, kernels: SplatKernels, levels: PrefixSumLevels, params: UniformArena, spec: RadixSortSpec) {
    const passes = Math.ceil(spec.keyBits / RADIX_BITS);
    let keysIn = spec.keys, valuesIn = spec.values, keysOut = spec.keysAlt, valuesOut = spec.valuesAlt;
    for (let p = 0; p < passes; p++) {
      const slot = params.slot([u32(spec.countSlot), u32(spec.capacity), u32(p * RADIX_BITS), u32(0)]);
      this.histograms.push(bindGroup(device, kernels.radixHistogram, [slot, keysIn, undefined, spec.histogram, undefined, undefined, spec.counters]));
      this.scatters.push(bindGroup(device, kernels.radixScatter, [slot, keysIn, valuesIn, spec.histogram, keysOut, valuesOut, spec.counters]));
      [keysIn, keysOut] = [keysOut, keysIn];
      [valuesIn, valuesOut] = [valuesOut, valuesIn];
    }
    this.sortedKeys = keysIn;
    this.sortedValues = valuesIn;
    this.histogramSum = new PrefixSum(device, kernels, levels, params, {
      data: spec.histogram,
      counters: spec.counters,
      countSlot: spec.countSlot,
      capacity: spec.capacity,
      countDivisor: ITEMS_PER_BLOCK,
      countMultiplier: RADIX_DIGITS,
      totalSlot: spec.scratchSlot,
    });
    this.workgroups = Math.ceil(Math.max(1, spec.capacity) / ITEMS_PER_BLOCK);
  }

  encode(pass: GPUComputePassEncoder, kernels: SplatKernels, maxPerDimension: number): void {
    for (let p = 0; p < this.histograms.length; p++) {
      run(pass, kernels.radixHistogram, this.histograms[p], this.workgroups, maxPerDimension);
      this.histogramSum.encode(pass, kernels, maxPerDimension);
      run(pass, kernels.radixScatter, this.scatters[p], this.workgroups, maxPerDimension);
    }
  }
}
