/**
 * GPU buffers and prepared sorts of the rasterizer for given capacities: Gaussians per scene,
 * tile intersections per band, tiles per image. Built once and reused across views and calls;
 * the rasterizer builds a bigger one when a scene outgrows it.
 */
import { COUNTER_INTERSECTIONS, COUNTER_SLOTS, COUNTER_VISIBLE, COUNTER_GAUSSIANS } from './wgsl/common.wgsl';
import type { SplatGpu } from './gpuDevice';
import type { SplatKernels } from './gpuKernels';
import { PrefixSum, PrefixSumLevels } from './gpuPrefixSum';
import { histogramLength, RadixSort } from './gpuRadixSort';
import { UniformArena } from './uniformArena';

/** A counters slot free for sums whose total nobody reads (the radix histograms). */
const COUNTER_SCRATCH = COUNTER_SLOTS - 1;

export interface WorkspaceSizes {
  gaussians: number;
  intersections: number;
  tiles: number;
}

/** Bits needed for ids 0 … count-1 (at least 1). */
export function bitsFor(count: number): number {
  return Math.max(1, Math.ceil(Math.log2(Math.max(2, count))));
}

export class RasterWorkspace {
  readonly counters: GPUBuffer;
  readonly projMeanConic: GPUBuffer;
  readonly projConicOpacityDepth: GPUBuffer;
  readonly projColor: GPUBuffer;
  readonly projTileRect: GPUBuffer;
  /** 0/1 per Gaussian from the projection, then (summed in place) each visible one's slot. */
  readonly visibleFlags: GPUBuffer;
  readonly depthKeys: GPUBuffer;
  readonly depthValues: GPUBuffer;
  readonly tileCounts: GPUBuffer;
  readonly tileKeys: GPUBuffer;
  readonly tileValues: GPUBuffer;
  readonly tileRanges: GPUBuffer;
  readonly visibleSum: PrefixSum;
  readonly depthSort: RadixSort;
  readonly tileCountSum: PrefixSum;
  readonly tileSort: RadixSort;
  private readonly owned: GPUBuffer[] = [];
  private readonly levels: PrefixSumLevels;
  private readonly params: UniformArena;

  constructor(gpu: SplatGpu, kernels: SplatKernels, readonly sizes: WorkspaceSizes) {
    const { device } = gpu;
    const storage = gpu.usage.storage | gpu.usage.copyDst | gpu.usage.copySrc;
    const make = (label: string, bytes: number) => {
      const buffer = device.createBuffer({ label, size: Math.max(16, Math.ceil(bytes / 16) * 16), usage: storage });
      this.owned.push(buffer);
      return buffer;
    };
    const n = Math.max(1, sizes.gaussians);
    const m = Math.max(1, sizes.intersections);
    this.counters = make('counters', COUNTER_SLOTS * 4);
    this.projMeanConic = make('projMeanConic', n * 16);
    this.projConicOpacityDepth = make('projConicOpacityDepth', n * 16);
    this.projColor = make('projColor', n * 16);
    this.projTileRect = make('projTileRect', n * 8);
    this.visibleFlags = make('visibleFlags', n * 4);
    this.depthKeys = make('depthKeys', n * 4);
    this.depthValues = make('depthValues', n * 4);
    const depthKeysAlt = make('depthKeysAlt', n * 4);
    const depthValuesAlt = make('depthValuesAlt', n * 4);
    this.tileCounts = make('tileCounts', n * 4);
    this.tileKeys = make('tileKeys', m * 4);
    this.tileValues = make('tileValues', m * 4);
    const tileKeysAlt = make('tileKeysAlt', m * 4);
    const tileValuesAlt = make('tileValuesAlt', m * 4);
    this.tileRanges = make('tileRanges', Math.max(1, sizes.tiles) * 8);
    const histogram = make('radixHistogram', histogramLength(Math.max(n, m)) * 4);

    this.levels = new PrefixSumLevels(device, storage, Math.max(n, histogramLength(Math.max(n, m))));
    this.params = new UniformArena(device, gpu.usage.uniform | gpu.usage.copyDst, 'workspace');
    this.visibleSum = new PrefixSum(device, kernels, this.levels, this.params, {
      data: this.visibleFlags, counters: this.counters, countSlot: COUNTER_GAUSSIANS, capacity: n, totalSlot: COUNTER_VISIBLE,
    });
    this.depthSort = new RadixSort(device, kernels, this.levels, this.params, {
      keys: this.depthKeys, values: this.depthValues, keysAlt: depthKeysAlt, valuesAlt: depthValuesAlt, histogram,
      counters: this.counters, countSlot: COUNTER_VISIBLE, capacity: n, keyBits: 32, scratchSlot: COUNTER_SCRATCH,
    });
    this.tileCountSum = new PrefixSum(device, kernels, this.levels, this.params, {
      data: this.tileCounts, counters: this.counters, countSlot: COUNTER_VISIBLE, capacity: n, totalSlot: COUNTER_INTERSECTIONS,
    });
    this.tileSort = new RadixSort(device, kernels, this.levels, this.params, {
      keys: this.tileKeys, values: this.tileValues, keysAlt: tileKeysAlt, valuesAlt: tileValuesAlt, histogram,
      counters: this.counters, countSlot: COUNTER_INTERSECTIONS, capacity: m, keyBits: bitsFor(sizes.tiles), scratchSlot: COUNTER_SCRATCH,
    });
    this.params.flush(device.queue);
  }

  /** True when a scene of these sizes fits without rebuilding. */
  fits(sizes: WorkspaceSizes): boolean {
    return sizes.gaussians <= this.sizes.gaussians && sizes.intersections <= this.sizes.intersections &&
      sizes.tiles <= this.sizes.tiles;
  }

  destroy(): void {
    for (const buffer of this.owned) buffer.destroy();
    this.levels.destroy();
    this.params.destroy();
  }
}
