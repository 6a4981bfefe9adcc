/**
 * Typed helpers over GraphBuilder.op() for the ops the networks use. Every helper takes the
 * builder first: `add(g, a, b)`. Shapes are given as plain numbers and become int64 constants.
 * Normalisations (norms.ts) and attention (attention.ts) are re-exported at the end, so
 * `ops.rmsNorm`, `ops.layerNorm` and `ops.multiHeadAttention` work too.
 */
import type { ElemType, GraphBuilder, Value } from './graph';
import { elemTypeToOnnx } from './graph';

export const add = (g: GraphBuilder, a: Value, b: Value): Value => g.op('Add', [a, b]);
export const sub = (g: GraphBuilder, a: Value, b: Value): Value => g.op('Sub', [a, b]);
export const mul = (g: GraphBuilder, a: Value, b: Value): Value => g.op('Mul', [a, b]);
export const div = (g: GraphBuilder, a: Value, b: Value): Value => g.op('Div', [a, b]);
export const matMul = (g: GraphBuilder, a: Value, b: Value): Value => g.op('MatMul', [a, b]);
export const pow = (g: GraphBuilder, a: Value, b: Value): Value => g.op('Pow', [a, b]);
export const where = (g: GraphBuilder, cond: Value, a: Value, b: Value): Value => g.op('Where', [cond, a, b]);

export const sigmoid = (g: GraphBuilder, x: Value): Value => g.op('Sigmoid', [x]);
export const tanh = (g: GraphBuilder, x: Value): Value => g.op('Tanh', [x]);
export const erf = (g: GraphBuilder, x: Value): Value => g.op('Erf', [x]);
export const exp = (g: GraphBuilder, x: Value): Value => g.op('Exp', [x]);
export const log = (g: GraphBuilder, x: Value): Value => g.op('Log', [x]);
export const sqrt = (g: GraphBuilder, x: Value): Value => g.op('Sqrt', [x]);
export const neg = (g: GraphBuilder, x: Value): Value => g.op('Neg', [x]);
export const relu = (g: GraphBuilder, x: Value): Value => g.op('Relu', [x]);
export const identity = (g: GraphBuilder, x: Value): Value => g.op('Identity', [x]);

/** x · sigmoid(x). */
export const silu = (g: GraphBuilder, x: Value): Value => g.op('Mul', [x, g.op('Sigmoid', [x])]);

/** A float scalar in the same float type as `like` (graph float type when unknown). */
export function scalarLike(g: GraphBuilder, like: Value, value: number): Value {
  const t = g.typeOf(like);
  return g.constFloat(value, [], t === 'float32' || t === 'float16' ? t : undefined);
}

/** GELU: 'erf' = exact (torch default), 'tanh' = torch's approximate='tanh'. */
export function gelu(g: GraphBuilder, x: Value, form: 'erf' | 'tanh' = 'erf'): Value {
  const c = (v: number) => scalarLike(g, x, v);
  const half = g.op('Mul', [x, c(0.5)]);
  if (form === 'erf') {
    const e = g.op('Erf', [g.op('Mul', [x, c(Math.SQRT1_2)])]);
    return g.op('Mul', [half, g.op('Add', [e, c(1)])]);
  }
  // 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³)))
  const x3 = g.op('Mul', [g.op('Mul', [x, x]), x]);
  const inner = g.op('Mul', [g.op('Add', [x, g.op('Mul', [x3, c(0.044715)])]), c(Math.sqrt(2 / Math.PI))]);
  return g.op('Mul', [half, g.op('Add', [g.op('Tanh', [inner]), c(1)])]);
}

export function softmax(g: GraphBuilder, x: Value, axis = -1): Value {
  return g.op('Softmax', [x], { axis });
}

export function cast(g: GraphBuilder, x: Value, to: ElemType): Value {
  return g.op('Cast', [x], { to: elemTypeToOnnx(to) });
}

/** Casts only when the builder knows the type differs (or does not know it). */
export function castIfNeeded(g: GraphBuilder, x: Value, to: ElemType): Value {
  return g.typeOf(x) === to ? x : cast(g, x, to);
}

/** Reshape to a fixed shape; 0 copies the input dim, -1 is inferred (ONNX semantics). */
export function reshape(g: GraphBuilder, x: Value, shape: number[] | Value): Value {
  const s = Array.isArray(shape) ? g.constInt64(shape) : shape;
  return g.op('Reshape', [x, s]);
}

export function transpose(g: GraphBuilder, x: Value, perm: number[]): Value {
  return g.op('Transpose', [x], { perm });
}

export function concat(g: GraphBuilder, xs: Value[], axis: number): Value {
  return g.op('Concat', xs, { axis });
}

/** Splits into parts of the given sizes along `axis`. */
export function split(g: GraphBuilder, x: Value, sizes: number[], axis: number): Value[] {
  return g.opMulti('Split', [x, g.constInt64(sizes)], sizes.length, { axis });
}

export function slice(g: GraphBuilder, x: Value, starts: number[], ends: number[], axes: number[], steps?: number[]): Value {
  return g.op('Slice', [x, g.constInt64(starts), g.constInt64(ends), g.constInt64(axes), steps ? g.constInt64(steps) : null]);
}

/** Gather along `axis`; `indices` may be a Value or fixed integers (a plain number gives a scalar index). */
export function gather(g: GraphBuilder, x: Value, indices: Value | number | number[], axis = 0): Value {
  const idx = typeof indices === 'number' || Array.isArray(indices) ? g.constInt64(indices) : indices;
  return g.op('Gather', [x, idx], { axis });
}

export function unsqueeze(g: GraphBuilder, x: Value, axes: number[]): Value {
  return g.op('Unsqueeze', [x, g.constInt64(axes)]);
}

export function squeeze(g: GraphBuilder, x: Value, axes?: number[]): Value {
  return g.op('Squeeze', [x, axes ? g.constInt64(axes) : null]);
}

/** Opset 17 ReduceMean takes axes as an attribute. */
export function reduceMean(g: GraphBuilder, x: Value, axes: number[], keepdims = true): Value {
  return g.op('ReduceMean', [x], { axes, keepdims: keepdims ? 1 : 0 });
}

/** Opset 13+ ReduceSum takes axes as an input. */
export function reduceSum(g: GraphBuilder, x: Value, axes: number[], keepdims = true): Value {
  return g.op('ReduceSum', [x, g.constInt64(axes)], { keepdims: keepdims ? 1 : 0 });
}

export interface ConvOptions {
  /** ONNX order: [x1_begin, x2_begin, ..., x1_end, x2_end, ...]. */
  pads?: number[];
  strides?: number[];
  dilations?: number[];
  group?: number;
}

export function conv(g: GraphBuilder, x: Value, w: Value, b: Value | null | undefined, opts: ConvOptions = {}): Value {
  const attrs: Record<string, number | number[]> = {};
  if (opts.pads) attrs.pads = opts.pads;
  if (opts.strides) attrs.strides = opts.strides;
  if (opts.dilations) attrs.dilations = opts.dilations;
  if (opts.group && opts.group !== 1) attrs.group = opts.group;
  return g.op('Conv', [x, w, b], attrs);
}

/**
 * Pad (opset 11+ form). `pads` in ONNX order [x1_begin, ..., x1_end, ...] over all axes (or over
 * `axes` when given, opset 18+ only). Modes: constant | reflect | edge.
 */
export function pad(
  g: GraphBuilder,
  x: Value,
  pads: number[],
  opts: { mode?: 'constant' | 'reflect' | 'edge'; value?: number } = {},
): Value {
  const mode = opts.mode ?? 'constant';
  const value = mode === 'constant' && opts.value !== undefined && opts.value !== 0 ? scalarLike(g, x, opts.value) : null;
  return g.op('Pad', [x, g.constInt64(pads), value], { mode });
}

/** y = x · W^T + b with W (out, in) stored pre-transposed (no Transpose node at run time). */
export function linear(g: GraphBuilder, x: Value, wTransposed: Value, b?: Value | null): Value {
  const y = g.op('MatMul', [x, wTransposed]);
  return b ? g.op('Add', [y, b]) : y;
}

// Re-exports (these modules import helpers from here; used only at call time, so the cycle is safe).
export { rmsNorm, layerNorm, type RmsNormOptions, type LayerNormOptions } from './norms';
export { multiHeadAttention, type AttentionOptions } from './attention';
