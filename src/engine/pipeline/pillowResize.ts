/**
 * Crop and bicubic resize of 8-bit RGB images, bit-exact with Pillow's `Image.crop` and
 * `Image.resize(size)` (default filter BICUBIC, a = -0.5) for RGB images, which upstream uses to
 * prepare the image prompt. Pillow resamples separably (horizontal pass into 8-bit, then vertical),
 * widens the filter support by the scale factor when downscaling (antialiasing), and uses 22-bit
 * fixed-point coefficients with round-half-up and clipping.
 */
import type { RgbImage } from './imageDecode';

/** Pillow's Resample.c: 32 bits minus 8 for the result and 2 for overshoot of negative lobes. */
const PRECISION_BITS = 32 - 8 - 2;
const BICUBIC_SUPPORT = 2;

function bicubic(x: number): number {
  const a = -0.5;
  if (x < 0) x = -x;
  if (x < 1) return ((a + 2) * x - (a + 3)) * x * x + 1;
  if (x < 2) return (((x - 5) * x + 8) * x - 4) * a;
  return 0;
}

interface Coefficients {
  /** taps per output sample (stride of `weights`) */
  ksize: number;
  /** first input index per output sample */
  start: Int32Array;
  /** number of taps per output sample */
  count: Int32Array;
  /** fixed-point weights, outSize × ksize */
  weights: Int32Array;
}

/** Pillow's `precompute_coeffs` + `normalize_coeffs_8bpc` for the full input range. */
function coefficients(inSize: number, outSize: number): Coefficients {
  const scale = inSize / outSize;
  const filterScale = Math.max(scale, 1);
  const support = BICUBIC_SUPPORT * filterScale;
  const ksize = Math.ceil(support) * 2 + 1;
  const start = new Int32Array(outSize), count = new Int32Array(outSize);
  const weights = new Int32Array(outSize * ksize);
  const k = new Float64Array(ksize);
  for (let xx = 0; xx < outSize; xx++) {
    const center = (xx + 0.5) * scale;
    const ss = 1 / filterScale;
    const xmin = Math.max(Math.trunc(center - support + 0.5), 0);
    const xmax = Math.min(Math.trunc(center + support + 0.5), inSize) - xmin;
    let ww = 0;
    for (let x = 0; x < xmax; x++) {
      k[x] = bicubic((x + xmin - center + 0.5) * ss);
      ww += k[x];
    }
    for (let x = 0; x < xmax; x++) {
      const w = ww !== 0 ? k[x] / ww : k[x];
      weights[xx * ksize + x] = w < 0 ? Math.trunc(-0.5 + w * (1 << PRECISION_BITS)) : Math.trunc(0.5 + w * (1 << PRECISION_BITS));
    }
    start[xx] = xmin;
    count[xx] = xmax;
  }
  return { ksize, start, count, weights };
}

function clip8(sum: number): number {
  const v = sum >> PRECISION_BITS;
  return v < 0 ? 0 : v > 255 ? 255 : v;
}

function resampleHorizontal(src: RgbImage, outWidth: number): RgbImage {
  const { ksize, start, count, weights } = coefficients(src.width, outWidth);
  const out = new Uint8Array(outWidth * src.height * 3);
  const half = 1 << (PRECISION_BITS - 1);
  for (let y = 0; y < src.height; y++) {
    const row = y * src.width * 3;
    for (let xx = 0; xx < outWidth; xx++) {
      let s0 = half, s1 = half, s2 = half;
      const k = xx * ksize;
      for (let x = 0; x < count[xx]; x++) {
        const p = row + (start[xx] + x) * 3, w = weights[k + x];
        s0 += src.data[p] * w;
        s1 += src.data[p + 1] * w;
        s2 += src.data[p + 2] * w;
      }
      const o = (y * outWidth + xx) * 3;
      out[o] = clip8(s0);
      out[o + 1] = clip8(s1);
      out[o + 2] = clip8(s2);
    }
  }
  return { width: outWidth, height: src.height, data: out };
}

function resampleVertical(src: RgbImage, outHeight: number): RgbImage {
  const { ksize, start, count, weights } = coefficients(src.height, outHeight);
  const rowLen = src.width * 3;
  const out = new Uint8Array(rowLen * outHeight);
  const half = 1 << (PRECISION_BITS - 1);
  for (let yy = 0; yy < outHeight; yy++) {
    const k = yy * ksize;
    for (let i = 0; i < rowLen; i++) {
      let s = half;
      for (let y = 0; y < count[yy]; y++) s += src.data[(start[yy] + y) * rowLen + i] * weights[k + y];
      out[yy * rowLen + i] = clip8(s);
    }
  }
  return { width: src.width, height: outHeight, data: out };
}

/** `Image.resize((width, height))` with Pillow's default BICUBIC filter. */
export function resizeBicubic(src: RgbImage, width: number, height: number): RgbImage {
  let img = src;
  if (width !== img.width) img = resampleHorizontal(img, width);
  if (height !== img.height) img = resampleVertical(img, height);
  return img === src ? { width, height, data: src.data.slice() } : img;
}

/** `Image.crop((left, top, left + width, top + height))` for a box inside the image. */
export function cropRgb(src: RgbImage, left: number, top: number, width: number, height: number): RgbImage {
  if (left < 0 || top < 0 || left + width > src.width || top + height > src.height || width < 1 || height < 1) {
    throw new RangeError(`crop box ${left},${top} ${width}×${height} is outside the ${src.width}×${src.height} image`);
  }
  const out = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    const from = ((top + y) * src.width + left) * 3;
    out.set(src.data.subarray(from, from + width * 3), y * width * 3);
  }
  return { width, height, data: out };
}
