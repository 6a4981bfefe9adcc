/**
 * Parity with upstream utils.py `export_gaussians` (threshold 0.00025, T_norm) run by
 * tools/reference/make_generate_fixture.py on the GPU machine: its input is `gaussians` and
 * `t_norm` of parity/generate.safetensors, its output (what plyfile was given: property names and
 * values, upstream layout) is parity/export_upstream.safetensors. We rebuild that PLY byte for byte
 * as plyfile writes it, read it with our reader, and compare with prepareExport of the same input.
 */
import { describe, expect, it } from 'vitest';
import { prepareExport } from '../../src/engine/splat/export';
import { decodePly } from '../../src/engine/splat/ply';
import type { SplatSet } from '../../src/engine/splat/splatSet';
import { loadFixture } from '../helpers/fixtures';

const CAPTURED = 'parity/export_upstream.safetensors';
const CAPTURED_INPUT = 'parity/generate.safetensors';

function input(rel: string): { gaussians: Float32Array; tNorm: number } {
  const { tensors } = loadFixture(rel);
  expect(tensors.gaussians.shape[tensors.gaussians.shape.length - 1]).toBe(38);
  return { gaussians: tensors.gaussians.data as Float32Array, tNorm: Number((tensors.t_norm.data as Float32Array)[0]) };
}

function expectSameAsUpstream(ours: SplatSet, upstream: SplatSet): void {
  expect(upstream.shDegree).toBe(2);
  expect(ours.count).toBe(upstream.count);
  // Pure copies are bit-exact (the SH reordering included).
  expect(ours.rotationsWXYZ).toEqual(upstream.rotationsWXYZ);
  expect(ours.shDC).toEqual(upstream.shDC);
  expect(ours.shRest).toEqual(upstream.shRest);
  // Arithmetic in float32 (torch) vs float64 rounded once (here): a few ulps.
  let position = 0, scale = 0, opacity = 0, infinite = 0;
  for (let i = 0; i < ours.count * 3; i++) {
    position = Math.max(position, Math.abs(ours.positions[i] - upstream.positions[i]) / (Math.abs(upstream.positions[i]) + 1e-6));
    scale = Math.max(scale, Math.abs(ours.scalesLog[i] - upstream.scalesLog[i]));
  }
  for (let i = 0; i < ours.count; i++) {
    if (upstream.opacityLogit[i] === Infinity) {
      // Upstream writes +inf where opacity rounded to 1; we store a finite logit that still means 1.
      infinite++;
      expect(Math.fround(1 / (1 + Math.exp(-ours.opacityLogit[i])))).toBe(1);
      continue;
    }
    opacity = Math.max(opacity, Math.abs(ours.opacityLogit[i] - upstream.opacityLogit[i]) / Math.max(1, Math.abs(upstream.opacityLogit[i])));
  }
  console.log(`export parity: ${ours.count} splats; max rel Δ position ${position.toExponential(2)}, max |Δ| log-scale ${scale.toExponential(2)}, max rel Δ logit ${opacity.toExponential(2)}, upstream +inf logits ${infinite}`);
  expect(position).toBeLessThan(1e-6);
  expect(scale).toBeLessThan(1e-5);
  expect(opacity).toBeLessThan(1e-4);
}

describe('prepareExport matches upstream export_gaussians', () => {
  it('same splats, order and values as the data upstream handed to plyfile', () => {
    const { gaussians, tNorm } = input(CAPTURED_INPUT);
    const { tensors, metadata } = loadFixture(CAPTURED);
    const names = JSON.parse(metadata.names) as string[];
    const values = tensors.attributes.data as Float32Array;
    expect(tensors.attributes.shape).toEqual([values.length / names.length, names.length]);
    expect(Number((tensors.t_norm.data as Float32Array)[0])).toBe(tNorm);
    // plyfile's binary_little_endian output for a float32 record array: this header, then the rows.
    const header = `ply\nformat binary_little_endian 1.0\nelement vertex ${values.length / names.length}\n${names.map((n) => `property float ${n}\n`).join('')}end_header\n`;
    const upstream = decodePly(Buffer.concat([Buffer.from(header, 'ascii'), Buffer.from(values.buffer, values.byteOffset, values.byteLength)]), 'export_upstream (rebuilt)');
    expectSameAsUpstream(prepareExport(gaussians, { tNorm, frame: 'camera0' }), upstream);
  });
});
