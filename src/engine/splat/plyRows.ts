/**
 * How splats become rows of a binary PLY body. Default layout is the INRIA 3DGS one every viewer reads:
 *   x y z nx ny nz f_dc_0..2 f_rest_0..(3·rest−1) opacity scale_0..2 rot_0..3
 * (binary little-endian float32; f_rest channel-major: all R rest coefficients, then G, then B).
 * 'upstream' writes FlashWorld's own layout (utils.py `export_gaussians`): x y z, then ALL SH
 * coefficients as f_dc_0..(3·coeffs−1) coefficient-major, opacity, scale_0..2, rot_0..3.
 * Rows come from a SplatSet (fillRows) or straight from engine output (plyRowDestination).
 */
import { StudioError } from '../../shared/errors';
import type { ExportDestination, FieldSlot } from './exportWriter';
import { shRestPerChannel, type SplatSet } from './splatSet';

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

/** Floats in one row: one per property. */
export function plyRowFloats(shDegree: number, layout: PlyLayout): number {
  return plyPropertyNames(shDegree, layout).length;
}

/**
 * Writes rows [start, end) of `set` into `out` (row-major float32, one row per splat). A loop
 * per layout with running indices measured no faster: this copy is bound by memory.
 */
export function fillRows(set: SplatSet, layout: PlyLayout, start: number, end: number, out: Float32Array): void {
  const { positions, scalesLog, rotationsWXYZ, opacityLogit, shDC, shRest } = set;
  const rest = shRestPerChannel(set.shDegree);
  const rowFloats = plyRowFloats(set.shDegree, layout);
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

/**
 * The rows of a PLY body as an export destination, every offset found from the property names
 * the header lists, so rows and header cannot disagree. Normals (INRIA nx ny nz) are never
 * written: the body starts zeroed and nothing else writes there.
 */
export function plyRowDestination(body: Float32Array, shDegree: number, layout: PlyLayout): ExportDestination {
  const names = plyPropertyNames(shDegree, layout);
  const step = names.length;
  const at = (name: string): FieldSlot => ({ array: body, offset: names.indexOf(name), step });
  const inria = layout === 'inria';
  const rest = shRestPerChannel(shDegree);
  // INRIA: f_rest_0.. channel-major. Upstream: rest coefficients follow the DC as f_dc_3.., coefficient-major.
  const restStart = inria ? names.indexOf('f_rest_0') : names.indexOf('f_dc_0') + 3;
  return {
    positions: at('x'),
    scalesLog: at('scale_0'),
    rotationsWXYZ: at('rot_0'),
    opacityLogit: at('opacity'),
    shDC: at('f_dc_0'),
    shRest: { array: body, offset: restStart, step, channelStep: inria ? rest : 1, coeffStep: inria ? 1 : 3 },
  };
}

export function checkLittleEndianHost(): void {
  // Float32Array bytes go to disk as they are in memory; PLY here promises little-endian.
  if (new Uint8Array(Uint16Array.of(1).buffer)[0] !== 1) {
    throw new StudioError('INTERNAL', 'This machine is big-endian; the PLY writer only supports little-endian hosts.');
  }
}
