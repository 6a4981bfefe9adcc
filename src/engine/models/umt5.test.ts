/**
 * UMT5 encoder graph on small synthetic weights against a float64 JS forward pass written from
 * transformers' modeling_umt5.py, including a model whose FFN pushes the residual stream past
 * fp16's range (what UMT5-XXL does), which the fp16 graph must survive.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { cleanupTempDirs, newBuilder, saveAndRun, seeded, toF32 } from '../../../test/helpers/onnxHarness';
import type { HostTensor } from '../onnx/session';
import { float32ArrayToHalf } from '../weights/halfFloat';
import type { FloatTensor, WeightSource } from '../weights/types';
import { buildUmt5Encoder, umt5Feeds } from './umt5';
import { parseUmt5Config, type Umt5Config } from './umt5Config';
import { relativePositionBucket } from './umt5RelativePosition';

afterAll(cleanupTempDirs);

type Tensors = Record<string, { shape: number[]; data: Float32Array }>;

function memoryWeights(tensors: Tensors): WeightSource {
  const get = (name: string) => {
    const t = tensors[name];
    if (!t) throw new Error(`no ${name}`);
    return t;
  };
  return {
    origin: 'memory',
    keys: () => Object.keys(tensors),
    has: (name) => name in tensors,
    info: (name) => ({ name, dtype: 'F32', shape: get(name).shape }),
    read: (name, as): FloatTensor => {
      const t = get(name);
      return as === 'float32' ? { dtype: as, shape: t.shape, data: t.data } : { dtype: as, shape: t.shape, data: float32ArrayToHalf(t.data) };
    },
    close: () => undefined,
  };
}

const CONFIG: Umt5Config = parseUmt5Config({
  vocab_size: 20,
  d_model: 8,
  d_kv: 4,
  d_ff: 16,
  num_layers: 2,
  num_heads: 2,
  relative_attention_num_buckets: 32,
  relative_attention_max_distance: 128,
  layer_norm_epsilon: 1e-6,
  feed_forward_proj: 'gated-gelu',
});

/** Seeded weights; `ffnScale` multiplies wi_0, wi_1 and wo (large values overflow fp16 as UMT5-XXL does). */
function makeWeights(ffnScale: number): Tensors {
  const { vocabSize: V, dModel: D, dKv, numHeads: N, dFf: F } = CONFIG;
  let seed = 100;
  const t = (shape: number[], lo: number, hi: number) => ({ shape, data: seeded(shape.reduce((a, b) => a * b, 1), seed++, lo, hi) });
  const w: Tensors = { 'shared.weight': t([V, D], -1, 1), 'encoder.final_layer_norm.weight': t([D], 0.8, 1.2) };
  for (let i = 0; i < CONFIG.numLayers; i++) {
    const p = `encoder.block.${i}.layer`;
    w[`${p}.0.layer_norm.weight`] = t([D], 0.8, 1.2);
    for (const m of ['q', 'k', 'v']) w[`${p}.0.SelfAttention.${m}.weight`] = t([N * dKv, D], -0.4, 0.4);
    w[`${p}.0.SelfAttention.o.weight`] = t([D, N * dKv], -0.4, 0.4);
    w[`${p}.0.SelfAttention.relative_attention_bias.weight`] = t([32, N], -1, 1);
    w[`${p}.1.layer_norm.weight`] = t([D], 0.8, 1.2);
    w[`${p}.1.DenseReluDense.wi_0.weight`] = t([F, D], -ffnScale, ffnScale);
    w[`${p}.1.DenseReluDense.wi_1.weight`] = t([F, D], -ffnScale, ffnScale);
    w[`${p}.1.DenseReluDense.wo.weight`] = t([D, F], -ffnScale / 4, ffnScale / 4);
  }
  return w;
}

/** float64 UMT5 encoder forward (batch-major ids and mask); also reports the largest |residual| seen. */
function referenceForward(w: Tensors, ids: number[][], mask: number[][]): { last: Float64Array; embeds: Float64Array; maxResidual: number } {
  const { dModel: D, dKv: H, numHeads: N, dFf: F, layerNormEpsilon: eps } = CONFIG;
  const B = ids.length;
  const S = ids[0].length;
  const W = (name: string) => w[name].data;
  const rms = (x: Float64Array, g: Float32Array) => {
    const out = new Float64Array(x.length);
    for (let r = 0; r < x.length / D; r++) {
      let ms = 0;
      for (let d = 0; d < D; d++) ms += x[r * D + d] ** 2;
      const inv = 1 / Math.sqrt(ms / D + eps);
      for (let d = 0; d < D; d++) out[r * D + d] = x[r * D + d] * inv * g[d];
    }
    return out;
  };
  // y = x · Wᵀ, W (out, in)
  const lin = (x: Float64Array, Wt: Float32Array, inp: number, out: number) => {
    const rows = x.length / inp;
    const y = new Float64Array(rows * out);
    for (let r = 0; r < rows; r++)
      for (let o = 0; o < out; o++) {
        let s = 0;
        for (let i = 0; i < inp; i++) s += x[r * inp + i] * Wt[o * inp + i];
        y[r * out + o] = s;
      }
    return y;
  };
  const geluNew = (x: number) => 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x ** 3)));
  let h = new Float64Array(B * S * D);
  for (let b = 0; b < B; b++) for (let s = 0; s < S; s++) for (let d = 0; d < D; d++) h[(b * S + s) * D + d] = W('shared.weight')[ids[b][s] * D + d];
  let maxResidual = 0;
  for (let l = 0; l < CONFIG.numLayers; l++) {
    const p = `encoder.block.${l}.layer`;
    const n = rms(h, W(`${p}.0.layer_norm.weight`));
    const [q, k, v] = ['q', 'k', 'v'].map((m) => lin(n, W(`${p}.0.SelfAttention.${m}.weight`), D, N * H));
    const rel = W(`${p}.0.SelfAttention.relative_attention_bias.weight`);
    const ctx = new Float64Array(B * S * N * H);
    for (let b = 0; b < B; b++)
      for (let hd = 0; hd < N; hd++)
        for (let i = 0; i < S; i++) {
          const scores: number[] = [];
          for (let j = 0; j < S; j++) {
            if (!mask[b][j]) continue; // finfo.min bias: exp underflows to exactly 0
            let dot = rel[relativePositionBucket(j - i, 32, 128) * N + hd];
            for (let e = 0; e < H; e++) dot += q[(b * S + i) * N * H + hd * H + e] * k[(b * S + j) * N * H + hd * H + e];
            scores.push(dot);
          }
          const max = Math.max(...scores);
          const probs = scores.map((x) => Math.exp(x - max));
          const sum = probs.reduce((a, c) => a + c, 0);
          let jj = 0;
          for (let j = 0; j < S; j++) {
            if (!mask[b][j]) continue;
            const pr = probs[jj++] / sum;
            for (let e = 0; e < H; e++) ctx[(b * S + i) * N * H + hd * H + e] += pr * v[(b * S + j) * N * H + hd * H + e];
          }
        }
    const o = lin(ctx, W(`${p}.0.SelfAttention.o.weight`), N * H, D);
    h = h.map((x, i) => x + o[i]);
    const n2 = rms(h, W(`${p}.1.layer_norm.weight`));
    const a = lin(n2, W(`${p}.1.DenseReluDense.wi_0.weight`), D, F);
    const g = lin(n2, W(`${p}.1.DenseReluDense.wi_1.weight`), D, F);
    const ff = lin(a.map((x, i) => geluNew(x) * g[i]), W(`${p}.1.DenseReluDense.wo.weight`), F, D);
    h = h.map((x, i) => x + ff[i]);
    for (const x of h) maxResidual = Math.max(maxResidual, Math.abs(x));
  }
  const last = rms(h, W('encoder.final_layer_norm.weight'));
  const embeds = last.map((x, i) => {
    const b = Math.floor(i / (S * D));
    const s = Math.floor(i / D) % S;
    return s < mask[b].reduce((c, m) => c + m, 0) ? x : 0;
  });
  return { last, embeds, maxResidual };
}

// Two rows of different real lengths, padded with id 0 as the tokenizer does.
const IDS = [
  [5, 3, 17, 9, 12, 1, 0, 0, 0, 0, 0],
  [7, 7, 2, 19, 4, 11, 6, 15, 8, 1, 0],
];
const MASK = IDS.map((row, b) => row.map((_, i) => (i < [6, 10][b] ? 1 : 0)));

function feeds(ids = IDS): Record<string, HostTensor> {
  const enc = ids.map((row, b) => ({ inputIds: Int32Array.from(row), attentionMask: Int32Array.from(MASK[b]), tokenCount: 0 }));
  return umt5Feeds(enc);
}

async function runGraph(weights: WeightSource, floatType: 'float32' | 'float16', impl: 'contrib' | 'plain', ids = IDS) {
  const { g, dir } = newBuilder(floatType);
  buildUmt5Encoder(g, weights, CONFIG, { impl });
  const out = await saveAndRun(g, dir, feeds(ids));
  expect(out.last_hidden_state.dtype).toBe('float32');
  expect(out.text_embeds.dtype).toBe('float32');
  expect(out.last_hidden_state.shape).toEqual([2, IDS[0].length, CONFIG.dModel]);
  return { last: toF32(out.last_hidden_state), embeds: toF32(out.text_embeds) };
}

/** Largest |a − b| over the largest |b|: error relative to the output's scale. */
function scaledError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let err = 0;
  let scale = 0;
  for (let i = 0; i < b.length; i++) {
    err = Math.max(err, Math.abs(a[i] - b[i]));
    scale = Math.max(scale, Math.abs(b[i]));
  }
  return Number.isFinite(err) ? err / scale : Infinity;
}

describe('relative position buckets (bidirectional, 32 buckets, max distance 128)', () => {
  it('puts offsets in T5 buckets: exact below 8, log-spaced edges 8 12 16 23 32 46 64 91, keys to the right in the upper half', () => {
    const bucket = (rp: number) => relativePositionBucket(rp, 32, 128);
    expect([0, 1, 7].map(bucket)).toEqual([0, 17, 23]);
    expect([-1, -7].map(bucket)).toEqual([1, 7]);
    const edges = [8, 12, 16, 23, 32, 46, 64, 91];
    edges.forEach((edge, i) => {
      expect(bucket(-edge), `offset −${edge}`).toBe(8 + i);
      expect(bucket(-(edge - 1)), `offset −${edge - 1}`).toBe(edge === 8 ? 7 : 7 + i);
      expect(bucket(edge), `offset +${edge}`).toBe(24 + i);
    });
    expect([127, 128, 511].map(bucket)).toEqual([31, 31, 31]);
    expect([-128, -511].map(bucket)).toEqual([15, 15]);
  });
});

describe('UMT5 encoder graph vs a float64 reference', () => {
  const normal = makeWeights(1);
  const hot = makeWeights(60);

  for (const impl of ['contrib', 'plain'] as const) {
    it(`fp32 graph matches the reference, padding masked and zeroed in text_embeds (${impl} ops)`, async () => {
      const ref = referenceForward(normal, IDS, MASK);
      const { last, embeds } = await runGraph(memoryWeights(normal), 'float32', impl);
      expect(scaledError(last, ref.last)).toBeLessThan(1e-5);
      expect(scaledError(embeds, ref.embeds)).toBeLessThan(1e-5);
      // rows past each prompt's length are exactly zero; the row before is not
      expect(embeds.subarray(6 * 8, 11 * 8).every((x) => x === 0)).toBe(true);
      expect(embeds.subarray(5 * 8, 6 * 8).some((x) => x !== 0)).toBe(true);
      expect(embeds.subarray((11 + 10) * 8, 22 * 8).every((x) => x === 0)).toBe(true);
    });
  }

  it('ignores what padding positions hold (the mask removes them as keys)', async () => {
    const repadded = IDS.map((row, b) => row.map((id, i) => (MASK[b][i] ? id : 13)));
    const a = await runGraph(memoryWeights(normal), 'float32', 'contrib');
    const b = await runGraph(memoryWeights(normal), 'float32', 'contrib', repadded);
    expect(scaledError(b.embeds, a.embeds)).toBeLessThan(1e-6);
    expect(scaledError(b.last, a.last)).toBeGreaterThan(1e-3); // pad rows themselves do change
  });

  for (const impl of ['contrib', 'plain'] as const) {
    it(`fp16 graph stays finite and close where the residual stream passes fp16's range (${impl} ops)`, async () => {
      const ref = referenceForward(hot, IDS, MASK);
      console.log(`umt5 overflow model: max |residual| ${ref.maxResidual.toExponential(3)} (fp16 max 65504)`);
      expect(ref.maxResidual).toBeGreaterThan(4 * 65504); // the case is real: a plain fp16 stream would be inf
      const fp32 = await runGraph(memoryWeights(hot), 'float32', impl);
      expect(scaledError(fp32.last, ref.last)).toBeLessThan(1e-5);
      const fp16 = await runGraph(memoryWeights(hot), 'float16', impl);
      const err = scaledError(fp16.last, ref.last);
      console.log(`umt5 overflow model fp16/${impl}: max error / output scale ${err.toExponential(3)}`);
      // fp16 weights and matmul inputs carry 11 significant bits (4.9e-4 relative); a few roundings
      // compound through 2 layers and RMS norms. Overflow would give inf/NaN (error Infinity).
      expect(err).toBeLessThan(1e-2);
      expect(scaledError(fp16.embeds, ref.embeds)).toBeLessThan(1e-2);
    });
  }
});

describe('weight names and shapes', () => {
  it('accepts encoder.embed_tokens.weight in place of shared.weight', async () => {
    const w = makeWeights(1);
    const renamed: Tensors = { ...w, 'encoder.embed_tokens.weight': w['shared.weight'] };
    delete renamed['shared.weight'];
    const a = await runGraph(memoryWeights(w), 'float32', 'contrib');
    const b = await runGraph(memoryWeights(renamed), 'float32', 'contrib');
    expect(Array.from(b.last)).toEqual(Array.from(a.last));
  });

  it('names the missing embedding and the mis-shaped tensor', () => {
    const w = makeWeights(1);
    const noEmbed: Tensors = { ...w };
    delete noEmbed['shared.weight'];
    expect(() => buildUmt5Encoder(newBuilder('float32').g, memoryWeights(noEmbed), CONFIG)).toThrow(
      expect.objectContaining({ code: 'WEIGHTS_MISSING_TENSOR', message: expect.stringContaining('shared.weight') }),
    );
    const badShape: Tensors = { ...w, 'encoder.block.1.layer.1.DenseReluDense.wo.weight': { shape: [16, 8], data: new Float32Array(128) } };
    expect(() => buildUmt5Encoder(newBuilder('float32').g, memoryWeights(badShape), CONFIG)).toThrow(
      expect.objectContaining({ code: 'WEIGHTS_SHAPE_MISMATCH', message: expect.stringContaining('block.1.layer.1.DenseReluDense.wo') }),
    );
  });

  it('rejects configs whose FFN the graph does not implement', () => {
    const base = { vocab_size: 20, d_model: 8, d_kv: 4, d_ff: 16, num_layers: 2, num_heads: 2 };
    expect(() => parseUmt5Config({ ...base, feed_forward_proj: 'relu' })).toThrow(expect.objectContaining({ code: 'WEIGHTS_UNSUPPORTED' }));
    expect(() => parseUmt5Config({ ...base, d_model: 0 })).toThrow(/d_model=0/);
    expect(parseUmt5Config(base).relativeAttentionMaxDistance).toBe(128);
  });
});
