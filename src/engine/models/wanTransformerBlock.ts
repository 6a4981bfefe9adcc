/**
 * One Wan transformer block (upstream models/transformer_wan.py `WanTransformerBlock`) and the
 * layer helpers the whole transformer shares.
 *
 * Precision: the residual stream, LayerNorm statistics, the modulation (scale/shift/gate) and the
 * q/k RMS statistics are fp32 in every build; in an fp16 build only weights, matmuls, attention
 * and the FFN activation are fp16. Upstream keeps even the residual in bf16 (its forward casts the
 * hidden states to bf16 before the blocks), so this is at least as precise as what users get, and
 * a 24 M-element fp32 stream costs little next to the GEMMs.
 */
import type { GraphBuilder, Value } from '../onnx/graph';
import { MS_DOMAIN } from '../onnx/graph';
import { add, castIfNeeded, gelu, layerNorm, linear, matMul, mul, multiHeadAttention, rmsNorm, split } from '../onnx/ops';
import type { FloatTensor, WeightSource } from '../weights/types';
import { applyRotary, type RotaryHalfTables } from './wanRotary';
import type { WanTransformerConfig } from './wanTransformerConfig';

export type WanAttentionImpl = 'contrib' | 'plain';

/** Everything a block reads besides its own weights. */
export interface WanBlockInputs {
  /** (B, S, dim) fp32 residual stream. */
  x: Value;
  /** (B, L, dim) projected text in the graph float type (keys/values of cross-attention). */
  context: Value;
  /** (B, 6, dim) fp32: time_proj output, before the block's scale_shift_table is added. */
  timestepProj: Value;
  rotary: RotaryHalfTables;
}

/** Reads `${key}.weight` / `${key}.bias` of an nn.Linear into the graph (weight pre-transposed). */
export function linearLayer(
  g: GraphBuilder,
  weights: WeightSource,
  key: string,
  x: Value,
  type: 'float32' | 'float16' = g.floatType,
  /** The weight already read and reshaped to (out, in), e.g. a conv kernel used as a linear layer. */
  weight?: FloatTensor,
): Value {
  const w = g.weightTransposed(`${key}.weight`, weight ?? weights.read(`${key}.weight`, type), { keepType: true });
  const b = g.weight(`${key}.bias`, weights.read(`${key}.bias`, type), { keepType: true });
  return linear(g, x, w, b);
}

/** A parameter kept in fp32 whatever the graph type (norm affines, scale_shift_tables). */
export function fp32Param(g: GraphBuilder, weights: WeightSource, key: string): Value {
  return g.weight(key, weights.read(key, 'float32'), { keepType: true });
}

/** One fp32 ones-vector per graph serves as the scale of every affine-free LayerNorm (91 of them at full size). */
const unitScales = new WeakMap<GraphBuilder, Value>();

/** upstream FP32LayerNorm without affine on the fp32 stream: fp32 statistics over the last axis. */
export function plainLayerNorm(g: GraphBuilder, x: Value, config: WanTransformerConfig): Value {
  let ones = unitScales.get(g);
  if (!ones) {
    ones = g.constFloat(new Float32Array(config.dim).fill(1), [config.dim], 'float32');
    unitScales.set(g, ones);
  }
  return layerNorm(g, x, { weight: ones, eps: config.eps });
}

/** norm(x)·(1 + scale) + shift in fp32, then the graph float type for the matmuls that follow. */
export function modulate(g: GraphBuilder, normed: Value, shift: Value, scale: Value): Value {
  const onePlusScale = add(g, scale, g.constFloat(1, [], 'float32'));
  return castIfNeeded(g, add(g, mul(g, normed, onePlusScale), shift), g.floatType);
}

/** tanh-approximate GELU after a linear layer; the contrib build fuses bias + GELU (FastGelu). */
function linearGeluTanh(g: GraphBuilder, weights: WeightSource, key: string, x: Value, impl: WanAttentionImpl): Value {
  if (impl === 'plain') return gelu(g, linearLayer(g, weights, key, x), 'tanh');
  const w = g.weightTransposed(`${key}.weight`, weights.read(`${key}.weight`, g.floatType));
  const b = g.weight(`${key}.bias`, weights.read(`${key}.bias`, g.floatType));
  return g.op('FastGelu', [matMul(g, x, w), b], {}, { domain: MS_DOMAIN });
}

/** Linear, gelu(tanh), linear: diffusers PixArtAlphaTextProjection and FeedForward("gelu-approximate"). */
export function geluMlp(g: GraphBuilder, weights: WeightSource, first: string, second: string, x: Value, impl: WanAttentionImpl): Value {
  return linearLayer(g, weights, second, linearGeluTanh(g, weights, first, x, impl));
}

/**
 * diffusers RMSNorm over all heads (qk_norm "rms_norm_across_heads") with fp32 statistics. The
 * contrib build uses ORT's fused SimplifiedLayerNormalization (one kernel, fp32 accumulation even
 * for fp16 input) instead of ~9 elementwise passes over a (B, S, dim) tensor: at 7920 tokens that
 * is about 1.5 GB of memory traffic saved per norm, 120 norms per pass.
 */
function qkNorm(g: GraphBuilder, weights: WeightSource, key: string, x: Value, eps: number, impl: WanAttentionImpl): Value {
  const weight = g.weight(key, weights.read(key, g.floatType));
  if (impl === 'plain') return rmsNorm(g, x, weight, eps);
  return g.op('SimplifiedLayerNormalization', [x, weight], { axis: -1, epsilon: { float: eps }, stash_type: 1 });
}

function attention(
  g: GraphBuilder,
  weights: WeightSource,
  prefix: string,
  hidden: Value,
  context: Value | null,
  rotary: RotaryHalfTables | null,
  config: WanTransformerConfig,
  impl: WanAttentionImpl,
): Value {
  const kv = context ?? hidden;
  let q = qkNorm(g, weights, `${prefix}.norm_q.weight`, linearLayer(g, weights, `${prefix}.to_q`, hidden), config.eps, impl);
  let k = qkNorm(g, weights, `${prefix}.norm_k.weight`, linearLayer(g, weights, `${prefix}.to_k`, kv), config.eps, impl);
  const v = linearLayer(g, weights, `${prefix}.to_v`, kv);
  if (rotary) {
    q = applyRotary(g, q, rotary, config.numHeads, config.headDim);
    k = applyRotary(g, k, rotary, config.numHeads, config.headDim);
  }
  // SDPA's default scale 1/sqrt(head_dim) is also MultiHeadAttention's default
  const ctx = multiHeadAttention(g, q, k, v, config.numHeads, { impl });
  return linearLayer(g, weights, `${prefix}.to_out.0`, ctx);
}

/** Returns the block's new (B, S, dim) fp32 residual stream. */
export function buildWanBlock(
  g: GraphBuilder,
  weights: WeightSource,
  index: number,
  inputs: WanBlockInputs,
  config: WanTransformerConfig,
  impl: WanAttentionImpl,
): Value {
  const p = `blocks.${index}`;
  const table = fp32Param(g, weights, `${p}.scale_shift_table`); // (1, 6, dim)
  const [shift, scale, gate, cShift, cScale, cGate] = split(g, add(g, table, inputs.timestepProj), [1, 1, 1, 1, 1, 1], 1);
  const toF32 = (v: Value) => castIfNeeded(g, v, 'float32');
  let x = inputs.x;

  // 1. self-attention with RoPE, gated
  const h1 = modulate(g, plainLayerNorm(g, x, config), shift, scale);
  const a1 = attention(g, weights, `${p}.attn1`, h1, null, inputs.rotary, config, impl);
  x = add(g, x, mul(g, toF32(a1), gate));

  // 2. cross-attention on the projected text, not gated
  const n2 = config.crossAttnNorm
    ? layerNorm(g, x, { weight: fp32Param(g, weights, `${p}.norm2.weight`), bias: fp32Param(g, weights, `${p}.norm2.bias`), eps: config.eps })
    : x;
  const a2 = attention(g, weights, `${p}.attn2`, castIfNeeded(g, n2, g.floatType), inputs.context, null, config, impl);
  x = add(g, x, toF32(a2));

  // 3. feed-forward, gated
  const h3 = modulate(g, plainLayerNorm(g, x, config), cShift, cScale);
  const ff = geluMlp(g, weights, `${p}.ffn.net.0.proj`, `${p}.ffn.net.2`, h3, impl);
  return add(g, x, mul(g, toF32(ff), cGate));
}
