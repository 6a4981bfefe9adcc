import { describe, expect, it } from 'vitest';
import { convertToFloatTensor, float32BitsToHalfArray } from './dtypes';
import { float32ToHalfBits } from './halfFloat';

describe('bulk fp32 → fp16', () => {
  it('rounds exactly like float32ToHalfBits over edge cases and a million random bit patterns', () => {
    const edges = [0, -0, 1, -2, 65504, 65519.99, 65520, 1e9, -1e9, 2 ** -24, 2 ** -25, 3 * 2 ** -26, 2 ** -14, 2 ** -14 - 2 ** -25, 1 + 2 ** -11, 1 + 3 * 2 ** -11, Infinity, -Infinity, NaN, 6.1e-5, 5.96e-8];
    const f = new Float32Array(1_000_000 + edges.length);
    const bits = new Uint32Array(f.buffer);
    let s = 12345;
    for (let i = 0; i < 1_000_000; i++) {
      s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
      bits[i] = s;
    }
    f.set(edges, 1_000_000);
    const bulk = float32BitsToHalfArray(bits);
    for (let i = 0; i < f.length; i++) {
      const ref = float32ToHalfBits(f[i]);
      if (bulk[i] !== ref) expect({ i, value: f[i], got: bulk[i] }).toEqual({ i, value: f[i], got: ref });
    }
  });

  it('is what convertToFloatTensor uses for F32 read as float16', () => {
    const f = new Float32Array([1, 0.1, -65520, 2 ** -20]);
    const t = convertToFloatTensor(new Uint8Array(f.buffer), 'F32', [2, 2], 'float16', () => 'x');
    expect(Array.from(t.data)).toEqual(Array.from(f, (v) => float32ToHalfBits(v)));
  });
});
