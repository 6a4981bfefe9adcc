/**
 * The single-frame AvgDown3D / DupUp3D shortcuts against a literal JS transcription of upstream's
 * tensor code (pad, view, permute, mean / repeat_interleave), for channel ratios beyond the tiny
 * test model's (the parity fixtures cover only its 8→8, 8→16, 16→16 shapes).
 */
import { afterAll, describe, expect, it } from 'vitest';
import { cleanupTempDirs, newBuilder, saveAndRun, seeded } from '../../../test/helpers/onnxHarness';
import type { WeightSource } from '../weights/types';
import { avgDownShortcut, dupUpShortcut, type VaeBuildContext } from './wanVaeBlocks';

afterAll(cleanupTempDirs);

/** torch `x.permute(perm).contiguous()` on a row-major array. */
function permute(data: Float32Array, shape: number[], perm: number[]): { data: Float32Array; shape: number[] } {
  const outShape = perm.map((p) => shape[p]);
  const strides = shape.map((_, i) => shape.slice(i + 1).reduce((a, b) => a * b, 1));
  const out = new Float32Array(data.length);
  const idx = new Array(outShape.length).fill(0);
  for (let o = 0; o < out.length; o++) {
    let src = 0;
    for (let d = 0; d < idx.length; d++) src += idx[d] * strides[perm[d]];
    out[o] = data[src];
    for (let d = idx.length - 1; d >= 0; d--) {
      if (++idx[d] < outShape[d]) break;
      idx[d] = 0;
    }
  }
  return { data: out, shape: outShape };
}

/** upstream AvgDown3D.forward for x (B, C, T=1, H, W) → (B, out, 1, H/fs, W/fs), both branches verbatim. */
function avgDownRef(x: Float32Array, [b, c, h, w]: number[], out: number, ft: number, fs: number): Float32Array {
  const factor = ft * fs * fs;
  const group = (c * factor) / out;
  const t = 1;
  let data = x;
  let tt = t;
  let mean: number;
  let divisor: number;
  if (!((t === 1 && group >= factor) || ft === 1)) {
    const padT = ft - (t % ft);
    tt = t + padT; // zero frames in front
    const padded = new Float32Array(b * c * tt * h * w);
    for (let bc = 0; bc < b * c; bc++) padded.set(x.subarray(bc * h * w, (bc + 1) * h * w), (bc * tt + padT) * h * w);
    data = permute(padded, [b, c, tt / ft, ft, h / fs, fs, w / fs, fs], [0, 1, 3, 5, 7, 2, 4, 6]).data;
    mean = group;
    divisor = 1;
  } else {
    const padT = (ft - (t % ft)) % ft;
    data = permute(x, [b, c, t, 1, h / fs, fs, w / fs, fs], [0, 1, 3, 5, 7, 2, 4, 6]).data;
    mean = group / ft;
    divisor = padT + 1;
  }
  // view (B, out, mean, T', H', W') and average dim 2 (T' = 1 here)
  const plane = (h / fs) * (w / fs);
  const res = new Float32Array(b * out * plane);
  for (let bi = 0; bi < b; bi++)
    for (let o = 0; o < out; o++)
      for (let p = 0; p < plane; p++) {
        let s = 0;
        for (let k = 0; k < mean; k++) s += data[((bi * out + o) * mean + k) * plane + p];
        res[(bi * out + o) * plane + p] = s / mean / divisor;
      }
  return res;
}

/** upstream DupUp3D.forward(x, first_chunk=True) for x (B, C, T=1, H, W). */
function dupUpRef(x: Float32Array, [b, c, h, w]: number[], out: number, ft: number, fs: number): Float32Array {
  const r = (out * ft * fs * fs) / c / ft;
  const rep = new Float32Array(x.length * r);
  for (let bi = 0; bi < b; bi++)
    for (let k = 0; k < c * r; k++) rep.set(x.subarray((bi * c + Math.floor(k / r)) * h * w, (bi * c + Math.floor(k / r) + 1) * h * w), (bi * c * r + k) * h * w);
  return permute(rep, [b, out, 1, fs, fs, 1, h, w], [0, 1, 5, 2, 6, 3, 7, 4]).data;
}

async function runShortcut(kind: 'down' | 'up', inDim: number, outDim: number, ft: number, fs: number, shape: number[], x: Float32Array) {
  const { g, dir } = newBuilder('float32');
  const ctx: VaeBuildContext = { g, weights: {} as WeightSource, attention: 'plain' };
  const input = g.input('x', 'float32', ['b', inDim, 'h', 'w']);
  const y = kind === 'down' ? avgDownShortcut(ctx, 'avg', input, inDim, outDim, ft, fs) : dupUpShortcut(ctx, input, inDim, outDim, ft, fs);
  g.output(y, 'y', 'float32');
  const out = await saveAndRun(g, dir, { x: { dtype: 'float32', shape, data: x } });
  return out.y;
}

describe('AvgDown3D shortcut at one frame', () => {
  // [in, out, factor_t, factor_s]: both upstream branches, zero-padded groups, in > out, identity
  const cases: Array<[number, number, number, number]> = [
    [4, 4, 1, 2], [4, 8, 2, 2], [4, 16, 2, 2], [4, 32, 2, 2], [8, 8, 2, 2], [8, 4, 2, 2], [8, 4, 1, 2], [8, 2, 1, 1], [6, 6, 1, 1],
  ];
  for (const [inDim, outDim, ft, fs] of cases) {
    it(`matches upstream for ${inDim}→${outDim}, factor_t ${ft}, factor_s ${fs}`, async () => {
      const shape = [2, inDim, 4, 6];
      const x = seeded(shape.reduce((a, b) => a * b, 1), 7 + inDim * outDim + ft);
      const y = await runShortcut('down', inDim, outDim, ft, fs, shape, x);
      expect(y.shape).toEqual([2, outDim, 4 / fs, 6 / fs]);
      const want = avgDownRef(x, shape, outDim, ft, fs);
      const got = y.data as Float32Array;
      for (let i = 0; i < want.length; i++) expect(got[i]).toBeCloseTo(want[i], 6);
    });
  }
});

describe('DupUp3D shortcut at one frame (first chunk)', () => {
  const cases: Array<[number, number, number, number]> = [
    [8, 8, 2, 2], [8, 4, 1, 2], [4, 8, 2, 2], [8, 16, 1, 2], [4, 4, 2, 2],
  ];
  for (const [inDim, outDim, ft, fs] of cases) {
    it(`matches upstream for ${inDim}→${outDim}, factor_t ${ft}, factor_s ${fs}`, async () => {
      const shape = [2, inDim, 3, 5];
      const x = seeded(shape.reduce((a, b) => a * b, 1), 3 + inDim * outDim + ft);
      const y = await runShortcut('up', inDim, outDim, ft, fs, shape, x);
      expect(y.shape).toEqual([2, outDim, 3 * fs, 5 * fs]);
      expect(Array.from(y.data as Float32Array)).toEqual(Array.from(dupUpRef(x, shape, outDim, ft, fs)));
    });
  }
});
