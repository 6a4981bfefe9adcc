/**
 * Sizes of the Wan2.2 VAE, read from the model folder's `vae/config.json` (diffusers
 * `AutoencoderKLWan`). The encoder and FlashWorld's reconstruction decoder (a copy of the VAE
 * decoder trunk) both derive their channel widths from it.
 */
import { StudioError } from '../../shared/errors';
import { readConfigJson, type ConfigJson } from './configJson';

export interface WanVaeConfig {
  /** Encoder base width (config base_dim; 160 for Wan2.2). */
  baseDim: number;
  /** Decoder base width (config decoder_base_dim, else base_dim; 256 for Wan2.2). */
  decoderBaseDim: number;
  /** Latent channels (config z_dim; 48 for Wan2.2). */
  zDim: number;
  dimMult: number[];
  numResBlocks: number;
  /** Per encoder stage: whether that stage halves time too (only matters for its shortcut at T=1). */
  temporalDownsample: boolean[];
  /** Spatial patchify factor before the encoder (2 for Wan2.2). */
  patchSize: number;
  /** Image channels before patchify (config in_channels / patch²; 3). */
  imageChannels: number;
  latentsMean: number[];
  latentsStd: number[];
}

type Json = ConfigJson;


function unsupported(origin: string, what: string): StudioError {
  return new StudioError(
    'WEIGHTS_UNSUPPORTED',
    `${origin}: ${what}. FlashWorld uses the Wan2.2-TI2V-5B VAE (residual blocks, patch size 2); this folder holds a different VAE.`,
  );
}

function positiveInt(json: Json, key: string, origin: string, fallback?: number): number {
  const v = json[key] ?? fallback;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) throw unsupported(origin, `"${key}" is ${JSON.stringify(v)}, not a positive integer`);
  return v;
}

function numberList(json: Json, key: string, origin: string, length: number): number[] {
  const v = json[key];
  if (!Array.isArray(v) || v.length !== length || !v.every((x) => typeof x === 'number' && Number.isFinite(x))) {
    throw unsupported(origin, `"${key}" is not a list of ${length} numbers`);
  }
  return v as number[];
}

/** Reads the VAE config from a folder holding config.json, the file itself, or its parsed JSON. */
export function readWanVaeConfig(folderOrJson: string | Json): WanVaeConfig {
  const { json, origin } = readConfigJson(folderOrJson, { name: 'Wan VAE config', subfolder: 'vae' });
  // Wan2.1's VAE (no residual blocks, no patchify) is a different network; say so instead of building it wrong.
  if (json.is_residual !== true) throw unsupported(origin, '"is_residual" is not true');
  const patchSize = positiveInt(json, 'patch_size', origin);
  const inChannels = positiveInt(json, 'in_channels', origin, 3);
  if (inChannels % (patchSize * patchSize) !== 0) throw unsupported(origin, `in_channels ${inChannels} is not a multiple of patch_size² ${patchSize * patchSize}`);
  const dimMult = json.dim_mult;
  if (!Array.isArray(dimMult) || dimMult.length < 1 || !dimMult.every((m) => Number.isInteger(m) && m >= 1)) {
    throw unsupported(origin, `"dim_mult" is ${JSON.stringify(dimMult)}`);
  }
  const temporal = json.temperal_downsample;
  if (!Array.isArray(temporal) || temporal.length < dimMult.length - 1 || !temporal.every((t) => typeof t === 'boolean')) {
    throw unsupported(origin, `"temperal_downsample" is ${JSON.stringify(temporal)}`);
  }
  const baseDim = positiveInt(json, 'base_dim', origin);
  const zDim = positiveInt(json, 'z_dim', origin);
  return {
    baseDim,
    decoderBaseDim: json.decoder_base_dim == null ? baseDim : positiveInt(json, 'decoder_base_dim', origin),
    zDim,
    dimMult: dimMult as number[],
    numResBlocks: positiveInt(json, 'num_res_blocks', origin),
    temporalDownsample: temporal as boolean[],
    patchSize,
    imageChannels: inChannels / (patchSize * patchSize),
    latentsMean: numberList(json, 'latents_mean', origin, zDim),
    latentsStd: numberList(json, 'latents_std', origin, zDim),
  };
}

/** Encoder stage widths, upstream `WanEncoder3d`: `[dim·u for u in [1] + dim_mult]`. */
export function encoderDims(config: WanVaeConfig): number[] {
  return [1, ...config.dimMult].map((u) => config.baseDim * u);
}

/** Decoder stage widths, upstream `WanDecoder3d`: `[dim·u for u in [dim_mult[-1]] + dim_mult[::-1]]`. */
export function decoderDims(config: WanVaeConfig): number[] {
  const m = config.dimMult;
  return [m[m.length - 1], ...m.slice().reverse()].map((u) => config.decoderBaseDim * u);
}

/** Total spatial downsampling from image pixels to latents (patchify × one halving per stage but the last). */
export function vaeSpatialFactor(config: WanVaeConfig): number {
  return config.patchSize * 2 ** (config.dimMult.length - 1);
}
