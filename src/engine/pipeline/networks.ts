/**
 * What the generation loop needs from the four networks and the rasterizer. The model runtime
 * (src/engine/model/) implements it with ONNX sessions; keeping the loop against this interface keeps
 * it readable and lets tests swap a network for an upstream fixture.
 *
 * Layouts are upstream's with the batch of 1 dropped: channel-first, frames in the middle.
 * Gaussians and renders travel as FloatData (f32 or fp16 bits, tagged), so fp16 graphs and the
 * rasterizer pass them on without converting them on the host.
 */
import type { FloatData, FloatType } from './floatData';

export type { FloatData, FloatType } from './floatData';

export interface LatentSpec {
  /** VAE latent channels (48 real, 4 tiny) */
  latentDim: number;
  /** transformer feature channels fed back between steps (1024 real, 16 tiny) */
  featDim: number;
  /** per-channel VAE latent statistics (config.json latents_mean / latents_std) */
  latentsMean: Float32Array;
  latentsStd: Float32Array;
}

export interface ViewCamera {
  /** OpenGL camera-to-world, 4×4 row-major */
  c2wGL: Float64Array | Float32Array | number[];
  fxPx: number;
  fyPx: number;
  cxPx: number;
  cyPx: number;
}

export interface FlashWorldNetworks extends LatentSpec {
  /** (512,) ids and mask → text embeddings (512, textDim), rows past the prompt's length zero */
  encodeText(inputIds: BigInt64Array, attentionMask: BigInt64Array): Promise<Float32Array>;
  /** the prompt image (3, H, W) in [-1, 1] + noise (z, H/16, W/16) → its normalised latent (z, H/16, W/16) */
  encodeImage(image: Float32Array, noise: Float32Array, height: number, width: number): Promise<Float32Array>;
  /** the element type encodeImages takes renders in as they are (its graph's input type): the renderer renders in it */
  readonly rendersFloatType: FloatType;
  /** the n renders (n, 3, H, W) in [-1, 1] + noise (n, z, H/16, W/16) → normalised latents (n, z, H/16, W/16) */
  encodeImages(images: FloatData, noise: Float32Array, n: number, height: number, width: number): Promise<Float32Array>;
  /** the transformer graph's input and output type: the loop assembles its input in it */
  readonly transformerFloatType: FloatType;
  /**
   * hidden (C, T, h, w) = [noisy z, raymaps 6, condition z, previous features, previous latents z],
   * timestep, text (512, textDim) → (z + featDim, T, h, w): velocity then features, in the graph's
   * type as it comes out (the features go on to the recon decoder and the next step as they are)
   */
  transformer(hidden: FloatData, frames: number, h: number, w: number, timestep: number, text: FloatData): Promise<FloatData>;
  /**
   * feats (T, featDim, h, w), unscaled latents (T, z, h, w), cameras (T, 11) → Gaussians (T·2·8h·8w, 38),
   * as fp16 bits when the graph's output is fp16 (the rasterizer reads them as they are)
   */
  reconDecode(feats: FloatData, latents: Float32Array, cameras: Float32Array, frames: number, h: number, w: number): Promise<FloatData>;
}

export interface SplatRenderer {
  /** Gaussians (N, 38) seen from each camera on a white background → (V, 3, H, W) in [-1, 1], as `dtype` */
  renderViews(gaussians: FloatData, cameras: ViewCamera[], width: number, height: number, dtype: FloatType): Promise<FloatData>;
}
