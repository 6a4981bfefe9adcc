/**
 * FlashWorld's reconstruction decoder (upstream models/reconstruction_model.py
 * `WANDecoderPixelAligned3DGSReconstructionModel`): the Wan2.2 VAE decoder trunk on one frame per
 * view, fed by the latents AND the transformer's features, ending in a pixel-aligned 3DGS head
 * instead of RGB (conv_out is Identity, no unpatchify: Gaussians live at H/2 × W/2).
 *
 *   x = decoder.conv_in(post_quant_conv(z)) + extra_conv_in(feats)
 *   x = mid_block(x); x = up_blocks(x, first_chunk=True)   (time_conv never runs at T = 1)
 *   x = SiLU(norm_out(x))                                   (RMS norm without bias)
 *   gaussians = gs_head(x, cameras)                         (reconGaussianHead.ts)
 *
 * Graph I/O (stable names):
 *   feats     (views, feat, h, w)  graph float type: transformer features (1024 channels upstream)
 *   z         (views, latent, h, w) graph float type: UNSCALED latents (latent_unscale_fn applied)
 *   cameras   (batch, frames, 11)  float32: normalised 11-vectors, views = batch·frames
 *   gaussians (batch, frames, 2, 8h, 8w, 38) float32 (or float16 on request):
 *             [xyz, opacity, scales, rotations wxyz, sh (27, coefficient-major)]
 */
import { StudioError } from '../../shared/errors';
import { cacheKey, type GraphCacheEvent } from '../onnx/cache';
import { getCachedGraph } from '../onnx/cachedGraph';
import type { GraphBuilder } from '../onnx/graph';
import * as ops from '../onnx/ops';
import type { WeightSource } from '../weights/types';
import { headPointsPerPixel, gaussianHead } from './reconGaussianHead';
import { conv2d, convOutChannels, midBlock, residualUpBlock, wanRmsNorm, type VaeAttentionImpl, type VaeBuildContext } from './wanVaeBlocks';
import { decoderDims, readWanVaeConfig, type WanVaeConfig } from './wanVaeConfig';
import { GAUSSIAN_CHANNELS } from './wanVaeConstants';

/** Bump when the graph this file emits changes, so cached graphs are rebuilt. */
const BUILDER_VERSION = 1;

export const RECON_DECODER_IO = { feats: 'feats', z: 'z', cameras: 'cameras', gaussians: 'gaussians' } as const;

export interface ReconDecoderConfig {
  /** Decoder trunk sizes from the Wan VAE config.json (decoder_base_dim, dim_mult, num_res_blocks, temperal_downsample). */
  decoderBaseDim: number;
  dimMult: number[];
  numResBlocks: number;
  temporalDownsample: boolean[];
  /** Latent channels, from post_quant_conv (48 upstream). */
  latentChannels: number;
  /** Transformer feature channels, from extra_conv_in (1024 upstream). */
  featChannels: number;
  /** Gaussians per pixel, from the head's rows (2 upstream). */
  pointsPerPixel: number;
}

function mismatch(weights: WeightSource, what: string): StudioError {
  return new StudioError(
    'WEIGHTS_SHAPE_MISMATCH',
    `${weights.origin}: ${what}. The FlashWorld checkpoint and the Wan VAE config do not belong together: install matching FlashWorld and Wan2.2-TI2V-5B files.`,
  );
}

/**
 * Sizes of the recon decoder: the trunk from the VAE config (folder, file, parsed JSON or an
 * already-read config), the FlashWorld widths from `weights` (model.ckpt's "recon_decoder." part).
 */
export function readReconDecoderConfig(vae: string | Record<string, unknown> | WanVaeConfig, weights: WeightSource): ReconDecoderConfig {
  const v = typeof vae === 'object' && 'decoderBaseDim' in vae ? (vae as WanVaeConfig) : readWanVaeConfig(vae as string | Record<string, unknown>);
  const dims = decoderDims(v);
  const latentChannels = convOutChannels(weights, 'post_quant_conv');
  const convIn = weights.info('decoder.conv_in.weight').shape;
  const extra = weights.info('extra_conv_in.weight').shape;
  if (convIn[0] !== dims[0] || convIn[1] !== latentChannels) {
    throw mismatch(weights, `decoder.conv_in is [${convIn}] but the VAE config gives ${dims[0]} decoder channels over ${latentChannels} latents`);
  }
  if (extra[0] !== dims[0]) throw mismatch(weights, `extra_conv_in is [${extra}], not ${dims[0]} outputs`);
  return {
    decoderBaseDim: v.decoderBaseDim,
    dimMult: v.dimMult.slice(),
    numResBlocks: v.numResBlocks,
    temporalDownsample: v.temporalDownsample.slice(),
    latentChannels,
    featChannels: extra[1],
    pointsPerPixel: headPointsPerPixel(weights),
  };
}

export interface ReconDecoderBuildOptions {
  /** Mid-block attention kernel (single head of size 1024 at full size); default 'plain'. */
  attention?: VaeAttentionImpl;
  /** Element type of the `gaussians` output; default float32 (half the bytes with float16). */
  gaussiansType?: 'float32' | 'float16';
}

/** Emits the recon decoder into `g`. `weights`: model.ckpt's "recon_decoder." part. */
export function buildReconDecoder(g: GraphBuilder, weights: WeightSource, config: ReconDecoderConfig, opts: ReconDecoderBuildOptions = {}): void {
  const ctx: VaeBuildContext = { g, weights, attention: opts.attention ?? 'plain' };
  const dims = decoderDims({ decoderBaseDim: config.decoderBaseDim, dimMult: config.dimMult } as WanVaeConfig);
  const feats = g.input(RECON_DECODER_IO.feats, g.floatType, ['views', config.featChannels, 'latent_height', 'latent_width']);
  const z = g.input(RECON_DECODER_IO.z, g.floatType, ['views', config.latentChannels, 'latent_height', 'latent_width']);
  const cameras = g.input(RECON_DECODER_IO.cameras, 'float32', ['batch', 'frames', 11]);

  let x = ops.add(g, conv2d(ctx, 'decoder.conv_in', conv2d(ctx, 'post_quant_conv', z)), conv2d(ctx, 'extra_conv_in', feats));
  x = midBlock(ctx, 'decoder.mid_block', x, dims[0]);
  const stages = config.dimMult.length;
  // upstream WanDecoder3d: temperal_upsample = temperal_downsample[::-1]
  const temporalUp = config.temporalDownsample.slice(0, stages - 1).reverse();
  for (let i = 0; i < stages; i++) {
    const upFlag = i !== stages - 1;
    x = residualUpBlock(ctx, `decoder.up_blocks.${i}`, x, {
      inDim: dims[i],
      outDim: dims[i + 1],
      numResBlocks: config.numResBlocks,
      temporalUpsample: upFlag && temporalUp[i],
      upFlag,
    });
  }
  x = ops.silu(g, wanRmsNorm(ctx, 'decoder.norm_out', x, dims[dims.length - 1]));

  const outType = opts.gaussiansType ?? 'float32';
  const gaussians = ops.castIfNeeded(g, gaussianHead(ctx, x, cameras), outType);
  g.output(gaussians, RECON_DECODER_IO.gaussians, outType, ['batch', 'frames', config.pointsPerPixel, 'height', 'width', GAUSSIAN_CHANNELS]);
}

export interface ReconDecoderGraphOptions extends ReconDecoderBuildOptions {
  cacheDir: string;
  weights: WeightSource;
  /** Identity of the checkpoint for the cache key: `fileFingerprint(model.ckpt path)` from onnx/cache. */
  weightsId: string;
  config: ReconDecoderConfig;
  floatType: 'float32' | 'float16';
  onEvent?: (event: GraphCacheEvent) => void;
}

export function reconDecoderGraphKey(opts: Pick<ReconDecoderGraphOptions, 'weightsId' | 'config' | 'floatType' | 'attention' | 'gaussiansType'>): string {
  const hash = cacheKey({
    builder: BUILDER_VERSION,
    weights: opts.weightsId,
    config: opts.config,
    floatType: opts.floatType,
    attention: opts.attention ?? 'plain',
    gaussiansType: opts.gaussiansType ?? 'float32',
  });
  return `recon-decoder-${opts.floatType}-${hash}`;
}

/** Path of the cached recon decoder .onnx, built on first use. */
export function getReconDecoderGraph(opts: ReconDecoderGraphOptions): Promise<string> {
  return getCachedGraph({
    cacheDir: opts.cacheDir,
    key: reconDecoderGraphKey(opts),
    name: 'recon_decoder',
    floatType: opts.floatType,
    onEvent: opts.onEvent,
    emit: (g) => buildReconDecoder(g, opts.weights, opts.config, opts),
  });
}
