/**
 * JPEG coefficients → 8-bit RGB exactly as libjpeg-turbo decodes for PIL (its defaults: the
 * accurate integer IDCT "islow", "fancy" triangle-filter chroma upsampling, fixed-point YCbCr→RGB
 * tables), followed by PIL's own conversion to RGB (gray replicated; CMYK read inverted, as PIL
 * assumes Adobe's convention, then PIL's CMYK→RGB).
 */
import { JpegError, type JpegComponent, type JpegFrame } from './jpegCoefficients';

// islow IDCT constants: round(c · 2^13), CONST_BITS = 13, PASS1_BITS = 2
const CONST_BITS = 13, PASS1_BITS = 2;
const F_0_298 = 2446, F_0_390 = 3196, F_0_541 = 4433, F_0_765 = 6270, F_0_899 = 7373, F_1_175 = 9633;
const F_1_501 = 12299, F_1_847 = 15137, F_1_961 = 16069, F_2_053 = 16819, F_2_562 = 20995, F_3_072 = 25172;

/** libjpeg's post-IDCT range limit, indexed by (value & 1023): clamp(v + 128) with wraparound for wild values. */
const IDCT_LIMIT = (() => {
  const t = new Uint8Array(1024);
  for (let i = 0; i < 1024; i++) t[i] = i < 128 ? i + 128 : i < 512 ? 255 : i < 896 ? 0 : i - 896;
  return t;
})();

// DESCALE(x, n) = (x + 2^(n-1)) >> n, on exact doubles (libjpeg uses 64-bit longs); scaling by a
// power of two is exact, so floor((x + half) · 2^-n) is the arithmetic shift.
const PASS1_N = CONST_BITS - PASS1_BITS, PASS2_N = CONST_BITS + PASS1_BITS + 3;
const PASS1_HALF = 2 ** (PASS1_N - 1), PASS1_SCALE = 2 ** -PASS1_N;
const PASS2_HALF = 2 ** (PASS2_N - 1), PASS2_SCALE = 2 ** -PASS2_N;
const CONST_SCALE = 2 ** CONST_BITS;

const workspace = new Float64Array(64);
const dequantized = new Float64Array(64);

/** jpeg_idct_islow: dequantize and inverse-DCT one block into `out` (row stride `stride`). */
function idctIslow(coef: Int32Array, c0: number, quant: Int32Array, out: Uint8Array, o0: number, stride: number): void {
  const ws = workspace, dq = dequantized;
  for (let i = 0; i < 64; i++) dq[i] = coef[c0 + i] * quant[i];
  for (let col = 0; col < 8; col++) {
    if (dq[8 + col] === 0 && dq[16 + col] === 0 && dq[24 + col] === 0 && dq[32 + col] === 0 &&
        dq[40 + col] === 0 && dq[48 + col] === 0 && dq[56 + col] === 0) {
      const dc = dq[col] * (1 << PASS1_BITS);
      for (let r = 0; r < 8; r++) ws[r * 8 + col] = dc;
      continue;
    }
    let z2 = dq[16 + col], z3 = dq[48 + col];
    let z1 = (z2 + z3) * F_0_541;
    let tmp2 = z1 - z3 * F_1_847, tmp3 = z1 + z2 * F_0_765;
    z2 = dq[col];
    z3 = dq[32 + col];
    let tmp0 = (z2 + z3) * CONST_SCALE, tmp1 = (z2 - z3) * CONST_SCALE;
    const tmp10 = tmp0 + tmp3, tmp13 = tmp0 - tmp3, tmp11 = tmp1 + tmp2, tmp12 = tmp1 - tmp2;
    tmp0 = dq[56 + col];
    tmp1 = dq[40 + col];
    tmp2 = dq[24 + col];
    tmp3 = dq[8 + col];
    z1 = tmp0 + tmp3;
    z2 = tmp1 + tmp2;
    z3 = tmp0 + tmp2;
    let z4 = tmp1 + tmp3;
    const z5 = (z3 + z4) * F_1_175;
    tmp0 *= F_0_298;
    tmp1 *= F_2_053;
    tmp2 *= F_3_072;
    tmp3 *= F_1_501;
    z1 *= -F_0_899;
    z2 *= -F_2_562;
    z3 = z3 * -F_1_961 + z5;
    z4 = z4 * -F_0_390 + z5;
    tmp0 += z1 + z3;
    tmp1 += z2 + z4;
    tmp2 += z2 + z3;
    tmp3 += z1 + z4;
    ws[col] = Math.floor((tmp10 + tmp3 + PASS1_HALF) * PASS1_SCALE);
    ws[56 + col] = Math.floor((tmp10 - tmp3 + PASS1_HALF) * PASS1_SCALE);
    ws[8 + col] = Math.floor((tmp11 + tmp2 + PASS1_HALF) * PASS1_SCALE);
    ws[48 + col] = Math.floor((tmp11 - tmp2 + PASS1_HALF) * PASS1_SCALE);
    ws[16 + col] = Math.floor((tmp12 + tmp1 + PASS1_HALF) * PASS1_SCALE);
    ws[40 + col] = Math.floor((tmp12 - tmp1 + PASS1_HALF) * PASS1_SCALE);
    ws[24 + col] = Math.floor((tmp13 + tmp0 + PASS1_HALF) * PASS1_SCALE);
    ws[32 + col] = Math.floor((tmp13 - tmp0 + PASS1_HALF) * PASS1_SCALE);
  }
  const lim = IDCT_LIMIT;
  for (let row = 0; row < 8; row++) {
    const w = row * 8, o = o0 + row * stride;
    let z2 = ws[w + 2], z3 = ws[w + 6];
    let z1 = (z2 + z3) * F_0_541;
    let tmp2 = z1 - z3 * F_1_847, tmp3 = z1 + z2 * F_0_765;
    let tmp0 = (ws[w] + ws[w + 4]) * CONST_SCALE, tmp1 = (ws[w] - ws[w + 4]) * CONST_SCALE;
    const tmp10 = tmp0 + tmp3, tmp13 = tmp0 - tmp3, tmp11 = tmp1 + tmp2, tmp12 = tmp1 - tmp2;
    tmp0 = ws[w + 7];
    tmp1 = ws[w + 5];
    tmp2 = ws[w + 3];
    tmp3 = ws[w + 1];
    z1 = tmp0 + tmp3;
    z2 = tmp1 + tmp2;
    z3 = tmp0 + tmp2;
    let z4 = tmp1 + tmp3;
    const z5 = (z3 + z4) * F_1_175;
    tmp0 *= F_0_298;
    tmp1 *= F_2_053;
    tmp2 *= F_3_072;
    tmp3 *= F_1_501;
    z1 *= -F_0_899;
    z2 *= -F_2_562;
    z3 = z3 * -F_1_961 + z5;
    z4 = z4 * -F_0_390 + z5;
    tmp0 += z1 + z3;
    tmp1 += z2 + z4;
    tmp2 += z2 + z3;
    tmp3 += z1 + z4;
    out[o] = lim[Math.floor((tmp10 + tmp3 + PASS2_HALF) * PASS2_SCALE) & 1023];
    out[o + 7] = lim[Math.floor((tmp10 - tmp3 + PASS2_HALF) * PASS2_SCALE) & 1023];
    out[o + 1] = lim[Math.floor((tmp11 + tmp2 + PASS2_HALF) * PASS2_SCALE) & 1023];
    out[o + 6] = lim[Math.floor((tmp11 - tmp2 + PASS2_HALF) * PASS2_SCALE) & 1023];
    out[o + 2] = lim[Math.floor((tmp12 + tmp1 + PASS2_HALF) * PASS2_SCALE) & 1023];
    out[o + 5] = lim[Math.floor((tmp12 - tmp1 + PASS2_HALF) * PASS2_SCALE) & 1023];
    out[o + 3] = lim[Math.floor((tmp13 + tmp0 + PASS2_HALF) * PASS2_SCALE) & 1023];
    out[o + 4] = lim[Math.floor((tmp13 - tmp0 + PASS2_HALF) * PASS2_SCALE) & 1023];
  }
}

interface Plane {
  width: number;
  height: number;
  data: Uint8Array;
}

/** The component's samples (its block grid, of which the first width × height are real). */
function componentPlane(c: JpegComponent): Plane {
  const stride = c.blocksPerLine * 8;
  const data = new Uint8Array(stride * c.blocksPerColumn * 8);
  const quant = c.quant as Int32Array;
  for (let by = 0; by < c.blocksPerColumn; by++) {
    for (let bx = 0; bx < c.blocksPerLine; bx++) {
      idctIslow(c.coeffs, (by * c.blocksPerLine + bx) * 64, quant, data, by * 8 * stride + bx * 8, stride);
    }
  }
  return { width: stride, height: c.blocksPerColumn * 8, data };
}

/**
 * Upsamples a component to the full image size as libjpeg-turbo's jdsample.c does: triangle
 * filter for 2:1 horizontal (h2v1), 2:1 vertical (h1v2) and both (h2v2), with the neighbouring row
 * outside the component replicated from its edge row; box replication for other integral ratios
 * and for components at most 2 samples wide.
 */
function upsample(src: Plane, c: JpegComponent, frame: JpegFrame): Uint8Array {
  const W = frame.width, H = frame.height;
  const hr = frame.maxH / c.h, vr = frame.maxV / c.v;
  if (!Number.isInteger(hr) || !Number.isInteger(vr)) throw new JpegError('JPEG with fractional chroma sampling ratios is not supported');
  const out = new Uint8Array(W * H);
  const cw = c.width, ch = c.height, s = src.width, d = src.data;
  const rowAt = (r: number): number => Math.min(Math.max(r, 0), ch - 1) * s;
  const fancyH = hr === 2 && cw > 2;
  const outRow = new Uint8Array(2 * cw + 2);
  if (hr === 1 && vr === 1) {
    for (let y = 0; y < H; y++) out.set(d.subarray(y * s, y * s + W), y * W);
  } else if (hr === 2 && vr === 1 && fancyH) {
    for (let y = 0; y < H; y++) {
      const r = y * s;
      outRow[0] = d[r];
      outRow[1] = (d[r] * 3 + d[r + 1] + 2) >> 2;
      for (let x = 1; x < cw - 1; x++) {
        const v3 = d[r + x] * 3;
        outRow[2 * x] = (v3 + d[r + x - 1] + 1) >> 2;
        outRow[2 * x + 1] = (v3 + d[r + x + 1] + 2) >> 2;
      }
      const last = cw - 1;
      outRow[2 * last] = (d[r + last] * 3 + d[r + last - 1] + 1) >> 2;
      outRow[2 * last + 1] = d[r + last];
      out.set(outRow.subarray(0, W), y * W);
    }
  } else if (hr === 1 && vr === 2) {
    for (let y = 0; y < H; y++) {
      const near = rowAt(y >> 1), far = rowAt((y & 1) === 0 ? (y >> 1) - 1 : (y >> 1) + 1);
      const bias = (y & 1) === 0 ? 1 : 2;
      for (let x = 0; x < W; x++) out[y * W + x] = (d[near + x] * 3 + d[far + x] + bias) >> 2;
    }
  } else if (hr === 2 && vr === 2 && fancyH) {
    const colsum = new Int32Array(cw);
    for (let y = 0; y < H; y++) {
      const near = rowAt(y >> 1), far = rowAt((y & 1) === 0 ? (y >> 1) - 1 : (y >> 1) + 1);
      for (let x = 0; x < cw; x++) colsum[x] = d[near + x] * 3 + d[far + x];
      outRow[0] = (colsum[0] * 4 + 8) >> 4;
      outRow[1] = (colsum[0] * 3 + colsum[1] + 7) >> 4;
      for (let x = 1; x < cw - 1; x++) {
        outRow[2 * x] = (colsum[x] * 3 + colsum[x - 1] + 8) >> 4;
        outRow[2 * x + 1] = (colsum[x] * 3 + colsum[x + 1] + 7) >> 4;
      }
      const last = cw - 1;
      outRow[2 * last] = (colsum[last] * 3 + colsum[last - 1] + 8) >> 4;
      outRow[2 * last + 1] = (colsum[last] * 4 + 7) >> 4;
      out.set(outRow.subarray(0, W), y * W);
    }
  } else {
    for (let y = 0; y < H; y++) {
      const r = Math.floor(y / vr) * s;
      for (let x = 0; x < W; x++) out[y * W + x] = d[r + Math.floor(x / hr)];
    }
  }
  return out;
}

// jdcolor.c YCbCr → RGB tables: SCALEBITS 16, FIX(x) = round(x · 2^16)
const SCALEBITS = 16, ONE_HALF = 1 << (SCALEBITS - 1);
const fix = (x: number): number => Math.floor(x * 2 ** SCALEBITS + 0.5);
const CR_R = new Int32Array(256), CB_B = new Int32Array(256), CR_G = new Int32Array(256), CB_G = new Int32Array(256);
for (let i = 0; i < 256; i++) {
  const x = i - 128;
  CR_R[i] = Math.floor((fix(1.402) * x + ONE_HALF) / 2 ** SCALEBITS);
  CB_B[i] = Math.floor((fix(1.772) * x + ONE_HALF) / 2 ** SCALEBITS);
  CR_G[i] = -fix(0.71414) * x;
  CB_G[i] = -fix(0.34414) * x + ONE_HALF;
}
const clamp8 = (v: number): number => (v < 0 ? 0 : v > 255 ? 255 : v);

/** PIL's MULDIV255: a · b / 255 rounded, in integers. */
function mulDiv255(a: number, b: number): number {
  const t = a * b + 128;
  return ((t >> 8) + t) >> 8;
}

type ColorSpace = 'gray' | 'ycbcr' | 'rgb' | 'cmyk' | 'ycck';

/** libjpeg's default_decompress_parms guess of the stored colour space. */
function colorSpaceOf(frame: JpegFrame): ColorSpace {
  const n = frame.components.length;
  if (n === 1) return 'gray';
  if (n === 3) {
    if (frame.jfif) return 'ycbcr';
    if (frame.adobeTransform !== null) return frame.adobeTransform === 0 ? 'rgb' : 'ycbcr';
    const [a, b, c] = frame.components.map((x) => x.id);
    return a === 82 && b === 71 && c === 66 ? 'rgb' : 'ycbcr';
  }
  if (frame.adobeTransform !== null) return frame.adobeTransform === 0 ? 'cmyk' : 'ycck';
  return 'cmyk';
}

/** Decoded frame → interleaved RGB (H, W, 3) as PIL `Image.open(jpeg).convert('RGB')`. */
export function jpegFrameToRgb(frame: JpegFrame): Uint8Array {
  const planes = frame.components.map((c) => upsample(componentPlane(c), c, frame));
  const count = frame.width * frame.height;
  const out = new Uint8Array(count * 3);
  const space = colorSpaceOf(frame);
  for (let p = 0; p < count; p++) {
    const o = p * 3;
    if (space === 'gray') {
      out[o] = out[o + 1] = out[o + 2] = planes[0][p];
    } else if (space === 'rgb') {
      out[o] = planes[0][p];
      out[o + 1] = planes[1][p];
      out[o + 2] = planes[2][p];
    } else if (space === 'ycbcr') {
      const y = planes[0][p], cb = planes[1][p], cr = planes[2][p];
      out[o] = clamp8(y + CR_R[cr]);
      out[o + 1] = clamp8(y + ((CB_G[cb] + CR_G[cr]) >> SCALEBITS));
      out[o + 2] = clamp8(y + CB_B[cb]);
    } else {
      let c0 = planes[0][p], c1 = planes[1][p], c2 = planes[2][p];
      const k = planes[3][p];
      if (space === 'ycck') {
        const y = c0, cb = c1, cr = c2;
        c0 = clamp8(255 - (y + CR_R[cr]));
        c1 = clamp8(255 - (y + ((CB_G[cb] + CR_G[cr]) >> SCALEBITS)));
        c2 = clamp8(255 - (y + CB_B[cb]));
      }
      // PIL reads JPEG CMYK inverted ("CMYK;I"), then converts: R = (255 − K′) − C′·(255 − K′)/255
      const nk = k; // 255 − (255 − k)
      out[o] = clamp8(nk - mulDiv255(255 - c0, nk));
      out[o + 1] = clamp8(nk - mulDiv255(255 - c1, nk));
      out[o + 2] = clamp8(nk - mulDiv255(255 - c2, nk));
    }
  }
  return out;
}
