import { describe, expect, it } from 'vitest';
import { StudioError } from '../../shared/errors';
import { gaussianStride, prepareExport, quaternionToMatrixWXYZ } from './export';
import { evalShBasisBands12 } from './shRotation';
import { randomEngineGaussians } from '../../../test/helpers/randomSplats';

const STRIDE = 38;

/** Straightforward per-Gaussian reading of upstream utils.py export_gaussians (threshold, T_norm, logit, log). */
function upstreamReference(g: Float32Array, tNorm: number, threshold: number) {
  const kept: number[] = [];
  for (let i = 0; i < g.length / STRIDE; i++) if (threshold <= 0 || g[i * STRIDE + 3] >= threshold) kept.push(i);
  return kept.map((i) => {
    const r = g.subarray(i * STRIDE, (i + 1) * STRIDE);
    const o = r[3];
    return {
      xyz: [r[0] * tNorm, r[1] * tNorm, r[2] * tNorm],
      opacityLogit: Math.log(o / (1 - o)),
      scaleLog: [0, 1, 2].map((k) => Math.log(r[4 + k] * tNorm + 1e-8)),
      rot: Array.from(r.subarray(7, 11)),
      sh: Array.from(r.subarray(11, 38)), // coefficient-major (9, 3)
    };
  });
}

function matMul3(a: ArrayLike<number>, b: ArrayLike<number>): number[] {
  const out = new Array<number>(9).fill(0);
  for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) for (let k = 0; k < 3; k++) out[i * 3 + j] += a[i * 3 + k] * b[k * 3 + j];
  return out;
}

describe('prepareExport', () => {
  it('prunes opacity below 0.00025 and applies T_norm, logit opacity and log(scale + 1e-8) like upstream', () => {
    const g = randomEngineGaussians(2000, 11);
    const tNorm = 1.37;
    const ref = upstreamReference(g, tNorm, 0.00025);
    const set = prepareExport(g, { tNorm, frame: 'camera0' });
    expect(set.count).toBe(ref.length);
    expect(set.count).toBeLessThan(2000); // the helper puts about a tenth below the threshold
    expect(set.count).toBeGreaterThan(1600);
    expect(set.shDegree).toBe(2);
    for (let j = 0; j < set.count; j++) {
      const r = ref[j];
      for (let k = 0; k < 3; k++) {
        expect(set.positions[j * 3 + k]).toBeCloseTo(r.xyz[k], 5);
        expect(set.scalesLog[j * 3 + k]).toBeCloseTo(r.scaleLog[k], 5);
      }
      expect(set.opacityLogit[j]).toBeCloseTo(r.opacityLogit, 4);
      for (let k = 0; k < 4; k++) expect(set.rotationsWXYZ[j * 4 + k]).toBe(r.rot[k]);
      // DC = coefficient 0; rest channel-major: shRest[c*8 + (k-1)] = sh[k*3 + c].
      for (let c = 0; c < 3; c++) {
        expect(set.shDC[j * 3 + c]).toBe(r.sh[c]);
        for (let k = 1; k < 9; k++) expect(set.shRest[j * 24 + c * 8 + (k - 1)]).toBe(r.sh[k * 3 + c]);
      }
    }
  });

  it('keeps every Gaussian when the threshold is 0, and honours a custom threshold', () => {
    const g = randomEngineGaussians(500, 12);
    expect(prepareExport(g, { tNorm: 1, frame: 'camera0', opacityThreshold: 0 }).count).toBe(500);
    const strict = prepareExport(g, { tNorm: 1, frame: 'camera0', opacityThreshold: 0.5 });
    let expected = 0;
    for (let i = 0; i < 500; i++) if (g[i * STRIDE + 3] >= 0.5) expected++;
    expect(strict.count).toBe(expected);
  });

  it('stores a finite logit where a bf16 sigmoid gave opacity exactly 1', () => {
    const g = randomEngineGaussians(3, 13);
    g[3] = 1;
    const set = prepareExport(g, { tNorm: 1, frame: 'camera0', opacityThreshold: 0 });
    expect(Number.isFinite(set.opacityLogit[0])).toBe(true);
    expect(Math.fround(1 / (1 + Math.exp(-set.opacityLogit[0])))).toBe(1);
  });

  it("world frame applies camera 0's pose and undoes normalize_cameras' scale (T_norm + 0.01)", () => {
    const g = randomEngineGaussians(300, 14);
    const tNorm = 2.5;
    const pose = { quaternion: [0.8, 0.2, -0.5, 0.3], position: [3, -1, 7] };
    const cam = prepareExport(g, { tNorm, frame: 'camera0', opacityThreshold: 0 });
    const world = prepareExport(g, { tNorm, frame: 'world', refC2w: pose, opacityThreshold: 0 });
    const r0 = quaternionToMatrixWXYZ(pose.quaternion);
    const s = (tNorm + 0.01) / tNorm;
    for (let j = 0; j < 300; j++) {
      const p = [0, 1, 2].map((k) => cam.positions[j * 3 + k] * s);
      for (let row = 0; row < 3; row++) {
        const expected = r0[row * 3] * p[0] + r0[row * 3 + 1] * p[1] + r0[row * 3 + 2] * p[2] + pose.position[row];
        expect(world.positions[j * 3 + row]).toBeCloseTo(expected, 4);
        expect(world.scalesLog[j * 3 + row]).toBeCloseTo(Math.log(g[j * STRIDE + 4 + row] * (tNorm + 0.01) + 1e-8), 5);
      }
      // Orientation: R(world q) = R0 · R(camera q).
      const expectedR = matMul3(r0, quaternionToMatrixWXYZ(cam.rotationsWXYZ.subarray(j * 4, j * 4 + 4)));
      const actualR = quaternionToMatrixWXYZ(world.rotationsWXYZ.subarray(j * 4, j * 4 + 4));
      for (let k = 0; k < 9; k++) expect(actualR[k]).toBeCloseTo(expectedR[k], 5);
      expect(world.opacityLogit[j]).toBe(cam.opacityLogit[j]);
      for (let c = 0; c < 3; c++) expect(world.shDC[j * 3 + c]).toBe(cam.shDC[j * 3 + c]);
    }
  });

  it('world frame rotates view-dependent colour with the splats', () => {
    const g = randomEngineGaussians(50, 15);
    const pose = { quaternion: [0.3, -0.6, 0.2, 0.7], position: [0, 0, 0] };
    const cam = prepareExport(g, { tNorm: 1, frame: 'camera0', opacityThreshold: 0 });
    const world = prepareExport(g, { tNorm: 1, frame: 'world', refC2w: pose, opacityThreshold: 0 });
    const r0 = quaternionToMatrixWXYZ(pose.quaternion);
    const colour = (rest: Float32Array, j: number, c: number, d: number[]): number => {
      const basis = evalShBasisBands12(d[0], d[1], d[2]);
      let v = 0;
      for (let k = 0; k < 8; k++) v += basis[k] * rest[j * 24 + c * 8 + k];
      return v;
    };
    const dirs = [[0, 0, 1], [0.6, 0, 0.8], [-0.48, 0.6, -0.64], [0.36, -0.48, 0.8]];
    let maxDiff = 0;
    for (let j = 0; j < 50; j++) {
      for (const d of dirs) {
        const rd = [0, 1, 2].map((row) => r0[row * 3] * d[0] + r0[row * 3 + 1] * d[1] + r0[row * 3 + 2] * d[2]);
        for (let c = 0; c < 3; c++) maxDiff = Math.max(maxDiff, Math.abs(colour(world.shRest, j, c, rd) - colour(cam.shRest, j, c, d)));
      }
    }
    expect(maxDiff).toBeLessThan(1e-5);
    // And the rotation really changed the coefficients (the test can fail).
    let changed = 0;
    for (let i = 0; i < cam.shRest.length; i++) changed = Math.max(changed, Math.abs(cam.shRest[i] - world.shRest[i]));
    expect(changed).toBeGreaterThan(0.05);
  });

  it('rejects malformed input with INVALID_REQUEST', () => {
    const g = randomEngineGaussians(4, 16);
    const code = (f: () => unknown): string | undefined => {
      try { f(); } catch (e) { return e instanceof StudioError ? e.code : 'not a StudioError'; }
      return undefined;
    };
    expect(code(() => prepareExport(g.subarray(0, 37), { tNorm: 1, frame: 'camera0' }))).toBe('INVALID_REQUEST');
    expect(code(() => prepareExport(g, { tNorm: 0, frame: 'camera0' }))).toBe('INVALID_REQUEST');
    expect(code(() => prepareExport(g, { tNorm: Number.NaN, frame: 'camera0' }))).toBe('INVALID_REQUEST');
    expect(code(() => prepareExport(g, { tNorm: 1, frame: 'world' }))).toBe('INVALID_REQUEST');
    expect(code(() => prepareExport(g, { tNorm: 1, frame: 'world', refC2w: { quaternion: [0, 0, 0, 0], position: [0, 0, 0] } }))).toBe('INVALID_REQUEST');
    expect(gaussianStride(2)).toBe(38);
  });

  it('exports 4 M Gaussians (timing printed, not asserted)', () => {
    const n = 4_000_000;
    const g = randomEngineGaussians(n, 17);
    for (const frame of ['camera0', 'world', 'camera0', 'world'] as const) {
      const t0 = performance.now();
      const set = prepareExport(g, { tNorm: 1.5, frame, refC2w: { quaternion: [0.9, 0.1, 0.3, -0.2], position: [1, 2, 3] } });
      const ms = performance.now() - t0;
      console.log(`prepareExport ${frame}: ${n} Gaussians → ${set.count} splats in ${ms.toFixed(0)} ms`);
      expect(set.count).toBeGreaterThan(0.85 * n);
    }
  });
});
