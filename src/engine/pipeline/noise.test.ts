import { describe, expect, it } from 'vitest';
import { InjectedNoise, SeededNoise } from './noise';

describe('seeded noise', () => {
  it('is reproducible per seed and differs between seeds', () => {
    const a = new SeededNoise(42).draw({ kind: 'initial' }, 1000);
    const b = new SeededNoise(42).draw({ kind: 'initial' }, 1000);
    const c = new SeededNoise(43).draw({ kind: 'initial' }, 1000);
    expect(Array.from(a)).toEqual(Array.from(b));
    expect(a.some((v, i) => v !== c[i])).toBe(true);
  });

  it('is standard normal (mean 0, variance 1, symmetric tails)', () => {
    const x = new SeededNoise(7).draw({ kind: 'initial' }, 200_000);
    let sum = 0, sq = 0, beyond2 = 0;
    for (const v of x) {
      sum += v;
      sq += v * v;
      if (Math.abs(v) > 2) beyond2++;
    }
    const mean = sum / x.length;
    const variance = sq / x.length - mean * mean;
    expect(Math.abs(mean)).toBeLessThan(0.01);
    expect(Math.abs(variance - 1)).toBeLessThan(0.01);
    expect(beyond2 / x.length).toBeCloseTo(0.0455, 2); // P(|z| > 2)
  });

  it('draws exactly the values of the one-at-a-time generator, across odd counts that leave a spare', () => {
    for (const seed of [0, 1, 42, 0xffffffff]) {
      const fast = new SeededNoise(seed);
      const slow = new SeededNoise(seed) as unknown as { normal(): number };
      for (const count of [1, 2, 7, 1000, 0, 3, 100_001]) {
        const got = fast.draw({ kind: 'initial' }, count);
        const want = Float32Array.from({ length: count }, () => slow.normal());
        expect(Buffer.from(got.buffer).equals(Buffer.from(want.buffer))).toBe(true);
      }
    }
  });

  it('injected noise checks sizes', () => {
    const n = new InjectedNoise(() => new Float32Array(3));
    expect(n.draw({ kind: 'initial' }, 3)).toHaveLength(3);
    expect(() => n.draw({ kind: 'initial' }, 4)).toThrow(/expected 4/);
  });
});
