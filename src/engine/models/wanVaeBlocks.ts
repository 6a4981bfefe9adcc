/**
 * Building blocks of the Wan2.2 VAE (upstream models/autoencoder_kl_wan.py) for SINGLE frames,
 * shared by the VAE encoder and FlashWorld's reconstruction decoder. Tensors are NCHW: the time
 * axis (always 1 here) is dropped.
 *
 * Why 2-D is exact: upstream `GenerationSystem.__init__` cuts each WanCausalConv3d's causal time
 * padding and keeps `weight[:, :, time_pad:]`, and encodes/decodes one frame with `feat_cache=None`.
 * A 3×3×3 conv then sees a single frame, so it is the 2-D conv with the kernel's LAST time slice
 * (the uncut VAE file holds (out, in, 3, k, k); the recon checkpoint already holds (out, in, 1, k, k)).
 * With `feat_cache=None` the resample blocks never run their `time_conv`, and the AvgDown3D /
 * DupUp3D shortcuts take their single-frame branches (see avgDownShortcut / dupUpShortcut).
 */
import { StudioError } from '../../shared/errors';
import type { GraphBuilder, Value } from '../onnx/graph';
import * as ops from '../onnx/ops';
import type { FloatTensor, WeightSource } from '../weights/types';
import { WAN_RMS_NORM_EPS } from './wanVaeConstants';

export type VaeAttentionImpl = 'contrib' | 'plain';

/** Graph builder + the weights of one network (keys relative to that network). */
export interface VaeBuildContext {
  g: GraphBuilder;
  weights: WeightSource;
  /** Attention kernel for the mid block's single-head attention. */
  attention: VaeAttentionImpl;
}

function shapeError(ctx: VaeBuildContext, name: string, shape: number[], expected: string): StudioError {
  return new StudioError(
    'WEIGHTS_SHAPE_MISMATCH',
    `${ctx.weights.origin}: "${name}" has shape [${shape}], expected ${expected}. The weights do not match the VAE config: install matching model files.`,
  );
}

/** A float32 tensor of the given shape (weights are always read as fp32 and converted by the builder). */
function f32(shape: number[], data: Float32Array): FloatTensor {
  return { dtype: 'float32', shape, data };
}

/**
 * Reads a conv weight as a 2-D kernel (out, in, kh, kw): a causal 3-D kernel (out, in, T, kh, kw)
 * keeps its last time slice (the one that meets the frame itself; the others only ever saw the
 * causal zero padding), a Conv2d kernel is taken as is.
 */
export function readConvKernel2d(ctx: VaeBuildContext, name: string): FloatTensor {
  const t = ctx.weights.read(name, 'float32');
  if (t.dtype !== 'float32') throw new StudioError('INTERNAL', `Weight "${name}" was not read as float32.`);
  if (t.shape.length === 4) return t;
  if (t.shape.length !== 5) throw shapeError(ctx, name, t.shape, '(out, in, [t,] kh, kw)');
  const [o, i, depth, kh, kw] = t.shape;
  const plane = kh * kw;
  const out = new Float32Array(o * i * plane);
  for (let oi = 0; oi < o * i; oi++) out.set(t.data.subarray((oi * depth + depth - 1) * plane, (oi * depth + depth) * plane), oi * plane);
  return f32([o, i, kh, kw], out);
}

export interface Conv2dOptions {
  /** ONNX pads [top, left, bottom, right]; default: same padding for odd kernels. */
  pads?: number[];
  stride?: number;
  /** Build-time transform of the (fp32) kernel and bias, e.g. a per-output-channel scale. */
  transform?: (kernel: FloatTensor, bias: FloatTensor | null) => { kernel: FloatTensor; bias: FloatTensor | null };
}

/** `${prefix}.weight` / `${prefix}.bias` as a 2-D convolution of x. */
export function conv2d(ctx: VaeBuildContext, prefix: string, x: Value, opts: Conv2dOptions = {}): Value {
  const { g, weights } = ctx;
  let kernel = readConvKernel2d(ctx, `${prefix}.weight`);
  let bias: FloatTensor | null = weights.has(`${prefix}.bias`) ? weights.read(`${prefix}.bias`, 'float32') : null;
  if (opts.transform) ({ kernel, bias } = opts.transform(kernel, bias));
  const [, , kh, kw] = kernel.shape;
  const pads = opts.pads ?? [(kh - 1) / 2, (kw - 1) / 2, (kh - 1) / 2, (kw - 1) / 2];
  const w = g.weight(`${prefix}.weight`, kernel);
  const b = bias ? g.weight(`${prefix}.bias`, bias) : null;
  const stride = opts.stride ?? 1;
  return ops.conv(g, x, w, b, { pads, ...(stride !== 1 ? { strides: [stride, stride] } : {}) });
}

/** Output channels of a conv weight, for shape checks and derived widths. */
export function convOutChannels(weights: WeightSource, prefix: string): number {
  return weights.info(`${prefix}.weight`).shape[0];
}

/**
 * upstream `WanRMS_norm` over channels: F.normalize(x, dim=1) · √C · gamma (+ bias). The sum of
 * squares, the norm and the division run in fp32 whatever the graph type (fp16 overflows at |x|²
 * past 65504). √C is folded into gamma at build time as torch computes `scale * gamma` in fp32.
 */
export function wanRmsNorm(ctx: VaeBuildContext, prefix: string, x: Value, channels: number): Value {
  const { g, weights } = ctx;
  const gamma = weights.read(`${prefix}.gamma`, 'float32').data as Float32Array;
  if (gamma.length !== channels) throw shapeError(ctx, `${prefix}.gamma`, weights.info(`${prefix}.gamma`).shape, `${channels} elements`);
  const scale = Math.fround(Math.sqrt(channels));
  const scaled = new Float32Array(channels);
  for (let c = 0; c < channels; c++) scaled[c] = Math.fround(scale * gamma[c]);
  const gammaV = g.weight(`${prefix}.gamma`, f32([channels, 1, 1], scaled));
  const biasV = weights.has(`${prefix}.bias`)
    ? g.weight(`${prefix}.bias`, f32([channels, 1, 1], weights.read(`${prefix}.bias`, 'float32').data as Float32Array))
    : null;

  const inType = g.typeOf(x) ?? g.floatType;
  const xf = ops.castIfNeeded(g, x, 'float32');
  const sumSq = g.op('ReduceSumSquare', [xf], { axes: [1], keepdims: 1 });
  const denom = g.op('Max', [ops.sqrt(g, sumSq), g.constFloat(WAN_RMS_NORM_EPS, [], 'float32')]);
  // fp32: divide as torch does; fp16: one fp32 reciprocal per pixel, then a cheap fp16 multiply.
  const unit =
    inType === 'float32' ? ops.div(g, xf, denom) : ops.mul(g, x, ops.cast(g, g.op('Reciprocal', [denom]), inType === 'float16' ? 'float16' : 'float32'));
  const y = ops.mul(g, unit, gammaV);
  return biasV ? ops.add(g, y, biasV) : y;
}

/** upstream `WanResidualBlock` (dropout is identity at inference). */
export function residualBlock(ctx: VaeBuildContext, prefix: string, x: Value, inDim: number, outDim: number): Value {
  const { g } = ctx;
  const shortcut = inDim !== outDim ? conv2d(ctx, `${prefix}.conv_shortcut`, x) : x;
  let y = ops.silu(g, wanRmsNorm(ctx, `${prefix}.norm1`, x, inDim));
  y = conv2d(ctx, `${prefix}.conv1`, y);
  y = ops.silu(g, wanRmsNorm(ctx, `${prefix}.norm2`, y, outDim));
  y = conv2d(ctx, `${prefix}.conv2`, y);
  return ops.add(g, shortcut, y);
}

/**
 * upstream `WanAttentionBlock`: RMS norm, 1×1 qkv conv, one head over all H·W positions with
 * head size C (scale 1/√C, torch SDPA default), 1×1 projection, residual.
 */
export function attentionBlock(ctx: VaeBuildContext, prefix: string, x: Value, dim: number): Value {
  const { g } = ctx;
  const normed = wanRmsNorm(ctx, `${prefix}.norm`, x, dim);
  const qkv = conv2d(ctx, `${prefix}.to_qkv`, normed); // (B, 3C, H, W)
  // One head of size C (640-1024): q·k sums C products and can pass fp16's 65504 where upstream's
  // bf16 cannot overflow. The attention is small (one per frame, H·W ≈ 1.3k tokens), so it runs in fp32.
  const type = g.typeOf(qkv) ?? g.floatType;
  const tokens = ops.castIfNeeded(g, ops.transpose(g, ops.reshape(g, qkv, [0, 3 * dim, -1]), [0, 2, 1]), 'float32'); // (B, HW, 3C)
  const [q, k, v] = ops.split(g, tokens, [dim, dim, dim], 2);
  const attended = ops.castIfNeeded(g, ops.multiHeadAttention(g, q, k, v, 1, { impl: ctx.attention }), type === 'float16' ? 'float16' : 'float32'); // (B, HW, C)
  const back = ops.reshape(g, ops.transpose(g, attended, [0, 2, 1]), g.op('Shape', [x])); // (B, C, H, W)
  return ops.add(g, x, conv2d(ctx, `${prefix}.proj`, back));
}

/** upstream `WanMidBlock` with num_layers=1: resnet, attention, resnet. */
export function midBlock(ctx: VaeBuildContext, prefix: string, x: Value, dim: number): Value {
  let y = residualBlock(ctx, `${prefix}.resnets.0`, x, dim, dim);
  y = attentionBlock(ctx, `${prefix}.attentions.0`, y, dim);
  return residualBlock(ctx, `${prefix}.resnets.1`, y, dim, dim);
}

/**
 * Which input values feed each output channel of upstream `AvgDown3D.forward` for ONE frame, as
 * weights over (channel c, sub-row sy, sub-column sx) of the fs×fs block: returns A with
 * A[((o·C + c)·fs + sy)·fs + sx]. Follows upstream's own index arithmetic for both of its branches:
 * - `T == 1 and group_size >= factor` (or factor_t == 1): no time padding; channels (c, sy, sx)
 *   grouped by `group_size / factor_t`, averaged, then divided by `pad_t + 1`;
 * - otherwise: `factor_t − 1` zero frames are padded in FRONT, and the groups of `group_size`
 *   also count those zeros (so some output channels are exactly 0).
 */
export function avgDownWeights(inDim: number, outDim: number, factorT: number, factorS: number): Float32Array {
  const factor = factorT * factorS * factorS;
  if ((inDim * factor) % outDim !== 0) throw new StudioError('INTERNAL', `AvgDown3D ${inDim}→${outDim} (factor ${factor}) does not divide evenly.`);
  const groupSize = (inDim * factor) / outDim;
  const a = new Float32Array(outDim * inDim * factorS * factorS);
  const noPadBranch = groupSize >= factor || factorT === 1;
  for (let c = 0; c < inDim; c++) {
    for (let sy = 0; sy < factorS; sy++) {
      for (let sx = 0; sx < factorS; sx++) {
        const s = sy * factorS + sx;
        let o: number;
        let weight: number;
        if (noPadBranch) {
          const padT = factorT === 1 ? 0 : factorT - 1; // (factor_t − T % factor_t) % factor_t at T = 1
          const perGroup = groupSize / factorT;
          o = Math.floor((c * factorS * factorS + s) / perGroup);
          weight = 1 / perGroup / (padT + 1);
        } else {
          // padded frames t = 0..factor_t−2 are zeros; the real frame is the last (t = factor_t − 1)
          const k = c * factor + (factorT - 1) * factorS * factorS + s;
          o = Math.floor(k / groupSize);
          weight = 1 / groupSize;
        }
        a[((o * inDim + c) * factorS + sy) * factorS + sx] = weight;
      }
    }
  }
  return a;
}

/** The largest group count G (dividing both widths) for which A is block-diagonal, so a grouped conv computes it. */
function convGroups(a: Float32Array, inDim: number, outDim: number, block: number): number {
  const gcd = (p: number, q: number): number => (q === 0 ? p : gcd(q, p % q));
  for (let groups = gcd(inDim, outDim); groups > 1; groups--) {
    if (inDim % groups !== 0 || outDim % groups !== 0) continue;
    const inPer = inDim / groups;
    const outPer = outDim / groups;
    let ok = true;
    for (let o = 0; o < outDim && ok; o++) {
      for (let c = 0; c < inDim && ok; c++) {
        if (Math.floor(o / outPer) === Math.floor(c / inPer)) continue;
        for (let s = 0; s < block; s++) if (a[(o * inDim + c) * block + s] !== 0) ok = false;
      }
    }
    if (ok) return groups;
  }
  return 1;
}

/**
 * upstream `AvgDown3D` (the residual down block's shortcut) on one frame, as one grouped
 * fs×fs stride-fs convolution with constant weights from avgDownWeights: exact, no dynamic
 * reshapes, and cheap (each output reads only its own channel group).
 */
export function avgDownShortcut(ctx: VaeBuildContext, name: string, x: Value, inDim: number, outDim: number, factorT: number, factorS: number): Value {
  const { g } = ctx;
  if (factorT * factorS === 1 && inDim === outDim) return x;
  const a = avgDownWeights(inDim, outDim, factorT, factorS);
  const block = factorS * factorS;
  const groups = convGroups(a, inDim, outDim, block);
  const inPer = inDim / groups;
  const outPer = outDim / groups;
  const kernel = new Float32Array(outDim * inPer * block);
  for (let o = 0; o < outDim; o++) {
    const c0 = Math.floor(o / outPer) * inPer;
    for (let ci = 0; ci < inPer; ci++) kernel.set(a.subarray((o * inDim + c0 + ci) * block, (o * inDim + c0 + ci + 1) * block), (o * inPer + ci) * block);
  }
  const w = g.weight(name, f32([outDim, inPer, factorS, factorS], kernel));
  return ops.conv(g, x, w, null, { strides: [factorS, factorS], group: groups });
}

/**
 * upstream `DupUp3D.forward(x, first_chunk=True)` on one frame (its second branch): each input
 * channel repeated `repeats / factor_t` times (repeat_interleave), then every fs² consecutive
 * channels spread over an fs×fs block — exactly DepthToSpace in CRD order.
 */
export function dupUpShortcut(ctx: VaeBuildContext, x: Value, inDim: number, outDim: number, factorT: number, factorS: number): Value {
  const { g } = ctx;
  const factor = factorT * factorS * factorS;
  const repeats = (outDim * factor) / inDim;
  const perFrame = repeats / factorT;
  if (!Number.isInteger(repeats) || !Number.isInteger(perFrame)) {
    throw new StudioError('INTERNAL', `DupUp3D ${inDim}→${outDim} (factor ${factor}) does not divide evenly.`);
  }
  const channels = Array.from({ length: inDim * perFrame }, (_, k) => Math.floor(k / perFrame));
  const repeated = perFrame === 1 ? x : ops.gather(g, x, channels, 1);
  return factorS === 1 ? repeated : g.op('DepthToSpace', [repeated], { blocksize: factorS, mode: 'CRD' });
}

/** upstream `WanResample` 'downsample2d'/'downsample3d' at one frame: ZeroPad2d((0,1,0,1)) then a stride-2 3×3 conv. */
export function downsample(ctx: VaeBuildContext, prefix: string, x: Value): Value {
  return conv2d(ctx, `${prefix}.resample.1`, x, { pads: [0, 0, 1, 1], stride: 2 });
}

/** upstream `WanResample` 'upsample2d'/'upsample3d' at one frame: nearest ×2 (nearest-exact = floor(dst/2) at ×2), then a 3×3 conv. */
export function upsample(ctx: VaeBuildContext, prefix: string, x: Value): Value {
  const { g } = ctx;
  const scales = g.constFloat([1, 1, 2, 2], [4], 'float32');
  const up = g.op('Resize', [x, null, scales], { mode: 'nearest', coordinate_transformation_mode: 'asymmetric', nearest_mode: 'floor' });
  return conv2d(ctx, `${prefix}.resample.1`, up);
}

export interface DownBlockSpec {
  inDim: number;
  outDim: number;
  numResBlocks: number;
  temporalDownsample: boolean;
  downFlag: boolean;
}

/** upstream `WanResidualDownBlock`: resnets (+ downsampler) plus the AvgDown3D shortcut of the block input. */
export function residualDownBlock(ctx: VaeBuildContext, prefix: string, x: Value, spec: DownBlockSpec): Value {
  const factorT = spec.temporalDownsample ? 2 : 1;
  const factorS = spec.downFlag ? 2 : 1;
  let y = x;
  let dim = spec.inDim;
  for (let i = 0; i < spec.numResBlocks; i++) {
    y = residualBlock(ctx, `${prefix}.resnets.${i}`, y, dim, spec.outDim);
    dim = spec.outDim;
  }
  if (spec.downFlag) y = downsample(ctx, `${prefix}.downsampler`, y);
  const shortcut = avgDownShortcut(ctx, `${prefix}.avg_shortcut.weight`, x, spec.inDim, spec.outDim, factorT, factorS);
  return ops.add(ctx.g, shortcut, y);
}

export interface UpBlockSpec {
  inDim: number;
  outDim: number;
  numResBlocks: number;
  temporalUpsample: boolean;
  upFlag: boolean;
}

/** upstream `WanResidualUpBlock.forward(..., first_chunk=True)`: num_res_blocks + 1 resnets, upsampler, DupUp3D shortcut. */
export function residualUpBlock(ctx: VaeBuildContext, prefix: string, x: Value, spec: UpBlockSpec): Value {
  let y = x;
  let dim = spec.inDim;
  for (let i = 0; i < spec.numResBlocks + 1; i++) {
    y = residualBlock(ctx, `${prefix}.resnets.${i}`, y, dim, spec.outDim);
    dim = spec.outDim;
  }
  if (!spec.upFlag) return y;
  y = upsample(ctx, `${prefix}.upsampler`, y);
  return ops.add(ctx.g, y, dupUpShortcut(ctx, x, spec.inDim, spec.outDim, spec.temporalUpsample ? 2 : 1, 2));
}
