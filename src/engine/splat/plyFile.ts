/**
 * PLY files written to disk in chunks: a chunk of rows is filled while the previous one is being
 * written (the write runs on libuv's thread pool, so filling and writing overlap), through two
 * reused chunk buffers. Unlike encodePly this never holds the whole file in memory, and never
 * pays for faulting in a fresh 0.6 GB buffer. Output goes to a temporary file renamed over the
 * real name at the end, so a failed write never leaves a half file under the real name.
 */
import { open, rename, unlink } from 'node:fs/promises';
import { StudioError } from '../../shared/errors';
import { planExport, type ExportOptions } from './export';
import { countKept, writeExportedGaussians } from './exportWriter';
import type { GaussianInput } from './gaussianBlocks';
import { checkLittleEndianHost, fillRows, plyHeader, plyRowDestination, plyRowFloats, type PlyWriteOptions } from './plyRows';
import { assertSplatSetShape, type SplatSet } from './splatSet';

/** Rows (or source Gaussians) per chunk: 64 Ki rows ≈ 10 MB at SH degree 2. */
const STREAM_CHUNK_ROWS = 1 << 16;

/** Fills `chunk` with the rows of chunk `index` (0, 1, ...) and returns how many rows it wrote. */
type FillChunk = (chunk: Float32Array, index: number) => number;

/** Writes `header`, then chunks 0..chunks−1; returns the file's size in bytes. */
async function streamPlyFile(filePath: string, header: Buffer, rows: number, rowFloats: number, chunks: number, fill: FillChunk): Promise<number> {
  const tmpPath = `${filePath}.${process.pid}.${Date.now()}.tmp`;
  const buffers = [new Float32Array(STREAM_CHUNK_ROWS * rowFloats), new Float32Array(STREAM_CHUNK_ROWS * rowFloats)];
  let handle;
  try {
    handle = await open(tmpPath, 'w');
    const fh = handle;
    const writeAll = async (bytes: Uint8Array, at: number): Promise<void> => {
      let done = 0;
      while (done < bytes.length) {
        const { bytesWritten } = await fh.write(bytes, done, bytes.length - done, at + done);
        done += bytesWritten;
      }
    };
    await writeAll(header, 0);
    let position = header.length;
    let pending: Promise<void> | null = null;
    for (let c = 0; c < chunks; c++) {
      // Buffer c % 2 was handed to the write before last, which has finished (awaited below).
      const buf = buffers[c % 2];
      const filled = fill(buf, c);
      if (pending) await pending;
      const bytes = new Uint8Array(buf.buffer, 0, filled * rowFloats * 4);
      pending = writeAll(bytes, position);
      position += bytes.length;
    }
    if (pending) await pending;
    if (position !== header.length + rows * rowFloats * 4) {
      // The header promised `rows` rows: the source changed while the file was being written.
      throw new StudioError('INTERNAL', `PLY file ${filePath} got ${(position - header.length) / (rowFloats * 4)} splats instead of the ${rows} its header announces; the splat buffer was changed while it was being written.`);
    }
    await fh.close();
    handle = undefined;
    await rename(tmpPath, filePath);
    return position;
  } catch (error) {
    await handle?.close().catch(() => undefined);
    await unlink(tmpPath).catch(() => undefined);
    if (error instanceof StudioError) throw error;
    throw new StudioError('IO_FAILED', `Could not write PLY file ${filePath}: ${(error as Error).message}. Check that the folder exists, is writable and has space.`, { cause: error });
  }
}

/** Streams `set` to `filePath`, the same bytes as encodePly(set, options). Returns the number of bytes written. */
export async function writePlyFile(filePath: string, set: SplatSet, options: PlyWriteOptions = {}): Promise<number> {
  assertSplatSetShape(set);
  checkLittleEndianHost();
  const layout = options.layout ?? 'inria';
  const header = Buffer.from(plyHeader(set.count, set.shDegree, layout), 'ascii');
  const chunks = Math.ceil(set.count / STREAM_CHUNK_ROWS);
  return streamPlyFile(filePath, header, set.count, plyRowFloats(set.shDegree, layout), chunks, (chunk, c) => {
    const start = c * STREAM_CHUNK_ROWS;
    const end = Math.min(set.count, start + STREAM_CHUNK_ROWS);
    fillRows(set, layout, start, end, chunk);
    return end - start;
  });
}

/**
 * Streams the export of engine Gaussians to `filePath`: the same bytes as
 * encodePly(prepareExport(gaussians, exportOptions), options), without a SplatSet or a
 * whole-file buffer. Each chunk covers a run of source Gaussians (f32, or fp16 bits widened a
 * block at a time), of which the kept ones are written. Returns the number of bytes written.
 */
export async function writePlyFileFromGaussians(filePath: string, gaussians: GaussianInput, exportOptions: ExportOptions, options: PlyWriteOptions = {}): Promise<number> {
  checkLittleEndianHost();
  const plan = planExport(gaussians, exportOptions);
  const count = countKept(gaussians, plan);
  const layout = options.layout ?? 'inria';
  const header = Buffer.from(plyHeader(count, plan.shDegree, layout), 'ascii');
  // Normals are never written: the chunk buffers start zeroed and only rows' other fields are filled.
  const chunks = Math.ceil(plan.total / STREAM_CHUNK_ROWS);
  return streamPlyFile(filePath, header, count, plyRowFloats(plan.shDegree, layout), chunks, (chunk, c) => {
    const dest = plyRowDestination(chunk, plan.shDegree, layout);
    const start = c * STREAM_CHUNK_ROWS;
    return writeExportedGaussians(gaussians, plan, dest, start, Math.min(plan.total, start + STREAM_CHUNK_ROWS));
  });
}
