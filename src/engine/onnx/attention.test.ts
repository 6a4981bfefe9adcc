import { afterAll, describe, expect, it } from 'vitest';
import {
  cleanupTempDirs,
  expectClose,
  floatFeed,
  newBuilder,
  roundHalf,
  saveAndRun,
  seeded,
  toF32,
} from '../../../test/helpers/onnxHarness';
import { multiHeadAttention } from './attention';

afterAll(cleanupTempDirs);

const B = 2;
const S = 5;
const L = 7;
const N = 3;
const H = 4;
const D = N * H;

/** softmax(q kᵀ · scale + bias) v per head; q (B,S,D), k/v (B,L,D), bias (1,N,S,L) or none. */
function attentionRef(q: Float32Array, k: Float32Array, v: Float32Array, scale: number, bias: Float32Array | null): Float32Array {
  const out = new Float32Array(B * S * D);
  const row = new Float32Array(L);
  for (let b = 0; b < B; b++)
    for (let n = 0; n < N; n++)
      for (let s = 0; s < S; s++) {
        let max = -Infinity;
        for (let l = 0; l < L; l++) {
          let dot = 0;
          for (let h = 0; h < H; h++) dot += q[(b * S + s) * D + n * H + h] * k[(b * L + l) * D + n * H + h];
          row[l] = dot * scale + (bias ? bias[(n * S + s) * L + l] : 0);
          max = Math.max(max, row[l]);
        }
        let sum = 0;
        for (let l = 0; l < L; l++) sum += row[l] = Math.exp(row[l] - max);
        for (let h = 0; h < H; h++) {
          let acc = 0;
          for (let l = 0; l < L; l++) acc += (row[l] / sum) * v[(b * L + l) * D + n * H + h];
          out[(b * S + s) * D + n * H + h] = acc;
        }
      }
  return out;
}

const q = seeded(B * S * D, 11, -2, 2);
const k = seeded(B * L * D, 12, -2, 2);
const v = seeded(B * L * D, 13);
// Additive bias with masked keys (-1e4, not -inf) and a relative-position-like part.
const bias = seeded(N * S * L, 14, -1, 1).map((x, i) => (i % L === L - 1 || i % L === 2 ? -1e4 : x));

async function run(
  floatType: 'float32' | 'float16',
  impl: 'contrib' | 'plain',
  opts: { scale?: number; withBias: boolean },
): Promise<Float32Array> {
  const { g, dir } = newBuilder(floatType);
  const qi = g.input('q', floatType, ['b', 's', D]);
  const ki = g.input('k', floatType, ['b', 'l', D]);
  const vi = g.input('v', floatType, ['b', 'l', D]);
  const mask = opts.withBias ? g.input('bias', floatType, [1, N, 's', 'l']) : null;
  g.output(multiHeadAttention(g, qi, ki, vi, N, { impl, scale: opts.scale, mask }), 'out', floatType, ['b', 's', D]);
  const feeds = {
    q: floatFeed(floatType, [B, S, D], q),
    k: floatFeed(floatType, [B, L, D], k),
    v: floatFeed(floatType, [B, L, D], v),
    ...(opts.withBias ? { bias: floatFeed(floatType, [1, N, S, L], bias) } : {}),
  };
  const out = await saveAndRun(g, dir, feeds);
  expect(out.out.shape).toEqual([B, S, D]);
  return toF32(out.out);
}

describe('multiHeadAttention', () => {
  it('contrib MultiHeadAttention and plain ONNX agree with the reference (default scale, no mask)', async () => {
    const want = attentionRef(q, k, v, 1 / Math.sqrt(H), null);
    const contrib = await run('float32', 'contrib', { withBias: false });
    const plain = await run('float32', 'plain', { withBias: false });
    expectClose(contrib, want, 1e-5);
    expectClose(plain, want, 1e-5);
    expectClose(contrib, plain, 1e-5);
  });

  it('applies an explicit scale and an additive (1, N, S, L) bias the same way in both', async () => {
    const want = attentionRef(q, k, v, 1, bias);
    const contrib = await run('float32', 'contrib', { scale: 1, withBias: true });
    const plain = await run('float32', 'plain', { scale: 1, withBias: true });
    expectClose(contrib, want, 1e-5);
    expectClose(plain, want, 1e-5);
  });

  it('runs both forms in fp16 graphs close to the fp32 reference', async () => {
    const r = roundHalf;
    const want = attentionRef(r(q), r(k), r(v), 0.3, r(bias));
    const contrib = await run('float16', 'contrib', { scale: 0.3, withBias: true });
    const plain = await run('float16', 'plain', { scale: 0.3, withBias: true });
    expectClose(contrib, want, 5e-3);
    expectClose(plain, want, 5e-3);
  });
});
