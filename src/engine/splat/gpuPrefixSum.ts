/**
 * Records multi-level exclusive prefix sums (wgsl/prefixSum.wgsl) whose length the GPU decides.
 * `PrefixSumLevels` owns the block-total buffers, shared by every sum of a workspace (they run one
 * after another); `PrefixSum` is one prepared use: fixed data buffer, count source and capacity,
 * with its parameter slots and bind groups made once.
 */
import { ITEMS_PER_BLOCK } from './wgsl/common.wgsl';
import { bindGroup, run, type SplatKernels } from './gpuKernels';
import { u32, type UniformArena } from './uniformArena';

export interface PrefixSumSpec {
  data: GPUBuffer;
  counters: GPUBuffer;
  /** Length = ceil(min(counters[countSlot], capacity) / countDivisor) · countMultiplier. */
  countSlot: number;
  capacity: number;
  countDivisor?: number;
  countMultiplier?: number;
  /** counters[totalSlot] receives the sum of all elements. */
  totalSlot: number;
}

/** Lengths of every level for a level-0 length: [n, ceil(n/1024), …, 1]. */
export function levelLengths(length: number): number[] {
  const lengths = [Math.max(1, length)];
  while (lengths[lengths.length - 1] > ITEMS_PER_BLOCK) {
    lengths.push(Math.ceil(lengths[lengths.length - 1] / ITEMS_PER_BLOCK));
  }
  lengths.push(1); // the top level's block total
  return lengths;
}

export class PrefixSumLevels {
  /** sums[k] holds the block totals of level k (k ≥ 0), sized for `maxLength`. */
  readonly sums: GPUBuffer[];

  constructor(device: GPUDevice, storageUsage: number, readonly maxLength: number) {
    const lengths = levelLengths(maxLength);
    this.sums = lengths.slice(1).map((n, k) =>
      device.createBuffer({ label: `prefix-sum level ${k + 1}`, size: Math.max(16, n * 4), usage: storageUsage }));
  }

  destroy(): void {
    for (const buffer of this.sums) buffer.destroy();
  }
}

export class PrefixSum {
  private readonly scans: GPUBindGroup[] = [];
  private readonly adds: GPUBindGroup[] = [];
  private readonly workgroups: number[] = [];

  constructor(device: GPUDevice, kernels: SplatKernels, levels: PrefixSumLevels, params: UniformArena, spec: PrefixSumSpec) {
    const maxLength = Math.ceil(spec.capacity / (spec.countDivisor ?? 1)) * (spec.countMultiplier ?? 1);
    if (maxLength > levels.maxLength) throw new RangeError(`prefix sum of ${maxLength} > levels for ${levels.maxLength}`);
    const lengths = levelLengths(maxLength);
    for (let k = 0; k < lengths.length - 1; k++) {
      const slot = params.slot([
        u32(spec.countSlot), u32(spec.capacity), u32(spec.countDivisor ?? 1), u32(spec.countMultiplier ?? 1),
        u32(10 * k), u32(spec.totalSlot), u32(0), u32(0),
      ]);
      const data = k === 0 ? spec.data : levels.sums[k - 1];
      const entries = [slot, data, levels.sums[k], spec.counters];
      this.scans.push(bindGroup(device, kernels.scanBlocks, entries));
      this.adds.push(bindGroup(device, kernels.addBlockSums, entries));
      this.workgroups.push(Math.ceil(lengths[k] / ITEMS_PER_BLOCK));
    }
  }

  encode(pass: GPUComputePassEncoder, kernels: SplatKernels, maxPerDimension: number): void {
    const levels = this.scans.length;
    for (let k = 0; k < levels; k++) run(pass, kernels.scanBlocks, this.scans[k], this.workgroups[k], maxPerDimension);
    for (let k = levels - 2; k >= 0; k--) run(pass, kernels.addBlockSums, this.adds[k], this.workgroups[k], maxPerDimension);
  }
}
