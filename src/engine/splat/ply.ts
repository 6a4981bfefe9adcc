/**
 * PLY writer for splat sets. Default layout is the INRIA 3DGS one every viewer reads:
 *   x y z nx ny nz f_dc_0..2 f_rest_0..(3·rest−1) opacity scale_0..2 rot_0..3
 * (binary little-endian float32; f_rest channel-major: all R rest coefficients, then G, then B).
 * 'upstream' writes FlashWorld's own layout (utils.py `export_gaussians`): x y z, then ALL SH
 * coefficients as f_dc_0..(3·coeffs−1) coefficient-major, opacity, scale_0..2, rot_0..3.
 * The reader lives in plyRead.ts and is re-exported here.
 */
import { open, rename, unlink } from 'node:fs/promises';
import { StudioError } from '../../shared/errors';
import { assertSplatSetShape, shRestPerChannel, type SplatSet } from './splatSet';

export { decodePly, readPlyFile } from './plyRead';

export type PlyLayout = 'inria' | 'upstream';

export interface PlyWriteOptions {
  layout?: PlyLayout;
}

/** Vertex property names, in file order, for a set of the given SH degree. */
export function plyPropertyNames(shDegree: number, layout: PlyLayout = 'inria'): string[] {
  const names = ['x', 'y', 'z'];
  const coeffs = (shDegree + 1) * (shDegree + 1);
  if (layout === 'inria') {
    names.push('nx', 'ny', 'nz', 'f_dc_0', 'f_dc_1', 'f_dc_2');
    for (let i = 0; i < 3 * (coeffs - 1); i++) names.push(`f_rest_${i}`);
  } else {
    for (let i = 0; i < 3 * coeffs; i++) names.push(`f_dc_${i}`);
  }
  names.push('opacity', 'scale_0', 'scale_1', 'scale_2', 'rot_0', 'rot_1', 'rot_2', 'rot_3');
  return names;
}

/**
 * The ASCII header, padded with a comment to a multiple of 4 bytes so the float32 body that
 * follows is aligned: writer and reader then view it as a Float32Array without copying.
 */
export function plyHeader(count: number, shDegree: number, layout: PlyLayout = 'inria'): string {
  const lines = ['ply', 'format binary_little_endian 1.0', 'comment FlashWorld Studio', `element vertex ${count}`];
  for (const name of plyPropertyNames(shDegree, layout)) lines.push(`property float ${name}`);
  lines.push('end_header', '');
  const text = lines.join('\n');
  const pad = (4 - (text.length % 4)) % 4;
  return pad === 0 ? text : text.replace('comment FlashWorld Studio', `comment FlashWorld Studio${' '.repeat(pad)}`);
}

/** Writes rows [start, end) of `set` into `out` (row-major float32, one row per splat). */
function fillRows(set: SplatSet, layout: PlyLayout, start: number, end: number, out: Float32Array): void {
  const { positions, scalesLog, rotationsWXYZ, opacityLogit, shDC, shRest } = set;
  const rest = shRestPerChannel(set.shDegree);
  const rowFloats = rowFloatsFor(set, layout);
  let o = 0;
  for (let i = start; i < end; i++, o += rowFloats) {
    out[o] = positions[i * 3];
    out[o + 1] = positions[i * 3 + 1];
    out[o + 2] = positions[i * 3 + 2];
    let p: number;
    if (layout === 'inria') {
      out[o + 3] = 0;
      out[o + 4] = 0;
      out[o + 5] = 0;
      out[o + 6] = shDC[i * 3];
      out[o + 7] = shDC[i * 3 + 1];
      out[o + 8] = shDC[i * 3 + 2];
      // SplatSet already holds rest coefficients channel-major, exactly as f_rest_* wants them.
      const r = i * 3 * rest;
      for (let k = 0; k < 3 * rest; k++) out[o + 9 + k] = shRest[r + k];
      p = o + 9 + 3 * rest;
    } else {
      out[o + 3] = shDC[i * 3];
      out[o + 4] = shDC[i * 3 + 1];
      out[o + 5] = shDC[i * 3 + 2];
      const r = i * 3 * rest;
      for (let k = 0; k < rest; k++) {
        const d = o + 6 + k * 3;
        out[d] = shRest[r + k];
        out[d + 1] = shRest[r + rest + k];
        out[d + 2] = shRest[r + 2 * rest + k];
      }
      p = o + 6 + 3 * rest;
    }
    out[p] = opacityLogit[i];
    out[p + 1] = scalesLog[i * 3];
    out[p + 2] = scalesLog[i * 3 + 1];
    out[p + 3] = scalesLog[i * 3 + 2];
    out[p + 4] = rotationsWXYZ[i * 4];
    out[p + 5] = rotationsWXYZ[i * 4 + 1];
    out[p + 6] = rotationsWXYZ[i * 4 + 2];
    out[p + 7] = rotationsWXYZ[i * 4 + 3];
  }
}

function rowFloatsFor(set: SplatSet, layout: PlyLayout): number {
  return plyPropertyNames(set.shDegree, layout).length;
}

function checkLittleEndianHost(): void {
  // Float32Array bytes go to disk as they are in memory; PLY here promises little-endian.
  if (new Uint8Array(Uint16Array.of(1).buffer)[0] !== 1) {
    throw new StudioError('INTERNAL', 'This machine is big-endian; the PLY writer only supports little-endian hosts.');
  }
}

/** The whole file in one Buffer (164 bytes a splat at SH degree 2: ~660 MB for 4 M splats). */
export function encodePly(set: SplatSet, options: PlyWriteOptions = {}): Buffer {
  assertSplatSetShape(set);
  checkLittleEndianHost();
  const layout = options.layout ?? 'inria';
  const header = Buffer.from(plyHeader(set.count, set.shDegree, layout), 'ascii');
  const rowFloats = rowFloatsFor(set, layout);
  // A fresh ArrayBuffer (not Buffer's shared pool), so header.length, a multiple of 4, aligns the body.
  const arrayBuffer = new ArrayBuffer(header.length + set.count * rowFloats * 4);
  const out = Buffer.from(arrayBuffer);
  header.copy(out, 0);
  fillRows(set, layout, 0, set.count, new Float32Array(arrayBuffer, header.length, set.count * rowFloats));
  return out;
}

/** Splats per chunk when streaming to disk: 64 Ki rows ≈ 16 MB at SH degree 2. */
const STREAM_CHUNK_SPLATS = 1 << 16;

/**
 * Streams the file to disk in chunks (filling one chunk while the previous one is written),
 * into a temporary file renamed over `filePath` at the end, so a failed write never leaves a
 * half file under the real name. Returns the number of bytes written.
 */
export async function writePlyFile(filePath: string, set: SplatSet, options: PlyWriteOptions = {}): Promise<number> {
  assertSplatSetShape(set);
  checkLittleEndianHost();
  const layout = options.layout ?? 'inria';
  const header = Buffer.from(plyHeader(set.count, set.shDegree, layout), 'ascii');
  const rowFloats = rowFloatsFor(set, layout);
  const tmpPath = `${filePath}.${process.pid}.${Date.now()}.tmp`;
  const buffers = [new Float32Array(STREAM_CHUNK_SPLATS * rowFloats), new Float32Array(STREAM_CHUNK_SPLATS * rowFloats)];
  let handle;
  try {
    handle = await open(tmpPath, 'w');
    const fh = handle;
    let position = 0;
    const writeAll = async (bytes: Uint8Array, at: number): Promise<void> => {
      let done = 0;
      while (done < bytes.length) {
        const { bytesWritten } = await fh.write(bytes, done, bytes.length - done, at + done);
        done += bytesWritten;
      }
    };
    await writeAll(header, 0);
    position = header.length;
    let pending: Promise<void> | null = null;
    for (let start = 0, b = 0; start < set.count; start += STREAM_CHUNK_SPLATS, b ^= 1) {
      const end = Math.min(set.count, start + STREAM_CHUNK_SPLATS);
      const buf = buffers[b];
      fillRows(set, layout, start, end, buf);
      if (pending) await pending;
      const bytes = new Uint8Array(buf.buffer, 0, (end - start) * rowFloats * 4);
      pending = writeAll(bytes, position);
      position += bytes.length;
    }
    if (pending) await pending;
    await fh.close();
    handle = undefined;
    await rename(tmpPath, filePath);
    return position;
  } catch (error) {
    await handle?.close().catch(() => undefined);
    await unlink(tmpPath).catch(() => undefined);
    throw new StudioError('IO_FAILED', `Could not write PLY file ${filePath}: ${(error as Error).message}. Check that the folder exists, is writable and has space.`, { cause: error });
  }
}
