/**
 * Gaussian-splat rasterizer on WebGPU, equal to gsplat's `rasterization(..., rasterize_mode=
 * 'classic')` as upstream FlashWorld calls it (models/render.py): SH degree 2, eps2d 0.3, near 0.01,
 * far 1000, 16-px tiles, per-tile depth order, front-to-back blending, output `rgb * 2 - 1`.
 *
 * Gaussians are upstream's scene_params rows (N × 38, see rasterizerConstants), as f32 values
 * (Float32Array) or as IEEE half bits (Uint16Array: the fp16 recon decoder's output as it is, half
 * the upload; widened exactly on the GPU, so the image is the one of the widened values). Renders
 * come back as f32, as fp16 bits (rounded on the GPU exactly as weights/halfFloat.ts rounds, for
 * an fp16 VAE encoder) or as RGBA8. Views render in
 * batches (one submit, one read-back each); a view whose tile intersections overflow the workspace
 * is rendered again with a bigger one, or in bands of tile rows once buffers reach the device's
 * binding limit. The device, pipelines and buffers live as long as the rasterizer.
 */
import { StudioError } from '../../shared/errors';
import { acquireSplatGpu, type SplatGpu } from './gpuDevice';
import { compileSplatKernels, type SplatKernels } from './gpuKernels';
import { viewTransformOf, type RasterCamera } from './rasterCamera';
import { RASTER_FLOATS_PER_GAUSSIAN, RASTER_TILE_SIZE } from './rasterizerConstants';
import { encodePackHalf, encodeView, type GaussianChunk, type GaussianStorage } from './rasterPasses';
import { RasterWorkspace } from './rasterWorkspace';
import { UniformArena } from './uniformArena';
import { OUTPUT_MODE_PLANAR_SIGNED, OUTPUT_MODE_RGBA8 } from './wgsl/rasterizeTiles.wgsl';
import { COUNTER_GAUSSIANS } from './wgsl/common.wgsl';
import { fillBackground, gaussianCountOf, storageOf, type GaussianArray, type OutputForm } from './rasterHostArrays';

export type { RasterCamera } from './rasterCamera';
export type { GaussianStorage } from './rasterPasses';

export type { GaussianArray } from './rasterHostArrays';

export interface RenderOptions {
  /** Background colour in [0, 1]; upstream's bg_mode='white' (the default here) is [1, 1, 1]. */
  background?: [number, number, number];
}

/** Caps below the device's own limits: for memory budgets (and to exercise chunking and bands in tests). */
export interface RasterizerLimits {
  /** Gaussians per input storage binding (default: as many as one binding holds; rounded down to 256s). */
  maxGaussiansPerChunk?: number;
  /** Tile intersections one band of one view may hold (default: as many as one binding holds). */
  maxIntersectionsPerBand?: number;
  /** Views per submit and read-back (default 32). */
  maxViewsPerBatch?: number;
  /** Workgroups per dispatch dimension before kernels split over y (default: the device's, 65 535). */
  maxWorkgroupsPerDimension?: number;
}

/** Gaussians already on the GPU, for rendering one scene many times (videos). */
export class UploadedGaussians {
  constructor(readonly count: number, readonly storage: GaussianStorage, readonly chunks: GaussianChunk[], private readonly owner: SplatRasterizer) {}
  belongsTo(rasterizer: SplatRasterizer): boolean {
    return this.owner === rasterizer;
  }
  destroy(): void {
    for (const chunk of this.chunks) chunk.buffer.destroy();
    this.chunks.length = 0;
  }
}

const BYTES_PER_GAUSSIAN: Record<GaussianStorage, number> = { float32: RASTER_FLOATS_PER_GAUSSIAN * 4, float16: RASTER_FLOATS_PER_GAUSSIAN * 2 };
const MAX_VIEWS_PER_BATCH = 32;
const MAX_OUTPUT_BYTES_PER_BATCH = 256 * 1024 * 1024;
/** Tile intersections reserved per Gaussian before a scene shows how many it needs. */
const INITIAL_INTERSECTIONS_PER_GAUSSIAN = 4;

export class SplatRasterizer {
  private workspace: RasterWorkspace | undefined;
  private readonly params: UniformArena;
  private scratchScene: UploadedGaussians | undefined;
  private readonly batchBuffers = new Map<string, GPUBuffer>();
  private queueTail: Promise<unknown> = Promise.resolve();
  /** Bands of tile rows each view of the last call needed (1 unless intersections outgrew the limits). */
  lastBandsPerView: number[] = [];

  private readonly gpu: SplatGpu;

  private constructor(private readonly deviceGpu: SplatGpu, private readonly kernels: SplatKernels, private readonly limits: RasterizerLimits) {
    this.gpu = {
      ...deviceGpu,
      maxWorkgroupsPerDimension: Math.min(deviceGpu.maxWorkgroupsPerDimension, limits.maxWorkgroupsPerDimension ?? Infinity),
    };
    this.params = new UniformArena(this.gpu.device, this.gpu.usage.uniform | this.gpu.usage.copyDst, 'views');
  }

  /** Acquires the shared device (GPU_UNAVAILABLE if there is none) and compiles the kernels. */
  static async create(limits: RasterizerLimits = {}): Promise<SplatRasterizer> {
    const gpu = await acquireSplatGpu();
    return new SplatRasterizer(gpu, await compileSplatKernels(gpu.device), limits);
  }

  /** Why the device was lost, if it was (then make a new rasterizer). */
  get lostReason(): string | undefined {
    return this.deviceGpu.lostReason;
  }

  get adapterDescription(): string {
    return this.gpu.adapterDescription;
  }

  /** Largest number of u32 one storage binding can hold on this device. */
  private get maxBindingWords(): number {
    return Math.floor(Math.min(this.gpu.maxBindingBytes, this.gpu.maxBufferBytes) / 4);
  }

  private get maxIntersections(): number {
    return Math.max(1, Math.min(this.maxBindingWords, this.limits.maxIntersectionsPerBand ?? Infinity));
  }

  /** Copies Gaussians (N × 38, f32 or fp16 bits) to the GPU in chunks that each fit one storage binding. */
  upload(gaussians: GaussianArray): UploadedGaussians {
    const count = gaussianCountOf(gaussians);
    const storage = storageOf(gaussians);
    const chunks = this.writeChunks(gaussians, count, []);
    return new UploadedGaussians(count, storage, chunks, this);
  }

  /** Views as upstream's render: Float32Array (V, 3, H, W), values in [-1, 1]. */
  renderViews(gaussians: GaussianArray | UploadedGaussians, cameras: RasterCamera[], width: number, height: number, options: RenderOptions = {}): Promise<Float32Array> {
    return this.serialized(async () => {
      const out = new Float32Array(cameras.length * 3 * width * height);
      await this.render(gaussians, cameras, width, height, options, 'signed', out);
      return out;
    });
  }

  /**
   * The views of `renderViews` as fp16 bits, Uint16Array (V, 3, H, W): each f32 value rounded to
   * nearest even on the GPU, bit for bit `float32ArrayToHalf(renderViews(...))`, at half the read-back.
   */
  renderViewsHalf(gaussians: GaussianArray | UploadedGaussians, cameras: RasterCamera[], width: number, height: number, options: RenderOptions = {}): Promise<Uint16Array> {
    return this.serialized(async () => {
      const out = new Uint16Array(cameras.length * 3 * width * height);
      await this.render(gaussians, cameras, width, height, options, 'signed-half', out);
      return out;
    });
  }

  /** Views as RGBA8 frames for previews and videos: Uint8Array (V, H, W, 4), alpha 255. */
  renderViewsRGBA8(gaussians: GaussianArray | UploadedGaussians, cameras: RasterCamera[], width: number, height: number, options: RenderOptions = {}): Promise<Uint8Array> {
    return this.serialized(async () => {
      const out = new Uint8Array(cameras.length * 4 * width * height);
      await this.render(gaussians, cameras, width, height, options, 'rgba8', new Uint32Array(out.buffer));
      return out;
    });
  }

  destroy(): void {
    this.workspace?.destroy();
    this.workspace = undefined;
    this.scratchScene?.destroy();
    this.scratchScene = undefined;
    for (const buffer of this.batchBuffers.values()) buffer.destroy();
    this.batchBuffers.clear();
    this.params.destroy();
  }

  /** Calls share buffers, so they run one after another. */
  private serialized<T>(task: () => Promise<T>): Promise<T> {
    const result = this.queueTail.then(task, task);
    this.queueTail = result.catch(() => undefined);
    return result;
  }

  private writeChunks(gaussians: GaussianArray, count: number, reuse: GaussianChunk[]): GaussianChunk[] {
    const bytesPerGaussian = BYTES_PER_GAUSSIAN[storageOf(gaussians)];
    const fitting = Math.min(this.gpu.maxBindingBytes, this.gpu.maxBufferBytes) / bytesPerGaussian;
    const perChunk = Math.max(256, Math.floor(Math.min(fitting, this.limits.maxGaussiansPerChunk ?? Infinity) / 256) * 256);
    const chunks: GaussianChunk[] = [];
    for (let first = 0, i = 0; first < count; first += perChunk, i++) {
      const n = Math.min(perChunk, count - first);
      let buffer = reuse[i]?.buffer;
      if (!buffer || buffer.size < n * bytesPerGaussian) {
        buffer?.destroy();
        buffer = this.gpu.device.createBuffer({
          label: `gaussians ${i}`,
          size: Math.max(n, Math.min(perChunk, count)) * bytesPerGaussian,
          usage: this.gpu.usage.storage | this.gpu.usage.copyDst,
        });
      }
      // Offsets in elements; fp16 rows are 76 bytes, so every write stays a multiple of 4 bytes.
      this.gpu.device.queue.writeBuffer(buffer, 0, gaussians as GaussianArray & { buffer: ArrayBuffer }, first * RASTER_FLOATS_PER_GAUSSIAN, n * RASTER_FLOATS_PER_GAUSSIAN);
      chunks.push({ buffer, first, count: n });
    }
    for (let i = chunks.length; i < reuse.length; i++) reuse[i].buffer.destroy();
    return chunks;
  }

  private sceneOf(gaussians: GaussianArray | UploadedGaussians): UploadedGaussians {
    if (gaussians instanceof UploadedGaussians) {
      if (!gaussians.belongsTo(this)) throw new StudioError('INVALID_REQUEST', 'These Gaussians were uploaded by another rasterizer; upload them with this one.');
      if (gaussians.count > 0 && gaussians.chunks.length === 0) throw new StudioError('INVALID_REQUEST', 'These uploaded Gaussians were destroyed; upload them again.');
      return gaussians;
    }
    const count = gaussianCountOf(gaussians);
    const chunks = this.writeChunks(gaussians, count, this.scratchScene?.chunks ?? []);
    this.scratchScene = new UploadedGaussians(count, storageOf(gaussians), chunks, this);
    return this.scratchScene;
  }

  private ensureWorkspace(gaussians: number, intersections: number, tiles: number): RasterWorkspace {
    const want = { gaussians, intersections, tiles };
    if (this.workspace?.fits(want)) return this.workspace;
    const old = this.workspace?.sizes;
    this.workspace?.destroy();
    this.workspace = new RasterWorkspace(this.gpu, this.kernels, {
      gaussians: Math.max(gaussians, old?.gaussians ?? 0),
      intersections: Math.max(intersections, old?.intersections ?? 0),
      tiles: Math.max(tiles, old?.tiles ?? 0),
    });
    return this.workspace;
  }

  private async render(
    gaussians: GaussianArray | UploadedGaussians, cameras: RasterCamera[], width: number, height: number,
    options: RenderOptions, form: OutputForm, out: Float32Array | Uint32Array | Uint16Array,
  ): Promise<void> {
    if (!Number.isInteger(width) || !Number.isInteger(height) || width <= 0 || height <= 0 || width >= 65536 * RASTER_TILE_SIZE || height >= 65536 * RASTER_TILE_SIZE) {
      throw new StudioError('INVALID_REQUEST', `Render size ${width}×${height} is not valid; give whole pixel counts above 0.`);
    }
    const background = options.background ?? [1, 1, 1];
    if (background.length !== 3 || !background.every(Number.isFinite)) {
      throw new StudioError('INVALID_REQUEST', `Background ${JSON.stringify(background)} is not an RGB triple; give three numbers in [0, 1].`);
    }
    const transforms = cameras.map((camera, i) => viewTransformOf(camera, i));
    const scene = this.sceneOf(gaussians);
    const pixels = width * height;
    // Values of one view (u32 words of the GPU output; fp16 renders come back as as many halves).
    const wordsPerView = form === 'rgba8' ? pixels : 3 * pixels;
    if (scene.count === 0 || cameras.length === 0) {
      fillBackground(out, background, cameras.length, pixels, form);
      return;
    }
    if (wordsPerView > this.maxBindingWords) {
      throw new StudioError('INVALID_REQUEST', `A ${width}×${height} view needs ${wordsPerView * 4} bytes of output, more than this GPU binds at once (${this.gpu.maxBindingBytes}); render smaller views.`);
    }
    if (scene.count * 4 > this.maxBindingWords) {
      throw new StudioError('INVALID_REQUEST', `${scene.count} Gaussians exceed what this GPU can rasterize in one scene (${Math.floor(this.maxBindingWords / 4)}); reduce the splat count.`);
    }
    const tilesX = Math.ceil(width / RASTER_TILE_SIZE);
    const tilesY = Math.ceil(height / RASTER_TILE_SIZE);
    const maxIntersections = this.maxIntersections;
    const viewsPerBatch = Math.max(1, Math.min(this.limits.maxViewsPerBatch ?? MAX_VIEWS_PER_BATCH, Math.floor(Math.min(MAX_OUTPUT_BYTES_PER_BATCH, this.gpu.maxBindingBytes) / (wordsPerView * 4))));
    const bands = cameras.map(() => 1);
    let intersections = Math.min(maxIntersections, Math.max(1 << 16, INITIAL_INTERSECTIONS_PER_GAUSSIAN * scene.count));
    let pending = cameras.map((_, i) => i);

    while (pending.length > 0) {
      const batch = pending.slice(0, viewsPerBatch);
      const workspace = this.ensureWorkspace(scene.count, intersections, tilesX * tilesY);
      const bandCounts = await this.renderBatch(scene, workspace, batch, transforms, cameras, bands, width, height, background, form, out, wordsPerView);
      const failed: number[] = [];
      batch.forEach((view, i) => {
        const needed = Math.max(...bandCounts[i]);
        if (needed <= workspace.sizes.intersections) return;
        failed.push(view);
        if (needed <= maxIntersections) {
          intersections = Math.max(intersections, Math.min(maxIntersections, Math.ceil(needed * 1.25)));
        } else if (bands[view] >= tilesY) {
          throw new StudioError('RUNTIME_FAILED', `View ${view} has ${needed} Gaussian-tile overlaps in one tile row, more than this GPU can hold (${maxIntersections}); render it at a smaller size or with fewer Gaussians.`);
        } else {
          intersections = maxIntersections;
          bands[view] = Math.min(tilesY, bands[view] * (Math.ceil(needed / maxIntersections) + 1));
        }
      });
      pending = [...failed, ...pending.slice(batch.length)];
    }
    this.lastBandsPerView = bands;
  }

  /** Renders `views` in one submit; writes finished pixels into `out`; returns each band's intersection count. */
  private async renderBatch(
    scene: UploadedGaussians, workspace: RasterWorkspace, views: number[], transforms: ReturnType<typeof viewTransformOf>[],
    cameras: RasterCamera[], bands: number[], width: number, height: number, background: [number, number, number],
    form: OutputForm, out: Float32Array | Uint32Array | Uint16Array, wordsPerView: number,
  ): Promise<number[][]> {
    const { device, usage } = this.gpu;
    if (this.lostReason !== undefined) {
      throw new StudioError('RUNTIME_FAILED', `The GPU device was lost (${this.lostReason}); render again to start a new one.`);
    }
    const half = form === 'signed-half';
    const outputMode = form === 'rgba8' ? OUTPUT_MODE_RGBA8 : OUTPUT_MODE_PLANAR_SIGNED;
    const outputWords = views.length * wordsPerView;
    const outputBytes = outputWords * 4;
    const readbackBytes = half ? Math.ceil(outputWords / 2) * 4 : outputBytes;
    const statsCount = views.reduce((sum, v) => sum + bands[v], 0);
    const statsBytes = Math.max(16, statsCount * 4);
    const output = this.batchBuffer('output', outputBytes, usage.storage | usage.copySrc);
    const stats = this.batchBuffer('stats', statsBytes, usage.copyDst | usage.copySrc);
    const readback = this.batchBuffer('readback', readbackBytes, usage.mapRead | usage.copyDst);
    const statsReadback = this.batchBuffer('statsReadback', statsBytes, usage.mapRead | usage.copyDst);
    device.pushErrorScope('out-of-memory');
    device.pushErrorScope('validation');
    this.params.reset();
    const encoder = device.createCommandEncoder({ label: 'splat views' });
    let statsIndex = 0;
    views.forEach((view, slot) => {
      const camera = cameras[view];
      encodeView(encoder, {
        gpu: this.gpu, kernels: this.kernels, workspace, params: this.params,
        chunks: scene.chunks, storage: scene.storage, gaussianCount: scene.count, output, stats,
      }, {
        transform: transforms[view], intrinsics: [camera.fxPx, camera.fyPx, camera.cxPx, camera.cyPx],
        width, height, background, bands: bands[view], outputMode, outputBase: slot * wordsPerView, statsIndex,
      });
      statsIndex += bands[view];
    });
    if (half) {
      const packed = this.batchBuffer('packed', readbackBytes, usage.storage | usage.copySrc);
      encodePackHalf(encoder, this.gpu, this.kernels, this.params, output, packed, outputWords);
      encoder.copyBufferToBuffer(packed, 0, readback, 0, readbackBytes);
    } else {
      encoder.copyBufferToBuffer(output, 0, readback, 0, outputBytes);
    }
    encoder.copyBufferToBuffer(stats, 0, statsReadback, 0, Math.max(16, statsCount * 4));
    this.params.flush(device.queue);
    device.queue.writeBuffer(workspace.counters, COUNTER_GAUSSIANS * 4, Uint32Array.of(scene.count));
    device.queue.submit([encoder.finish()]);
    const validation = await device.popErrorScope();
    const memory = await device.popErrorScope();
    if (validation || memory) {
      const what = memory ? `ran out of GPU memory (${memory.message})` : `was rejected by WebGPU (${validation?.message})`;
      throw new StudioError('RUNTIME_FAILED', `Rendering ${views.length} splat view(s) ${what}; render fewer or smaller views, or fewer Gaussians.`);
    }
    await Promise.all([readback.mapAsync(this.gpu.mapModeRead), statsReadback.mapAsync(this.gpu.mapModeRead)]);
    const counts = new Uint32Array(statsReadback.getMappedRange().slice(0));
    // Copied per view as elements: u32 words, or halves (a view's halves need not start on a word).
    const mapped = readback.getMappedRange(0, readbackBytes);
    const words = half ? new Uint16Array(mapped) : new Uint32Array(mapped);
    const target = half ? new Uint16Array(out.buffer, out.byteOffset, out.length) : new Uint32Array(out.buffer, out.byteOffset, out.length);
    const result: number[][] = [];
    let index = 0;
    views.forEach((view, slot) => {
      const bandCounts = Array.from(counts.subarray(index, index + bands[view]));
      index += bands[view];
      result.push(bandCounts);
      if (Math.max(...bandCounts) <= workspace.sizes.intersections) {
        target.set(words.subarray(slot * wordsPerView, (slot + 1) * wordsPerView), view * wordsPerView);
      }
    });
    readback.unmap();
    statsReadback.unmap();
    return result;
  }

  /** Output and read-back buffers, kept between calls (views of one size recur every step). */
  private batchBuffer(role: 'output' | 'packed' | 'stats' | 'readback' | 'statsReadback', bytes: number, usage: number): GPUBuffer {
    const kept = this.batchBuffers.get(role);
    if (kept && kept.size >= bytes) return kept;
    kept?.destroy();
    const buffer = this.gpu.device.createBuffer({ label: `views ${role}`, size: Math.ceil(bytes / 16) * 16, usage });
    this.batchBuffers.set(role, buffer);
    return buffer;
  }
}

let shared: Promise<SplatRasterizer> | undefined;

/** The process-wide rasterizer (one device, pipelines compiled once). */
export async function sharedRasterizer(): Promise<SplatRasterizer> {
  if (shared) {
    const current = await shared.catch(() => undefined);
    if (current?.lostReason !== undefined) {
      current.destroy();
      shared = undefined;
    }
  }
  if (!shared) {
    shared = SplatRasterizer.create().catch((error: unknown) => {
      shared = undefined;
      throw error;
    });
  }
  return shared;
}

/** Upstream's render of `cameras` with the shared rasterizer: (V, 3, H, W) in [-1, 1]. */
export async function renderViews(gaussians: GaussianArray, cameras: RasterCamera[], width: number, height: number, options: RenderOptions = {}): Promise<Float32Array> {
  return (await sharedRasterizer()).renderViews(gaussians, cameras, width, height, options);
}

/** The same views as fp16 bits (V, 3, H, W), rounded to nearest even on the GPU. */
export async function renderViewsHalf(gaussians: GaussianArray, cameras: RasterCamera[], width: number, height: number, options: RenderOptions = {}): Promise<Uint16Array> {
  return (await sharedRasterizer()).renderViewsHalf(gaussians, cameras, width, height, options);
}

/** RGBA8 frames (V, H, W, 4) with the shared rasterizer. */
export async function renderViewsRGBA8(gaussians: GaussianArray, cameras: RasterCamera[], width: number, height: number, options: RenderOptions = {}): Promise<Uint8Array> {
  return (await sharedRasterizer()).renderViewsRGBA8(gaussians, cameras, width, height, options);
}
