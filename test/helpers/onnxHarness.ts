/**
 * Test harness for graphs built with GraphBuilder: save to a temp folder, run on the ORT CPU EP,
 * read back as fp32. Plus seeded data and the few JS reference functions tests compare against.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'vitest';
import { ExternalDataWriter } from '../../src/engine/onnx/externalData';
import { GraphBuilder, externalDataPath } from '../../src/engine/onnx/graph';
import { createSession, type HostTensor } from '../../src/engine/onnx/session';
import { float32ArrayToHalf, halfArrayToFloat32 } from '../../src/engine/weights/halfFloat';

const tempDirs: string[] = [];

export function tempDir(prefix = 'onnx-test-'): string {
  const d = mkdtempSync(join(tmpdir(), prefix));
  tempDirs.push(d);
  return d;
}

export function cleanupTempDirs(): void {
  for (const d of tempDirs.splice(0)) rmSync(d, { recursive: true, force: true });
}

export function newBuilder(floatType: 'float32' | 'float16', withExternal = true, name = 'test'): { g: GraphBuilder; dir: string } {
  const dir = tempDir();
  const externalData = withExternal ? new ExternalDataWriter(externalDataPath(dir, 'model')) : undefined;
  return { g: new GraphBuilder({ name, floatType, externalData }), dir };
}

/** A float input tensor in the given type from fp32 values. */
export function floatFeed(type: 'float32' | 'float16', shape: number[], values: Float32Array): HostTensor {
  return { dtype: type, shape, data: type === 'float16' ? float32ArrayToHalf(values) : values };
}

export function toF32(t: HostTensor): Float32Array {
  if (t.dtype === 'float16') return halfArrayToFloat32(t.data as Uint16Array);
  if (t.dtype === 'float32') return t.data as Float32Array;
  return Float32Array.from(Array.from(t.data as ArrayLike<number | bigint>, Number));
}

export async function saveAndRun(g: GraphBuilder, dir: string, feeds: Record<string, HostTensor>): Promise<Record<string, HostTensor>> {
  const { modelPath } = await g.save(dir, 'model');
  const session = await createSession(modelPath, { provider: 'cpu', intraOpThreads: 1 });
  try {
    return await session.run(feeds);
  } finally {
    await session.release();
  }
}

/** Deterministic uniform values in [lo, hi). */
export function seeded(n: number, seed: number, lo = -1, hi = 1): Float32Array {
  let s = seed >>> 0 || 1;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    out[i] = lo + ((s >>> 0) / 0x100000000) * (hi - lo);
  }
  return out;
}

export function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tol: number): void {
  expect(actual.length).toBe(expected.length);
  let worst = 0;
  let at = -1;
  for (let i = 0; i < expected.length; i++) {
    const d = Math.abs(actual[i] - expected[i]) / Math.max(1, Math.abs(expected[i]));
    if (!(d <= worst)) {
      worst = d;
      at = i;
    }
  }
  expect(worst, `worst relative error at ${at}: got ${actual[at]}, want ${expected[at]}`).toBeLessThanOrEqual(tol);
}

/** Rounds through fp16 and back (what an fp16 input or weight holds). */
export function roundHalf(values: Float32Array): Float32Array {
  return halfArrayToFloat32(float32ArrayToHalf(values));
}

// ---- reference math ---------------------------------------------------------------------------

/** erf via the Chebyshev-fitted erfc of Numerical Recipes (relative error < 1.2e-7). */
export function erfRef(x: number): number {
  const t = 1 / (1 + 0.5 * Math.abs(x));
  const y =
    1 -
    t *
      Math.exp(
        -x * x -
          1.26551223 +
          t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))),
      );
  return x >= 0 ? y : -y;
}

/** (M, K) x (K, N) → (M, N), batched over leading `batch`. */
export function matMulRef(a: Float32Array, b: Float32Array, batch: number, m: number, k: number, n: number, bBatched = true): Float32Array {
  const out = new Float32Array(batch * m * n);
  for (let z = 0; z < batch; z++) {
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        let s = 0;
        for (let p = 0; p < k; p++) s += a[z * m * k + i * k + p] * b[(bBatched ? z * k * n : 0) + p * n + j];
        out[z * m * n + i * n + j] = s;
      }
    }
  }
  return out;
}

export function softmaxRowsRef(x: Float32Array, rowLen: number): Float32Array {
  const out = new Float32Array(x.length);
  for (let r = 0; r < x.length / rowLen; r++) {
    let max = -Infinity;
    for (let i = 0; i < rowLen; i++) max = Math.max(max, x[r * rowLen + i]);
    let sum = 0;
    for (let i = 0; i < rowLen; i++) sum += out[r * rowLen + i] = Math.exp(x[r * rowLen + i] - max);
    for (let i = 0; i < rowLen; i++) out[r * rowLen + i] /= sum;
  }
  return out;
}

/** NCHW conv, symmetric padding, stride 1, groups 1. */
export function conv2dRef(
  x: Float32Array,
  w: Float32Array,
  b: Float32Array | null,
  [n, c, h, wd]: number[],
  [o, , kh, kw]: number[],
  padding: number,
): Float32Array {
  const oh = h + 2 * padding - kh + 1;
  const ow = wd + 2 * padding - kw + 1;
  const out = new Float32Array(n * o * oh * ow);
  for (let bi = 0; bi < n; bi++)
    for (let oc = 0; oc < o; oc++)
      for (let y = 0; y < oh; y++)
        for (let xx = 0; xx < ow; xx++) {
          let s = b ? b[oc] : 0;
          for (let ic = 0; ic < c; ic++)
            for (let ky = 0; ky < kh; ky++)
              for (let kx = 0; kx < kw; kx++) {
                const iy = y + ky - padding;
                const ix = xx + kx - padding;
                if (iy < 0 || iy >= h || ix < 0 || ix >= wd) continue;
                s += x[((bi * c + ic) * h + iy) * wd + ix] * w[((oc * c + ic) * kh + ky) * kw + kx];
              }
          out[((bi * o + oc) * oh + y) * ow + xx] = s;
        }
  return out;
}
