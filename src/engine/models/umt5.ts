/**
 * UMT5 text encoder (transformers' `UMT5EncoderModel`, the Wan/FlashWorld text encoder) as an
 * ONNX graph, built from the official weight names:
 *   shared.weight (or encoder.embed_tokens.weight: the same tied table),
 *   encoder.block.{i}.layer.0.{layer_norm.weight, SelfAttention.{q,k,v,o,relative_attention_bias}.weight},
 *   encoder.block.{i}.layer.1.{layer_norm.weight, DenseReluDense.{wi_0,wi_1,wo}.weight},
 *   encoder.final_layer_norm.weight.
 *
 * What makes it T5: RMS norms without mean or bias (fp32 statistics), no embedding scaling, no
 * 1/√d on attention scores, an additive relative-position bias per head — and, unlike T5, every
 * UMT5 layer owns its bias table — plus a gated tanh-GELU FFN (gelu(x·wi_0) · (x·wi_1) · wo).
 *
 * Inputs  input_ids, attention_mask: int64 (batch, sequence) — any length; upstream uses 512.
 * Outputs last_hidden_state: float32 (batch, sequence, d_model), always fp32;
 *         text_embeds: the same with rows at positions ≥ sum(attention_mask) set to 0
 *         (upstream app.py `encode_text`).
 *
 * Precision ('float16' graphs, for GPUs). UMT5 overflows fp16 (max 65504) in its FFN output and
 * residual stream; transformers copes by keeping `wo` in fp32 and clamping fp16 hidden states to
 * finfo(fp16).max − 1000. Here:
 * - the residual stream, every RMS norm, GELU and the gate product stay fp32;
 * - q/k/v/o and wi_0/wi_1 run as fp16 MatMuls; their fp32 inputs are clipped to ±(65504 − 1000)
 *   (transformers' T5 clamp value) before the cast, so an out-of-range value saturates
 *   instead of turning into inf;
 * - wo runs in fp16 on each row divided by max(1, its max |value|), and the result is multiplied
 *   back in fp32: fp16's relative precision does not depend on scale, so this costs nothing, and
 *   neither wo's input nor its output can overflow however large the gate product gets
 *   (transformers needs fp32 wo weights for the same guarantee);
 * - weights (embedding table included) are stored fp16, except norms and position biases (fp32);
 * - attention (scores, softmax) runs in the fp16 attention op with an fp16 bias: the fp32 sum of
 *   position bias and mask, clipped to fp16's finite range (transformers' fp16 mask is fp16's
 *   lowest value as well).
 * 'float32' graphs follow transformers' fp32 path exactly (mask = finfo(float32).min).
 */
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { StudioError } from '../../shared/errors';
import { cacheKey, fileFingerprint, type GraphCacheEvent } from '../onnx/cache';
import { getCachedGraph } from '../onnx/cachedGraph';
import { GraphBuilder, MS_DOMAIN, type Value } from '../onnx/graph';
import { ops } from '../onnx';
import type { FixedLengthEncoding } from '../tokenizer';
import type { HostTensor } from '../onnx/session';
import type { FloatTensor, WeightSource } from '../weights/types';
import type { Umt5Config } from './umt5Config';
import { relativeBucketTable } from './umt5RelativePosition';

export { readUmt5Config, parseUmt5Config, type Umt5Config } from './umt5Config';

/** Bump when the graph's structure changes, so cached graphs are rebuilt. */
export const UMT5_GRAPH_VERSION = 1;

export const UMT5_INPUTS = { inputIds: 'input_ids', attentionMask: 'attention_mask' } as const;
export const UMT5_OUTPUTS = { lastHiddenState: 'last_hidden_state', textEmbeds: 'text_embeds' } as const;

/** torch.finfo(torch.float16).max − 1000: transformers' T5/UMT5 fp16 clamp value (modeling_umt5.py UMT5Block). */
export const FP16_CLAMP_VALUE = 65504 - 1000;
/** torch.finfo(torch.float32).min / finfo(float16).min: the additive mask transformers builds per dtype. */
const MASK_VALUE = { float32: -3.4028234663852886e38, float16: -65504 } as const;

export interface Umt5BuildOptions {
  /**
   * 'contrib' (default): ORT's fused ops — com.microsoft MultiHeadAttention with an attention
   * bias, SkipSimplifiedLayerNormalization (residual add + RMS norm in one kernel) and
   * SimplifiedLayerNormalization. 'plain': standard ONNX ops only, for providers without them.
   */
  impl?: 'contrib' | 'plain';
}

/** The embedding table's name in `weights`: transformers saves `shared.weight`, some exports `encoder.embed_tokens.weight`. */
export function umt5EmbeddingName(weights: WeightSource): string {
  for (const name of ['shared.weight', 'encoder.embed_tokens.weight']) if (weights.has(name)) return name;
  throw new StudioError(
    'WEIGHTS_MISSING_TENSOR',
    `The UMT5 token embedding (shared.weight or encoder.embed_tokens.weight) is not in ${weights.origin}. ` +
      'Point the studio at the text_encoder folder of Wan-AI/Wan2.2-TI2V-5B-Diffusers, or re-download it.',
  );
}

function readChecked(weights: WeightSource, name: string, shape: number[], as: 'float32' | 'float16'): FloatTensor {
  const actual = weights.info(name).shape;
  if (actual.length !== shape.length || actual.some((d, i) => d !== shape[i])) {
    throw new StudioError(
      'WEIGHTS_SHAPE_MISMATCH',
      `UMT5 weight "${name}" in ${weights.origin} has shape [${actual}] but its config.json implies [${shape}]. ` +
        'The weights and config.json come from different models: re-download the text_encoder folder.',
    );
  }
  return weights.read(name, as);
}

/**
 * Adds the encoder to `g` (inputs and outputs included). The graph's float type picks the
 * precision scheme described at the top of this file.
 */
export function buildUmt5Encoder(g: GraphBuilder, weights: WeightSource, config: Umt5Config, opts: Umt5BuildOptions = {}): void {
  const { dModel, dKv, dFf, numHeads, numLayers, vocabSize, layerNormEpsilon: eps } = config;
  const inner = numHeads * dKv;
  const mm = g.floatType;
  const impl = opts.impl ?? 'contrib';
  const f32 = (v: number) => g.constFloat(v, [], 'float32');

  const linearWeight = (name: string, out: number, inp: number) => g.weightTransposed(name, readChecked(weights, name, [out, inp], mm));
  const normWeight = (name: string) => g.weight(name, readChecked(weights, name, [dModel], 'float32'), { keepType: true });
  // fp32 value → MatMul input of the graph's float type (saturating, never inf, in fp16).
  const toMatMul = (x: Value) => (mm === 'float32' ? x : ops.cast(g, g.op('Clip', [x, f32(-FP16_CLAMP_VALUE), f32(FP16_CLAMP_VALUE)]), 'float16'));
  const toF32 = (x: Value) => ops.castIfNeeded(g, x, 'float32');

  const inputIds = g.input(UMT5_INPUTS.inputIds, 'int64', ['batch', 'sequence']);
  const attentionMask = g.input(UMT5_INPUTS.attentionMask, 'int64', ['batch', 'sequence']);

  // Token embeddings (no √d scaling in T5) → fp32 residual stream.
  const embedName = umt5EmbeddingName(weights);
  const embedding = g.weight(embedName, readChecked(weights, embedName, [vocabSize, dModel], mm));
  let hidden = toF32(ops.gather(g, embedding, inputIds, 0)); // (B, S, D)

  // Relative-position buckets (S, S), shared by all layers: bucket[q][k] = table[clip(k − q) + M].
  const maxDistance = config.relativeAttentionMaxDistance;
  const seqLen = ops.gather(g, g.op('Shape', [inputIds]), 1); // scalar
  const positions = g.op('Range', [g.constInt64(0), seqLen, g.constInt64(1)]); // (S)
  const offsets = ops.sub(g, ops.unsqueeze(g, positions, [0]), ops.unsqueeze(g, positions, [1])); // (S, S): key − query
  const clipped = g.op('Clip', [offsets, g.constInt64(-maxDistance), g.constInt64(maxDistance)]);
  const bucketTable = g.constInt64(relativeBucketTable(config.relativeAttentionNumBuckets, maxDistance));
  const buckets = ops.gather(g, bucketTable, ops.add(g, clipped, g.constInt64(maxDistance)), 0); // (S, S)

  // Additive key mask (B, 1, 1, S): 0 for real tokens, the dtype's lowest value for padding.
  const maskF = ops.cast(g, attentionMask, 'float32');
  const keyMask = ops.unsqueeze(g, ops.mul(g, ops.sub(g, f32(1), maskF), f32(MASK_VALUE[mm])), [1, 2]);

  // RMS norms, all in fp32. `addNorm` also advances the residual stream: residual + delta, then its norm.
  const norm = (x: Value, weightName: string): Value =>
    impl === 'contrib'
      ? g.op('SimplifiedLayerNormalization', [x, normWeight(weightName)], { axis: -1, epsilon: { float: eps }, stash_type: 1 })
      : ops.rmsNorm(g, x, normWeight(weightName), eps, -1, { outType: 'float32' });
  const addNorm = (residual: Value, delta: Value, weightName: string): { residual: Value; normed: Value } => {
    if (impl === 'plain') {
      const sum = ops.add(g, residual, delta);
      return { residual: sum, normed: norm(sum, weightName) };
    }
    // outputs: normed, mean, inv_std_var (unused), input + skip
    const [normed, , , sum] = g.opMulti('SkipSimplifiedLayerNormalization', [residual, delta, normWeight(weightName)], 4, { epsilon: { float: eps } }, {
      domain: MS_DOMAIN,
    });
    return { residual: sum, normed };
  };

  let normed = norm(hidden, 'encoder.block.0.layer.0.layer_norm.weight');
  for (let i = 0; i < numLayers; i++) {
    const p = `encoder.block.${i}.layer`;
    // --- self-attention ---
    const attnIn = toMatMul(normed);
    const q = ops.linear(g, attnIn, linearWeight(`${p}.0.SelfAttention.q.weight`, inner, dModel));
    const k = ops.linear(g, attnIn, linearWeight(`${p}.0.SelfAttention.k.weight`, inner, dModel));
    const v = ops.linear(g, attnIn, linearWeight(`${p}.0.SelfAttention.v.weight`, inner, dModel));
    const biasName = `${p}.0.SelfAttention.relative_attention_bias.weight`;
    // Stored (heads, buckets) so one Gather on axis 1 yields (N, S, S) without a Transpose.
    const biasTable = g.weightTransposed(biasName, readChecked(weights, biasName, [config.relativeAttentionNumBuckets, numHeads], 'float32'), {
      keepType: true,
    });
    const positionBias = ops.unsqueeze(g, ops.gather(g, biasTable, buckets, 1), [0]); // (1, N, S, S)
    let bias = ops.add(g, positionBias, keyMask); // (B, N, S, S), fp32
    if (mm === 'float16') bias = ops.cast(g, g.op('Clip', [bias, f32(MASK_VALUE.float16), f32(-MASK_VALUE.float16)]), 'float16');
    const context = ops.multiHeadAttention(g, q, k, v, numHeads, { scale: 1, mask: bias, impl });
    const attnOut = ops.linear(g, context, linearWeight(`${p}.0.SelfAttention.o.weight`, dModel, inner));
    ({ residual: hidden, normed } = addNorm(hidden, toF32(attnOut), `${p}.1.layer_norm.weight`));

    // --- gated-GELU feed-forward ---
    const ffIn = toMatMul(normed);
    const gate = toF32(ops.linear(g, ffIn, linearWeight(`${p}.1.DenseReluDense.wi_0.weight`, dFf, dModel)));
    const lin = toF32(ops.linear(g, ffIn, linearWeight(`${p}.1.DenseReluDense.wi_1.weight`, dFf, dModel)));
    const product = ops.mul(g, ops.gelu(g, gate, 'tanh'), lin); // fp32 (B, S, dFf)
    const wo = linearWeight(`${p}.1.DenseReluDense.wo.weight`, dModel, dFf);
    let ffOut: Value;
    if (mm === 'float32') ffOut = ops.linear(g, product, wo);
    else {
      const rowScale = g.op('Max', [g.op('ReduceMax', [g.op('Abs', [product])], { axes: [-1], keepdims: 1 }), f32(1)]); // (B, S, 1)
      const scaled = ops.cast(g, ops.div(g, product, rowScale), 'float16');
      ffOut = ops.mul(g, toF32(ops.linear(g, scaled, wo)), rowScale);
    }
    const nextNorm = i + 1 < numLayers ? `encoder.block.${i + 1}.layer.0.layer_norm.weight` : 'encoder.final_layer_norm.weight';
    ({ residual: hidden, normed } = addNorm(hidden, ffOut, nextNorm));
  }

  const last = normed; // the final layer norm's output
  g.output(last, UMT5_OUTPUTS.lastHiddenState, 'float32', ['batch', 'sequence', dModel]);

  // upstream encode_text: keep the first sum(mask > 0) rows of each sequence, zeros after.
  const lengths = ops.reduceSum(g, ops.cast(g, g.op('Greater', [attentionMask, g.constInt64(0)]), 'int64'), [1], true); // (B, 1)
  const keep = ops.unsqueeze(g, g.op('Less', [ops.unsqueeze(g, positions, [0]), lengths]), [2]); // (B, S, 1)
  g.output(ops.where(g, keep, last, f32(0)), UMT5_OUTPUTS.textEmbeds, 'float32', ['batch', 'sequence', dModel]);
}

/** Feeds for the encoder graph from tokenizer encodings (one per batch row, all the same length). */
export function umt5Feeds(encodings: FixedLengthEncoding[]): Record<string, HostTensor> {
  if (encodings.length === 0) throw new StudioError('INVALID_REQUEST', 'The text encoder needs at least one tokenized prompt.');
  const length = encodings[0].inputIds.length;
  if (encodings.some((e) => e.inputIds.length !== length || e.attentionMask.length !== length)) {
    throw new StudioError('INVALID_REQUEST', `Tokenized prompts of different lengths cannot share a batch (expected ${length} ids each).`);
  }
  const ids = new BigInt64Array(encodings.length * length);
  const mask = new BigInt64Array(encodings.length * length);
  encodings.forEach((e, b) => {
    for (let i = 0; i < length; i++) {
      ids[b * length + i] = BigInt(e.inputIds[i]);
      mask[b * length + i] = BigInt(e.attentionMask[i]);
    }
  });
  const shape = [encodings.length, length];
  return {
    [UMT5_INPUTS.inputIds]: { dtype: 'int64', shape, data: ids },
    [UMT5_INPUTS.attentionMask]: { dtype: 'int64', shape: [...shape], data: mask },
  };
}

export interface Umt5GraphOptions {
  cacheDir: string;
  weights: WeightSource;
  config: Umt5Config;
  floatType: 'float32' | 'float16';
  impl?: 'contrib' | 'plain';
  /**
   * Identity of the weight files for the cache key; default: fingerprints of the files at
   * `weights.origin` (a file or folder path; pass it explicitly for a prefixed view).
   */
  weightsFingerprint?: string;
  onEvent?: (event: GraphCacheEvent) => void;
}

/** Fingerprint of a weight file, or of a folder's *.safetensors and *.json files together (sizes, mtimes, first/last MiB). */
export function weightFilesFingerprint(fileOrFolder: string): string {
  let isFolder: boolean;
  try {
    isFolder = statSync(fileOrFolder).isDirectory();
  } catch (cause) {
    throw new StudioError('WEIGHTS_NOT_FOUND', `Cannot read the weights at "${fileOrFolder}" to fingerprint them. Check that the model is installed.`, {
      cause,
    });
  }
  if (!isFolder) return fileFingerprint(fileOrFolder);
  const files = readdirSync(fileOrFolder)
    .filter((f) => f.endsWith('.safetensors') || f.endsWith('.json'))
    .sort();
  return cacheKey({ files: files.map((f) => [f, fileFingerprint(join(fileOrFolder, f))]) });
}

export function umt5GraphKey(opts: { config: Umt5Config; floatType: 'float32' | 'float16'; impl: 'contrib' | 'plain'; weightsFingerprint: string }): string {
  const hash = cacheKey({ network: 'umt5-encoder', version: UMT5_GRAPH_VERSION, ...opts });
  return `umt5-encoder-${opts.floatType}-${opts.impl}-${hash}`;
}

/** The cached encoder graph's .onnx path, building it (weights streamed to external data) on first use. */
export async function getUmt5EncoderGraph(opts: Umt5GraphOptions): Promise<string> {
  const impl = opts.impl ?? 'contrib';
  const fingerprint = opts.weightsFingerprint ?? weightFilesFingerprint(opts.weights.origin);
  const key = umt5GraphKey({ config: opts.config, floatType: opts.floatType, impl, weightsFingerprint: fingerprint });
  return getCachedGraph({
    cacheDir: opts.cacheDir,
    key,
    name: 'umt5_encoder',
    floatType: opts.floatType,
    onEvent: opts.onEvent,
    emit: (g) => buildUmt5Encoder(g, opts.weights, opts.config, { impl }),
  });
}
