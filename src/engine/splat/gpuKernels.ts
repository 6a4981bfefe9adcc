/**
 * The rasterizer's compute pipelines, compiled once per device, plus the small helpers every stage
 * uses to bind buffers and to dispatch more than 65 535 workgroups (split over x and y; the
 * kernels flatten the index and ignore workgroups past their length).
 */
import { StudioError } from '../../shared/errors';
import { PREFIX_SUM_WGSL } from './wgsl/prefixSum.wgsl';
import { PACK_HALF_WGSL } from './wgsl/packHalf.wgsl';
import { projectGaussiansWgsl } from './wgsl/projectGaussians.wgsl';
import { RADIX_SORT_WGSL } from './wgsl/radixSort.wgsl';
import { RASTERIZE_TILES_WGSL } from './wgsl/rasterizeTiles.wgsl';
import { TILE_INTERSECTIONS_WGSL } from './wgsl/tileIntersections.wgsl';

export interface SplatKernels {
  projectGaussians: GPUComputePipeline;
  /** the same projection reading Gaussians stored as fp16 bits */
  projectGaussiansHalf: GPUComputePipeline;
  scanBlocks: GPUComputePipeline;
  addBlockSums: GPUComputePipeline;
  radixHistogram: GPUComputePipeline;
  radixScatter: GPUComputePipeline;
  compactVisible: GPUComputePipeline;
  countTiles: GPUComputePipeline;
  emitTileKeys: GPUComputePipeline;
  clearRanges: GPUComputePipeline;
  markRanges: GPUComputePipeline;
  rasterizeTiles: GPUComputePipeline;
  packHalf: GPUComputePipeline;
}

export async function compileSplatKernels(device: GPUDevice): Promise<SplatKernels> {
  device.pushErrorScope('validation');
  const modules = {
    project: device.createShaderModule({ label: 'projectGaussians', code: projectGaussiansWgsl('float32') }),
    projectHalf: device.createShaderModule({ label: 'projectGaussians (fp16)', code: projectGaussiansWgsl('float16') }),
    scan: device.createShaderModule({ label: 'prefixSum', code: PREFIX_SUM_WGSL }),
    radix: device.createShaderModule({ label: 'radixSort', code: RADIX_SORT_WGSL }),
    tiles: device.createShaderModule({ label: 'tileIntersections', code: TILE_INTERSECTIONS_WGSL }),
    raster: device.createShaderModule({ label: 'rasterizeTiles', code: RASTERIZE_TILES_WGSL }),
    pack: device.createShaderModule({ label: 'packHalf', code: PACK_HALF_WGSL }),
  };
  const pipeline = (module: GPUShaderModule, entryPoint: string) =>
    device.createComputePipeline({ label: entryPoint, layout: 'auto', compute: { module, entryPoint } });
  const kernels: SplatKernels = {
    projectGaussians: pipeline(modules.project, 'projectGaussians'),
    projectGaussiansHalf: pipeline(modules.projectHalf, 'projectGaussians'),
    scanBlocks: pipeline(modules.scan, 'scanBlocks'),
    addBlockSums: pipeline(modules.scan, 'addBlockSums'),
    radixHistogram: pipeline(modules.radix, 'histogram'),
    radixScatter: pipeline(modules.radix, 'scatter'),
    compactVisible: pipeline(modules.tiles, 'compactVisible'),
    countTiles: pipeline(modules.tiles, 'countTiles'),
    emitTileKeys: pipeline(modules.tiles, 'emitTileKeys'),
    clearRanges: pipeline(modules.tiles, 'clearRanges'),
    markRanges: pipeline(modules.tiles, 'markRanges'),
    rasterizeTiles: pipeline(modules.raster, 'rasterizeTiles'),
    packHalf: pipeline(modules.pack, 'packHalf'),
  };
  const error = await device.popErrorScope();
  if (error) {
    throw new StudioError('INTERNAL', `The splat rasterizer's WGSL did not compile on this GPU: ${error.message}. Report this with the GPU and driver name.`);
  }
  return kernels;
}

/** A buffer, or a window of one (offset and size in bytes). */
export type Binding = GPUBuffer | { buffer: GPUBuffer; offset: number; size: number };

/** Bind group 0 of a pipeline; `entries[i]` feeds `@binding(i)`; holes are bindings the kernel lacks. */
export function bindGroup(device: GPUDevice, pipeline: GPUComputePipeline, entries: (Binding | undefined)[]): GPUBindGroup {
  return device.createBindGroup({
    layout: pipeline.getBindGroupLayout(0),
    entries: entries.flatMap((resource, binding) =>
      resource === undefined ? [] : [{ binding, resource: 'buffer' in resource ? resource : { buffer: resource } }]),
  });
}

/** Dispatches `workgroups` workgroups of a 1-D kernel (which flattens x + y · countX). */
export function dispatch1d(pass: GPUComputePassEncoder, workgroups: number, maxPerDimension: number): void {
  if (workgroups <= 0) return;
  const x = Math.min(workgroups, maxPerDimension);
  const y = Math.ceil(workgroups / x);
  if (y > maxPerDimension) {
    throw new StudioError('INTERNAL', `A splat kernel needs ${workgroups} workgroups, more than this GPU can launch; render fewer Gaussians at once.`);
  }
  pass.dispatchWorkgroups(x, y);
}

/** One pipeline + bind group + size, recorded into a pass. */
export function run(pass: GPUComputePassEncoder, pipeline: GPUComputePipeline, group: GPUBindGroup, workgroups: number, maxPerDimension: number): void {
  pass.setPipeline(pipeline);
  pass.setBindGroup(0, group);
  dispatch1d(pass, workgroups, maxPerDimension);
}
