/**
 * Multi-head attention over packed (B, S, N·H) tensors, two ways:
 * - 'contrib': ORT's com.microsoft MultiHeadAttention (fused kernels: flash / memory-efficient
 *   attention on CUDA), the default;
 * - 'plain': MatMul/Softmax in standard ONNX, a reference and a fallback for providers without
 *   the contrib op.
 * Both give the same numbers (tested on the CPU EP).
 */
import { StudioError } from '../../shared/errors';
import type { GraphBuilder, Value } from './graph';
import { MS_DOMAIN } from './graph';
import { castIfNeeded, reshape, scalarLike, transpose } from './ops';

export interface AttentionOptions {
  /**
   * Additive attention bias, broadcastable to (B, N, S, L): shape (B|1, N|1, S, L), in the same
   * float type as q (use a large negative value, not -inf, for masked keys).
   */
  mask?: Value | null;
  /** Scale on QK^T; default 1/sqrt(head dim). UMT5 uses 1. */
  scale?: number;
  impl?: 'contrib' | 'plain';
}

/** q: (B, S, N·H), k and v: (B, L, N·H) → (B, S, N·H). */
export function multiHeadAttention(
  g: GraphBuilder,
  q: Value,
  k: Value,
  v: Value,
  numHeads: number,
  opts: AttentionOptions = {},
): Value {
  if (!Number.isInteger(numHeads) || numHeads < 1) {
    throw new StudioError('GRAPH_BUILD_FAILED', `Graph "${g.name}": attention needs a positive head count, got ${numHeads}.`);
  }
  if ((opts.impl ?? 'contrib') === 'contrib') {
    const attrs: Record<string, number | { float: number }> = { num_heads: numHeads };
    if (opts.scale !== undefined) attrs.scale = { float: opts.scale };
    // inputs: query, key, value, bias, key_padding_mask, attention_bias
    return g.op('MultiHeadAttention', [q, k, v, null, null, opts.mask ?? null], attrs, { domain: MS_DOMAIN });
  }
  return plainAttention(g, q, k, v, numHeads, opts);
}

function plainAttention(g: GraphBuilder, q: Value, k: Value, v: Value, numHeads: number, opts: AttentionOptions): Value {
  const heads = (x: Value) => reshape(g, x, [0, 0, numHeads, -1]); // (B, S, N, H)
  const qh = transpose(g, heads(q), [0, 2, 1, 3]); // (B, N, S, H)
  const kt = transpose(g, heads(k), [0, 2, 3, 1]); // (B, N, H, L)
  const vh = transpose(g, heads(v), [0, 2, 1, 3]); // (B, N, L, H)
  let scores = g.op('MatMul', [qh, kt]); // (B, N, S, L)
  if (opts.scale !== undefined) {
    if (opts.scale !== 1) scores = g.op('Mul', [scores, scalarLike(g, q, opts.scale)]);
  } else {
    // head dim is only known at run time here: divide by sqrt(H) read from the shape
    const headDim = g.op('Gather', [g.op('Shape', [qh]), g.constInt64(3)], { axis: 0 });
    const qType = g.typeOf(q) ?? g.floatType;
    const sqrtH = g.op('Sqrt', [castIfNeeded(g, headDim, qType === 'float16' ? 'float16' : 'float32')]);
    scores = g.op('Div', [scores, sqrtH]);
  }
  if (opts.mask) scores = g.op('Add', [scores, opts.mask]);
  // Softmax in fp32: exp of fp16 scores loses too much when rows are long.
  const inType = g.typeOf(q) ?? g.floatType;
  const probs = castIfNeeded(g, g.op('Softmax', [castIfNeeded(g, scores, 'float32')], { axis: -1 }), inType);
  const ctx = g.op('MatMul', [probs, vh]); // (B, N, S, H)
  return reshape(g, transpose(g, ctx, [0, 2, 1, 3]), [0, 0, -1]);
}
