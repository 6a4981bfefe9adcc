import { describe, expect, it } from 'vitest';
import { matrixToQuaternion, normalizeQuaternionF32, quaternionMultiply, quaternionSlerp, quaternionToMatrix } from './quaternion';

/** Deterministic pseudo-random numbers (mulberry32) so failures reproduce. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function randomUnitQuaternion(next: () => number): number[] {
  const q = [next() - 0.5, next() - 0.5, next() - 0.5, next() - 0.5];
  const n = Math.hypot(...q);
  return q.map((v) => v / n);
}

function angleBetween(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const d = Math.abs(a[0] * b[0] + a[1] * b[1] + a[2] * b[2] + a[3] * b[3]);
  return 2 * Math.acos(Math.min(1, d));
}

describe('quaternion ⇄ matrix', () => {
  it('gives orthonormal matrices with determinant 1, also for non-unit quaternions', () => {
    const next = rng(1);
    for (let k = 0; k < 200; k++) {
      const q = randomUnitQuaternion(next).map((v) => v * (0.5 + next() * 3));
      const m = quaternionToMatrix(q);
      for (let r = 0; r < 3; r++) {
        for (let c = 0; c < 3; c++) {
          const dot = m[r * 3] * m[c * 3] + m[r * 3 + 1] * m[c * 3 + 1] + m[r * 3 + 2] * m[c * 3 + 2];
          expect(dot).toBeCloseTo(r === c ? 1 : 0, 12);
        }
      }
      const det =
        m[0] * (m[4] * m[8] - m[5] * m[7]) - m[1] * (m[3] * m[8] - m[5] * m[6]) + m[2] * (m[3] * m[7] - m[4] * m[6]);
      expect(det).toBeCloseTo(1, 12);
    }
  });

  it('rotates by 90° about +Y as OpenGL expects (-Z forward turns to -X)', () => {
    const s = Math.SQRT1_2;
    const m = quaternionToMatrix([s, 0, s, 0]);
    // forward (0, 0, -1) → m · forward = -(third column)
    expect(-m[2]).toBeCloseTo(-1, 12);
    expect(-m[5]).toBeCloseTo(0, 12);
    expect(-m[8]).toBeCloseTo(0, 12);
  });

  it('round-trips matrix → quaternion → matrix with a non-negative real part', () => {
    const next = rng(2);
    for (let k = 0; k < 500; k++) {
      const q = randomUnitQuaternion(next);
      const back = matrixToQuaternion(quaternionToMatrix(q));
      expect(back[0]).toBeGreaterThanOrEqual(0);
      expect(Math.hypot(...back)).toBeCloseTo(1, 12);
      const sign = q[0] < 0 ? -1 : 1;
      for (let c = 0; c < 4; c++) expect(back[c]).toBeCloseTo(sign * q[c], 12);
    }
  });

  it('handles 180° rotations (real part 0) through the other candidates', () => {
    for (const axis of [[1, 0, 0], [0, 1, 0], [0, 0, 1], [Math.SQRT1_2, Math.SQRT1_2, 0]]) {
      const q = [0, ...axis];
      const back = matrixToQuaternion(quaternionToMatrix(q));
      expect(angleBetween(back, q)).toBeLessThan(1e-7);
    }
  });
});

describe('quaternion slerp', () => {
  it('returns the end points at fractions 0 and 1', () => {
    const next = rng(3);
    for (let k = 0; k < 100; k++) {
      const a = randomUnitQuaternion(next);
      let b = randomUnitQuaternion(next);
      if (a[0] * b[0] + a[1] * b[1] + a[2] * b[2] + a[3] * b[3] < 0) b = b.map((v) => -v);
      const at0 = quaternionSlerp(a, b, 0), at1 = quaternionSlerp(a, b, 1);
      for (let c = 0; c < 4; c++) {
        expect(at0[c]).toBeCloseTo(a[c], 5);
        expect(at1[c]).toBeCloseTo(b[c], 5);
      }
    }
  });

  it('moves at constant angular speed along the great arc', () => {
    const a = [1, 0, 0, 0];
    const b = [Math.cos(0.6), 0, Math.sin(0.6), 0]; // 1.2 rad about Y
    for (const f of [0.25, 0.5, 0.8]) {
      const q = normalizeQuaternionF32(quaternionSlerp(a, b, f));
      expect(angleBetween(q, a)).toBeCloseTo(1.2 * f, 5);
      expect(angleBetween(q, b)).toBeCloseTo(1.2 * (1 - f), 5);
    }
  });

  it('keeps q0 when the rotations are (float32-)identical, as upstream', () => {
    const a = [1, 0, 0, 0];
    const b = [Math.cos(1e-5), Math.sin(1e-5), 0, 0]; // dot rounds to 1 in float32
    expect(Array.from(quaternionSlerp(a, b, 0.7))).toEqual(a);
  });
});

describe('quaternion product', () => {
  it('composes rotations like matrix products', () => {
    const next = rng(4);
    const a = randomUnitQuaternion(next), b = randomUnitQuaternion(next);
    const ma = quaternionToMatrix(a), mb = quaternionToMatrix(b), mab = quaternionToMatrix(quaternionMultiply(a, b));
    for (let r = 0; r < 3; r++) {
      for (let c = 0; c < 3; c++) {
        const v = ma[r * 3] * mb[c] + ma[r * 3 + 1] * mb[3 + c] + ma[r * 3 + 2] * mb[6 + c];
        expect(mab[r * 3 + c]).toBeCloseTo(v, 12);
      }
    }
  });
});
