import { describe, expect, it } from 'vitest';
import { bfloat16ArrayToFloat32, float32ArrayToHalf, float32ToHalfBits, halfArrayToFloat32, halfBitsToFloat32 } from './halfFloat';

describe('half floats', () => {
  it('converts known values exactly', () => {
    expect(float32ToHalfBits(1)).toBe(0x3c00);
    expect(float32ToHalfBits(-2)).toBe(0xc000);
    expect(float32ToHalfBits(65504)).toBe(0x7bff);
    expect(float32ToHalfBits(65520)).toBe(0x7c00); // rounds up to Inf
    expect(float32ToHalfBits(2 ** -24)).toBe(0x0001); // smallest subnormal
    expect(float32ToHalfBits(0.1)).toBe(0x2e66);
    expect(Number.isNaN(halfBitsToFloat32(float32ToHalfBits(NaN)))).toBe(true);
  });

  it('round-trips every finite half exactly', () => {
    for (let h = 0; h < 0x10000; h++) {
      const exp = (h >>> 10) & 0x1f;
      if (exp === 0x1f) continue;
      const back = float32ToHalfBits(halfBitsToFloat32(h));
      // -0 and +0 keep their sign bit
      expect(back).toBe(h);
    }
  });

  it('rounds to nearest even at the halfway point', () => {
    // 1 + 2^-11 is exactly between 1 and 1 + 2^-10: ties go to the even mantissa (1.0)
    expect(float32ToHalfBits(1 + 2 ** -11)).toBe(0x3c00);
    expect(float32ToHalfBits(1 + 3 * 2 ** -11)).toBe(0x3c02);
  });

  it('array conversions agree with the scalar ones for every half and for random fp32 bit patterns', () => {
    const halves = new Uint16Array(0x10000).map((_, i) => i);
    const wide = halfArrayToFloat32(halves);
    for (let h = 0; h < 0x10000; h++) expect(Object.is(wide[h], halfBitsToFloat32(h)) || (Number.isNaN(wide[h]) && Number.isNaN(halfBitsToFloat32(h)))).toBe(true);
    // random bit patterns cover subnormals, overflow, Inf and NaN; plus a view at an offset
    const bits = new Uint32Array(200_001);
    let s = 7;
    for (let i = 0; i < bits.length; i++) bits[i] = s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    const values = new Float32Array(bits.buffer, 4);
    const narrow = float32ArrayToHalf(values);
    for (let i = 0; i < values.length; i++) expect(narrow[i]).toBe(float32ToHalfBits(values[i]));
  });

  it('widens bfloat16 exactly', () => {
    const out = bfloat16ArrayToFloat32(new Uint16Array([0x3f80, 0xc040, 0x0000]));
    expect(Array.from(out)).toEqual([1, -3, 0]);
  });
});
