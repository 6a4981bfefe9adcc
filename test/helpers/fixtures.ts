/**
 * Reads the parity fixtures written by tools/reference/ (small safetensors files, fp32/int64/…)
 * wholly into memory. Tests only; the engine reads weights through src/engine/weights/.
 */
import { readFileSync, existsSync } from 'node:fs';
import { join, dirname, isAbsolute } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const fixturesDir = join(repoRoot, 'test', 'fixtures');
export const testModelDir = join(repoRoot, 'resources', 'test-model');

export interface FixtureTensor {
  dtype: string;
  shape: number[];
  /** fp32/fp16(→fp32)/bf16(→fp32) as Float32Array; I64 as BigInt64Array; I32 as Int32Array; U8/BOOL as Uint8Array */
  data: Float32Array | BigInt64Array | Int32Array | Uint8Array;
}

export function fixtureExists(relPath: string): boolean {
  return existsSync(join(fixturesDir, relPath));
}

export function loadFixture(relPath: string): { tensors: Record<string, FixtureTensor>; metadata: Record<string, string> } {
  const bytes = readFileSync(isAbsolute(relPath) ? relPath : join(fixturesDir, relPath));
  const headerLen = Number(bytes.readBigUInt64LE(0));
  const header = JSON.parse(bytes.subarray(8, 8 + headerLen).toString('utf8')) as Record<
    string,
    { dtype: string; shape: number[]; data_offsets: [number, number] } | Record<string, string>
  >;
  const base = 8 + headerLen;
  const tensors: Record<string, FixtureTensor> = {};
  let metadata: Record<string, string> = {};
  for (const [name, entry] of Object.entries(header)) {
    if (name === '__metadata__') {
      metadata = entry as Record<string, string>;
      continue;
    }
    const { dtype, shape, data_offsets } = entry as { dtype: string; shape: number[]; data_offsets: [number, number] };
    const raw = bytes.subarray(base + data_offsets[0], base + data_offsets[1]);
    const copy = new Uint8Array(raw).buffer; // aligned copy
    let data: FixtureTensor['data'];
    switch (dtype) {
      case 'F32': data = new Float32Array(copy); break;
      case 'F64': data = Float32Array.from(new Float64Array(copy)); break;
      case 'I64': data = new BigInt64Array(copy); break;
      case 'I32': data = new Int32Array(copy); break;
      case 'U8': case 'BOOL': data = new Uint8Array(copy); break;
      case 'F16': {
        const h = new Uint16Array(copy);
        data = new Float32Array(h.length);
        for (let i = 0; i < h.length; i++) {
          const v = h[i], s = v & 0x8000 ? -1 : 1, e = (v >> 10) & 31, m = v & 1023;
          data[i] = e === 0 ? s * m * 2 ** -24 : e === 31 ? (m ? NaN : s * Infinity) : s * (1 + m / 1024) * 2 ** (e - 15);
        }
        break;
      }
      case 'BF16': {
        const h = new Uint16Array(copy);
        const u = new Uint32Array(h.length);
        for (let i = 0; i < h.length; i++) u[i] = h[i] << 16;
        data = new Float32Array(u.buffer);
        break;
      }
      default: throw new Error(`fixture ${relPath}: unsupported dtype ${dtype} for ${name}`);
    }
    tensors[name] = { dtype, shape, data };
  }
  return { tensors, metadata };
}

/** Max abs and max relative error (relative to the reference's max magnitude, robust near zero). */
export function compareArrays(actual: ArrayLike<number>, expected: ArrayLike<number>): { maxAbs: number; maxRel: number; refMaxAbs: number } {
  if (actual.length !== expected.length) throw new Error(`length ${actual.length} ≠ ${expected.length}`);
  let maxAbs = 0, refMaxAbs = 0, maxRel = 0;
  for (let i = 0; i < expected.length; i++) refMaxAbs = Math.max(refMaxAbs, Math.abs(expected[i]));
  for (let i = 0; i < expected.length; i++) {
    const d = Math.abs(actual[i] - expected[i]);
    if (!(d <= maxAbs)) maxAbs = Number.isNaN(d) ? Infinity : d;
    const rel = d / (Math.abs(expected[i]) + 1e-3 * refMaxAbs + 1e-12);
    if (!(rel <= maxRel)) maxRel = Number.isNaN(rel) ? Infinity : rel;
  }
  return { maxAbs, maxRel, refMaxAbs };
}
