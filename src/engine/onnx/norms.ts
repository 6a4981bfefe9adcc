/**
 * Normalisations. RMS norm runs in fp32 even inside fp16 graphs: the mean of x² overflows fp16
 * (max 65504) as soon as |x| passes ~256, which UMT5 and Wan activations do.
 */
import type { GraphBuilder, Value } from './graph';
import { castIfNeeded } from './ops';

export interface RmsNormOptions {
  /** Element type of the result; default: the input's type (the graph float type when unknown). */
  outType?: 'float32' | 'float16';
}

/** y = x / sqrt(mean(x², axis) + eps) · weight, computed in fp32. */
export function rmsNorm(
  g: GraphBuilder,
  x: Value,
  weight: Value | null,
  eps: number,
  axis = -1,
  opts: RmsNormOptions = {},
): Value {
  const inType = g.typeOf(x);
  const outType = opts.outType ?? (inType === 'float32' || inType === 'float16' ? inType : g.floatType);
  const xf = castIfNeeded(g, x, 'float32');
  const meanSq = g.op('ReduceMean', [g.op('Mul', [xf, xf])], { axes: [axis], keepdims: 1 });
  const inv = g.op('Reciprocal', [g.op('Sqrt', [g.op('Add', [meanSq, g.constFloat(eps, [], 'float32')])])]);
  const normed = castIfNeeded(g, g.op('Mul', [xf, inv]), outType);
  return weight ? g.op('Mul', [normed, castIfNeeded(g, weight, outType)]) : normed;
}

export interface LayerNormOptions {
  weight?: Value | null;
  bias?: Value | null;
  eps: number;
  /** First normalised axis (ONNX LayerNormalization semantics); default -1. */
  axis?: number;
  /**
   * Size of the normalised (last) axis; needed only when there is no weight (elementwise_affine
   * =False), since ONNX LayerNormalization always takes a scale.
   */
  dim?: number;
}

/**
 * ONNX LayerNormalization (opset 17) with stash_type=1: mean and variance accumulate in fp32
 * whatever the input type. Weight and bias must have the input's type.
 */
export function layerNorm(g: GraphBuilder, x: Value, opts: LayerNormOptions): Value {
  const axis = opts.axis ?? -1;
  let scale = opts.weight ?? null;
  if (!scale) {
    if (opts.dim === undefined) return layerNormDecomposed(g, x, opts.eps, axis, opts.bias ?? null);
    const t = g.typeOf(x);
    scale = g.constFloat(new Float32Array(opts.dim).fill(1), [opts.dim], t === 'float32' || t === 'float16' ? t : undefined);
  }
  return g.op('LayerNormalization', [x, scale, opts.bias ?? null], { axis, epsilon: { float: opts.eps }, stash_type: 1 });
}

/** Without a known size: mean/variance by hand, in fp32, then back to the input type. */
function layerNormDecomposed(g: GraphBuilder, x: Value, eps: number, axis: number, bias: Value | null): Value {
  const inType = g.typeOf(x) ?? g.floatType;
  const xf = castIfNeeded(g, x, 'float32');
  const mean = g.op('ReduceMean', [xf], { axes: [axis], keepdims: 1 });
  const centered = g.op('Sub', [xf, mean]);
  const variance = g.op('ReduceMean', [g.op('Mul', [centered, centered])], { axes: [axis], keepdims: 1 });
  const denom = g.op('Sqrt', [g.op('Add', [variance, g.constFloat(eps, [], 'float32')])]);
  const y = castIfNeeded(g, g.op('Div', [centered, denom]), inType);
  return bias ? g.op('Add', [y, bias]) : y;
}
