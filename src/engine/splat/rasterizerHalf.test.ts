/**
 * The rasterizer's fp16 forms: Gaussians given as fp16 bits (the fp16 recon decoder's output as
 * it is) and renders returned as fp16 bits (what the fp16 VAE encoder reads). Both must be exact
 * replacements for the JS conversions they remove (weights/halfFloat.ts), bit for bit, so the GPU
 * conversions are checked on every half and on the rounding edge cases, and whole renders are
 * compared bitwise. Runs on whatever WebGPU adapter Dawn finds (lavapipe on CI machines).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { orbitCameras, randomScene, seededRandom } from '../../../test/helpers/randomSplatScene';
import { float32ArrayToHalf, halfArrayToFloat32 } from '../weights/halfFloat';
import { acquireSplatGpu, type SplatGpu } from './gpuDevice';
import { compileSplatKernels } from './gpuKernels';
import { encodePackHalf } from './rasterPasses';
import { SplatRasterizer } from './rasterizer';
import { UniformArena } from './uniformArena';
import { HALF_FLOAT_WGSL } from './wgsl/halfFloat.wgsl';

let gpu: SplatGpu;
let rasterizer: SplatRasterizer;
beforeAll(async () => {
  gpu = await acquireSplatGpu();
  rasterizer = await SplatRasterizer.create();
});
afterAll(() => rasterizer?.destroy());

const bits = (a: Float32Array) => new Uint32Array(a.buffer, a.byteOffset, a.length);

async function readBack(buffer: GPUBuffer, bytes: number): Promise<ArrayBuffer> {
  const staging = gpu.device.createBuffer({ size: bytes, usage: gpu.usage.mapRead | gpu.usage.copyDst });
  const encoder = gpu.device.createCommandEncoder();
  encoder.copyBufferToBuffer(buffer, 0, staging, 0, bytes);
  gpu.device.queue.submit([encoder.finish()]);
  await staging.mapAsync(gpu.mapModeRead);
  const out = staging.getMappedRange().slice(0);
  staging.destroy();
  return out;
}

/** Every f32 pattern where rounding to half can go wrong, plus random patterns. */
function f32EdgePatterns(): Uint32Array<ArrayBuffer> {
  const f = new Float32Array(1);
  const u = new Uint32Array(f.buffer);
  const out: number[] = [0, 0x80000000, 0x7f800000, 0xff800000, 0x7fc00000, 0x7f800001, 0xffc00123, 0x00000001, 0x807fffff];
  for (const exponent of [-26, -25, -24, -23, -20, -15, -14, -13, 0, 1, 10, 14, 15, 16]) {
    for (const sign of [0, 0x80000000]) {
      const base = ((exponent + 127) << 23) >>> 0;
      // ties (…1000…), just below and above them, odd and even halves, the all-ones mantissa
      for (const mantissa of [0, 1, 0x1000, 0x0fff, 0x1001, 0x3000, 0x2fff, 0x3001, 0x7fffff, 0x7fe000, 0x7ff000, 0x400000, 0x400001, 0x3fffff]) {
        out.push((sign | base | mantissa) >>> 0);
      }
    }
  }
  for (const v of [65504, 65519, 65519.99, 65520, 65536, 1e9, 2 ** -14, 2 ** -24, 2 ** -25, 1.5 * 2 ** -25, -1, 1, 0.5]) {
    f[0] = v;
    out.push(u[0]);
  }
  const rand = seededRandom(11);
  for (let i = 0; i < 200_000; i++) out.push(Math.floor(rand() * 2 ** 32) >>> 0);
  if (out.length % 2 === 0) out.push(0x3f800000); // an odd count: the last u32 of the packed output holds one half
  return Uint32Array.from(out);
}

describe('GPU fp16 conversions', () => {
  it('widens every one of the 65,536 halves exactly as halfArrayToFloat32', async () => {
    const module = gpu.device.createShaderModule({
      code: `${HALF_FLOAT_WGSL}
@group(0) @binding(0) var<storage, read_write> widened: array<u32>;
@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) id: vec3u) {
  let h = id.x + id.y * 65536u;
  widened[h] = bitcast<u32>(halfBitsToF32(h));
}`,
    });
    const pipeline = gpu.device.createComputePipeline({ layout: 'auto', compute: { module, entryPoint: 'main' } });
    const target = gpu.device.createBuffer({ size: 65536 * 4, usage: gpu.usage.storage | gpu.usage.copySrc });
    const encoder = gpu.device.createCommandEncoder();
    const pass = encoder.beginComputePass();
    pass.setPipeline(pipeline);
    pass.setBindGroup(0, gpu.device.createBindGroup({ layout: pipeline.getBindGroupLayout(0), entries: [{ binding: 0, resource: { buffer: target } }] }));
    pass.dispatchWorkgroups(256);
    pass.end();
    gpu.device.queue.submit([encoder.finish()]);
    const got = new Uint32Array(await readBack(target, 65536 * 4));
    target.destroy();
    const want = bits(halfArrayToFloat32(Uint16Array.from({ length: 65536 }, (_, h) => h)));
    const mismatches = Array.from(want.keys()).filter((h) => got[h] !== want[h]);
    expect(mismatches.map((h) => `0x${h.toString(16)}: ${got[h].toString(16)} vs ${want[h].toString(16)}`).slice(0, 5)).toEqual([]);
    // subnormal halves must survive (a GPU conversion may flush them)
    expect(got[0x0001]).toBe(0x33800000);
    expect(got[0x83ff]).toBe(want[0x83ff]);
  });

  it('rounds f32 to half exactly as float32ArrayToHalf (ties to even, subnormals, overflow, NaN, random patterns)', async () => {
    const patterns = f32EdgePatterns();
    const kernels = await compileSplatKernels(gpu.device);
    const params = new UniformArena(gpu.device, gpu.usage.uniform | gpu.usage.copyDst, 'pack test');
    const source = gpu.device.createBuffer({ size: patterns.byteLength, usage: gpu.usage.storage | gpu.usage.copyDst });
    const packedBytes = Math.ceil(patterns.length / 2) * 4;
    const packed = gpu.device.createBuffer({ size: packedBytes, usage: gpu.usage.storage | gpu.usage.copySrc });
    gpu.device.queue.writeBuffer(source, 0, patterns);
    const encoder = gpu.device.createCommandEncoder();
    encodePackHalf(encoder, gpu, kernels, params, source, packed, patterns.length);
    params.flush(gpu.device.queue);
    gpu.device.queue.submit([encoder.finish()]);
    const got = new Uint16Array(await readBack(packed, packedBytes));
    const want = float32ArrayToHalf(new Float32Array(patterns.buffer));
    for (const b of [source, packed]) b.destroy();
    params.destroy();
    expect(got[patterns.length]).toBe(0); // the unused high half of the last word
    const mismatches = Array.from(want.keys()).filter((i) => got[i] !== want[i]);
    expect(mismatches.map((i) => `f32 0x${patterns[i].toString(16)}: 0x${got[i].toString(16)} vs 0x${want[i].toString(16)}`).slice(0, 5)).toEqual([]);
    // the cases the spec leaves open really are in the set: a tie that rounds down to even, one that rounds up
    expect(want[patterns.indexOf(0x3f801000)]).toBe(0x3c00);
    expect(want[patterns.indexOf(0x3f803000)]).toBe(0x3c02);
  });
});

/** A random scene whose values include what fp16 handles specially: subnormal halves, ±0, values that round. */
function halfScene(count: number, seed: number): Uint16Array {
  const scene = randomScene({ count, seed, extent: 1, scaleMin: 0.02, scaleMax: 0.2, shRest: 0.4 });
  const rand = seededRandom(seed + 1);
  for (let i = 0; i < count; i++) {
    const b = i * 38;
    if (i % 7 === 0) scene[b + 11 + 3 + Math.floor(rand() * 24)] = (rand() - 0.5) * 1e-5; // a subnormal half
    if (i % 11 === 0) scene[b + 8] = -0;
  }
  return float32ArrayToHalf(scene);
}

describe('SplatRasterizer with fp16 data', () => {
  const width = 40, height = 28;
  const cameras = orbitCameras(3, 3, width, height);

  it('renders fp16-bit Gaussians exactly as the same values widened to f32 (whole, chunked, uploaded)', async () => {
    const halves = halfScene(700, 5);
    expect(halves.some((h) => (h & 0x7c00) === 0 && (h & 0x3ff) !== 0)).toBe(true);
    const widened = halfArrayToFloat32(halves);
    const reference = await rasterizer.renderViews(widened, cameras, width, height);
    expect(reference.filter((v) => v !== 1).length).toBeGreaterThan(reference.length / 4);

    expect(bits(await rasterizer.renderViews(halves, cameras, width, height))).toEqual(bits(reference));
    const uploaded = rasterizer.upload(halves);
    expect(uploaded.storage).toBe('float16');
    expect(bits(await rasterizer.renderViews(uploaded, cameras, width, height))).toEqual(bits(reference));
    uploaded.destroy();
    // a scratch scene that switches storage keeps rendering the right one
    expect(bits(await rasterizer.renderViews(widened, cameras, width, height))).toEqual(bits(reference));

    const chunked = await SplatRasterizer.create({ maxGaussiansPerChunk: 256 });
    try {
      expect(bits(await chunked.renderViews(halves, cameras, width, height))).toEqual(bits(reference));
    } finally {
      chunked.destroy();
    }
  });

  it('returns fp16 renders equal bit for bit to float32ArrayToHalf of the f32 renders (odd sizes, several batches)', async () => {
    const scene = halfArrayToFloat32(halfScene(500, 9));
    const [w, h] = [33, 17]; // 3·33·17 is odd: views start mid-word in the packed output
    const views = orbitCameras(5, 3, w, h);
    const batched = await SplatRasterizer.create({ maxViewsPerBatch: 2 });
    try {
      const f32 = await batched.renderViews(scene, views, w, h);
      const want = float32ArrayToHalf(f32);
      const got = await batched.renderViewsHalf(scene, views, w, h);
      expect(got.length).toBe(want.length);
      expect(Array.from(got)).toEqual(Array.from(want));
      // rounding really happened (most render values are not halves already)
      const roundTrip = halfArrayToFloat32(want);
      expect(f32.filter((v, i) => v !== roundTrip[i]).length).toBeGreaterThan(f32.length / 4);
      // and the fp16-bit Gaussians give the same fp16 renders
      expect(Array.from(await batched.renderViewsHalf(float32ArrayToHalf(scene), views, w, h))).toEqual(Array.from(want));
    } finally {
      batched.destroy();
    }
  });

  it('returns the background as fp16 bits for an empty scene', async () => {
    const background: [number, number, number] = [0.3, 0.5, 0.9];
    const f32 = await rasterizer.renderViews(new Uint16Array(0), cameras, 9, 7, { background });
    const half = await rasterizer.renderViewsHalf(new Uint16Array(0), cameras, 9, 7, { background });
    expect(Array.from(half)).toEqual(Array.from(float32ArrayToHalf(f32)));
    expect(new Set(half).size).toBe(3);
  });

  it('rejects fp16 Gaussians that are not whole rows', async () => {
    await expect(rasterizer.renderViewsHalf(new Uint16Array(39), cameras, 8, 8)).rejects.toMatchObject({ code: 'INVALID_REQUEST' });
  });
});
