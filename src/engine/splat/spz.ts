/**
 * SPZ files (github nianticlabs/spz). Writes version 3: gzip of a 16-byte header
 * (magic "NGSP", version, numPoints, shDegree, fractionalBits, flags, reserved) followed by the
 * positions, alphas, colors, scales, rotations and SH streams — the version every SPZ reader,
 * Spark included, understands. Reads versions 1-3 (gzip) and version 4 (32-byte plain header,
 * optional extension records, a table of contents, one ZSTD stream per attribute).
 * Quantisation lives in spzPack.ts.
 */
import { gunzipSync, gzip, gzipSync } from 'node:zlib';
import { promisify } from 'node:util';
import { rename, unlink, writeFile } from 'node:fs/promises';
import { StudioError } from '../../shared/errors';
import {
  SPZ_FLAG_ANTIALIASED,
  SPZ_LEGACY_HEADER_BYTES,
  SPZ_MAGIC,
  SPZ_MAX_SH_DEGREE,
  SPZ_V4_HEADER_BYTES,
} from './formatConstants';
import { readFileBytes } from './fileBytes';
import { packSpz, spzStreamSizes, unpackSpz, type SpzPackOptions, type SpzPacked } from './spzPack';
import type { SplatSet } from './splatSet';
import { zstdDecompress } from './zstdDecompress';

export { packSpz, unpackSpz, type SpzPackOptions, type SpzPacked } from './spzPack';

export interface SpzWriteOptions extends SpzPackOptions {
  /** gzip level 0-9; default 6, zlib's default, which the reference uses. */
  compressionLevel?: number;
}

const gzipAsync = promisify(gzip);

function invalid(fileName: string, problem: string): StudioError {
  return new StudioError('INVALID_FILE', `Cannot read SPZ ${fileName}: ${problem}.`);
}

/** The uncompressed legacy body: 16-byte header + the six streams. */
export function serializeSpzLegacy(p: SpzPacked): Uint8Array {
  const streams = [p.positions, p.alphas, p.colors, p.scales, p.rotations, p.sh];
  const total = SPZ_LEGACY_HEADER_BYTES + streams.reduce((s, a) => s + a.length, 0);
  const out = new Uint8Array(total);
  const view = new DataView(out.buffer);
  view.setUint32(0, SPZ_MAGIC, true);
  view.setUint32(4, p.version, true);
  view.setUint32(8, p.count, true);
  out[12] = p.shDegree;
  out[13] = p.fractionalBits;
  out[14] = p.antialiased ? SPZ_FLAG_ANTIALIASED : 0;
  out[15] = 0;
  let at = SPZ_LEGACY_HEADER_BYTES;
  for (const s of streams) {
    out.set(s, at);
    at += s.length;
  }
  return out;
}

export function encodeSpzSync(set: SplatSet, options: SpzWriteOptions = {}): Buffer {
  return gzipSync(serializeSpzLegacy(packSpz(set, options)), { level: options.compressionLevel ?? 6 });
}

/** Same bytes as encodeSpzSync; the gzip runs on the libuv thread pool, off the JS thread. */
export async function encodeSpz(set: SplatSet, options: SpzWriteOptions = {}): Promise<Buffer> {
  return gzipAsync(serializeSpzLegacy(packSpz(set, options)), { level: options.compressionLevel ?? 6 });
}

/** Writes through a temporary file renamed into place. Returns the number of bytes written. */
export async function writeSpzFile(filePath: string, set: SplatSet, options: SpzWriteOptions = {}): Promise<number> {
  const bytes = await encodeSpz(set, options);
  const tmpPath = `${filePath}.${process.pid}.${Date.now()}.tmp`;
  try {
    await writeFile(tmpPath, bytes);
    await rename(tmpPath, filePath);
    return bytes.length;
  } catch (error) {
    await unlink(tmpPath).catch(() => undefined);
    throw new StudioError('IO_FAILED', `Could not write SPZ file ${filePath}: ${(error as Error).message}. Check that the folder exists, is writable and has space.`, { cause: error });
  }
}

function checkHeaderFields(fileName: string, version: number, count: number, shDegree: number, fractionalBits: number): void {
  if (shDegree > SPZ_MAX_SH_DEGREE) throw invalid(fileName, `SH degree ${shDegree} is above the format's maximum of ${SPZ_MAX_SH_DEGREE}`);
  if (version >= 2 && fractionalBits > 24) throw invalid(fileName, `${fractionalBits} fractional bits do not fit 24-bit positions`);
  if (count > 0x7fffffff) throw invalid(fileName, `point count ${count} is out of range`);
}

/** Versions 1-3 (and a gzip'ed version-4 body, which the reference also reads). */
function unpackLegacy(gz: Uint8Array, fileName: string): SpzPacked {
  let body: Uint8Array;
  try {
    body = gunzipSync(gz);
  } catch (error) {
    throw invalid(fileName, `the gzip stream is damaged or truncated (${(error as Error).message})`);
  }
  if (body.length < SPZ_LEGACY_HEADER_BYTES) throw invalid(fileName, `the unpacked data is ${body.length} bytes, shorter than the 16-byte header`);
  const view = new DataView(body.buffer, body.byteOffset, body.byteLength);
  const magic = view.getUint32(0, true);
  if (magic !== SPZ_MAGIC) throw invalid(fileName, `bad magic 0x${magic.toString(16)} (expected 0x${SPZ_MAGIC.toString(16)}, "NGSP")`);
  const version = view.getUint32(4, true);
  if (version < 1 || version > 4) throw new StudioError('UNSUPPORTED_FILE', `SPZ ${fileName} has version ${version}; this studio reads versions 1 to 4.`);
  const count = view.getUint32(8, true);
  const shDegree = body[12], fractionalBits = body[13], flags = body[14];
  checkHeaderFields(fileName, version, count, shDegree, fractionalBits);
  const packed = { version, count, shDegree, fractionalBits, antialiased: (flags & SPZ_FLAG_ANTIALIASED) !== 0 } as SpzPacked;
  let at = SPZ_LEGACY_HEADER_BYTES;
  for (const { name, bytes } of spzStreamSizes(version, count, shDegree)) {
    if (at + bytes > body.length) {
      throw invalid(fileName, `the data is truncated in the ${name} stream: ${count} splats need ${bytes} bytes there, ${Math.max(0, body.length - at)} remain`);
    }
    (packed as unknown as Record<string, Uint8Array>)[name] = body.subarray(at, at + bytes);
    at += bytes;
  }
  // Anything after the streams is extension records (flag 0x2); the data does not depend on them.
  return packed;
}

function unpackV4(bytes: Uint8Array, fileName: string): SpzPacked {
  if (bytes.length < SPZ_V4_HEADER_BYTES) throw invalid(fileName, `the file is ${bytes.length} bytes, shorter than the 32-byte header`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = view.getUint32(4, true);
  if (version !== 4) {
    throw new StudioError('UNSUPPORTED_FILE', `SPZ ${fileName} has an uncompressed header of version ${version}; this studio reads version 4 there (and 1-3 gzip files).`);
  }
  const count = view.getUint32(8, true);
  const shDegree = bytes[12], fractionalBits = bytes[13], flags = bytes[14], numStreams = bytes[15];
  const tocOffset = view.getUint32(16, true);
  checkHeaderFields(fileName, version, count, shDegree, fractionalBits);
  // Streams of zero bytes (SH at degree 0, or everything when count is 0) are left out.
  const expected = spzStreamSizes(version, count, shDegree).filter((s) => s.bytes > 0);
  if (numStreams !== expected.length) throw invalid(fileName, `the header lists ${numStreams} streams; ${count} splats of SH degree ${shDegree} need ${expected.length}`);
  if (tocOffset < SPZ_V4_HEADER_BYTES || tocOffset + numStreams * 16 > bytes.length) {
    throw invalid(fileName, `the table of contents (at byte ${tocOffset}, ${numStreams * 16} bytes) lies outside the ${bytes.length}-byte file`);
  }
  const packed = { version, count, shDegree, fractionalBits, antialiased: (flags & SPZ_FLAG_ANTIALIASED) !== 0 } as SpzPacked;
  for (const s of spzStreamSizes(version, count, shDegree)) (packed as unknown as Record<string, Uint8Array>)[s.name] = new Uint8Array(0);
  // Check the whole table against the file before decompressing anything.
  const chunks: { name: string; size: number; from: number; to: number }[] = [];
  let at = tocOffset + numStreams * 16;
  for (const [i, { name, bytes: size }] of expected.entries()) {
    const compressed = Number(view.getBigUint64(tocOffset + i * 16, true));
    const uncompressed = Number(view.getBigUint64(tocOffset + i * 16 + 8, true));
    if (uncompressed !== size) throw invalid(fileName, `the ${name} stream unpacks to ${uncompressed} bytes; ${count} splats need ${size}`);
    if (at + compressed > bytes.length) throw invalid(fileName, `the file is truncated in the ${name} stream (${compressed} bytes listed, ${bytes.length - at} remain)`);
    chunks.push({ name, size, from: at, to: at + compressed });
    at += compressed;
  }
  for (const { name, size, from, to } of chunks) {
    const data = zstdDecompress(bytes.subarray(from, to), size, `the ${name} stream of SPZ ${fileName}`);
    if (data.length !== size) throw invalid(fileName, `the ${name} stream unpacked to ${data.length} bytes instead of ${size}`);
    (packed as unknown as Record<string, Uint8Array>)[name] = data;
  }
  return packed;
}

/** The packed streams of an SPZ file of any version 1-4, without dequantising. */
export function readSpzPacked(bytes: Uint8Array, fileName = 'SPZ data'): SpzPacked {
  if (bytes.length >= 4 && new DataView(bytes.buffer, bytes.byteOffset, 4).getUint32(0, true) === SPZ_MAGIC) return unpackV4(bytes, fileName);
  if (bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b) return unpackLegacy(bytes, fileName);
  throw invalid(fileName, 'it is neither gzip (SPZ versions 1-3) nor starts with "NGSP" (version 4)');
}

/** Parses an SPZ held in memory. `fileName` only labels error messages. */
export function decodeSpz(bytes: Uint8Array, fileName = 'SPZ data'): SplatSet {
  return unpackSpz(readSpzPacked(bytes, fileName));
}

export async function readSpzFile(filePath: string): Promise<SplatSet> {
  return decodeSpz(await readFileBytes(filePath, 'SPZ file'), filePath);
}
