/**
 * PLY writer for splat sets, in memory: the whole file in one Buffer. The row layouts live in
 * plyRows.ts, the streaming file writers in plyFile.ts and the reader in plyRead.ts; all are
 * re-exported here, so callers import PLY from one place.
 */
import { planExport, type ExportOptions } from './export';
import { writeExportedGaussians } from './exportWriter';
import type { GaussianInput } from './gaussianBlocks';
import { checkLittleEndianHost, fillRows, plyHeader, plyRowDestination, plyRowFloats, type PlyWriteOptions } from './plyRows';
import { assertSplatSetShape, type SplatSet } from './splatSet';

export { decodePly, readPlyFile } from './plyRead';
export { writePlyFile, writePlyFileFromGaussians } from './plyFile';
export { plyHeader, plyPropertyNames, type PlyLayout, type PlyWriteOptions } from './plyRows';

/** A fresh, zeroed buffer holding `header` followed by room for `rows` rows, and a float view of the rows. */
function allocatePly(header: Buffer, rows: number, rowFloats: number): { out: Buffer; body: Float32Array } {
  // A fresh ArrayBuffer (not Buffer's shared pool), so header.length, a multiple of 4, aligns the body.
  const arrayBuffer = new ArrayBuffer(header.length + rows * rowFloats * 4);
  const out = Buffer.from(arrayBuffer);
  header.copy(out, 0);
  return { out, body: new Float32Array(arrayBuffer, header.length, rows * rowFloats) };
}

/** The whole file in one Buffer (164 bytes a splat at SH degree 2: ~660 MB for 4 M splats). */
export function encodePly(set: SplatSet, options: PlyWriteOptions = {}): Buffer {
  assertSplatSetShape(set);
  checkLittleEndianHost();
  const layout = options.layout ?? 'inria';
  const header = Buffer.from(plyHeader(set.count, set.shDegree, layout), 'ascii');
  const { out, body } = allocatePly(header, set.count, plyRowFloats(set.shDegree, layout));
  fillRows(set, layout, 0, set.count, body);
  return out;
}

/**
 * encodePly(prepareExport(gaussians, exportOptions), options), byte for byte, in one pass from
 * the engine's buffer (f32, or fp16 bits a block at a time): no SplatSet in between. Use it when
 * the PLY is the only output wanted.
 *
 * The header states the splat count, known only after the pass, so the body is written after
 * room for the header of the largest possible count (every Gaussian kept) and the header goes in
 * afterwards. The buffer is sized for every Gaussian, but memory past the last written row is
 * never touched, so it costs address space only; the result is a view of its first bytes.
 * This saves a counting pass over 0.6 GB (~7 % of the time at 4 M splats).
 */
export function encodePlyFromGaussians(gaussians: GaussianInput, exportOptions: ExportOptions, options: PlyWriteOptions = {}): Buffer {
  checkLittleEndianHost();
  const plan = planExport(gaussians, exportOptions);
  const layout = options.layout ?? 'inria';
  const rowBytes = plyRowFloats(plan.shDegree, layout) * 4;
  const roomForHeader = plyHeader(plan.total, plan.shDegree, layout).length;
  const arrayBuffer = new ArrayBuffer(roomForHeader + plan.total * rowBytes);
  const body = new Float32Array(arrayBuffer, roomForHeader, (plan.total * rowBytes) / 4);
  const count = writeExportedGaussians(gaussians, plan, plyRowDestination(body, plan.shDegree, layout));
  const header = plyHeader(count, plan.shDegree, layout);
  // Fewer kept splats can mean a shorter count and so a header shorter by 4 (it is padded to a
  // multiple of 4): then the body moves up to meet it. Rare (the count must lose a digit).
  if (header.length !== roomForHeader) new Uint8Array(arrayBuffer).copyWithin(header.length, roomForHeader, roomForHeader + count * rowBytes);
  const out = Buffer.from(arrayBuffer, 0, header.length + count * rowBytes);
  out.write(header, 0, 'ascii');
  return out;
}
