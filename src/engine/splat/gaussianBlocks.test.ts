import { describe, expect, it } from 'vitest';
import { float16Data, float32Data } from '../pipeline/floatData';
import { halfArrayToFloat32 } from '../weights/halfFloat';
import { forEachFloat32Block, GAUSSIAN_BLOCK_ROWS, gaussianData, gaussianValueCount } from './gaussianBlocks';

describe('forEachFloat32Block', () => {
  const stride = 5;

  it('hands f32 Gaussians over in one call, the array itself, rows numbered as in it', () => {
    const g = Float32Array.from({ length: 20 * stride }, (_, i) => i);
    for (const input of [g, float32Data(g)]) {
      const calls: [Float32Array, number, number][] = [];
      forEachFloat32Block(input, stride, 3, 17, (block, start, end) => calls.push([block, start, end]));
      expect(calls).toHaveLength(1);
      expect(calls[0][0]).toBe(g);
      expect(calls[0].slice(1)).toEqual([3, 17]);
    }
  });

  it('widens fp16 rows block by block into one scratch, in order, exactly as widening them all', () => {
    const rows = 2 * GAUSSIAN_BLOCK_ROWS + 10;
    const bits = Uint16Array.from({ length: rows * stride }, (_, i) => (i * 2654435761) >>> 16);
    const widened = halfArrayToFloat32(bits);
    const seen = new Float32Array((rows - 7) * stride);
    let at = 0;
    const scratches = new Set<ArrayBufferLike>();
    let sizes: number[] = [];
    forEachFloat32Block(float16Data(bits), stride, 7, rows, (block, start, end) => {
      scratches.add(block.buffer);
      sizes.push(end - start);
      seen.set(block.subarray(start * stride, end * stride), at);
      at += (end - start) * stride;
    });
    expect(at).toBe(seen.length);
    expect(Buffer.from(seen.buffer).equals(Buffer.from(widened.slice(7 * stride).buffer))).toBe(true);
    expect(scratches.size).toBe(1);
    expect(sizes).toEqual([GAUSSIAN_BLOCK_ROWS, GAUSSIAN_BLOCK_ROWS, 3]);
    sizes = [];
    forEachFloat32Block(float16Data(bits), stride, 5, 5, (_b, start, end) => sizes.push(end - start));
    expect(sizes).toEqual([]);
  });

  it('tags a bare Float32Array as f32 and counts values of either type', () => {
    const g = new Float32Array(12);
    expect(gaussianData(g)).toEqual({ dtype: 'float32', data: g });
    expect(gaussianValueCount(g)).toBe(12);
    expect(gaussianValueCount(float16Data(new Uint16Array(9)))).toBe(9);
  });
});
