import { describe, expect, it } from 'vitest';
import jpeg from 'jpeg-js';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildPng } from '../../../test/helpers/pngBuilder';
import type { RequestCamera } from '../../shared/camera/types';
import { StudioError } from '../../shared/errors';
import { MAX_IMAGE_BYTES, decodeImage, type RgbImage } from './imageDecode';
import { adjustCamerasForCrop, centerCropBox, prepareImagePrompt, readImagePromptBytes, rgbToSignedChw } from './imagePrep';
import { cropRgb, resizeBicubic } from './pillowResize';

function expectInvalid(fn: () => unknown, pattern: RegExp): void {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(StudioError);
    expect((e as StudioError).code).toBe('INVALID_REQUEST');
    expect((e as StudioError).message).toMatch(pattern);
    return;
  }
  throw new Error('expected an INVALID_REQUEST error');
}

describe('decodeImage (PIL .convert("RGB") semantics)', () => {
  it('decodes 8-bit RGB exactly', () => {
    const samples = [10, 20, 30, 40, 50, 60, 70, 80, 90, 250, 251, 252];
    const img = decodeImage(buildPng({ width: 2, height: 2, depth: 8, colorType: 2, samples }));
    expect([img.width, img.height]).toEqual([2, 2]);
    expect(Array.from(img.data)).toEqual(samples);
  });

  it('drops alpha without compositing, even for fully transparent pixels', () => {
    const img = decodeImage(buildPng({ width: 2, height: 1, depth: 8, colorType: 6, samples: [200, 100, 50, 0, 1, 2, 3, 128] }));
    expect(Array.from(img.data)).toEqual([200, 100, 50, 1, 2, 3]);
  });

  it('replicates gray and scales low bit depths like PIL (×255, ×85, ×17)', () => {
    expect(Array.from(decodeImage(buildPng({ width: 2, height: 1, depth: 1, colorType: 0, samples: [1, 0] })).data)).toEqual([255, 255, 255, 0, 0, 0]);
    expect(Array.from(decodeImage(buildPng({ width: 2, height: 1, depth: 2, colorType: 0, samples: [2, 3] })).data)).toEqual([170, 170, 170, 255, 255, 255]);
    expect(Array.from(decodeImage(buildPng({ width: 1, height: 1, depth: 4, colorType: 0, samples: [7] })).data)).toEqual([119, 119, 119]);
    expect(Array.from(decodeImage(buildPng({ width: 1, height: 1, depth: 8, colorType: 4, samples: [77, 0] })).data)).toEqual([77, 77, 77]);
  });

  it('keeps the high byte of 16-bit colour but clips 16-bit gray at 255 (PIL mode I;16)', () => {
    expect(Array.from(decodeImage(buildPng({ width: 1, height: 1, depth: 16, colorType: 2, samples: [0x1234, 0xff00, 0x00ff] })).data)).toEqual([0x12, 0xff, 0x00]);
    expect(Array.from(decodeImage(buildPng({ width: 3, height: 1, depth: 16, colorType: 0, samples: [100, 255, 4000] })).data)).toEqual([100, 100, 100, 255, 255, 255, 255, 255, 255]);
  });

  it('looks palettes up and keeps colour-keyed (tRNS) pixels as they are', () => {
    const pal = decodeImage(buildPng({ width: 2, height: 1, depth: 8, colorType: 3, samples: [1, 0], palette: [9, 8, 7, 200, 150, 100], trns: [0, 255] }));
    expect(Array.from(pal.data)).toEqual([200, 150, 100, 9, 8, 7]);
    const keyed = decodeImage(buildPng({ width: 2, height: 1, depth: 8, colorType: 2, samples: [255, 255, 255, 1, 2, 3], trns: [0, 255, 0, 255, 0, 255] }));
    expect(Array.from(keyed.data)).toEqual([255, 255, 255, 1, 2, 3]);
  });

  it('decodes JPEG (close to the encoded colours)', () => {
    const w = 16, h = 16, rgba = Buffer.alloc(w * h * 4);
    for (let p = 0; p < w * h; p++) rgba.set([180, 90, 40, 255], p * 4);
    const encoded = jpeg.encode({ width: w, height: h, data: rgba }, 95).data;
    const img = decodeImage(new Uint8Array(encoded));
    expect([img.width, img.height]).toEqual([16, 16]);
    for (let p = 0; p < w * h; p++) {
      expect(Math.abs(img.data[p * 3] - 180)).toBeLessThanOrEqual(3);
      expect(Math.abs(img.data[p * 3 + 2] - 40)).toBeLessThanOrEqual(3);
    }
  });

  it('refuses other formats, junk, truncation and oversized input with INVALID_REQUEST', () => {
    expectInvalid(() => decodeImage(new TextEncoder().encode('GIF89a......')), /GIF.*PNG or JPEG/);
    expectInvalid(() => decodeImage(new TextEncoder().encode('hello world, not an image')), /not a PNG or JPEG/);
    const png = buildPng({ width: 4, height: 4, depth: 8, colorType: 2, samples: new Array(48).fill(7) });
    expectInvalid(() => decodeImage(png.subarray(0, png.length - 30)), /PNG/);
    expectInvalid(() => decodeImage(new Uint8Array(MAX_IMAGE_BYTES + 1)), /MB limit/);
    // 20000 × 20000 declared in the header: refused before any pixel is decoded
    const huge = buildPng({ width: 1, height: 1, depth: 8, colorType: 0, samples: [0] });
    new DataView(huge.buffer).setUint32(16, 20000);
    new DataView(huge.buffer).setUint32(20, 20000);
    expectInvalid(() => decodeImage(huge), /Mpx limit/);
  });
});

describe('Pillow-compatible crop and bicubic resize', () => {
  const ramp = (w: number, h: number): RgbImage => {
    const data = new Uint8Array(w * h * 3);
    for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) data.set([x * 10, y * 10, 128], (y * w + x) * 3);
    return { width: w, height: h, data };
  };

  it('crops exact pixels', () => {
    const c = cropRgb(ramp(6, 5), 2, 1, 3, 2);
    expect([c.width, c.height]).toEqual([3, 2]);
    expect(Array.from(c.data.subarray(0, 6))).toEqual([20, 10, 128, 30, 10, 128]);
  });

  it('returns a copy for the same size and keeps constant images constant', () => {
    const src = ramp(5, 4);
    expect(Array.from(resizeBicubic(src, 5, 4).data)).toEqual(Array.from(src.data));
    const flat: RgbImage = { width: 7, height: 3, data: new Uint8Array(63).fill(201) };
    for (const [w, h] of [[20, 11], [3, 2], [7, 9]]) expect(resizeBicubic(flat, w, h).data.every((v) => v === 201)).toBe(true);
  });

  it('follows a linear ramp inside the image when upscaling 2×', () => {
    const up = resizeBicubic(ramp(8, 8), 16, 16);
    // output x = 7 maps to source centre 3.75 − 0.5 = 3.25 → 32.5 on the ramp (cubic is exact on lines)
    const v = up.data[(8 * 16 + 7) * 3];
    expect(Math.abs(v - 32.5)).toBeLessThanOrEqual(0.5);
    expect(up.data[(7 * 16 + 8) * 3 + 1]).toBe(up.data[(7 * 16 + 8) * 3 + 1]);
  });

  it('antialiases when downscaling (a 1-pixel checkerboard averages to mid-gray)', () => {
    const w = 40, h = 40, data = new Uint8Array(w * h * 3);
    for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) data.fill((x + y) % 2 ? 255 : 0, (y * w + x) * 3, (y * w + x) * 3 + 3);
    const small = resizeBicubic({ width: w, height: h, data }, 10, 10);
    for (let p = 0; p < 100; p++) expect(Math.abs(small.data[p * 3] - 127.5)).toBeLessThan(20);
  });
});

describe('center crop and intrinsics', () => {
  it('crops like upstream for landscape, portrait and exact inputs', () => {
    expect(centerCropBox(1000, 600, 704, 480)).toMatchObject({ left: 60, top: 0, width: 880, height: 600, scale: 0.8 });
    expect(centerCropBox(300, 500, 704, 480)).toMatchObject({ left: 0, top: 148, width: 300, height: 204 });
    expect(centerCropBox(704, 480, 704, 480)).toMatchObject({ left: 0, top: 0, width: 704, height: 480, scale: 1 });
    expect(centerCropBox(257, 129, 704, 480)).toMatchObject({ left: 34, top: 0, width: 189, height: 129 });
  });

  it('scales focal lengths and moves the principal point with the crop', () => {
    const cam: RequestCamera = { quaternion: [1, 0, 0, 0], position: [0, 0, 0], fx: 500, fy: 500, cx: 500, cy: 300 };
    const [adj] = adjustCamerasForCrop([cam], centerCropBox(1000, 600, 704, 480));
    expect(adj).toMatchObject({ fx: 400, fy: 400, cx: 352, cy: 240 });
    expect(cam.fx).toBe(500); // the request is not mutated
  });

  it('maps 0 → -1 and 255 → 1 channel-first', () => {
    const t = rgbToSignedChw({ width: 2, height: 1, data: Uint8Array.from([0, 255, 51, 255, 0, 102]) });
    expect(Array.from(t)).toEqual([-1, 1, 1, -1, Math.fround(Math.fround(51 / 255) * 2 - 1), Math.fround(Math.fround(102 / 255) * 2 - 1)]);
  });
});

describe('prepareImagePrompt', () => {
  const png = buildPng({ width: 20, height: 10, depth: 8, colorType: 2, samples: Array.from({ length: 600 }, (_, i) => (i * 7) % 256) });
  const cams: RequestCamera[] = [{ quaternion: [1, 0, 0, 0], position: [0, 0, 0], fx: 10, fy: 10, cx: 10, cy: 5 }];

  it('accepts a file path, a data URL and bare base64 with identical results', () => {
    const dir = mkdtempSync(join(tmpdir(), 'imgprep-'));
    writeFileSync(join(dir, 'in.png'), png);
    const b64 = Buffer.from(png).toString('base64');
    const fromPath = prepareImagePrompt('in.png', cams, 16, 16, { baseDir: dir });
    const fromUrl = prepareImagePrompt(`data:image/png;base64,${b64}`, cams, 16, 16);
    const fromB64 = prepareImagePrompt(b64, cams, 16, 16);
    expect(fromPath.image.length).toBe(3 * 16 * 16);
    expect(Array.from(fromUrl.image)).toEqual(Array.from(fromPath.image));
    expect(Array.from(fromB64.image)).toEqual(Array.from(fromPath.image));
    // 20×10 → 16×16: crop the centre 10×10 (left 5), scale 1.6
    expect(fromPath.crop).toMatchObject({ left: 5, top: 0, width: 10, height: 10, scale: 1.6 });
    expect(fromPath.cameras[0]).toMatchObject({ fx: 16, cx: 8, cy: 8 });
  });

  it('explains a missing file / bad data', () => {
    expectInvalid(() => readImagePromptBytes('/no/such/image.png'), /neither an existing file nor base64/);
    expectInvalid(() => readImagePromptBytes('data:image/png;base64,@@@@'), /valid base64/);
    expectInvalid(() => prepareImagePrompt(Buffer.from(png.subarray(0, 40)).toString('base64'), cams, 16, 16), /PNG.*truncated/);
  });
});
