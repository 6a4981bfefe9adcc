import { afterAll, describe, expect, it } from 'vitest';
import { cleanupTempDirs, newBuilder, saveAndRun, seeded, toF32 } from '../../../test/helpers/onnxHarness';
import { StudioError } from '../../shared/errors';
import { applyRotary, prepareRotaryTables, wanRopeTables, type LatentGrid } from './wanRotary';

afterAll(cleanupTempDirs);

/**
 * An independent re-derivation that follows upstream's steps literally: one table per axis
 * (t_dim, h_dim, w_dim) over positions 0..n−1 with each frequency repeated for its pair, the three
 * concatenated along columns, the result cut into [D − 2⌊D/3⌋, ⌊D/3⌋, ⌊D/3⌋] column groups, each group
 * indexed by the frame, row or column position and the three concatenated per token. Angles come
 * from the angle-addition recurrence (not from cos(p·f)), frequencies from exp(−ln θ · 2j / dim).
 */
function upstreamStyleTables(headDim: number, patch: number[], grid: LatentGrid): { cos: Float64Array; sin: Float64Array } {
  const [ppf, pph, ppw] = [grid.frames / patch[0], grid.height / patch[1], grid.width / patch[2]];
  const positions = Math.max(ppf, pph, ppw);
  const hw = 2 * Math.floor(headDim / 6);
  const dims = [headDim - 2 * hw, hw, hw];
  // cat of the three per-axis tables: rows = positions, columns = headDim
  const catCos: number[][] = Array.from({ length: positions }, () => []);
  const catSin: number[][] = Array.from({ length: positions }, () => []);
  for (const dim of dims) {
    for (let j = 0; j < dim / 2; j++) {
      const f = Math.exp((-Math.log(10000) * (2 * j)) / dim);
      let c = 1;
      let s = 0;
      for (let p = 0; p < positions; p++) {
        catCos[p].push(c, c);
        catSin[p].push(s, s);
        [c, s] = [c * Math.cos(f) - s * Math.sin(f), s * Math.cos(f) + c * Math.sin(f)];
      }
    }
  }
  const third = Math.floor(headDim / 3);
  const cuts = [0, headDim - 2 * third, headDim - third, headDim];
  const tokens = ppf * pph * ppw;
  const cos = new Float64Array(tokens * headDim);
  const sin = new Float64Array(tokens * headDim);
  let o = 0;
  for (let f = 0; f < ppf; f++)
    for (let y = 0; y < pph; y++)
      for (let x = 0; x < ppw; x++) {
        const pos = [f, y, x];
        for (let part = 0; part < 3; part++)
          for (let col = cuts[part]; col < cuts[part + 1]; col++, o++) {
            cos[o] = catCos[pos[part]][col];
            sin[o] = catSin[pos[part]][col];
          }
      }
  return { cos, sin };
}

function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

describe('wanRopeTables', () => {
  const cases: Array<{ headDim: number; grid: LatentGrid; why: string }> = [
    { headDim: 12, grid: { frames: 3, height: 8, width: 12 }, why: 'the test model (t/h/w = 4/4/4)' },
    { headDim: 128, grid: { frames: 4, height: 6, width: 10 }, why: 'the real model (t/h/w = 44/42/42)' },
    { headDim: 10, grid: { frames: 2, height: 4, width: 4 }, why: 'a head size whose forward split (4/3/3) differs from the table widths (6/2/2)' },
  ];
  for (const { headDim, grid, why } of cases) {
    it(`matches an independent upstream-style derivation for ${why}`, () => {
      const config = { headDim, patchSize: [1, 2, 2] as [number, number, number], ropeMaxSeqLen: 1024 };
      const t = wanRopeTables(config, grid);
      expect(t.tokens).toBe(grid.frames * (grid.height / 2) * (grid.width / 2));
      expect(t.cos.length).toBe(t.tokens * headDim);
      const ref = upstreamStyleTables(headDim, [1, 2, 2], grid);
      // float32 rounding of values in [-1, 1] is ≤ 6e-8; the recurrence adds < 1e-12
      expect(maxDiff(t.cos, ref.cos)).toBeLessThan(1e-7);
      expect(maxDiff(t.sin, ref.sin)).toBeLessThan(1e-7);
    });
  }

  it('puts frame, row and column angles where upstream does (hand-checked entries, head 128)', () => {
    const D = 128;
    const t = wanRopeTables({ headDim: D, patchSize: [1, 2, 2], ropeMaxSeqLen: 1024 }, { frames: 3, height: 4, width: 6 });
    const token = (f: number, y: number, x: number) => (f * 2 + y) * 3 + x; // post-patch grid 3×2×3
    const at = (tok: number, col: number) => tok * D + col;
    // token (2, 1, 2): frame columns 0..43 turn at 2·f_t, row columns 44..85 at 1·f_h, column columns 86..127 at 2·f_w
    const k = token(2, 1, 2);
    expect(t.cos[at(k, 0)]).toBeCloseTo(Math.cos(2), 7);
    expect(t.sin[at(k, 1)]).toBeCloseTo(Math.sin(2), 7);
    expect(t.cos[at(k, 2)]).toBeCloseTo(Math.cos(2 * 10000 ** (-2 / 44)), 7);
    expect(t.sin[at(k, 44)]).toBeCloseTo(Math.sin(1), 7);
    expect(t.cos[at(k, 46)]).toBeCloseTo(Math.cos(10000 ** (-2 / 42)), 7);
    expect(t.sin[at(k, 86)]).toBeCloseTo(Math.sin(2), 7);
    expect(t.sin[at(k, 127)]).toBeCloseTo(Math.sin(2 * 10000 ** (-40 / 42)), 7);
    // the first token sits at position 0 on every axis: no rotation
    for (let c = 0; c < D; c++) {
      expect(t.cos[at(0, c)]).toBe(1);
      expect(t.sin[at(0, c)]).toBe(0);
    }
  });

  it('rejects grids that do not divide into patches or outgrow the table', () => {
    const config = { headDim: 12, patchSize: [1, 2, 2] as [number, number, number], ropeMaxSeqLen: 8 };
    expect(() => wanRopeTables(config, { frames: 2, height: 7, width: 8 })).toThrow(StudioError);
    expect(() => wanRopeTables(config, { frames: 2, height: 8, width: 18 })).toThrow(/9 positions along one axis/);
  });
});

describe('applyRotary', () => {
  const B = 2;
  const N = 3;
  const D = 12;
  const grid = { frames: 2, height: 4, width: 6 };
  const rope = wanRopeTables({ headDim: D, patchSize: [1, 2, 2], ropeMaxSeqLen: 1024 }, grid);
  const S = rope.tokens;
  const x = seeded(B * S * N * D, 91, -2, 2);

  /** upstream apply_rotary_emb: pairs (x[2i], x[2i+1]) with cos[..., 0::2] and sin[..., 1::2]. */
  function reference(): Float32Array {
    const out = new Float32Array(x.length);
    for (let b = 0; b < B; b++)
      for (let s = 0; s < S; s++)
        for (let n = 0; n < N; n++)
          for (let i = 0; i < D / 2; i++) {
            const at = ((b * S + s) * N + n) * D + 2 * i;
            const c = rope.cos[s * D + 2 * i];
            const sn = rope.sin[s * D + 2 * i + 1];
            out[at] = x[at] * c - x[at + 1] * sn;
            out[at + 1] = x[at] * sn + x[at + 1] * c;
          }
    return out;
  }

  for (const impl of ['contrib', 'plain'] as const) {
    it(`rotates interleaved pairs of every head like upstream (${impl})`, async () => {
      const { g, dir } = newBuilder('float32');
      const xi = g.input('x', 'float32', ['b', 's', N * D]);
      const tables = prepareRotaryTables(g, g.input('cos', 'float32', ['s', D]), g.input('sin', 'float32', ['s', D]), D, 'float32', impl);
      g.output(applyRotary(g, xi, tables, N, D), 'y', 'float32');
      const out = await saveAndRun(g, dir, {
        x: { dtype: 'float32', shape: [B, S, N * D], data: x },
        cos: { dtype: 'float32', shape: [S, D], data: rope.cos },
        sin: { dtype: 'float32', shape: [S, D], data: rope.sin },
      });
      expect(maxDiff(toF32(out.y), reference())).toBeLessThan(1e-6);
    });
  }
});
