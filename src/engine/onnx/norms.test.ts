import { afterAll, describe, expect, it } from 'vitest';
import { cleanupTempDirs, expectClose, floatFeed, newBuilder, roundHalf, saveAndRun, seeded, toF32 } from '../../../test/helpers/onnxHarness';
import { layerNorm, rmsNorm } from './norms';

afterAll(cleanupTempDirs);

const ROWS = 4;
const DIM = 8;

function rmsRef(x: Float32Array, w: Float32Array | null, eps: number): Float32Array {
  const out = new Float32Array(x.length);
  for (let r = 0; r < ROWS; r++) {
    let ss = 0;
    for (let i = 0; i < DIM; i++) ss += x[r * DIM + i] ** 2;
    const inv = 1 / Math.sqrt(ss / DIM + eps);
    for (let i = 0; i < DIM; i++) out[r * DIM + i] = x[r * DIM + i] * inv * (w ? w[i] : 1);
  }
  return out;
}

function layerRef(x: Float32Array, w: Float32Array | null, b: Float32Array | null, eps: number): Float32Array {
  const out = new Float32Array(x.length);
  for (let r = 0; r < ROWS; r++) {
    let mean = 0;
    for (let i = 0; i < DIM; i++) mean += x[r * DIM + i] / DIM;
    let variance = 0;
    for (let i = 0; i < DIM; i++) variance += (x[r * DIM + i] - mean) ** 2 / DIM;
    for (let i = 0; i < DIM; i++) out[r * DIM + i] = ((x[r * DIM + i] - mean) / Math.sqrt(variance + eps)) * (w ? w[i] : 1) + (b ? b[i] : 0);
  }
  return out;
}

const W = seeded(DIM, 41, 0.5, 1.5);
const Bias = seeded(DIM, 42);
// Activations of the size UMT5/Wan produce: x² reaches 1e9, far past fp16's 65504.
const LARGE = seeded(ROWS * DIM, 43, -30000, 30000);

describe('rmsNorm', () => {
  it('matches the reference in an fp32 graph', async () => {
    const x = seeded(ROWS * DIM, 44, -3, 3);
    const { g, dir } = newBuilder('float32');
    const xi = g.input('x', 'float32', [ROWS, DIM]);
    g.output(rmsNorm(g, xi, g.weight('w', { dtype: 'float32', shape: [DIM], data: W }), 1e-6), 'y', 'float32');
    const out = await saveAndRun(g, dir, { x: floatFeed('float32', [ROWS, DIM], x) });
    expectClose(toF32(out.y), rmsRef(x, W, 1e-6), 1e-6);
  });

  it('stays finite and exact-ish in an fp16 graph with inputs whose squares overflow fp16', async () => {
    const { g, dir } = newBuilder('float16');
    const xi = g.input('x', 'float16', [ROWS, DIM]);
    const y = rmsNorm(g, xi, g.weight('w', { dtype: 'float32', shape: [DIM], data: W }), 1e-6);
    expect(g.typeOf(y)).toBe('float16');
    g.output(y, 'y', 'float16');
    // The same normalisation naively in fp16 overflows: proves the inputs are large enough to matter.
    const sq = g.op('ReduceMean', [g.op('Mul', [xi, xi])], { axes: [-1], keepdims: 1 });
    g.output(sq, 'naive_mean_sq', 'float16');
    const out = await saveAndRun(g, dir, { x: floatFeed('float16', [ROWS, DIM], LARGE) });
    expect(Array.from(toF32(out.naive_mean_sq)).some((v) => !Number.isFinite(v))).toBe(true);
    const got = toF32(out.y);
    expect(got.every(Number.isFinite)).toBe(true);
    expectClose(got, rmsRef(roundHalf(LARGE), roundHalf(W), 1e-6), 2e-3);
  });

  it('can return fp32 from an fp16 input (for fp32 residual streams)', async () => {
    const { g, dir } = newBuilder('float16');
    const xi = g.input('x', 'float16', [ROWS, DIM]);
    const y = rmsNorm(g, xi, null, 1e-5, -1, { outType: 'float32' });
    g.output(y, 'y', 'float32');
    const out = await saveAndRun(g, dir, { x: floatFeed('float16', [ROWS, DIM], LARGE) });
    expect(out.y.dtype).toBe('float32');
    expectClose(toF32(out.y), rmsRef(roundHalf(LARGE), null, 1e-5), 1e-6);
  });
});

describe('layerNorm', () => {
  const x = seeded(ROWS * DIM, 45, -4, 4);

  it('with weight and bias (ONNX LayerNormalization)', async () => {
    const { g, dir } = newBuilder('float32');
    const xi = g.input('x', 'float32', [ROWS, DIM]);
    const w = g.weight('w', { dtype: 'float32', shape: [DIM], data: W });
    const b = g.weight('b', { dtype: 'float32', shape: [DIM], data: Bias });
    g.output(layerNorm(g, xi, { weight: w, bias: b, eps: 1e-5 }), 'y', 'float32');
    const out = await saveAndRun(g, dir, { x: floatFeed('float32', [ROWS, DIM], x) });
    expectClose(toF32(out.y), layerRef(x, W, Bias, 1e-5), 1e-5);
  });

  it('without affine parameters, by size and decomposed, in fp16 with large inputs', async () => {
    const { g, dir } = newBuilder('float16');
    const xi = g.input('x', 'float16', [ROWS, DIM]);
    g.output(layerNorm(g, xi, { eps: 1e-6, dim: DIM }), 'sized', 'float16');
    g.output(layerNorm(g, xi, { eps: 1e-6 }), 'decomposed', 'float16');
    const out = await saveAndRun(g, dir, { x: floatFeed('float16', [ROWS, DIM], LARGE) });
    const want = layerRef(roundHalf(LARGE), null, null, 1e-6);
    expectClose(toF32(out.sized), want, 3e-3);
    expectClose(toF32(out.decomposed), want, 3e-3);
  });
});
