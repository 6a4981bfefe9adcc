/**
 * The fast export path must not change one output byte: prepareExport, encodePly and
 * encodePlyFromGaussians against the code they replaced (test/helpers/referenceExport.ts), on
 * random Gaussians salted with the values that take unusual branches — opacities at and around
 * the threshold, 0, 1, negative, NaN; zero, negative and infinite scales; NaN with payloads and
 * signalling NaNs, infinities and −0 anywhere.
 *
 * One tolerance, for signalling NaNs only: V8 quiets one (sets bit 22) when a float32 passes
 * through a float64, and whether a copy `a[i] = b[j]` does so depends on the JIT tier the loop
 * runs in — the old code itself writes 0x7f800001 or 0x7fc00001 for the same input depending on
 * how warm it is. Such words are compared as their quiet form; every other word, quiet NaN
 * payloads and signs included, must be identical. (The engine never produces signalling NaNs:
 * arithmetic only makes quiet ones.)
 */
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { prepareExport, type ExportOptions } from './export';
import { encodePly, encodePlyFromGaussians, plyHeader, writePlyFile, writePlyFileFromGaussians, type PlyLayout } from './ply';
import type { SplatSet } from './splatSet';
import { randomEngineGaussians, seededRandom } from '../../../test/helpers/randomSplats';
import { referenceEncodePly, referencePrepareExport } from '../../../test/helpers/referenceExport';

/** float32 bit patterns that are not ordinary numbers: quiet NaN, NaN with payload and sign, signalling NaN, ±inf, −0. */
const ODD_BITS = [0x7fc00000, 0xffc00001, 0x7fa5a5a5, 0x7f800001, 0x7f800000, 0xff800000, 0x80000000];

/** Opacities on and around every edge of the threshold test and the logit. */
function edgeOpacities(threshold: number): number[] {
  const f = Math.fround(threshold);
  const below = new Float32Array(Uint32Array.of(new Uint32Array(Float32Array.of(f).buffer)[0] - 1).buffer)[0];
  const above = new Float32Array(Uint32Array.of(new Uint32Array(Float32Array.of(f).buffer)[0] + 1).buffer)[0];
  return [f, below, above, 0, 1, Math.fround(1 - 2 ** -24), -0.5, 1.5, Number.NaN, Infinity, 1e-30];
}

/** Seeded random engine Gaussians where about one value in 12 is an edge case. */
function salted(count: number, seed: number, shDegree: number, threshold: number): Float32Array {
  const g = randomEngineGaussians(count, seed, shDegree);
  const bits = new Uint32Array(g.buffer);
  const rand = seededRandom(seed + 1000);
  const stride = 11 + 3 * (shDegree + 1) ** 2;
  const opacities = edgeOpacities(threshold);
  for (let i = 0; i < count; i++) {
    const row = i * stride;
    if (rand() < 0.3) g[row + 3] = opacities[Math.floor(rand() * opacities.length)];
    if (rand() < 0.1) g[row + 4 + Math.floor(rand() * 3)] = [0, -1e-3, Infinity, 1e-9][Math.floor(rand() * 4)];
    // Odd bit patterns anywhere in the row, set through the integer view so a signalling NaN stays one.
    for (let k = 0; k < stride; k++) if (rand() < 0.02) bits[row + k] = ODD_BITS[Math.floor(rand() * ODD_BITS.length)];
  }
  return g;
}

/** The 32-bit word with a signalling NaN's quiet bit set; any other word unchanged. */
function quieted(word: number): number {
  const signalling = (word & 0x7f800000) === 0x7f800000 && (word & 0x007fffff) !== 0 && (word & 0x00400000) === 0;
  return signalling ? (word | 0x00400000) >>> 0 : word;
}

/**
 * Index of the first 32-bit word where the two differ (signalling NaNs compared quieted), or -1.
 * Both are whole numbers of words from 4-aligned starts: typed arrays, or PLY files whose
 * header is padded to a multiple of 4 (ASCII words are never NaN patterns, so only the body can match the tolerance).
 */
function firstDifference(a: Uint8Array, b: Uint8Array): number {
  if (a.byteLength !== b.byteLength) return Math.min(a.byteLength, b.byteLength) >> 2;
  const wa = new Uint32Array(a.buffer, a.byteOffset, a.byteLength >> 2);
  const wb = new Uint32Array(b.buffer, b.byteOffset, b.byteLength >> 2);
  for (let i = 0; i < wa.length; i++) if (wa[i] !== wb[i] && quieted(wa[i]) !== quieted(wb[i])) return i;
  return -1;
}

function bytesOf(a: Float32Array): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}

function expectSameBytes(actual: SplatSet, expected: SplatSet): void {
  expect(actual.count).toBe(expected.count);
  expect(actual.shDegree).toBe(expected.shDegree);
  for (const key of ['positions', 'scalesLog', 'rotationsWXYZ', 'opacityLogit', 'shDC', 'shRest'] as const) {
    expect(firstDifference(bytesOf(actual[key]), bytesOf(expected[key])), key).toBe(-1);
  }
}

const POSE = { quaternion: [0.8, 0.2, -0.5, 0.3], position: [3, -1, 7] };
const cases: [string, Omit<ExportOptions, 'shDegree'>][] = [
  ['world', { tNorm: 1.37, frame: 'world', refC2w: POSE }],
  ['camera0', { tNorm: 1.37, frame: 'camera0' }],
  ['world, identity pose (SH left alone)', { tNorm: 2, frame: 'world', refC2w: { quaternion: [2, 0, 0, 0], position: [0.5, 0, -1] } }],
  ['world, threshold 0 (NaN opacities kept)', { tNorm: 0.9, frame: 'world', refC2w: POSE, opacityThreshold: 0 }],
  ['camera0, threshold 0.5', { tNorm: 3, frame: 'camera0', opacityThreshold: 0.5 }],
];

describe('export bytes equal the reference implementation', () => {
  for (const shDegree of [2, 0, 1, 3]) {
    for (const [label, base] of cases) {
      const options: ExportOptions = { ...base, shDegree };
      const threshold = options.opacityThreshold ?? 0.00025;
      const count = shDegree === 2 ? 4000 : 700;

      it(`SH degree ${shDegree}, ${label}: prepareExport and both PLY layouts`, () => {
        const g = salted(count, 100 + shDegree, shDegree, threshold);
        const expected = referencePrepareExport(g, options);
        const actual = prepareExport(g, options);
        expectSameBytes(actual, expected);
        // The salt really reached the branches it is there for.
        if (threshold > 0) expect(expected.count).toBeLessThan(count);
        expect(Array.from(expected.opacityLogit).some(Number.isNaN)).toBe(true);
        for (const layout of ['inria', 'upstream'] as PlyLayout[]) {
          const reference = referenceEncodePly(expected, layout);
          expect(firstDifference(encodePly(actual, { layout }), reference), `encodePly ${layout}`).toBe(-1);
          expect(firstDifference(encodePlyFromGaussians(g, options, { layout }), reference), `encodePlyFromGaussians ${layout}`).toBe(-1);
        }
      });
    }
  }

  it('the tolerance is only for signalling NaNs', () => {
    const words = (...w: number[]): Uint8Array => new Uint8Array(Uint32Array.from(w).buffer);
    expect(firstDifference(words(1, 0x7f800001), words(1, 0x7fc00001))).toBe(-1);
    expect(firstDifference(words(0x7fc00000, 0xffc00001), words(0x7fc00000, 0x7fc00001))).toBe(1);
    expect(firstDifference(words(0x7f800000), words(0x7fc00000))).toBe(0);
    expect(firstDifference(words(0x80000000), words(0))).toBe(0);
  });

  it('an empty buffer and a buffer where nothing passes the threshold give an empty, valid PLY', () => {
    const none = randomEngineGaussians(5, 8);
    for (let i = 0; i < 5; i++) none[i * 38 + 3] = 0.0001;
    for (const g of [new Float32Array(0), none]) {
      const options: ExportOptions = { tNorm: 1, frame: 'world', refC2w: POSE };
      const reference = referenceEncodePly(referencePrepareExport(g, options));
      expect(reference.toString('latin1')).toContain('element vertex 0\n');
      expect(encodePlyFromGaussians(g, options).equals(reference)).toBe(true);
      expect(encodePly(prepareExport(g, options)).equals(reference)).toBe(true);
    }
  });

  it('encodePlyFromGaussians moves the body up when the kept count has a digit fewer and the header shrinks', () => {
    // 10,000 Gaussians, about 7,000 kept: at SH degree 0 the INRIA header is then 4 bytes shorter.
    const g = salted(10_000, 400, 0, 0.00025);
    const options: ExportOptions = { tNorm: 1.1, frame: 'world', refC2w: POSE, shDegree: 0 };
    const expectedSet = referencePrepareExport(g, options);
    expect(expectedSet.count).toBeLessThan(10_000);
    expect(plyHeader(expectedSet.count, 0).length).toBeLessThan(plyHeader(10_000, 0).length);
    expect(firstDifference(encodePlyFromGaussians(g, options), referenceEncodePly(expectedSet))).toBe(-1);
  });

  describe('streamed to disk', () => {
    const dir = mkdtempSync(join(tmpdir(), 'export-bytes-'));
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    // 150,000 Gaussians span three 64 Ki-row chunks, the last one partial.
    const g = salted(150_000, 300, 2, 0.00025);
    it.each([
      ['world', 'inria'], ['world', 'upstream'], ['camera0', 'inria'], ['camera0', 'upstream'],
    ] as const)('%s frame, %s layout: writePlyFileFromGaussians and writePlyFile write the reference bytes', async (frame, layout) => {
      const options: ExportOptions = frame === 'world' ? { tNorm: 1.7, frame, refC2w: POSE } : { tNorm: 1.7, frame };
      const expectedSet = referencePrepareExport(g, options);
      const reference = referenceEncodePly(expectedSet, layout);
      const direct = join(dir, `${frame}-${layout}-direct.ply`);
      const viaSet = join(dir, `${frame}-${layout}-set.ply`);
      expect(await writePlyFileFromGaussians(direct, g, options, { layout })).toBe(reference.length);
      expect(await writePlyFile(viaSet, prepareExport(g, options), { layout })).toBe(reference.length);
      expect(firstDifference(readFileSync(direct), reference)).toBe(-1);
      expect(firstDifference(readFileSync(viaSet), reference)).toBe(-1);
    });

    it('a buffer changed while it streams fails with INTERNAL and leaves no file', async () => {
      const changing = salted(70_000, 301, 2, 0.00025);
      const file = join(dir, 'changed.ply');
      const writing = writePlyFileFromGaussians(file, changing, { tNorm: 1, frame: 'camera0' });
      // The header (count) is fixed before the first await; every opacity now falls below the threshold.
      for (let i = 0; i < 70_000; i++) changing[i * 38 + 3] = 0;
      await expect(writing).rejects.toMatchObject({ code: 'INTERNAL', message: expect.stringContaining('changed while it was being written') });
      expect(readdirSync(dir).filter((f) => f.startsWith('changed'))).toEqual([]);
    });
  });
});
