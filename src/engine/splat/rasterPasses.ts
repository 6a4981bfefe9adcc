/**
 * Records one view into a command encoder: project every Gaussian chunk, compact and depth-sort
 * the visible ones, then per band of tile rows: count and emit tile intersections, sort them by
 * tile (stable, so depth order survives), find each tile's run and rasterize. After each band the
 * band's intersection count is copied to `stats[statsIndex]` so the caller can tell whether the
 * workspace was big enough.
 */
import { COUNTER_INTERSECTIONS, THREADS } from './wgsl/common.wgsl';
import type { SplatGpu } from './gpuDevice';
import { bindGroup, run, type SplatKernels } from './gpuKernels';
import type { ViewTransform } from './rasterCamera';
import {
  RASTER_EPS2D,
  RASTER_FAR_PLANE,
  RASTER_NEAR_PLANE,
  RASTER_TILE_SIZE,
} from './rasterizerConstants';
import type { RasterWorkspace } from './rasterWorkspace';
import { f32, u32, type UniformArena } from './uniformArena';

export interface GaussianChunk {
  buffer: GPUBuffer;
  first: number;
  count: number;
}

export interface ViewJob {
  transform: ViewTransform;
  intrinsics: [number, number, number, number];
  width: number;
  height: number;
  background: [number, number, number];
  bands: number;
  outputMode: number;
  /** First u32 of this view in `output`. */
  outputBase: number;
  /** First stats slot; band b writes statsIndex + b. */
  statsIndex: number;
}

/** How Gaussians are stored on the GPU: f32 values, or IEEE half bits (two to a u32). */
export type GaussianStorage = 'float32' | 'float16';

export interface PassTargets {
  gpu: SplatGpu;
  kernels: SplatKernels;
  workspace: RasterWorkspace;
  params: UniformArena;
  chunks: GaussianChunk[];
  storage: GaussianStorage;
  gaussianCount: number;
  output: GPUBuffer;
  stats: GPUBuffer;
}

/** Tile rows [row0, row1) of band `band` out of `bands`. */
export function bandRows(tilesY: number, bands: number, band: number): [number, number] {
  return [Math.floor((band * tilesY) / bands), Math.floor(((band + 1) * tilesY) / bands)];
}

export function encodeView(encoder: GPUCommandEncoder, t: PassTargets, job: ViewJob): void {
  const { gpu, kernels, workspace: ws, params } = t;
  const { device, maxWorkgroupsPerDimension: maxDim } = gpu;
  const tilesX = Math.ceil(job.width / RASTER_TILE_SIZE);
  const tilesY = Math.ceil(job.height / RASTER_TILE_SIZE);
  const gaussianGroups = Math.ceil(t.gaussianCount / THREADS);
  const r = job.transform.w2cRotation, tr = job.transform.w2cTranslation, c = job.transform.centre;
  const [fx, fy, cx, cy] = job.intrinsics;
  const viewFields = [
    f32(r[0]), f32(r[1]), f32(r[2]), f32(0),
    f32(r[3]), f32(r[4]), f32(r[5]), f32(0),
    f32(r[6]), f32(r[7]), f32(r[8]), f32(0),
    f32(tr[0]), f32(tr[1]), f32(tr[2]), f32(0),
    f32(c[0]), f32(c[1]), f32(c[2]), f32(0),
    f32(fx), f32(fy), f32(cx), f32(cy),
    f32(RASTER_NEAR_PLANE), f32(RASTER_FAR_PLANE), f32(RASTER_EPS2D), f32(0),
    u32(job.width), u32(job.height), u32(tilesX), u32(tilesY),
  ];

  const project = t.storage === 'float16' ? kernels.projectGaussiansHalf : kernels.projectGaussians;

  for (let band = 0; band < job.bands; band++) {
    const [row0, row1] = bandRows(tilesY, job.bands, band);
    const bandSlot = params.slot([
      u32(tilesX), u32(tilesY), u32(row0), u32(row1),
      u32(t.gaussianCount), u32(ws.sizes.intersections), u32(0), u32(0),
    ]);
    const pass = encoder.beginComputePass({ label: `view band ${band}` });
    if (band === 0) {
      for (const chunk of t.chunks) {
        const viewSlot = params.slot([...viewFields, u32(chunk.first), u32(chunk.count), u32(0), u32(0)]);
        const group = bindGroup(device, project, [
          viewSlot, chunk.buffer, ws.projMeanConic, ws.projConicOpacityDepth, ws.projColor, ws.projTileRect, ws.visibleFlags,
        ]);
        run(pass, project, group, Math.ceil(chunk.count / THREADS), maxDim);
      }
      ws.visibleSum.encode(pass, kernels, maxDim);
      const compact = bindGroup(device, kernels.compactVisible, [
        bandSlot, ws.counters, ws.visibleFlags, ws.projConicOpacityDepth, undefined, ws.depthKeys, ws.depthValues,
      ]);
      run(pass, kernels.compactVisible, compact, gaussianGroups, maxDim);
      ws.depthSort.encode(pass, kernels, maxDim);
    }
    const sortedGaussians = ws.depthSort.sortedValues;
    run(pass, kernels.countTiles, bindGroup(device, kernels.countTiles, [
      bandSlot, ws.counters, undefined, undefined, ws.projTileRect, undefined, sortedGaussians, ws.tileCounts,
    ]), gaussianGroups, maxDim);
    ws.tileCountSum.encode(pass, kernels, maxDim);
    run(pass, kernels.emitTileKeys, bindGroup(device, kernels.emitTileKeys, [
      bandSlot, ws.counters, undefined, undefined, ws.projTileRect, undefined, sortedGaussians, ws.tileCounts, ws.tileKeys, ws.tileValues,
    ]), gaussianGroups, maxDim);
    ws.tileSort.encode(pass, kernels, maxDim);
    const ranges = [bandSlot, ws.counters, undefined, undefined, undefined, undefined, undefined, undefined, ws.tileSort.sortedKeys, undefined, ws.tileRanges];
    run(pass, kernels.clearRanges, bindGroup(device, kernels.clearRanges, [bandSlot, ...Array(9).fill(undefined), ws.tileRanges]),
      Math.ceil((tilesX * tilesY) / THREADS), maxDim);
    run(pass, kernels.markRanges, bindGroup(device, kernels.markRanges, ranges), Math.ceil(ws.sizes.intersections / THREADS), maxDim);
    const rasterSlot = params.slot([
      u32(job.width), u32(job.height), u32(tilesX), u32(row0), u32(job.outputBase), u32(job.outputMode), u32(0), u32(0),
      f32(job.background[0]), f32(job.background[1]), f32(job.background[2]), f32(0),
    ]);
    pass.setPipeline(kernels.rasterizeTiles);
    pass.setBindGroup(0, bindGroup(device, kernels.rasterizeTiles, [
      rasterSlot, ws.tileRanges, ws.tileSort.sortedValues, ws.projMeanConic, ws.projConicOpacityDepth, ws.projColor, t.output,
    ]));
    if (row1 > row0) pass.dispatchWorkgroups(tilesX, row1 - row0);
    pass.end();
    encoder.copyBufferToBuffer(ws.counters, COUNTER_INTERSECTIONS * 4, t.stats, (job.statsIndex + band) * 4, 4);
  }
}

/** Rounds the first `count` f32 values of `source` to fp16 bits packed two to a u32 in `packed` (wgsl/packHalf.wgsl.ts). */
export function encodePackHalf(
  encoder: GPUCommandEncoder, gpu: SplatGpu, kernels: SplatKernels, params: UniformArena, source: GPUBuffer, packed: GPUBuffer, count: number,
): void {
  const pass = encoder.beginComputePass({ label: 'pack fp16 views' });
  const group = bindGroup(gpu.device, kernels.packHalf, [params.slot([u32(count), u32(0), u32(0), u32(0)]), source, packed]);
  run(pass, kernels.packHalf, group, Math.ceil(Math.ceil(count / 2) / THREADS), gpu.maxWorkgroupsPerDimension);
  pass.end();
}
