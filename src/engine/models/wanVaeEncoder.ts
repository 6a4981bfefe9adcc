/**
 * The Wan2.2 VAE encoder as FlashWorld uses it: one frame at a time (upstream app.py cuts the
 * causal time padding, see wanVaeBlocks.ts), then diffusers' DiagonalGaussianDistribution sample
 * with the noise given as an input, then upstream `latent_scale_fn` normalisation.
 *
 * Graph I/O (stable names):
 *   image   (batch, 3, height, width)  graph float type, in [-1, 1]; height, width multiples of 16
 *   noise   (batch, z, height/16, width/16) float32 (the N(0, 1) draw of `latent_dist.sample()`)
 *   latents (batch, z, height/16, width/16) float32 — (mean + std·noise − latents_mean) / latents_std
 *   mean    (batch, z, height/16, width/16) float32 — the posterior mean (unnormalised)
 */
import { StudioError } from '../../shared/errors';
import { cacheKey, type GraphCacheEvent } from '../onnx/cache';
import { getCachedGraph } from '../onnx/cachedGraph';
import { GraphBuilder, type Value } from '../onnx/graph';
import * as ops from '../onnx/ops';
import type { WeightSource } from '../weights/types';
import { conv2d, convOutChannels, midBlock, residualDownBlock, wanRmsNorm, type VaeAttentionImpl, type VaeBuildContext } from './wanVaeBlocks';
import { encoderDims, vaeSpatialFactor, type WanVaeConfig } from './wanVaeConfig';
import { VAE_LOGVAR_MAX, VAE_LOGVAR_MIN } from './wanVaeConstants';

export { readWanVaeConfig, type WanVaeConfig } from './wanVaeConfig';

/** Bump when the graph this file emits changes, so cached graphs are rebuilt. */
const BUILDER_VERSION = 1;

export const WAN_VAE_ENCODER_IO = { image: 'image', noise: 'noise', latents: 'latents', mean: 'mean' } as const;

export interface WanVaeEncoderBuildOptions {
  /** Mid-block attention kernel (single head of size C = 640 at full size); default 'plain'. */
  attention?: VaeAttentionImpl;
}

/**
 * Gather indices that turn ONNX SpaceToDepth's channel order ((row·p + col)·C + c) into upstream
 * `patchify`'s `b c (h q) (w r) -> b (c r q) h w` order (c·p² + col·p + row).
 */
export function patchifyChannelOrder(channels: number, patch: number): number[] {
  const order: number[] = [];
  for (let c = 0; c < channels; c++) for (let col = 0; col < patch; col++) for (let row = 0; row < patch; row++) order.push((row * patch + col) * channels + c);
  return order;
}

function patchify(g: GraphBuilder, image: Value, channels: number, patch: number): Value {
  if (patch === 1) return image;
  const s2d = g.op('SpaceToDepth', [image], { blocksize: patch });
  return ops.gather(g, s2d, patchifyChannelOrder(channels, patch), 1);
}

function checkWeights(weights: WeightSource, config: WanVaeConfig): void {
  const dims = encoderDims(config);
  const inner = convOutChannels(weights, 'encoder.conv_in');
  const out = convOutChannels(weights, 'quant_conv');
  const inChannels = weights.info('encoder.conv_in.weight').shape[1];
  if (inner !== dims[0] || out !== 2 * config.zDim || inChannels !== config.imageChannels * config.patchSize ** 2) {
    throw new StudioError(
      'WEIGHTS_SHAPE_MISMATCH',
      `${weights.origin}: encoder.conv_in is [${weights.info('encoder.conv_in.weight').shape}] and quant_conv has ${out} outputs, but the VAE config says base_dim ${dims[0]}, z_dim ${config.zDim}, in_channels ${config.imageChannels * config.patchSize ** 2}. Install the VAE weights and config.json from the same model folder.`,
    );
  }
}

/** Emits the encoder into `g`. `weights`: the VAE safetensors (keys "encoder.*", "quant_conv.*"). */
export function buildWanVaeEncoder(g: GraphBuilder, weights: WeightSource, config: WanVaeConfig, opts: WanVaeEncoderBuildOptions = {}): void {
  checkWeights(weights, config);
  const ctx: VaeBuildContext = { g, weights, attention: opts.attention ?? 'plain' };
  const dims = encoderDims(config);
  const z = config.zDim;
  const image = g.input(WAN_VAE_ENCODER_IO.image, g.floatType, ['batch', config.imageChannels, 'height', 'width']);
  const noise = g.input(WAN_VAE_ENCODER_IO.noise, 'float32', ['batch', z, 'latent_height', 'latent_width']);

  let x = conv2d(ctx, 'encoder.conv_in', patchify(g, image, config.imageChannels, config.patchSize));
  const stages = config.dimMult.length;
  for (let i = 0; i < stages; i++) {
    const last = i === stages - 1;
    x = residualDownBlock(ctx, `encoder.down_blocks.${i}`, x, {
      inDim: dims[i],
      outDim: dims[i + 1],
      numResBlocks: config.numResBlocks,
      temporalDownsample: !last && config.temporalDownsample[i],
      downFlag: !last,
    });
  }
  const top = dims[dims.length - 1];
  x = midBlock(ctx, 'encoder.mid_block', x, top);
  x = ops.silu(g, wanRmsNorm(ctx, 'encoder.norm_out', x, top));
  x = conv2d(ctx, 'encoder.conv_out', x);
  const moments = ops.castIfNeeded(g, conv2d(ctx, 'quant_conv', x), 'float32');

  // diffusers DiagonalGaussianDistribution, in fp32 whatever the graph type
  const [mean, rawLogvar] = ops.split(g, moments, [z, z], 1);
  const logvar = g.op('Clip', [rawLogvar, g.constFloat(VAE_LOGVAR_MIN, [], 'float32'), g.constFloat(VAE_LOGVAR_MAX, [], 'float32')]);
  const std = ops.exp(g, ops.mul(g, logvar, g.constFloat(0.5, [], 'float32')));
  const sample = ops.add(g, mean, ops.mul(g, std, noise));
  const latentsMean = g.constFloat(config.latentsMean, [z, 1, 1], 'float32');
  const latentsStd = g.constFloat(config.latentsStd, [z, 1, 1], 'float32');
  const latents = ops.div(g, ops.sub(g, sample, latentsMean), latentsStd);

  const outShape = ['batch', z, 'latent_height', 'latent_width'];
  g.output(latents, WAN_VAE_ENCODER_IO.latents, 'float32', outShape);
  g.output(mean, WAN_VAE_ENCODER_IO.mean, 'float32', outShape);
}

/** Latent grid of an image: (height, width) / 16 for Wan2.2. Throws when the size does not divide. */
export function wanVaeLatentSize(config: WanVaeConfig, height: number, width: number): { height: number; width: number } {
  const f = vaeSpatialFactor(config);
  if (height % f !== 0 || width % f !== 0) {
    throw new StudioError('INVALID_REQUEST', `The image is ${width}×${height}, but the Wan VAE needs both sides to be multiples of ${f}. Pick a resolution divisible by ${f}.`);
  }
  return { height: height / f, width: width / f };
}

export interface WanVaeEncoderGraphOptions extends WanVaeEncoderBuildOptions {
  cacheDir: string;
  weights: WeightSource;
  /** Identity of the weight file for the cache key: `fileFingerprint(path)` from onnx/cache. */
  weightsId: string;
  config: WanVaeConfig;
  floatType: 'float32' | 'float16';
  onEvent?: (event: GraphCacheEvent) => void;
}

export function wanVaeEncoderGraphKey(opts: Pick<WanVaeEncoderGraphOptions, 'weightsId' | 'config' | 'floatType' | 'attention'>): string {
  const hash = cacheKey({
    builder: BUILDER_VERSION,
    weights: opts.weightsId,
    config: opts.config,
    floatType: opts.floatType,
    attention: opts.attention ?? 'plain',
  });
  return `wan-vae-encoder-${opts.floatType}-${hash}`;
}

/** Path of the cached encoder .onnx, built on first use. */
export function getWanVaeEncoderGraph(opts: WanVaeEncoderGraphOptions): Promise<string> {
  return getCachedGraph({
    cacheDir: opts.cacheDir,
    key: wanVaeEncoderGraphKey(opts),
    name: 'wan_vae_encoder',
    floatType: opts.floatType,
    onEvent: opts.onEvent,
    emit: (g) => buildWanVaeEncoder(g, opts.weights, opts.config, opts),
  });
}
