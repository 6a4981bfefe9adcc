/**
 * ZSTD decompression for SPZ version 4: Node's zlib where it has ZSTD (Node ≥ 22.15, so recent
 * Electron), else the plain-TypeScript decoder in zstdDecode.ts (slower, same result).
 */
import * as zlib from 'node:zlib';
import { StudioError } from '../../shared/errors';
import { ZstdError, zstdDecodeTS } from './zstdDecode';

type ZstdSync = (data: Uint8Array) => Buffer;

export function zstdDecompress(data: Uint8Array, expectedSize: number, what: string): Uint8Array {
  const native = (zlib as unknown as { zstdDecompressSync?: ZstdSync }).zstdDecompressSync;
  try {
    return native ? native(data) : zstdDecodeTS(data, expectedSize);
  } catch (error) {
    const detail = error instanceof ZstdError || error instanceof Error ? error.message : String(error);
    throw new StudioError('INVALID_FILE', `Cannot read ${what}: the ZSTD data is damaged (${detail}).`, { cause: error });
  }
}
