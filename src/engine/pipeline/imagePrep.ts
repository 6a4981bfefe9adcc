/**
 * Image prompt preparation, as upstream app.py `process_generation_request` does it: read the
 * prompt (file path, data URL or bare base64), convert to RGB, center-crop to the target aspect
 * ratio, resize to W×H with Pillow's bicubic filter, move the cameras' intrinsics with the crop and
 * scale, and map pixels to [-1, 1] as a (3, H, W) float32 tensor.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import type { RequestCamera } from '../../shared/camera/types';
import { StudioError } from '../../shared/errors';
import { MAX_IMAGE_BYTES, decodeImage, type RgbImage } from './imageDecode';
import { cropRgb, resizeBicubic } from './pillowResize';

export interface CenterCrop {
  left: number;
  top: number;
  width: number;
  height: number;
  /** target pixels per source pixel */
  scale: number;
}

export interface PreparedImage {
  /** (3, H, W) float32 in [-1, 1] */
  image: Float32Array;
  /** the request cameras with fx, fy, cx, cy moved into the cropped and resized image */
  cameras: RequestCamera[];
  crop: CenterCrop;
  /** the decoded source image (RGB), e.g. for a thumbnail */
  source: RgbImage;
}

function invalid(message: string, cause?: unknown): StudioError {
  return new StudioError('INVALID_REQUEST', message, cause === undefined ? undefined : { cause });
}

/**
 * The bytes of an `image_prompt`: an existing file path (absolute, or relative to `baseDir`) is
 * read, as upstream checks `os.path.exists` first; otherwise the text after the first comma (data
 * URL) or the whole string is base64-decoded.
 */
export function readImagePromptBytes(prompt: string, baseDir?: string): Uint8Array {
  const looksLikeData = prompt.startsWith('data:') || prompt.length > 4096;
  if (!looksLikeData) {
    const path = isAbsolute(prompt) || !baseDir ? prompt : resolve(baseDir, prompt);
    if (existsSync(path) && statSync(path).isFile()) {
      const size = statSync(path).size;
      if (size > MAX_IMAGE_BYTES) {
        throw invalid(`The image prompt file ${path} is ${(size / 2 ** 20).toFixed(1)} MB, more than the ${MAX_IMAGE_BYTES / 2 ** 20} MB limit. Use a smaller image.`);
      }
      try {
        return new Uint8Array(readFileSync(path));
      } catch (e) {
        throw invalid(`The image prompt file ${path} could not be read (${(e as Error).message}).`, e);
      }
    }
  }
  const payload = prompt.includes(',') ? prompt.slice(prompt.indexOf(',') + 1) : prompt;
  if ((payload.length * 3) / 4 > MAX_IMAGE_BYTES) {
    throw invalid(`The image prompt data is larger than the ${MAX_IMAGE_BYTES / 2 ** 20} MB limit. Use a smaller image.`);
  }
  const compact = payload.replace(/\s+/g, '');
  if (!/^[A-Za-z0-9+/_-]*={0,2}$/.test(compact) || compact.length === 0) {
    throw invalid(
      looksLikeData
        ? 'The image prompt data URL does not contain valid base64 data.'
        : `The image prompt "${prompt.slice(0, 80)}" is neither an existing file nor base64 image data. Check the path.`,
    );
  }
  return new Uint8Array(Buffer.from(compact, 'base64'));
}

/**
 * Upstream's crop box: scale so the image covers W×H, take the centred region of that aspect
 * (Python `int()` truncation and `//` flooring, in double precision like Python floats).
 */
export function centerCropBox(srcWidth: number, srcHeight: number, width: number, height: number): CenterCrop {
  const scale = height / srcHeight > width / srcWidth ? height / srcHeight : width / srcWidth;
  const cropHeight = Math.trunc(height / scale);
  const cropWidth = Math.trunc(width / scale);
  if (cropWidth < 1 || cropHeight < 1) {
    throw invalid(`The ${srcWidth}×${srcHeight} image prompt is too thin to crop to ${width}×${height}. Use an image closer to that aspect ratio.`);
  }
  return {
    left: Math.floor((srcWidth - cropWidth) / 2),
    top: Math.floor((srcHeight - cropHeight) / 2),
    width: cropWidth,
    height: cropHeight,
    scale,
  };
}

/** fx, fy scale; cx, cy shift by the crop offset and scale (upstream does this in place). */
export function adjustCamerasForCrop(cameras: readonly RequestCamera[], crop: CenterCrop): RequestCamera[] {
  return cameras.map((c) => ({
    ...c,
    quaternion: [...c.quaternion] as RequestCamera['quaternion'],
    position: [...c.position] as RequestCamera['position'],
    fx: c.fx * crop.scale,
    fy: c.fy * crop.scale,
    cx: (c.cx - crop.left) * crop.scale,
    cy: (c.cy - crop.top) * crop.scale,
  }));
}

/** (H, W, 3) uint8 → (3, H, W) float32, v / 255 · 2 − 1 in float32 as torch computes it. */
export function rgbToSignedChw(img: RgbImage): Float32Array {
  const plane = img.width * img.height;
  const out = new Float32Array(3 * plane);
  const lut = new Float32Array(256);
  for (let v = 0; v < 256; v++) lut[v] = Math.fround(Math.fround(Math.fround(v / 255) * 2) - 1);
  for (let p = 0; p < plane; p++) {
    out[p] = lut[img.data[p * 3]];
    out[plane + p] = lut[img.data[p * 3 + 1]];
    out[2 * plane + p] = lut[img.data[p * 3 + 2]];
  }
  return out;
}

/** Decoded image + request cameras → the network's image tensor and adjusted cameras. */
export function prepareDecodedImage(source: RgbImage, cameras: readonly RequestCamera[], width: number, height: number): PreparedImage {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw invalid(`The target resolution ${width}×${height} is not a positive integer size.`);
  }
  const crop = centerCropBox(source.width, source.height, width, height);
  const resized = resizeBicubic(cropRgb(source, crop.left, crop.top, crop.width, crop.height), width, height);
  return { image: rgbToSignedChw(resized), cameras: adjustCamerasForCrop(cameras, crop), crop, source };
}

/** `image_prompt` (path, data URL, base64 or raw bytes) → prepared image, as upstream. */
export function prepareImagePrompt(
  prompt: string | Uint8Array,
  cameras: readonly RequestCamera[],
  width: number,
  height: number,
  options: { baseDir?: string } = {},
): PreparedImage {
  const bytes = typeof prompt === 'string' ? readImagePromptBytes(prompt, options.baseDir) : prompt;
  return prepareDecodedImage(decodeImage(bytes), cameras, width, height);
}
