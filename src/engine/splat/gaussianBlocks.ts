/**
 * Engine Gaussians as the export and the thumbnail take them: f32 values, or the fp16 bits the
 * recon decoder gives on the GPU (FloatData 'float16'). Readers of fp16 see it a block of rows at
 * a time, widened into one reused f32 scratch: the same values as widening the whole buffer
 * first, without faulting in a 616 MB copy (≈ 0.8 s of a generation at 4 M Gaussians), and the
 * tuned f32 loops run unchanged on every block, with no per-value branch on the type.
 */
import { float32Data, type FloatData } from '../pipeline/floatData';
import { halfToFloat32Table } from '../weights/halfFloat';

/** Gaussians (N × stride): a bare Float32Array is f32 values. */
export type GaussianInput = Float32Array | FloatData;

/**
 * Rows widened at a time: 4096 × 38 floats is 608 KiB, small enough to stay in cache between
 * the widening and the loop that reads it, large enough that the per-block call costs nothing.
 */
export const GAUSSIAN_BLOCK_ROWS = 4096;

/** `gaussians` tagged with its type. */
export function gaussianData(gaussians: GaussianInput): FloatData {
  return gaussians instanceof Float32Array ? float32Data(gaussians) : gaussians;
}

/** Values (not bytes) in the buffer, whatever their type. */
export function gaussianValueCount(gaussians: GaussianInput): number {
  return gaussians instanceof Float32Array ? gaussians.length : gaussians.data.length;
}

/**
 * Hands rows [from, to) of `gaussians` to `visit` as f32: `visit(block, start, end)` reads rows
 * [start, end) of `block`, in order. f32 input is one call on the array itself (rows numbered as
 * in the array); fp16 input is one call per GAUSSIAN_BLOCK_ROWS rows on a reused scratch
 * (rows numbered from 0), so `visit` must not keep `block`.
 */
export function forEachFloat32Block(
  gaussians: GaussianInput, stride: number, from: number, to: number,
  visit: (block: Float32Array, start: number, end: number) => void,
): void {
  const data = gaussianData(gaussians);
  if (data.dtype === 'float32') {
    if (to > from) visit(data.data, from, to);
    return;
  }
  const bits = data.data;
  // The widening table's f32 bits copied as integers: the same bits as halfArrayToFloat32 gives,
  // ~25 % faster than a float load and store (no conversion through a double).
  const table = new Uint32Array(halfToFloat32Table().buffer);
  const scratch = new Float32Array(Math.min(GAUSSIAN_BLOCK_ROWS, Math.max(0, to - from)) * stride);
  const scratchBits = new Uint32Array(scratch.buffer);
  for (let first = from; first < to; first += GAUSSIAN_BLOCK_ROWS) {
    const rows = Math.min(GAUSSIAN_BLOCK_ROWS, to - first);
    for (let i = 0, j = first * stride, n = rows * stride; i < n; i++, j++) scratchBits[i] = table[bits[j]];
    visit(rows * stride === scratch.length ? scratch : scratch.subarray(0, rows * stride), 0, rows);
  }
}
