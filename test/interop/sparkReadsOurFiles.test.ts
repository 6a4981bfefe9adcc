/**
 * Independent check of the PLY and SPZ writers: Spark (the renderer the studio's viewer uses)
 * decodes our files with its own Rust/WASM loader, run in Node through test/helpers/sparkDecoder.
 */
import { describe, expect, it } from 'vitest';
import { utils } from '@sparkjsdev/spark';
import { encodePly } from '../../src/engine/splat/ply';
import { decodeSpz, encodeSpzSync } from '../../src/engine/splat/spz';
import { prepareExport } from '../../src/engine/splat/export';
import type { SplatSet } from '../../src/engine/splat/splatSet';
import { SH_C0 } from '../../src/engine/splat/formatConstants';
import { randomEngineGaussians, randomSplatSet } from '../helpers/randomSplats';
import { sparkDecode, type SparkSplats } from '../helpers/sparkDecoder';

interface Tolerances { position: number; logScale: number; opacity: number; color: number }

async function expectSparkReads(set: SplatSet, bytes: Uint8Array, type: 'ply' | 'spz', tol: Tolerances): Promise<void> {
  const decoded = await sparkDecode(bytes, type, `scene.${type}`);
  expect(decoded.numSplats).toBe(set.count);
  let position = 0, logScale = 0, opacity = 0, color = 0, minDot = 1;
  for (let i = 0; i < set.count; i++) {
    const s = utils.decodeExtSplat(decoded.extArrays, i);
    position = Math.max(position, Math.abs(s.center.x - set.positions[i * 3]), Math.abs(s.center.y - set.positions[i * 3 + 1]), Math.abs(s.center.z - set.positions[i * 3 + 2]));
    logScale = Math.max(logScale, Math.abs(Math.log(s.scales.x) - set.scalesLog[i * 3]), Math.abs(Math.log(s.scales.y) - set.scalesLog[i * 3 + 1]), Math.abs(Math.log(s.scales.z) - set.scalesLog[i * 3 + 2]));
    opacity = Math.max(opacity, Math.abs(s.opacity - 1 / (1 + Math.exp(-set.opacityLogit[i]))));
    const rgb = [s.color.r, s.color.g, s.color.b];
    for (let c = 0; c < 3; c++) color = Math.max(color, Math.abs(rgb[c] - (0.5 + SH_C0 * set.shDC[i * 3 + c])));
    const q = set.rotationsWXYZ.subarray(i * 4, i * 4 + 4);
    const n = Math.hypot(q[0], q[1], q[2], q[3]);
    // Spark's quaternion is three.js x y z w; ours is w x y z.
    minDot = Math.min(minDot, Math.abs(s.quaternion.w * q[0] + s.quaternion.x * q[1] + s.quaternion.y * q[2] + s.quaternion.z * q[3]) / n);
  }
  console.log(`Spark reads ${type}: ${set.count} splats, max |Δ| position ${position.toExponential(2)}, log-scale ${logScale.toExponential(2)}, opacity ${opacity.toExponential(2)}, colour ${color.toExponential(2)}, min |q·q'| ${minDot.toFixed(6)}`);
  expect(position).toBeLessThanOrEqual(tol.position);
  expect(logScale).toBeLessThanOrEqual(tol.logScale);
  expect(opacity).toBeLessThanOrEqual(tol.opacity);
  expect(color).toBeLessThanOrEqual(tol.color);
  expect(minDot).toBeGreaterThan(0.999);
}

/**
 * Spark's SH (degrees 1-2) against `expected` (channel-major rest coefficients). Spark's ext format
 * stores each coefficient's RGB as 8 bits under a shared power-of-two exponent 2^floor(log2 max|v|)
 * and clamps magnitudes above it, so compare with that clamp applied, within one 8-bit step.
 */
function expectSparkSh(decoded: SparkSplats, expected: SplatSet): void {
  const sh1 = decoded.extra.sh1 as Uint32Array, sh2 = decoded.extra.sh2 as Uint32Array;
  expect(sh1.length).toBeGreaterThanOrEqual(expected.count * 4);
  expect(sh2.length).toBeGreaterThanOrEqual(expected.count * 4);
  let worst = 0;
  for (let i = 0; i < expected.count; i++) {
    for (let k = 0; k < 8; k++) {
      const c = utils.decodeExtRgb(k < 4 ? sh1[i * 4 + k] : sh2[i * 4 + k - 4]);
      const spark = [c.r, c.g, c.b];
      const ours = [0, 1, 2].map((ch) => expected.shRest[(i * 3 + ch) * 8 + k]);
      const maxAbs = Math.max(...ours.map(Math.abs));
      if (maxAbs === 0) {
        expect(spark.every((v) => Math.abs(v) < 1e-6)).toBe(true);
        continue;
      }
      const top = 2 ** Math.floor(Math.log2(maxAbs));
      for (let ch = 0; ch < 3; ch++) {
        const clamped = Math.sign(ours[ch]) * Math.min(Math.abs(ours[ch]), top);
        worst = Math.max(worst, Math.abs(spark[ch] - clamped) / (top / 255));
      }
    }
  }
  console.log(`Spark reads SH: worst difference ${worst.toFixed(2)} of its 8-bit steps`);
  expect(worst).toBeLessThanOrEqual(1);
}

// Spark keeps float32 centres, half-float opacity, colour and log-scale, and a 32-bit quaternion.
const HALF = { logScale: 8 * 2 ** -11, opacity: 2 ** -11, color: 2 * 2 ** -11 };

describe("Spark's own loaders read our files", () => {
  const set = randomSplatSet(3000, 7);

  it('INRIA PLY: same count, identical positions', async () => {
    await expectSparkReads(set, encodePly(set), 'ply', { position: 0, ...HALF });
  });

  it('INRIA PLY and SPZ: Spark finds every SH coefficient where we put it (f_rest channel-major, SPZ coefficient-major)', async () => {
    expectSparkSh(await sparkDecode(encodePly(set), 'ply', 'sh.ply'), set);
    const spz = encodeSpzSync(set);
    expectSparkSh(await sparkDecode(spz, 'spz', 'sh.spz'), decodeSpz(spz));
  });

  it('SPZ v3: same count, positions within the 12-bit fixed-point step', async () => {
    await expectSparkReads(set, encodeSpzSync(set), 'spz', {
      position: 0.5 / 4096 + 1e-6,
      logScale: 0.5 / 16 + HALF.logScale,
      opacity: 0.5 / 255 + HALF.opacity,
      color: (0.5 / 255 / 0.15) * SH_C0 + HALF.color,
    });
  });

  it('a world-frame export of engine output, as PLY and SPZ', async () => {
    const exported = prepareExport(randomEngineGaussians(2000, 8), { tNorm: 3, frame: 'world', refC2w: { quaternion: [0.7, 0.1, -0.7, 0.1], position: [0.5, 1.5, -2] } });
    await expectSparkReads(exported, encodePly(exported), 'ply', { position: 0, ...HALF, logScale: 20 * 2 ** -11 });
    await expectSparkReads(exported, encodeSpzSync(exported), 'spz', {
      position: 0.5 / 4096 + 1e-6,
      logScale: 0.5 / 16 + 20 * 2 ** -11,
      opacity: 0.5 / 255 + HALF.opacity,
      color: (0.5 / 255 / 0.15) * SH_C0 + HALF.color,
    });
  });
});
