/**
 * FlashWorld's pixel-aligned 3DGS head (upstream models/reconstruction_model.py `PixelAligned3DGS`)
 * with upstream utils.py `create_rays` inside the graph: a 3×3 conv gives every pixel
 * `pointsPerPixel` Gaussians of 38 raw channels, placed along the pixel's camera ray.
 * Everything after the conv runs in fp32, as upstream does (`autocast(enabled=False)`, `.float()`).
 *
 * Per-camera scalars are kept as (N, 1, 1, 1, 1) and per-pixel values as (N, P, 1, H, W), so the
 * maths broadcasts without materialising camera maps.
 */
import { StudioError } from '../../shared/errors';
import type { GraphBuilder, Value } from '../onnx/graph';
import * as ops from '../onnx/ops';
import type { FloatTensor, WeightSource } from '../weights/types';
import { conv2d, type VaeBuildContext } from './wanVaeBlocks';
import { GAUSSIAN_CHANNELS, NORMALIZE_EPS, RAY_PIXEL_CENTER_OFFSET, RECON_CHANNELS_PER_POINT, RECON_HEAD_CHANNELS, RECON_SCALE_RANGE } from './wanVaeConstants';

/** Number of Gaussians per pixel, from the head's output rows (76 = 2 × 38 upstream). */
export function headPointsPerPixel(weights: WeightSource): number {
  const rows = weights.info('gs_head.gs_proj.weight').shape[0];
  if (rows % RECON_CHANNELS_PER_POINT !== 0) {
    throw new StudioError(
      'WEIGHTS_SHAPE_MISMATCH',
      `${weights.origin}: gs_head.gs_proj has ${rows} outputs, not a multiple of ${RECON_CHANNELS_PER_POINT} (SH degree 2 Gaussians). The checkpoint is not a FlashWorld recon decoder.`,
    );
  }
  return rows / RECON_CHANNELS_PER_POINT;
}

/**
 * The head conv with upstream's `weight · lrs_mul` and `bias · lrs_mul` (lrs_mul is a buffer in
 * the checkpoint), folded at build time with fp32 products as torch computes them.
 */
function headConv(ctx: VaeBuildContext, x: Value): Value {
  const lrs = ctx.weights.read('gs_head.lrs_mul', 'float32').data as Float32Array;
  const scaleRows = (t: FloatTensor): FloatTensor => {
    const rows = t.shape[0];
    if (rows !== lrs.length) throw new StudioError('WEIGHTS_SHAPE_MISMATCH', `${ctx.weights.origin}: gs_head.lrs_mul has ${lrs.length} entries for ${rows} head outputs.`);
    const per = t.data.length / rows;
    const out = new Float32Array(t.data.length);
    for (let i = 0; i < out.length; i++) out[i] = Math.fround((t.data as Float32Array)[i] * lrs[Math.floor(i / per)]);
    return { dtype: 'float32', shape: t.shape, data: out };
  };
  return conv2d(ctx, 'gs_head.gs_proj', x, { transform: (kernel, bias) => ({ kernel: scaleRows(kernel), bias: bias ? scaleRows(bias) : null }) });
}

function f32(g: GraphBuilder, v: number): Value {
  return g.constFloat(v, [], 'float32');
}

/** Slice of `x` along `axis` [start, end). */
function take(g: GraphBuilder, x: Value, axis: number, start: number, end: number): Value {
  return ops.slice(g, x, [start], [end], [axis]);
}

/** x / max(‖x‖₂ over `axis`, eps): torch F.normalize. */
function normalize(g: GraphBuilder, x: Value, axis: number): Value {
  const norm = ops.sqrt(g, g.op('ReduceSumSquare', [x], { axes: [axis], keepdims: 1 }));
  return ops.div(g, x, g.op('Max', [norm, f32(g, NORMALIZE_EPS)]));
}

/**
 * upstream utils.py `quaternion_to_matrix` (w, x, y, z; need not be unit): the nine entries of R,
 * row-major, each shaped like the inputs.
 */
function quaternionToMatrix(g: GraphBuilder, r: Value, i: Value, j: Value, k: Value): Value[] {
  const m = (a: Value, b: Value) => ops.mul(g, a, b);
  const sumSq = ops.add(g, ops.add(g, ops.add(g, m(r, r), m(i, i)), m(j, j)), m(k, k));
  const twoS = ops.div(g, f32(g, 2), sumSq);
  const one = f32(g, 1);
  const diag = (a: Value, b: Value) => ops.sub(g, one, m(twoS, ops.add(g, m(a, a), m(b, b))));
  const off = (a: Value, b: Value, c: Value, d: Value, sign: 1 | -1) => m(twoS, (sign > 0 ? ops.add : ops.sub)(g, m(a, b), m(c, d)));
  return [
    diag(j, k), off(i, j, k, r, -1), off(i, k, j, r, 1),
    off(i, j, k, r, 1), diag(i, k), off(j, k, i, r, -1),
    off(i, k, j, r, -1), off(j, k, i, r, 1), diag(i, j),
  ];
}

/**
 * Emits the head. x: (N, C, H, W) decoder features; cameras: (B, T, 11) float32 normalised
 * 11-vectors [q wxyz, t xyz, fx/W, fy/H, cx/W, cy/H] with N = B·T. Returns float32
 * (B, T, P, H, W, 38): [xyz, opacity, scales, rotations wxyz, sh 27 coefficient-major].
 */
export function gaussianHead(ctx: VaeBuildContext, x: Value, cameras: Value): Value {
  const { g } = ctx;
  const points = headPointsPerPixel(ctx.weights);
  const raw = ops.castIfNeeded(g, headConv(ctx, x), 'float32'); // (N, P·38, H, W)
  const rawShape = g.op('Shape', [raw]);
  const hw = ops.slice(g, rawShape, [2], [4], [0]); // [H, W] int64
  const params = ops.reshape(g, raw, ops.concat(g, [ops.slice(g, rawShape, [0], [1], [0]), g.constInt64([points, RECON_CHANNELS_PER_POINT]), hw], 0)); // (N, P, 38, H, W)

  const c = RECON_HEAD_CHANNELS;
  let at = 0;
  const next = (n: number) => take(g, params, 2, at, (at += n));
  const sh = next(c.sh);
  const uOffset = next(1);
  const vOffset = next(1);
  const depthRaw = next(c.depth);
  const opacityRaw = next(c.opacity);
  const scalesRaw = next(c.scales);
  const rotationsRaw = next(c.rotations);

  // per-camera scalars, (N, 1, 1, 1, 1)
  const cam = ops.reshape(g, ops.castIfNeeded(g, cameras, 'float32'), [-1, 1, 11, 1, 1]);
  const camAt = (k: number) => take(g, cam, 2, k, k + 1);
  const [qw, qx, qy, qz] = [0, 1, 2, 3].map(camAt);
  const origin = take(g, cam, 2, 4, 7); // (N, 1, 3, 1, 1)
  const [fxN, fyN, cxN, cyN] = [7, 8, 9, 10].map(camAt);
  const heightF = ops.cast(g, ops.gather(g, rawShape, 2), 'float32');
  const widthF = ops.cast(g, ops.gather(g, rawShape, 3), 'float32');

  // upstream create_rays: intrinsics in feature-map pixels, pixel centres at +0.5
  const fx = ops.mul(g, fxN, widthF);
  const cx = ops.mul(g, cxN, widthF);
  const fy = ops.mul(g, fyN, heightF);
  const cy = ops.mul(g, cyN, heightF);
  const half = f32(g, RAY_PIXEL_CENTER_OFFSET);
  const col = g.op('Range', [half, widthF, f32(g, 1)]); // (W): 0.5, 1.5, …
  const row = ops.unsqueeze(g, g.op('Range', [half, heightF, f32(g, 1)]), [1]); // (H, 1)
  const u = ops.add(g, ops.div(g, col, cx), uOffset); // (N, P, 1, H, W)
  const v = ops.add(g, ops.div(g, row, cy), vOffset);
  // xs = −(u − 1)·cx/fx·zs and ys = (v − 1)·cy/fy·zs with zs = −1 (OpenGL camera looks down −Z)
  const one = f32(g, 1);
  const dirX = ops.div(g, ops.mul(g, ops.sub(g, u, one), cx), fx);
  const dirY = ops.neg(g, ops.div(g, ops.mul(g, ops.sub(g, v, one), cy), fy));
  // world direction R · (xs, ys, −1), then normalised
  const rot = quaternionToMatrix(g, qw, qx, qy, qz);
  const worldAxis = (rowIndex: number) =>
    ops.sub(g, ops.add(g, ops.mul(g, dirX, rot[rowIndex * 3]), ops.mul(g, dirY, rot[rowIndex * 3 + 1])), rot[rowIndex * 3 + 2]);
  const rayDir = normalize(g, ops.concat(g, [worldAxis(0), worldAxis(1), worldAxis(2)], 2), 2); // (N, P, 3, H, W)

  const depth = ops.exp(g, depthRaw);
  const xyz = ops.add(g, origin, ops.mul(g, depth, rayDir));
  const opacity = ops.sigmoid(g, opacityRaw);
  // pixel size, upstream: sqrt((fx/w)² + (fy/h)²) · depth with fx, fy the NORMALISED intrinsics
  const fxw = ops.div(g, fxN, widthF);
  const fyh = ops.div(g, fyN, heightF);
  const pixelSize = ops.mul(g, ops.sqrt(g, ops.add(g, ops.mul(g, fxw, fxw), ops.mul(g, fyh, fyh))), depth);
  const [lo, hi] = RECON_SCALE_RANGE;
  const scales = ops.mul(g, ops.add(g, ops.mul(g, ops.sigmoid(g, scalesRaw), f32(g, hi - lo)), f32(g, lo)), pixelSize);
  const rotations = normalize(g, rotationsRaw, 2);

  const gaussians = ops.transpose(g, ops.concat(g, [xyz, opacity, scales, rotations, sh], 2), [0, 1, 3, 4, 2]); // (N, P, H, W, 38)
  const batchFrames = ops.slice(g, g.op('Shape', [cameras]), [0], [2], [0]);
  return ops.reshape(g, gaussians, ops.concat(g, [batchFrames, g.constInt64([points]), hw, g.constInt64([GAUSSIAN_CHANNELS])], 0));
}
