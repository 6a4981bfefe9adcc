/**
 * ZSTD decompression for SPZ version 4. Node's zlib has it from Node 22.15 (and so inside recent
 * Electron); elsewhere we say so instead of failing obscurely.
 */
import * as zlib from 'node:zlib';
import { StudioError } from '../../shared/errors';

type ZstdSync = (data: Uint8Array) => Buffer;

export function zstdDecompress(data: Uint8Array, what: string): Uint8Array {
  const native = (zlib as unknown as { zstdDecompressSync?: ZstdSync }).zstdDecompressSync;
  if (!native) {
    throw new StudioError('UNSUPPORTED_FILE', `Cannot read ${what}: SPZ version 4 is ZSTD-compressed and this runtime (Node ${process.versions.node}) has no ZSTD decoder. Re-save the file as SPZ version 3, or use the studio app.`);
  }
  try {
    return native(data);
  } catch (error) {
    throw new StudioError('INVALID_FILE', `Cannot read ${what}: the ZSTD data is damaged (${(error as Error).message}).`, { cause: error });
  }
}
