import { afterAll, describe, expect, it } from 'vitest';
import { cleanupTempDirs, erfRef, expectClose, floatFeed, matMulRef, newBuilder, saveAndRun, seeded, toF32 } from '../../../test/helpers/onnxHarness';
import type { GraphBuilder, Value } from './graph';
import * as ops from './ops';

afterAll(cleanupTempDirs);

/** Builds y = f(x) for one (2, 3, 4) fp32 input and returns the output as fp32. */
async function unary(build: (g: GraphBuilder, x: Value) => Value, x: Float32Array, shape = [2, 3, 4]): Promise<{ data: Float32Array; shape: number[] }> {
  const { g, dir } = newBuilder('float32');
  const xi = g.input('x', 'float32', shape);
  const y = build(g, xi);
  g.output(y, 'y', g.typeOf(y) ?? 'float32');
  const out = await saveAndRun(g, dir, { x: floatFeed('float32', shape, x) });
  return { data: toF32(out.y), shape: out.y.shape };
}

const X = seeded(24, 7, -2, 2);
const POS = seeded(24, 8, 0.1, 3);
const map = (a: Float32Array, f: (v: number, i: number) => number) => Float32Array.from(a, f);
const sigm = (v: number) => 1 / (1 + Math.exp(-v));

describe('elementwise helpers', () => {
  const cases: Array<[string, (g: GraphBuilder, x: Value) => Value, Float32Array, (v: number) => number]> = [
    ['add', (g, x) => ops.add(g, x, g.constFloat(1.5)), X, (v) => v + 1.5],
    ['sub', (g, x) => ops.sub(g, x, g.constFloat(0.25)), X, (v) => v - 0.25],
    ['mul', (g, x) => ops.mul(g, x, x), X, (v) => v * v],
    ['div', (g, x) => ops.div(g, x, g.constFloat(4)), X, (v) => v / 4],
    ['pow', (g, x) => ops.pow(g, x, g.constFloat(3)), X, (v) => v ** 3],
    ['sigmoid', (g, x) => ops.sigmoid(g, x), X, sigm],
    ['silu', (g, x) => ops.silu(g, x), X, (v) => v * sigm(v)],
    ['tanh', (g, x) => ops.tanh(g, x), X, Math.tanh],
    ['erf', (g, x) => ops.erf(g, x), X, erfRef],
    ['exp', (g, x) => ops.exp(g, x), X, Math.exp],
    ['log', (g, x) => ops.log(g, x), POS, Math.log],
    ['sqrt', (g, x) => ops.sqrt(g, x), POS, Math.sqrt],
    ['neg', (g, x) => ops.neg(g, x), X, (v) => -v],
    ['relu', (g, x) => ops.relu(g, x), X, (v) => Math.max(0, v)],
    ['identity', (g, x) => ops.identity(g, x), X, (v) => v],
    ['gelu erf', (g, x) => ops.gelu(g, x, 'erf'), X, (v) => 0.5 * v * (1 + erfRef(v / Math.SQRT2))],
    ['gelu tanh', (g, x) => ops.gelu(g, x, 'tanh'), X, (v) => 0.5 * v * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (v + 0.044715 * v ** 3)))],
    ['where', (g, x) => ops.where(g, g.op('Greater', [x, g.constFloat(0)]), x, g.constFloat(-7)), X, (v) => (v > 0 ? v : -7)],
    ['cast round trip', (g, x) => ops.cast(g, ops.cast(g, x, 'float16'), 'float32'), Float32Array.of(...Array(24).fill(1 / 3)), () => 0.333251953125],
    ['castIfNeeded (no-op)', (g, x) => ops.castIfNeeded(g, x, 'float32'), X, (v) => v],
  ];
  for (const [name, build, input, ref] of cases) {
    it(`${name} matches the JS reference`, async () => {
      const { data } = await unary(build, input);
      expectClose(data, map(input, ref), 2e-6);
    });
  }

  it('cast to int64 truncates toward zero', async () => {
    const { g, dir } = newBuilder('float32');
    const x = g.input('x', 'float32', [3]);
    const y = ops.cast(g, x, 'int64');
    expect(g.typeOf(y)).toBe('int64');
    g.output(y, 'y', 'int64');
    const out = await saveAndRun(g, dir, { x: floatFeed('float32', [3], Float32Array.of(2.7, -1.5, 0)) });
    expect(Array.from(out.y.data as BigInt64Array)).toEqual([2n, -1n, 0n]);
  });
});

describe('shape helpers', () => {
  // x (2,3,4), x[a][b][c] = X[a*12 + b*4 + c]
  const at = (a: number, b: number, c: number) => X[a * 12 + b * 4 + c];

  it('reshape with 0 and -1', async () => {
    const r = await unary((g, x) => ops.reshape(g, x, [0, -1]), X);
    expect(r.shape).toEqual([2, 12]);
    expectClose(r.data, X, 0);
  });

  it('transpose', async () => {
    const r = await unary((g, x) => ops.transpose(g, x, [2, 0, 1]), X);
    expect(r.shape).toEqual([4, 2, 3]);
    const want: number[] = [];
    for (let c = 0; c < 4; c++) for (let a = 0; a < 2; a++) for (let b = 0; b < 3; b++) want.push(at(a, b, c));
    expectClose(r.data, want, 0);
  });

  it('split then concat in reverse order', async () => {
    const r = await unary((g, x) => {
      const [p, q] = ops.split(g, x, [1, 3], 2);
      return ops.concat(g, [q, p], 2);
    }, X);
    const want: number[] = [];
    for (let a = 0; a < 2; a++) for (let b = 0; b < 3; b++) for (const c of [1, 2, 3, 0]) want.push(at(a, b, c));
    expectClose(r.data, want, 0);
  });

  it('slice with steps', async () => {
    const r = await unary((g, x) => ops.slice(g, x, [0, 3], [3, 0], [1, 2], [2, -2]), X);
    expect(r.shape).toEqual([2, 2, 2]);
    const want: number[] = [];
    for (let a = 0; a < 2; a++) for (const b of [0, 2]) for (const c of [3, 1]) want.push(at(a, b, c));
    expectClose(r.data, want, 0);
  });

  it('gather with fixed indices, then unsqueeze and squeeze', async () => {
    const r = await unary((g, x) => ops.squeeze(g, ops.unsqueeze(g, ops.gather(g, x, [2, 0], 1), [0]), [0]), X);
    expect(r.shape).toEqual([2, 2, 4]);
    const want: number[] = [];
    for (let a = 0; a < 2; a++) for (const b of [2, 0]) for (let c = 0; c < 4; c++) want.push(at(a, b, c));
    expectClose(r.data, want, 0);
  });

  it('reduceMean (attribute axes) and reduceSum (input axes)', async () => {
    const mean = await unary((g, x) => ops.reduceMean(g, x, [-1], false), X);
    const sum = await unary((g, x) => ops.reduceSum(g, x, [1], true), X);
    expect(mean.shape).toEqual([2, 3]);
    expect(sum.shape).toEqual([2, 1, 4]);
    const wantMean: number[] = [];
    for (let a = 0; a < 2; a++) for (let b = 0; b < 3; b++) wantMean.push((at(a, b, 0) + at(a, b, 1) + at(a, b, 2) + at(a, b, 3)) / 4);
    const wantSum: number[] = [];
    for (let a = 0; a < 2; a++) for (let c = 0; c < 4; c++) wantSum.push(at(a, 0, c) + at(a, 1, c) + at(a, 2, c));
    expectClose(mean.data, wantMean, 1e-6);
    expectClose(sum.data, wantSum, 1e-6);
  });

  it('pad: constant value, reflect and edge', async () => {
    const x = Float32Array.of(1, 2, 3, 4);
    const constant = await unary((g, v) => ops.pad(g, v, [0, 1, 0, 2], { value: 9 }), x, [2, 2]);
    const reflect = await unary((g, v) => ops.pad(g, v, [0, 1, 0, 1], { mode: 'reflect' }), x, [2, 2]);
    const edge = await unary((g, v) => ops.pad(g, v, [1, 0, 0, 0], { mode: 'edge' }), x, [2, 2]);
    expect(Array.from(constant.data)).toEqual([9, 1, 2, 9, 9, 9, 3, 4, 9, 9]);
    expect(Array.from(reflect.data)).toEqual([2, 1, 2, 1, 4, 3, 4, 3]);
    expect(Array.from(edge.data)).toEqual([1, 2, 1, 2, 3, 4]);
  });
});

describe('matMul, linear and conv', () => {
  it('matMul broadcasts a 2-D right operand', async () => {
    const w = seeded(4 * 5, 21);
    const r = await unary((g, x) => ops.matMul(g, x, g.constFloat(w, [4, 5])), X);
    expect(r.shape).toEqual([2, 3, 5]);
    expectClose(r.data, matMulRef(X, w, 1, 6, 4, 5), 1e-6);
  });

  it('linear uses a pre-transposed (out, in) weight', async () => {
    const W = seeded(5 * 4, 22); // (out 5, in 4)
    const b = seeded(5, 23);
    const r = await unary((g, x) => ops.linear(g, x, g.weightTransposed('w', { dtype: 'float32', shape: [5, 4], data: W }), g.weight('b', { dtype: 'float32', shape: [5], data: b })), X);
    const want = new Float32Array(6 * 5);
    for (let row = 0; row < 6; row++)
      for (let o = 0; o < 5; o++) {
        let s = b[o];
        for (let i = 0; i < 4; i++) s += X[row * 4 + i] * W[o * 4 + i];
        want[row * 5 + o] = s;
      }
    expectClose(r.data, want, 1e-6);
  });

  it('conv with stride 2 and depthwise groups', async () => {
    // x (1, 2, 4, 4); depthwise 2x2 kernel, stride 2, no padding → (1, 2, 2, 2)
    const x = seeded(32, 31);
    const w = seeded(8, 32);
    const r = await unary((g, v) => ops.conv(g, v, g.constFloat(w, [2, 1, 2, 2]), null, { strides: [2, 2], group: 2 }), x, [1, 2, 4, 4]);
    expect(r.shape).toEqual([1, 2, 2, 2]);
    const want: number[] = [];
    for (let c = 0; c < 2; c++)
      for (let oy = 0; oy < 2; oy++)
        for (let ox = 0; ox < 2; ox++) {
          let s = 0;
          for (let ky = 0; ky < 2; ky++) for (let kx = 0; kx < 2; kx++) s += x[c * 16 + (oy * 2 + ky) * 4 + ox * 2 + kx] * w[c * 4 + ky * 2 + kx];
          want.push(s);
        }
    expectClose(r.data, want, 1e-6);
  });

  it('conv with dilation 2 and padding 2 keeps the size', async () => {
    const x = seeded(25, 33);
    const w = seeded(9, 34);
    const r = await unary((g, v) => ops.conv(g, v, g.constFloat(w, [1, 1, 3, 3]), null, { dilations: [2, 2], pads: [2, 2, 2, 2] }), x, [1, 1, 5, 5]);
    const want: number[] = [];
    for (let y = 0; y < 5; y++)
      for (let xx = 0; xx < 5; xx++) {
        let s = 0;
        for (let ky = 0; ky < 3; ky++)
          for (let kx = 0; kx < 3; kx++) {
            const iy = y + 2 * ky - 2;
            const ix = xx + 2 * kx - 2;
            if (iy >= 0 && iy < 5 && ix >= 0 && ix < 5) s += x[iy * 5 + ix] * w[ky * 3 + kx];
          }
        want.push(s);
      }
    expectClose(r.data, want, 1e-6);
  });
});
