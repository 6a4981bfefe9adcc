/**
 * Image prompt decoding to 8-bit RGB, matching what upstream's PIL `Image.open(...).convert('RGB')`
 * produces for PNG and JPEG (the formats we accept):
 * - alpha is dropped, not composited (PIL's RGBA→RGB);
 * - grayscale is replicated to R = G = B; low bit depths scale to 0..255 (1-bit → 0/255,
 *   2-bit → ×85, 4-bit → ×17); palettes are looked up;
 * - 16-bit PNGs keep the high byte, except 16-bit grayscale, which PIL opens as mode I;16 and
 *   clips to 255 on conversion;
 * - no gamma, colour profile or EXIF orientation is applied (PIL applies none either).
 * JPEG is decoded by our own decoder (./jpeg) that reproduces libjpeg-turbo's default output, which
 * is what PIL uses; jpeg-js differs from it by up to ~100 levels on chroma edges.
 */
import pngjs from 'pngjs';
import { JpegError, decodeJpegCoefficients } from './jpeg/jpegCoefficients';
import { jpegFrameToRgb } from './jpeg/jpegPixels';
import { StudioError } from '../../shared/errors';

/** Largest encoded image we accept (ours, not upstream's). */
export const MAX_IMAGE_BYTES = 50 * 1024 * 1024;
/** Largest decoded image we accept, in pixels (ours; also jpeg-js's own default cap). */
export const MAX_IMAGE_PIXELS = 100_000_000;

/** Interleaved 8-bit RGB, row-major (H, W, 3). */
export interface RgbImage {
  width: number;
  height: number;
  data: Uint8Array;
}

type ImageFormat = 'png' | 'jpeg';

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

function invalid(message: string, cause?: unknown): StudioError {
  return new StudioError('INVALID_REQUEST', message, cause === undefined ? undefined : { cause });
}

function sniffFormat(bytes: Uint8Array): ImageFormat {
  if (PNG_SIGNATURE.every((b, i) => bytes[i] === b)) return 'png';
  if (bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return 'jpeg';
  const ascii = String.fromCharCode(...bytes.subarray(0, 12));
  const known =
    ascii.startsWith('GIF8') ? 'GIF' :
    ascii.startsWith('RIFF') && ascii.slice(8, 12) === 'WEBP' ? 'WebP' :
    ascii.startsWith('BM') ? 'BMP' :
    ascii.startsWith('II*') || ascii.startsWith('MM\0*') ? 'TIFF' :
    ascii.slice(4, 8) === 'ftyp' ? 'HEIF/AVIF' : null;
  throw invalid(
    known
      ? `The image prompt is a ${known} file; only PNG and JPEG images are supported. Convert it to PNG or JPEG and try again.`
      : 'The image prompt is not a PNG or JPEG image (unrecognized data). Use a PNG or JPEG file.',
  );
}

function checkDimensions(width: number, height: number): void {
  if (!(width > 0 && height > 0)) throw invalid(`The image prompt has an invalid size ${width}×${height}.`);
  if (width * height > MAX_IMAGE_PIXELS) {
    throw invalid(
      `The image prompt is ${width}×${height} (${((width * height) / 1e6).toFixed(1)} Mpx), more than the ${MAX_IMAGE_PIXELS / 1e6} Mpx limit. Downscale it and try again.`,
    );
  }
}

interface PngHeader {
  width: number;
  height: number;
  depth: number;
  colorType: number;
}

/**
 * Reads IHDR and returns the PNG without tRNS chunks: the transparency is discarded by the RGB
 * conversion anyway, and pngjs would otherwise blacken colour-keyed pixels (PIL keeps them).
 */
function pngWithoutTransparency(bytes: Uint8Array): { header: PngHeader; stripped: Buffer } {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const parts: Uint8Array[] = [bytes.subarray(0, 8)];
  let header: PngHeader | undefined;
  let sawEnd = false;
  let pos = 8;
  while (pos + 12 <= bytes.length) {
    const length = view.getUint32(pos);
    const type = String.fromCharCode(bytes[pos + 4], bytes[pos + 5], bytes[pos + 6], bytes[pos + 7]);
    const end = pos + 12 + length;
    if (end > bytes.length) throw invalid(`The PNG image prompt is truncated (chunk ${type} runs past the end of the file).`);
    if (type === 'IHDR') {
      header = { width: view.getUint32(pos + 8), height: view.getUint32(pos + 12), depth: bytes[pos + 16], colorType: bytes[pos + 17] };
    }
    if (type !== 'tRNS') parts.push(bytes.subarray(pos, end));
    pos = end;
    if (type === 'IEND') {
      sawEnd = true;
      break;
    }
  }
  if (!header) throw invalid('The PNG image prompt has no IHDR header; the file is damaged.');
  if (!sawEnd) throw invalid('The PNG image prompt is truncated (no IEND chunk). Re-save or re-download it.');
  return { header, stripped: Buffer.concat(parts) };
}

function decodePng(bytes: Uint8Array): RgbImage {
  const { header, stripped } = pngWithoutTransparency(bytes);
  checkDimensions(header.width, header.height);
  const sixteen = header.depth === 16;
  let decoded: { width: number; height: number; data: ArrayLike<number> };
  try {
    decoded = pngjs.PNG.sync.read(stripped, { skipRescale: sixteen }) as { width: number; height: number; data: ArrayLike<number> };
  } catch (e) {
    throw invalid(`The PNG image prompt could not be decoded (${(e as Error).message}). Re-save it as PNG or JPEG and try again.`, e);
  }
  const { width, height, data: rgba } = decoded;
  const out = new Uint8Array(width * height * 3);
  const grayscale16 = sixteen && (header.colorType === 0);
  for (let p = 0; p < width * height; p++) {
    for (let c = 0; c < 3; c++) {
      const v = rgba[p * 4 + c];
      out[p * 3 + c] = !sixteen ? v : grayscale16 ? Math.min(v, 255) : v >> 8;
    }
  }
  return { width, height, data: out };
}

/** Size from the first SOFn marker, so that huge images are refused before decoding. */
function jpegDimensions(bytes: Uint8Array): { width: number; height: number } | null {
  let pos = 2;
  while (pos + 9 < bytes.length) {
    if (bytes[pos] !== 0xff) return null;
    const marker = bytes[pos + 1];
    if (marker === 0xff) {
      pos++;
      continue;
    }
    const length = (bytes[pos + 2] << 8) | bytes[pos + 3];
    const isSof = marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;
    if (isSof) return { height: (bytes[pos + 5] << 8) | bytes[pos + 6], width: (bytes[pos + 7] << 8) | bytes[pos + 8] };
    pos += 2 + length;
  }
  return null;
}

function decodeJpeg(bytes: Uint8Array): RgbImage {
  const size = jpegDimensions(bytes);
  if (size) checkDimensions(size.width, size.height);
  try {
    const frame = decodeJpegCoefficients(bytes, MAX_IMAGE_PIXELS);
    return { width: frame.width, height: frame.height, data: jpegFrameToRgb(frame) };
  } catch (e) {
    if (e instanceof JpegError) {
      throw invalid(`The JPEG image prompt could not be decoded (${e.message}). Re-save it as a standard JPEG or PNG and try again.`, e);
    }
    throw e;
  }
}

/** Decodes PNG or JPEG bytes to 8-bit RGB as PIL `.convert('RGB')` would. */
export function decodeImage(bytes: Uint8Array): RgbImage {
  if (bytes.length > MAX_IMAGE_BYTES) {
    throw invalid(`The image prompt is ${(bytes.length / 2 ** 20).toFixed(1)} MB, more than the ${MAX_IMAGE_BYTES / 2 ** 20} MB limit. Use a smaller image.`);
  }
  if (bytes.length < 8) throw invalid('The image prompt is empty or too short to be an image.');
  return sniffFormat(bytes) === 'png' ? decodePng(bytes) : decodeJpeg(bytes);
}
