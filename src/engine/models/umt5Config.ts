/**
 * UMT5 encoder configuration, read from the model folder's config.json (transformers'
 * `UMT5Config`; Wan's `text_encoder/` ships one). The real sizes (UMT5-XXL: d_model 4096,
 * 24 layers, 64 heads × 64, d_ff 10240, vocab 256384) and the tiny test model's both come from
 * there; nothing here assumes a size.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { StudioError } from '../../shared/errors';

export interface Umt5Config {
  vocabSize: number;
  dModel: number;
  /** Per-head width (transformers `d_kv`). */
  dKv: number;
  dFf: number;
  numLayers: number;
  numHeads: number;
  relativeAttentionNumBuckets: number;
  relativeAttentionMaxDistance: number;
  layerNormEpsilon: number;
}

function fail(what: string, why: string): StudioError {
  return new StudioError(
    'WEIGHTS_UNSUPPORTED',
    `The UMT5 text-encoder config ${what} ${why}. Use the text_encoder folder of Wan-AI/Wan2.2-TI2V-5B-Diffusers (re-download it if it was edited).`,
  );
}

function positiveInt(json: Record<string, unknown>, key: string, what: string, fallback?: number): number {
  const v = json[key] ?? fallback;
  if (typeof v !== 'number' || !Number.isInteger(v) || v <= 0) throw fail(what, `has ${key}=${JSON.stringify(v)}; a positive integer is needed`);
  return v;
}

/** Parses a transformers UMT5/T5 config object; rejects what the encoder graph does not implement. */
export function parseUmt5Config(json: unknown, what = '(given object)'): Umt5Config {
  if (!json || typeof json !== 'object' || Array.isArray(json)) throw fail(what, 'is not a JSON object');
  const c = json as Record<string, unknown>;
  // transformers derives dense_act_fn and is_gated_act from feed_forward_proj ("gated-gelu" →
  // gelu_new, gated). The graph implements exactly that FFN.
  const proj = c.feed_forward_proj ?? 'gated-gelu';
  const act = c.dense_act_fn ?? 'gelu_new';
  if (proj !== 'gated-gelu' || (act !== 'gelu_new' && act !== 'gelu_pytorch_tanh')) {
    throw fail(what, `asks for feed_forward_proj=${JSON.stringify(proj)}, dense_act_fn=${JSON.stringify(act)}; only gated-gelu (tanh GELU) is supported`);
  }
  if (c.is_gated_act === false) throw fail(what, 'has is_gated_act=false; only the gated FFN is supported');
  const eps = c.layer_norm_epsilon ?? 1e-6;
  if (typeof eps !== 'number' || !(eps > 0)) throw fail(what, `has layer_norm_epsilon=${JSON.stringify(eps)}`);
  const config: Umt5Config = {
    vocabSize: positiveInt(c, 'vocab_size', what),
    dModel: positiveInt(c, 'd_model', what),
    dKv: positiveInt(c, 'd_kv', what),
    dFf: positiveInt(c, 'd_ff', what),
    numLayers: positiveInt(c, 'num_layers', what),
    numHeads: positiveInt(c, 'num_heads', what),
    relativeAttentionNumBuckets: positiveInt(c, 'relative_attention_num_buckets', what, 32),
    relativeAttentionMaxDistance: positiveInt(c, 'relative_attention_max_distance', what, 128),
    layerNormEpsilon: eps,
  };
  if (config.relativeAttentionNumBuckets % 4 !== 0) {
    throw fail(what, `has relative_attention_num_buckets=${config.relativeAttentionNumBuckets}; a multiple of 4 is expected`);
  }
  return config;
}

/** Reads `config.json` from a text_encoder folder (or the file itself), or parses a given object. */
export function readUmt5Config(folderOrJson: string | object): Umt5Config {
  if (typeof folderOrJson !== 'string') return parseUmt5Config(folderOrJson);
  const file = existsSync(folderOrJson) && statSync(folderOrJson).isDirectory() ? join(folderOrJson, 'config.json') : folderOrJson;
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (cause) {
    throw new StudioError('WEIGHTS_NOT_FOUND', `Cannot read the UMT5 text-encoder config ${file}. Check that the model's text_encoder folder is complete.`, {
      cause,
    });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (cause) {
    throw new StudioError('WEIGHTS_CORRUPT', `The UMT5 text-encoder config ${file} is not valid JSON. Re-download the model's text_encoder folder.`, {
      cause,
    });
  }
  return parseUmt5Config(json, file);
}
