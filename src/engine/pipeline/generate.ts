/**
 * One FlashWorld generation, step by step as upstream `GenerationSystem.generate` (app.py):
 * cameras → text and image conditions → four denoising steps, the first three in "3D mode"
 * (Gaussians rendered and re-encoded as the prediction) → the final Gaussians.
 * Read shared/DESIGN.md §3 alongside.
 */
import {
  CAMERA_STRIDE,
  cameraToWorld,
  createRaymaps,
  normalizeCameras,
  raymapsToChannelsFirst,
  requestCamerasToPacked,
  resampleCameras,
  type PackedCameras,
} from '../../shared/camera';
import { StudioError } from '../../shared/errors';
import type { GenerationRequest } from '../../shared/request/generationRequest';
import { SPATIAL_DOWNSAMPLE_FACTOR } from './constants';
import { asFloatType, copyFloatData, float16Data, float32Data, floatDataView, widenToFloat32, zeroFloatData, type FloatData } from './floatData';
import type { FlashWorldNetworks, SplatRenderer, ViewCamera } from './networks';
import type { NoiseSource } from './noise';
import { denoisingSteps, predictX0, scaleNoise } from './scheduler';

export type GenerationStage =
  | { stage: 'text' }
  | { stage: 'image' }
  | { stage: 'step'; step: number; of: number; part: 'transformer' | 'decode' | 'render' | 'encode' }
  | { stage: 'done' };

export interface GenerateOptions {
  noise: NoiseSource;
  /** text embeddings of an earlier identical prompt: skips UMT5 */
  textEmbeds?: Float32Array;
  onStage?: (stage: GenerationStage) => void;
  signal?: AbortSignal;
}

export interface PreparedInputs {
  /** request cameras with the image crop applied (pixel intrinsics of the W×H frame) */
  cameras: GenerationRequest['cameras'];
  /** (3, H, W) in [-1, 1], or null for text-only */
  image: Float32Array | null;
  tokens: { inputIds: BigInt64Array; attentionMask: BigInt64Array };
}

export interface GenerationResult {
  /**
   * (N, 38): xyz, opacity, scale (3), rotation wxyz, SH degree 2 coefficient-major — in camera 0's
   * normalised frame; in the type the recon decoder gave them (fp16 bits from an fp16 graph on
   * the GPU), which the export, thumbnail and video read as they are.
   */
  gaussians: FloatData;
  count: number;
  /** the n_frame cameras the networks saw, normalised (camera 0 at the origin) */
  cameras: PackedCameras;
  /** world → camera 0 (4×4 row-major) and the distance scale, to map the scene back (export) */
  refW2c: Float32Array;
  tNorm: number;
  textEmbeds: Float32Array;
}

/** Upstream renders the 3D-mode views in pixels of the W×H frame from normalised intrinsics. */
export function viewCameras(cameras: PackedCameras, width: number, height: number): ViewCamera[] {
  const n = cameras.length / CAMERA_STRIDE;
  return Array.from({ length: n }, (_, i) => {
    const o = i * CAMERA_STRIDE;
    return {
      c2wGL: cameraToWorld(cameras, i),
      fxPx: cameras[o + 7] * width,
      fyPx: cameras[o + 8] * height,
      cxPx: cameras[o + 9] * width,
      cyPx: cameras[o + 10] * height,
    };
  });
}

/** (C, T, h, w) → (T, C, h, w): upstream's 'B C T H W -> (B T) C H W' (f32 values or fp16 bits alike). */
export function framesFirst<A extends Float32Array | Uint16Array>(x: A, channels: number, frames: number, plane: number): A {
  const out = (x instanceof Uint16Array ? new Uint16Array(x.length) : new Float32Array(x.length)) as A;
  for (let c = 0; c < channels; c++) {
    for (let t = 0; t < frames; t++) out.set(x.subarray((c * frames + t) * plane, (c * frames + t + 1) * plane), (t * channels + c) * plane);
  }
  return out;
}

/** (T, C, h, w) → (C, T, h, w) */
export function channelsFirst(x: Float32Array, channels: number, frames: number, plane: number): Float32Array {
  const out = new Float32Array(x.length);
  for (let t = 0; t < frames; t++) {
    for (let c = 0; c < channels; c++) out.set(x.subarray((t * channels + c) * plane, (t * channels + c + 1) * plane), (c * frames + t) * plane);
  }
  return out;
}

export async function generate(
  request: GenerationRequest,
  inputs: PreparedInputs,
  nets: FlashWorldNetworks,
  renderer: SplatRenderer,
  options: GenerateOptions,
): Promise<GenerationResult> {
  const { nFrame: frames, height, width, imageIndex } = request;
  const { latentDim: z, featDim } = nets;
  const h = height / SPATIAL_DOWNSAMPLE_FACTOR;
  const w = width / SPATIAL_DOWNSAMPLE_FACTOR;
  const plane = h * w;
  const stage = (s: GenerationStage) => {
    if (options.signal?.aborted) throw new StudioError('CANCELLED', 'The generation was cancelled.');
    options.onStage?.(s);
  };

  // Cameras: resample to n_frame when the count differs, then normalise to camera 0 and T_norm.
  let packed = requestCamerasToPacked(inputs.cameras, width, height);
  if (packed.length / CAMERA_STRIDE !== frames) packed = resampleCameras(packed, frames);
  const { cameras, refW2c, tNorm } = normalizeCameras(packed);

  stage({ stage: 'text' });
  const textEmbeds = options.textEmbeds ?? (await nets.encodeText(inputs.tokens.inputIds, inputs.tokens.attentionMask));

  // Image condition: its latent at image_index, zeros elsewhere.
  const condition = new Float32Array(z * frames * plane);
  if (inputs.image) {
    stage({ stage: 'image' });
    const noise = options.noise.draw({ kind: 'image-latent' }, z * plane);
    const latent = await nets.encodeImage(inputs.image, noise, height, width);
    for (let c = 0; c < z; c++) condition.set(latent.subarray(c * plane, (c + 1) * plane), (c * frames + imageIndex) * plane);
  }

  const raymaps = raymapsToChannelsFirst(createRaymaps(cameras, h, w), frames, h, w);
  const latentSize = z * frames * plane;
  const initial = options.noise.draw({ kind: 'initial' }, latentSize);
  let noisy: Float32Array = initial;
  let prevLatents: Float32Array = new Float32Array(latentSize);
  const steps = denoisingSteps();
  const views = viewCameras(cameras, width, height);
  let gaussians: FloatData = float32Data(new Float32Array(0));

  // The transformer's input is assembled in its graph's type: with an fp16 graph the features it
  // gave last step go back in as the fp16 bits they came out as, and the parts that stay the
  // same for all steps (raymaps, condition, text) are converted once — the same bits as converting
  // everything every step, without touching 32 M features in JS.
  const io = nets.transformerFloatType;
  const featSize = featDim * frames * plane;
  // channel concat: noisy, raymaps, condition, previous features, previous latents
  const at = { noisy: 0, raymaps: latentSize, condition: latentSize + raymaps.length, feats: 2 * latentSize + raymaps.length };
  const prevLatentsAt = at.feats + featSize;
  const hiddenSize = prevLatentsAt + latentSize;
  const hidden: FloatData = io === 'float16' ? float16Data(new Uint16Array(hiddenSize)) : float32Data(new Float32Array(hiddenSize));
  copyFloatData(hidden.data, at.raymaps, float32Data(raymaps));
  copyFloatData(hidden.data, at.condition, float32Data(condition));
  let prevFeats: FloatData = zeroFloatData(io, featSize);
  const text = asFloatType(float32Data(textEmbeds), io);

  for (let i = 0; i < steps.length; i++) {
    const { timestep, sigma } = steps[i];
    stage({ stage: 'step', step: i + 1, of: steps.length, part: 'transformer' });
    copyFloatData(hidden.data, at.noisy, float32Data(noisy));
    copyFloatData(hidden.data, at.feats, prevFeats);
    copyFloatData(hidden.data, prevLatentsAt, float32Data(prevLatents));
    const out = await nets.transformer(hidden, frames, h, w, timestep, text);
    const velocity = widenToFloat32(floatDataView(out, 0, latentSize));
    const feats = floatDataView(out, latentSize);
    const x0 = predictX0(noisy, sigma, velocity);

    stage({ stage: 'step', step: i + 1, of: steps.length, part: 'decode' });
    const unscaled = unscaleLatents(x0, nets, frames, plane);
    const featsByFrame = feats.dtype === 'float16' ? float16Data(framesFirst(feats.data, featDim, frames, plane)) : float32Data(framesFirst(feats.data, featDim, frames, plane));
    gaussians = await nets.reconDecode(featsByFrame, framesFirst(unscaled, z, frames, plane), cameras, frames, h, w);
    if (i === steps.length - 1) break;

    // 3D mode: what the Gaussians look like from every camera becomes the prediction and the feedback.
    stage({ stage: 'step', step: i + 1, of: steps.length, part: 'render' });
    // In the VAE encoder's input type, so fp16 renders go from the rasterizer to the graph as they are.
    const renders = await renderer.renderViews(gaussians, views, width, height, nets.rendersFloatType);
    stage({ stage: 'step', step: i + 1, of: steps.length, part: 'encode' });
    const renderNoise = options.noise.draw({ kind: 'render-latents', step: i }, latentSize);
    const latents3d = channelsFirst(await nets.encodeImages(renders, renderNoise, frames, height, width), z, frames, plane);
    prevLatents = latents3d;
    prevFeats = feats;
    noisy = scaleNoise(latents3d, steps[i + 1].sigma, options.noise.draw({ kind: 'renoise', step: i }, latentSize));
  }
  stage({ stage: 'done' });
  // Not widened here: every consumer reads fp16 itself (a 616 MB f32 copy cost ≈ 0.8 s at 4 M Gaussians).
  return { gaussians, count: gaussians.data.length / 38, cameras, refW2c, tNorm, textEmbeds };
}

/** latents · std + mean per channel (upstream latent_unscale_fn), on (z, T, h, w) */
function unscaleLatents(x: Float32Array, nets: FlashWorldNetworks, frames: number, plane: number): Float32Array {
  const out = new Float32Array(x.length);
  const per = frames * plane;
  for (let c = 0; c < nets.latentDim; c++) {
    const s = nets.latentsStd[c], m = nets.latentsMean[c];
    for (let i = c * per; i < (c + 1) * per; i++) out[i] = Math.fround(x[i] * s + m);
  }
  return out;
}
