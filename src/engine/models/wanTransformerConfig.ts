/**
 * Sizes of FlashWorld's Wan transformer. The architecture comes from the Wan model folder's
 * `transformer/config.json`; the FlashWorld widths (latent channels, feature channels, the widened
 * patch embedding and proj_out) come from the checkpoint's weight shapes, since upstream app.py
 * widens those two layers after loading the Wan config and stores the result in model.ckpt.
 */
import { StudioError } from '../../shared/errors';
import type { WeightSource } from '../weights/types';
import { FLASHWORLD_RAYMAP_CHANNELS, WAN_DEFAULT_EPS, WAN_DEFAULT_ROPE_MAX_SEQ_LEN } from './wanTransformerConstants';
import { readConfigJson, type ConfigJson } from './configJson';

export interface WanTransformerConfig {
  /** (t, h, w) patch of the Conv3d patch embedding: kernel = stride. */
  patchSize: [number, number, number];
  numHeads: number;
  headDim: number;
  /** numHeads · headDim (diffusers' inner_dim). */
  dim: number;
  /** Width of the text encoder's hidden states (UMT5-XXL: 4096). */
  textDim: number;
  /** Sinusoidal timestep channels (diffusers' freq_dim). */
  freqDim: number;
  ffnDim: number;
  numLayers: number;
  eps: number;
  /** norm2 before cross-attention is an affine LayerNorm when true, identity when false. */
  crossAttnNorm: boolean;
  /** Longest RoPE table per axis (post-patch frames, rows or columns). */
  ropeMaxSeqLen: number;
  /** Wan VAE latent channels (config in_channels; 48 for Wan2.2 TI2V). */
  latentChannels: number;
  /** FlashWorld feature channels (1024 upstream), derived from proj_out's rows. */
  featChannels: number;
  /** Patch-embedding input channels: noisy latents + raymaps + condition + features + previous latents. */
  inChannels: number;
  /** Output channels: velocity (latent) + features. */
  outChannels: number;
}

type Json = ConfigJson;


function unsupported(origin: string, what: string): StudioError {
  return new StudioError(
    'WEIGHTS_UNSUPPORTED',
    `${origin}: ${what}. FlashWorld uses Wan2.2-TI2V-5B's transformer; this model folder is a different Wan variant.`,
  );
}

function positiveInt(json: Json, key: string, origin: string): number {
  const v = json[key];
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) throw unsupported(origin, `"${key}" is ${JSON.stringify(v)}, not a positive integer`);
  return v;
}

/**
 * Reads the transformer config (a folder holding config.json, the file itself, or its parsed JSON)
 * and completes it with the widths found in `weights` (the `transformer.` part of model.ckpt).
 */
export function readWanTransformerConfig(folderOrJson: string | Json, weights: WeightSource): WanTransformerConfig {
  const { json, origin } = readConfigJson(folderOrJson, { name: 'Wan transformer config', subfolder: 'transformer' });
  const patch = json.patch_size;
  if (!Array.isArray(patch) || patch.length !== 3 || !patch.every((p) => Number.isInteger(p) && p >= 1)) {
    throw unsupported(origin, `"patch_size" is ${JSON.stringify(patch)}, not three positive integers`);
  }
  if (json.qk_norm !== 'rms_norm_across_heads') throw unsupported(origin, `"qk_norm" is ${JSON.stringify(json.qk_norm)}`);
  if (json.image_dim != null || json.added_kv_proj_dim != null) throw unsupported(origin, 'it has an image-conditioning branch (image_dim / added_kv_proj_dim)');
  const eps = json.eps ?? WAN_DEFAULT_EPS;
  if (typeof eps !== 'number' || !(eps > 0)) throw unsupported(origin, `"eps" is ${JSON.stringify(eps)}`);

  const numHeads = positiveInt(json, 'num_attention_heads', origin);
  const headDim = positiveInt(json, 'attention_head_dim', origin);
  if (headDim % 2 !== 0) throw unsupported(origin, `attention_head_dim ${headDim} is odd; rotary embedding needs pairs`);
  const dim = numHeads * headDim;
  const latentChannels = positiveInt(json, 'in_channels', origin);
  const patchSize = patch as [number, number, number];
  const patchVolume = patchSize[0] * patchSize[1] * patchSize[2];

  const mismatch = (what: string): StudioError =>
    new StudioError(
      'WEIGHTS_SHAPE_MISMATCH',
      `${weights.origin}: ${what} does not fit the transformer config ${origin}. The checkpoint and the Wan model folder do not belong together: install matching FlashWorld and Wan2.2-TI2V-5B files.`,
    );
  const embShape = weights.info('patch_embedding.weight').shape;
  if (embShape.length !== 5 || embShape[0] !== dim || embShape[2] !== patchSize[0] || embShape[3] !== patchSize[1] || embShape[4] !== patchSize[2]) {
    throw mismatch(`patch_embedding.weight of shape [${embShape}] (expected [${dim}, C, ${patchSize}])`);
  }
  const outShape = weights.info('proj_out.weight').shape;
  if (outShape.length !== 2 || outShape[1] !== dim || outShape[0] % patchVolume !== 0 || outShape[0] / patchVolume <= latentChannels) {
    throw mismatch(`proj_out.weight of shape [${outShape}] (expected [(${latentChannels} + features) · ${patchVolume}, ${dim}])`);
  }
  const outChannels = outShape[0] / patchVolume;
  const featChannels = outChannels - latentChannels;
  const inChannels = embShape[1];
  const expectedIn = 3 * latentChannels + FLASHWORLD_RAYMAP_CHANNELS + featChannels;
  if (inChannels !== expectedIn) {
    throw mismatch(
      `patch_embedding.weight takes ${inChannels} channels, not latent ${latentChannels} + raymap ${FLASHWORLD_RAYMAP_CHANNELS} + condition ${latentChannels} + features ${featChannels} + latent ${latentChannels} = ${expectedIn}`,
    );
  }

  return {
    patchSize,
    numHeads,
    headDim,
    dim,
    textDim: positiveInt(json, 'text_dim', origin),
    freqDim: positiveInt(json, 'freq_dim', origin),
    ffnDim: positiveInt(json, 'ffn_dim', origin),
    numLayers: positiveInt(json, 'num_layers', origin),
    eps,
    crossAttnNorm: json.cross_attn_norm !== false,
    ropeMaxSeqLen: json.rope_max_seq_len === undefined ? WAN_DEFAULT_ROPE_MAX_SEQ_LEN : positiveInt(json, 'rope_max_seq_len', origin),
    latentChannels,
    featChannels,
    inChannels,
    outChannels,
  };
}
