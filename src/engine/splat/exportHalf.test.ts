/**
 * fp16 Gaussians (the recon decoder's output on the GPU) export without a whole f32 copy, a block
 * of rows at a time; every file must be byte for byte the file of exporting halfArrayToFloat32 of
 * them. The bits are random engine Gaussians narrowed to fp16, then salted with every odd half:
 * NaNs (quiet, signalling, negative, with payloads), ±Inf, ±0, subnormals, negatives, opacities on
 * and beside the threshold, and rows of entirely random bit patterns.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { float16Data } from '../pipeline/floatData';
import { float32ArrayToHalf, float32ToHalfBits, halfArrayToFloat32 } from '../weights/halfFloat';
import { planExport, prepareExport, type ExportOptions } from './export';
import { countKept } from './exportWriter';
import { GAUSSIAN_BLOCK_ROWS } from './gaussianBlocks';
import { encodePly, encodePlyFromGaussians, writePlyFileFromGaussians, type PlyLayout } from './ply';
import { encodeSpzSync } from './spz';
import type { SplatSet } from './splatSet';
import { randomEngineGaussians, seededRandom } from '../../../test/helpers/randomSplats';

/** Half bit patterns that are not ordinary numbers, and subnormals and negatives. */
const ODD_HALVES = [0x7e00, 0xfe00, 0x7c01, 0x7d55, 0xfdff, 0x7c00, 0xfc00, 0x8000, 0x0000, 0x0001, 0x03ff, 0x8001, 0x83ff, 0xbc00, 0xc500];

/** Opacities (as halves) on, just below and just above the threshold, and the logit's edges. */
function edgeOpacityHalves(threshold: number): number[] {
  const t = float32ToHalfBits(threshold);
  return [t, t - 1, t + 1, 0x0000, 0x3c00, 0x3bff, 0xb800, 0x3e00, 0x7e00, 0x7c00, 0x0001];
}

/** Seeded fp16 engine Gaussians (SH degree 2 unless said), about one value in 12 unusual. */
function saltedHalves(count: number, seed: number, threshold: number, shDegree = 2): Uint16Array {
  const stride = 11 + 3 * (shDegree + 1) ** 2;
  const bits = float32ArrayToHalf(randomEngineGaussians(count, seed, shDegree));
  const rand = seededRandom(seed + 1000);
  const opacities = edgeOpacityHalves(threshold);
  for (let i = 0; i < count; i++) {
    const row = i * stride;
    if (rand() < 0.01) {
      for (let k = 0; k < stride; k++) bits[row + k] = Math.floor(rand() * 65536);
      continue;
    }
    if (rand() < 0.3) bits[row + 3] = opacities[Math.floor(rand() * opacities.length)];
    for (let k = 0; k < stride; k++) if (rand() < 0.03) bits[row + k] = ODD_HALVES[Math.floor(rand() * ODD_HALVES.length)];
  }
  return bits;
}

function expectSameSet(actual: SplatSet, expected: SplatSet): void {
  expect(actual.count).toBe(expected.count);
  for (const key of ['positions', 'scalesLog', 'rotationsWXYZ', 'opacityLogit', 'shDC', 'shRest'] as const) {
    expect(Buffer.from(actual[key].buffer, actual[key].byteOffset, actual[key].byteLength)
      .equals(Buffer.from(expected[key].buffer, expected[key].byteOffset, expected[key].byteLength)), key).toBe(true);
  }
}

const POSE = { quaternion: [0.8, 0.2, -0.5, 0.3], position: [3, -1, 7] };
const FRAMES: [string, ExportOptions][] = [
  ['world', { tNorm: 1.37, frame: 'world', refC2w: POSE }],
  ['camera0', { tNorm: 1.37, frame: 'camera0' }],
];

describe('fp16 Gaussians export the bytes of their widened values', () => {
  // Spans several widening blocks, the last one partial.
  const count = 3 * GAUSSIAN_BLOCK_ROWS + 777;
  const bits = saltedHalves(count, 7, 0.00025);
  const half = float16Data(bits);
  const widened = halfArrayToFloat32(bits);

  it('the salt reaches NaN, infinite and subnormal values and both sides of the threshold', () => {
    const opacities = Array.from({ length: count }, (_, i) => widened[i * 38 + 3]);
    expect(opacities.some(Number.isNaN)).toBe(true);
    expect(opacities.some((o) => o < 0.00025)).toBe(true);
    expect(opacities.some((o) => o >= 0.00025 && o < 0.0003)).toBe(true);
    expect(widened.some((v) => v === Infinity) && widened.some((v) => v === -Infinity)).toBe(true);
    expect(widened.some((v) => v !== 0 && Math.abs(v) < 2 ** -14)).toBe(true);
  });

  for (const [label, options] of FRAMES) {
    it(`${label} frame: prepareExport, both PLY layouts and SPZ`, () => {
      const expectedSet = prepareExport(widened, options);
      const actualSet = prepareExport(half, options);
      expectSameSet(actualSet, expectedSet);
      expect(expectedSet.count).toBeLessThan(count);
      expect(expectedSet.count).toBeGreaterThan(count / 2);
      expect(countKept(half, planExport(half, options))).toBe(expectedSet.count);
      for (const layout of ['inria', 'upstream'] as PlyLayout[]) {
        const expected = encodePlyFromGaussians(widened, options, { layout });
        expect(encodePlyFromGaussians(half, options, { layout }).equals(expected), `encodePlyFromGaussians ${layout}`).toBe(true);
        expect(encodePly(actualSet, { layout }).equals(expected), `encodePly ${layout}`).toBe(true);
      }
      expect(encodeSpzSync(actualSet).equals(encodeSpzSync(expectedSet))).toBe(true);
    });
  }

  it('threshold 0 (everything kept, NaN opacities too) and SH degree 1', () => {
    const bits1 = saltedHalves(GAUSSIAN_BLOCK_ROWS + 5, 9, 0.00025, 1);
    const options: ExportOptions = { tNorm: 0.9, frame: 'world', refC2w: POSE, opacityThreshold: 0, shDegree: 1 };
    const expected = prepareExport(halfArrayToFloat32(bits1), options);
    expect(expected.count).toBe(GAUSSIAN_BLOCK_ROWS + 5);
    expectSameSet(prepareExport(float16Data(bits1), options), expected);
    expect(encodePlyFromGaussians(float16Data(bits1), options).equals(encodePly(expected))).toBe(true);
  });

  describe('streamed to disk', () => {
    const dir = mkdtempSync(join(tmpdir(), 'export-half-'));
    afterAll(() => rmSync(dir, { recursive: true, force: true }));
    // Two 64 Ki-row file chunks, each several widening blocks.
    const big = saltedHalves(70_001, 11, 0.00025);
    const bigWidened = halfArrayToFloat32(big);

    it.each([
      ['world', 'inria'], ['world', 'upstream'], ['camera0', 'inria'], ['camera0', 'upstream'],
    ] as const)('%s frame, %s layout: writePlyFileFromGaussians writes the widened file', async (frame, layout) => {
      const options: ExportOptions = frame === 'world' ? { tNorm: 1.7, frame, refC2w: POSE } : { tNorm: 1.7, frame };
      const fromHalf = join(dir, `${frame}-${layout}-half.ply`);
      const fromWidened = join(dir, `${frame}-${layout}-f32.ply`);
      const size = await writePlyFileFromGaussians(fromWidened, bigWidened, options, { layout });
      expect(await writePlyFileFromGaussians(fromHalf, float16Data(big), options, { layout })).toBe(size);
      expect(readFileSync(fromHalf).equals(readFileSync(fromWidened))).toBe(true);
    });
  });
});
