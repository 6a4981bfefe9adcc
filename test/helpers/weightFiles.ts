/**
 * Test helpers for the weight readers: temp folders, hand-made (possibly broken) safetensors files,
 * and an assertion that a call fails with a given StudioError code and a message naming things.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'vitest';
import { StudioError } from '../../src/shared/errors';

export function makeTempDir(label: string): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), `fws-${label}-`));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Writes a safetensors file from a header object as given (no checks) and raw data bytes. */
export function writeRawSafetensors(path: string, header: unknown, data: Uint8Array, headerText?: string): void {
  const json = Buffer.from(headerText ?? JSON.stringify(header), 'utf8');
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(json.length));
  writeFileSync(path, Buffer.concat([len, json, data]));
}

/** Calls `fn`, expects a StudioError with `code` whose message contains every one of `mentions`. */
export function expectStudioError(fn: () => unknown, code: string, ...mentions: string[]): StudioError {
  let caught: unknown;
  try {
    fn();
  } catch (error) {
    caught = error;
  }
  expect(caught, 'expected a StudioError to be thrown').toBeInstanceOf(StudioError);
  const error = caught as StudioError;
  expect(error.code, error.message).toBe(code);
  for (const m of mentions) expect(error.message).toContain(m);
  return error;
}

/** Deterministic pseudo-random fp32 values (so failures reproduce). */
export function seededFloats(n: number, seed: number): Float32Array {
  const out = new Float32Array(n);
  let s = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    out[i] = ((s >>> 0) / 2 ** 32 - 0.5) * 8;
  }
  return out;
}
