/**
 * The WGSL rasterizer against its definition: closed-form single-Gaussian cases, ordering rules
 * (depth, then index, as gsplat's stable sort), and a plain-JS reference of gsplat's classic rules
 * on small random scenes with every culling case. Runs on whatever WebGPU adapter Dawn finds
 * (lavapipe on CI machines).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cpuRenderViews, psnr01 } from '../../../test/helpers/cpuSplatReference';
import { lookAtCamera, orbitCameras, randomScene } from '../../../test/helpers/randomSplatScene';
import { isStudioError } from '../../shared/errors';
import { openSplatGpu } from './gpuDevice';
import { SplatRasterizer } from './rasterizer';
import type { RasterCamera } from './rasterCamera';

const SH_C0 = 0.2820947917738781;

let rasterizer: SplatRasterizer;
beforeAll(async () => {
  rasterizer = await SplatRasterizer.create();
  console.log(`rasterizer adapter: ${rasterizer.adapterDescription}`);
});
afterAll(() => rasterizer?.destroy());

/** One Gaussian row: isotropic, identity rotation, colour from the DC term only. */
function gaussian(pos: number[], scale: number, opacity: number, rgb: number[]): number[] {
  const row = new Array(38).fill(0);
  row.splice(0, 3, ...pos);
  row[3] = opacity;
  row.splice(4, 3, scale, scale, scale);
  row.splice(7, 4, 1, 0, 0, 0);
  // colour = 0.5 + C0 · dc  ⇒  dc = (colour - 0.5) / C0
  for (let c = 0; c < 3; c++) row[11 + c] = (rgb[c] - 0.5) / SH_C0;
  return row;
}

/** Camera at the origin looking down -z whose principal point is the centre of pixel (px, py). */
function centredCamera(width: number, height: number, px: number, py: number): RasterCamera {
  return { c2wGL: [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1], fxPx: 100, fyPx: 100, cxPx: px + 0.5, cyPx: py + 0.5 };
}

function pixel(image: Float32Array, width: number, height: number, view: number, x: number, y: number): number[] {
  const plane = width * height;
  return [0, 1, 2].map((c) => image[(view * 3 + c) * plane + y * width + x]);
}

const toSigned = (v: number) => Math.min(1, Math.max(-1, v * 2 - 1));

describe('SplatRasterizer', () => {
  it('renders an empty scene as the background, in both output forms', async () => {
    const cams = orbitCameras(2, 3, 24, 20);
    const white = await rasterizer.renderViews(new Float32Array(0), cams, 24, 20);
    expect(white.length).toBe(2 * 3 * 24 * 20);
    expect(white.every((v) => v === 1)).toBe(true);
    const grey = await rasterizer.renderViews(new Float32Array(0), cams, 24, 20, { background: [0.25, 0.5, 0] });
    expect(pixel(grey, 24, 20, 1, 3, 7)).toEqual([-0.5, 0, -1]);
    const rgba = await rasterizer.renderViewsRGBA8(new Float32Array(0), cams, 24, 20, { background: [0.25, 0.5, 0] });
    expect(Array.from(rgba.subarray(0, 8))).toEqual([64, 128, 0, 255, 64, 128, 0, 255]);
  });

  it('renders background where every Gaussian is culled (behind, before near, beyond far, transparent)', async () => {
    const rows = [
      gaussian([0, 0, 2], 0.5, 1, [1, 0, 0]), // behind the camera
      gaussian([0, 0, -0.005], 0.5, 1, [1, 0, 0]), // closer than near = 0.01
      gaussian([0, 0, -1500], 50, 1, [1, 0, 0]), // beyond far = 1000
      gaussian([0, 0, -2], 0.5, 0.5 / 255, [1, 0, 0]), // opacity under 1/255
      gaussian([50, 0, -2], 0.1, 1, [1, 0, 0]), // far outside the image
    ];
    const image = await rasterizer.renderViews(Float32Array.from(rows.flat()), [centredCamera(32, 32, 16, 16)], 32, 32);
    expect(image.every((v) => v === 1)).toBe(true);
  });

  it('gives one opaque Gaussian its SH colour (alpha 0.999) at the pixel its centre projects to', async () => {
    const width = 40, height = 30;
    const rgb = [0.9, 0.3, -0.2]; // the negative channel must clamp to 0 (gsplat clamp_min(c + 0.5, 0))
    const scene = Float32Array.from(gaussian([0, 0, -2], 0.05, 1, rgb));
    const image = await rasterizer.renderViews(scene, [centredCamera(width, height, 17, 11)], width, height);
    const expected = rgb.map((c) => toSigned(0.999 * Math.max(c, 0) + 0.001 * 1));
    const got = pixel(image, width, height, 0, 17, 11);
    for (let c = 0; c < 3; c++) expect(got[c]).toBeCloseTo(expected[c], 5);
    // Far from the centre only the background remains.
    expect(pixel(image, width, height, 0, 0, 0)).toEqual([1, 1, 1]);
  });

  it('blends a half-transparent Gaussian with the background at its centre', async () => {
    const scene = Float32Array.from(gaussian([0, 0, -2], 0.2, 0.5, [0.2, 0.4, 0.6]));
    const image = await rasterizer.renderViews(scene, [centredCamera(32, 32, 16, 16)], 32, 32, { background: [0, 0, 1] });
    const expected = [0.2, 0.4, 0.6].map((c, i) => toSigned(0.5 * c + 0.5 * [0, 0, 1][i]));
    const got = pixel(image, 32, 32, 0, 16, 16);
    for (let c = 0; c < 3; c++) expect(got[c]).toBeCloseTo(expected[c], 5);
  });

  it('draws nearer Gaussians first whatever their index, and equal depths in index order', async () => {
    const cam = [centredCamera(32, 32, 16, 16)];
    // Blue (index 0) behind red (index 1): red in front.
    const byDepth = Float32Array.from([...gaussian([0, 0, -3], 0.3, 1, [0, 0, 1]), ...gaussian([0, 0, -2], 0.3, 1, [1, 0, 0])]);
    const front = pixel(await rasterizer.renderViews(byDepth, cam, 32, 32), 32, 32, 0, 16, 16);
    expect(front[0]).toBeGreaterThan(0.99);
    expect(front[2]).toBeLessThan(-0.99);
    // Same depth, half opacity each: the first row is in front (gsplat's stable sort).
    const tie = Float32Array.from([...gaussian([0, 0, -2], 0.3, 0.5, [1, 0, 0]), ...gaussian([0, 0, -2], 0.3, 0.5, [0, 0, 1])]);
    const got = pixel(await rasterizer.renderViews(tie, cam, 32, 32, { background: [0, 0, 0] }), 32, 32, 0, 16, 16);
    const expected = [toSigned(0.5), -1, toSigned(0.25)];
    for (let c = 0; c < 3; c++) expect(got[c]).toBeCloseTo(expected[c], 5);
  });

  it('matches the JS reference of gsplat classic rules on a random scene with every culling case (3 views)', async () => {
    const width = 72, height = 56;
    const scene = mixedScene(600, 7);
    const cameras = orbitCameras(3, 2.5, width, height);
    const gpu = await rasterizer.renderViews(scene, cameras, width, height);
    const cpu = cpuRenderViews(scene, cameras, width, height);
    const plane = 3 * width * height;
    for (let v = 0; v < cameras.length; v++) {
      const db = psnr01(gpu, cpu, v * plane, plane);
      console.log(`view ${v}: PSNR vs JS reference ${db.toFixed(1)} dB`);
      expect(db).toBeGreaterThan(60);
    }
    // Not trivially background.
    expect(gpu.filter((v) => v < 0.9).length).toBeGreaterThan(plane / 10);
  });

  it('renders the same pixels with tiny limits (Gaussian chunks, bands, batches, split dispatches) as without', async () => {
    const width = 64, height = 48;
    const scene = randomScene({ count: 700, seed: 3, scaleMin: 0.02, scaleMax: 0.3 });
    const cameras = orbitCameras(3, 2.5, width, height);
    const reference = await rasterizer.renderViews(scene, cameras, width, height);
    const small = await SplatRasterizer.create({ maxGaussiansPerChunk: 256, maxIntersectionsPerBand: 1500, maxViewsPerBatch: 2, maxWorkgroupsPerDimension: 4 });
    try {
      const limited = await small.renderViews(scene, cameras, width, height);
      expect(Array.from(limited)).toEqual(Array.from(reference));
      expect(Math.max(...small.lastBandsPerView)).toBeGreaterThan(1);
    } finally {
      small.destroy();
    }
  });

  it('renders RGBA8 frames as the rounded [0, 1] colours of the float render', async () => {
    const width = 40, height = 24;
    const scene = randomScene({ count: 200, seed: 11 });
    const cameras = orbitCameras(2, 3, width, height);
    const signed = await rasterizer.renderViews(scene, cameras, width, height);
    const uploaded = rasterizer.upload(scene);
    const rgba = await rasterizer.renderViewsRGBA8(uploaded, cameras, width, height);
    uploaded.destroy();
    const plane = width * height;
    let worst = 0;
    for (let v = 0; v < 2; v++) {
      for (let i = 0; i < plane; i++) {
        for (let c = 0; c < 3; c++) {
          const expected = ((signed[(v * 3 + c) * plane + i] + 1) / 2) * 255;
          worst = Math.max(worst, Math.abs(rgba[(v * plane + i) * 4 + c] - expected));
        }
        expect(rgba[(v * plane + i) * 4 + 3]).toBe(255);
      }
    }
    expect(worst).toBeLessThanOrEqual(0.5 + 1e-3);
  });

  it('rejects malformed input with INVALID_REQUEST', async () => {
    const cams = [lookAtCamera([0, 0, 3], [0, 0, 0], 16, 16)];
    await expect(rasterizer.renderViews(new Float32Array(37), cams, 16, 16)).rejects.toMatchObject({ code: 'INVALID_REQUEST' });
    await expect(rasterizer.renderViews(new Float32Array(38), [{ ...cams[0], c2wGL: [1, 0, 0] }], 16, 16)).rejects.toMatchObject({ code: 'INVALID_REQUEST' });
    await expect(rasterizer.renderViews(new Float32Array(38), cams, 0, 16)).rejects.toMatchObject({ code: 'INVALID_REQUEST' });
  });

  it('says which driver to install when no WebGPU adapter exists', async () => {
    const error = await openSplatGpu(['adapter=no-such-gpu-adapter']).then(() => null, (e: unknown) => e);
    expect(isStudioError(error) && error.code).toBe('GPU_UNAVAILABLE');
    expect(String((error as Error).message)).toMatch(/mesa-vulkan-drivers/);
  });
});

/**
 * Random Gaussians around the origin plus the awkward ones: behind the cameras, inside near,
 * huge, sub-pixel, nearly transparent, and exactly-equal depths.
 */
function mixedScene(count: number, seed: number): Float32Array {
  const base = randomScene({ count, seed, scaleMin: 0.005, scaleMax: 0.25, opacityMin: 0.002 });
  const extra = [
    gaussian([0, 0, 0], 3, 0.3, [0.8, 0.8, 0.2]), // huge, around every camera's target
    gaussian([0.1, 0.1, 0.1], 0.0005, 1, [0, 1, 0]), // sub-pixel
    gaussian([0.2, -0.1, 0], 0.1, 0.003, [1, 0, 1]), // barely above 1/255
    gaussian([0, 0.75, 2.5], 0.2, 1, [1, 0, 0]), // at the first camera (inside near)
    gaussian([0, 0.75, 4], 0.3, 1, [1, 0, 0]), // behind the first camera
    gaussian([0.3, 0.3, 0.3], 0.1, 0.6, [0, 0, 1]),
    gaussian([0.3, 0.3, 0.3], 0.1, 0.6, [1, 1, 0]), // same place and depth as the previous one
  ];
  return Float32Array.from([...base, ...extra.flat()]);
}
