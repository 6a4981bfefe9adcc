import { mkdtempSync, readFileSync, rmSync, existsSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { StudioError } from '../../shared/errors';
import { decodePly, encodePly, plyHeader, plyPropertyNames, readPlyFile, writePlyFile } from './ply';
import { prepareExport } from './export';
import type { SplatSet } from './splatSet';
import { randomEngineGaussians, randomSplatSet } from '../../../test/helpers/randomSplats';
import { buildPly, type PlyProp, type PlyType } from '../../../test/helpers/plyBuilder';

const dir = mkdtempSync(join(tmpdir(), 'ply-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function expectSameSet(actual: SplatSet, expected: SplatSet): void {
  expect(actual.count).toBe(expected.count);
  expect(actual.shDegree).toBe(expected.shDegree);
  for (const key of ['positions', 'scalesLog', 'rotationsWXYZ', 'opacityLogit', 'shDC', 'shRest'] as const) {
    expect(Buffer.from(actual[key].buffer, actual[key].byteOffset, actual[key].byteLength).equals(
      Buffer.from(expected[key].buffer, expected[key].byteOffset, expected[key].byteLength)), key).toBe(true);
  }
}

function studioErrorOf(f: () => unknown): StudioError {
  try { f(); } catch (e) { if (e instanceof StudioError) return e; throw e; }
  throw new Error('expected a StudioError, nothing was thrown');
}

/** The value a splat set holds for a PLY property name, INRIA or upstream naming. */
function valueOf(set: SplatSet, i: number, name: string, upstream = false): number {
  const rest = (set.shDegree + 1) ** 2 - 1;
  const m = /^(\w+?)_?(\d+)?$/.exec(name)!;
  switch (name) {
    case 'x': case 'y': case 'z': return set.positions[i * 3 + 'xyz'.indexOf(name)];
    case 'opacity': return set.opacityLogit[i];
  }
  const k = Number(name.split('_').pop());
  if (name.startsWith('scale_')) return set.scalesLog[i * 3 + k];
  if (name.startsWith('rot_')) return set.rotationsWXYZ[i * 4 + k];
  if (name.startsWith('f_rest_')) return set.shRest[i * 3 * rest + k];
  if (name.startsWith('f_dc_')) {
    if (!upstream || k < 3) return set.shDC[i * 3 + k];
    const coeff = Math.floor(k / 3), c = k % 3;
    return set.shRest[i * 3 * rest + c * rest + coeff - 1];
  }
  throw new Error(`no value for ${name} (${m[0]})`);
}

describe('PLY writer', () => {
  it('writes the INRIA 3DGS header: x y z nx ny nz f_dc_0..2 f_rest_0..23 opacity scale_0..2 rot_0..3', () => {
    const names = plyPropertyNames(2);
    expect(names.slice(0, 9)).toEqual(['x', 'y', 'z', 'nx', 'ny', 'nz', 'f_dc_0', 'f_dc_1', 'f_dc_2']);
    expect(names.slice(9, 33)).toEqual(Array.from({ length: 24 }, (_, i) => `f_rest_${i}`));
    expect(names.slice(33)).toEqual(['opacity', 'scale_0', 'scale_1', 'scale_2', 'rot_0', 'rot_1', 'rot_2', 'rot_3']);
    const header = plyHeader(7, 2);
    expect(header.startsWith('ply\nformat binary_little_endian 1.0\n')).toBe(true);
    expect(header).toContain('element vertex 7\n');
    expect(header.endsWith('property float rot_3\nend_header\n')).toBe(true);
    expect(header.length % 4).toBe(0);
  });

  it('lays f_rest out channel-major (all R, then G, then B) in the bytes', () => {
    const set = randomSplatSet(3, 5);
    const bytes = encodePly(set);
    const body = new Float32Array(bytes.buffer, bytes.byteOffset + plyHeader(3, 2).length, 3 * 41);
    for (let i = 0; i < 3; i++) {
      const row = body.subarray(i * 41, (i + 1) * 41);
      expect(Array.from(row.subarray(3, 6))).toEqual([0, 0, 0]);
      for (let c = 0; c < 3; c++) for (let k = 0; k < 8; k++) expect(row[9 + c * 8 + k]).toBe(set.shRest[i * 24 + c * 8 + k]);
      expect(row[33]).toBe(set.opacityLogit[i]);
      expect(row[37]).toBe(set.rotationsWXYZ[i * 4]);
    }
  });

  it('writes upstream layout on request: every SH coefficient as f_dc_*, coefficient-major, no normals', () => {
    const set = randomSplatSet(4, 6);
    const names = plyPropertyNames(2, 'upstream');
    expect(names).toEqual(['x', 'y', 'z', ...Array.from({ length: 27 }, (_, i) => `f_dc_${i}`), 'opacity', 'scale_0', 'scale_1', 'scale_2', 'rot_0', 'rot_1', 'rot_2', 'rot_3']);
    const bytes = encodePly(set, { layout: 'upstream' });
    const body = new Float32Array(bytes.buffer, bytes.byteOffset + plyHeader(4, 2, 'upstream').length, 4 * 38);
    for (let i = 0; i < 4; i++) names.forEach((name, p) => expect(body[i * 38 + p]).toBe(valueOf(set, i, name, true)));
  });
});

describe('PLY round trips', () => {
  it.each([0, 1, 2, 3])('INRIA layout, SH degree %i, is bit-exact through encode/decode', (degree) => {
    const set = randomSplatSet(257, 10 + degree, degree);
    expectSameSet(decodePly(encodePly(set)), set);
  });

  it('upstream layout is bit-exact through encode/decode', () => {
    const set = randomSplatSet(123, 20);
    expectSameSet(decodePly(encodePly(set, { layout: 'upstream' })), set);
  });

  it('streams to disk with the same bytes as encodePly and leaves no temporary file', async () => {
    const set = randomSplatSet(200_001, 21); // spans several stream chunks
    const file = join(dir, 'stream.ply');
    const written = await writePlyFile(file, set);
    const onDisk = readFileSync(file);
    expect(written).toBe(onDisk.length);
    expect(onDisk.equals(encodePly(set))).toBe(true);
    expectSameSet(await readPlyFile(file), set);
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('reports an unwritable path as IO_FAILED naming the file', async () => {
    const file = join(dir, 'missing-folder', 'x.ply');
    await expect(writePlyFile(file, randomSplatSet(2, 1))).rejects.toMatchObject({ code: 'IO_FAILED', message: expect.stringContaining(file) });
    expect(existsSync(file)).toBe(false);
  });
});

describe('PLY reader', () => {
  const set = randomSplatSet(5, 30);
  const inriaNames = plyPropertyNames(2);
  const rows = (names: string[], upstream = false): number[][] =>
    Array.from({ length: set.count }, (_, i) => names.map((n) => (n.startsWith('n') ? 0 : valueOf(set, i, n, upstream))));

  it('reads upstream export_gaussians files (plyfile: no normals, no padding, all SH in f_dc_*)', () => {
    const names = plyPropertyNames(2, 'upstream');
    const bytes = buildPly('binary_little_endian', [{ name: 'vertex', props: names.map((name) => ({ name, type: 'float' })), rows: rows(names, true) }]);
    expectSameSet(decodePly(bytes, 'upstream.ply'), set);
  });

  it('reads ascii with properties in any order and extra properties ignored', () => {
    const names = [...inriaNames].reverse();
    names.splice(7, 0, 'confidence');
    const props = names.map((name) => ({ name, type: 'float' as PlyType }));
    const data = rows(names.map((n) => (n === 'confidence' ? 'nx' : n)));
    const bytes = buildPly('ascii', [{ name: 'vertex', props, rows: data }], ['made by a test']);
    const back = decodePly(bytes, 'ascii.ply');
    expect(back.count).toBe(5);
    // ascii text of a float32 printed by JS round-trips exactly.
    expectSameSet(back, set);
  });

  it('reads double and uchar properties, big-endian data, and skips other elements before and after the vertices', () => {
    const props: PlyProp[] = inriaNames.map((name) => ({ name, type: name.startsWith('f_rest') ? 'double' : 'float' }));
    props.push({ name: 'red', type: 'uchar' });
    const data = rows(inriaNames).map((r) => [...r, 200]);
    const camera = { name: 'camera', props: [{ name: 'view', type: 'float' as PlyType }, { name: 'ids', type: 'int' as PlyType, list: 'uchar' as PlyType }], rows: [[1.5, [1, 2, 3]], [2.5, []]] };
    const face = { name: 'face', props: [{ name: 'vertex_indices', type: 'int' as PlyType, list: 'uchar' as PlyType }], rows: [[[0, 1, 2]]] };
    for (const format of ['binary_big_endian', 'binary_little_endian', 'ascii'] as const) {
      const back = decodePly(buildPly(format, [camera, { name: 'vertex', props, rows: data }, face]), `${format}.ply`);
      expectSameSet(back, set);
    }
  });

  it('converts integer-typed splat properties to numbers', () => {
    const props: PlyProp[] = inriaNames.map((name) => ({ name, type: name === 'opacity' ? 'uchar' : 'float' }));
    const data = rows(inriaNames);
    data.forEach((r, i) => { r[inriaNames.indexOf('opacity')] = 10 * i; });
    const back = decodePly(buildPly('binary_little_endian', [{ name: 'vertex', props, rows: data }]));
    expect(Array.from(back.opacityLogit)).toEqual([0, 10, 20, 30, 40]);
  });
});

describe('PLY reader rejects damaged files with INVALID_FILE naming the file and the problem', () => {
  const good = encodePly(randomSplatSet(10, 40));
  const cases: [string, Uint8Array, RegExp][] = [
    ['truncated body', good.subarray(0, good.length - 100), /truncated.*10 splats.*9 whole splats/],
    ['truncated header', good.subarray(0, 200), /end_header/],
    ['not a PLY', Buffer.from('hello world, this is not a ply file'), /not a PLY file/],
    ['empty', new Uint8Array(0), /not a PLY file/],
    ['no vertex element', buildPly('ascii', [{ name: 'face', props: [{ name: 'a', type: 'float' }], rows: [[1]] }]), /no 'vertex' element/],
    ['a point cloud, not splats', buildPly('ascii', [{ name: 'vertex', props: ['x', 'y', 'z'].map((name) => ({ name, type: 'float' as PlyType })), rows: [[1, 2, 3]] }]), /lacks opacity, scale_0.*not a Gaussian splat PLY/],
    ['bad f_rest count', Buffer.from(good.toString('latin1').replace('property float f_rest_23\n', ''), 'latin1'), /23 f_rest_\* properties do not match any SH degree/],
    ['unknown type', Buffer.from(good.toString('latin1').replace('property float x\n', 'property quad x\n'), 'latin1'), /unknown property type 'quad'/],
    ['bad count', Buffer.from(good.toString('latin1').replace('element vertex 10', 'element vertex -3'), 'latin1'), /count ≥ 0/],
  ];
  it.each(cases)('%s', (_label, bytes, problem) => {
    const error = studioErrorOf(() => decodePly(bytes, 'scene.ply'));
    expect(error.code).toBe('INVALID_FILE');
    expect(error.message).toContain('scene.ply');
    expect(error.message).toMatch(problem);
  });

  it('ascii: a non-number and a short file', () => {
    const names = plyPropertyNames(0);
    const row = names.map(() => 0.5);
    const text = buildPly('ascii', [{ name: 'vertex', props: names.map((name) => ({ name, type: 'float' as PlyType })), rows: [row, row] }]).toString('latin1');
    const bad = studioErrorOf(() => decodePly(Buffer.from(text.replace(/0\.5\n$/, 'abc\n'), 'latin1'), 'a.ply'));
    expect(bad.message).toMatch(/'abc' is not a number \(property rot_3 of splat 1\)/);
    const short = studioErrorOf(() => decodePly(Buffer.from(text.replace(/\n[^\n]*\n$/, '\n'), 'latin1'), 'a.ply'));
    expect(short.message).toMatch(/truncated.*2 splats but only 1 whole rows/);
  });

  it('readPlyFile names the path, and a missing file is IO_FAILED', async () => {
    const file = join(dir, 'cut.ply');
    await import('node:fs/promises').then((fs) => fs.writeFile(file, good.subarray(0, good.length - 1)));
    await expect(readPlyFile(file)).rejects.toMatchObject({ code: 'INVALID_FILE', message: expect.stringContaining(file) });
    await expect(readPlyFile(join(dir, 'nope.ply'))).rejects.toMatchObject({ code: 'IO_FAILED' });
  });
});

describe('PLY speed', () => {
  it('4 M splats: export, encode, stream to disk, read back (timings printed, not asserted)', async () => {
    const g = randomEngineGaussians(4_000_000, 50);
    const set = prepareExport(g, { tNorm: 1.2, frame: 'camera0', opacityThreshold: 0 });
    const file = join(dir, 'big.ply');
    for (let rep = 0; rep < 2; rep++) {
      let t = performance.now();
      const bytes = encodePly(set);
      const encodeMs = performance.now() - t;
      t = performance.now();
      const written = await writePlyFile(file, set);
      const writeMs = performance.now() - t;
      t = performance.now();
      const back = await readPlyFile(file);
      const readMs = performance.now() - t;
      console.log(`PLY ${set.count} splats (${(written / 2 ** 20).toFixed(0)} MiB): encodePly ${encodeMs.toFixed(0)} ms, writePlyFile ${writeMs.toFixed(0)} ms, readPlyFile ${readMs.toFixed(0)} ms`);
      expect(bytes.length).toBe(written);
      expect(back.count).toBe(4_000_000);
      expect(back.positions[3 * 3_999_999 + 2]).toBe(set.positions[3 * 3_999_999 + 2]);
    }
  });
});
