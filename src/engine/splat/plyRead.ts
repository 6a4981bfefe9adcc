/**
 * PLY reader for Gaussian splat files. Accepts the INRIA 3DGS layout (f_dc_0..2 + f_rest_*,
 * channel-major) and FlashWorld upstream's layout (all SH as f_dc_*, coefficient-major), in
 * ascii, binary_little_endian or binary_big_endian, with properties in any order and of any
 * scalar type; extra properties and elements are ignored. Anything truncated or malformed is a
 * StudioError('INVALID_FILE') that names the file and the problem.
 */
import { StudioError } from '../../shared/errors';
import { readFileBytes } from './fileBytes';
import { allocateSplatSet, shDegreeForRestPerChannel, shRestPerChannel, type SplatSet } from './splatSet';

type ScalarType = 'int8' | 'uint8' | 'int16' | 'uint16' | 'int32' | 'uint32' | 'float32' | 'float64';

const TYPE_ALIASES: Record<string, ScalarType> = {
  char: 'int8', int8: 'int8', uchar: 'uint8', uint8: 'uint8',
  short: 'int16', int16: 'int16', ushort: 'uint16', uint16: 'uint16',
  int: 'int32', int32: 'int32', uint: 'uint32', uint32: 'uint32',
  float: 'float32', float32: 'float32', double: 'float64', float64: 'float64',
};
const TYPE_BYTES: Record<ScalarType, number> = { int8: 1, uint8: 1, int16: 2, uint16: 2, int32: 4, uint32: 4, float32: 4, float64: 8 };

interface Property { name: string; type: ScalarType; listCountType?: ScalarType }
interface Element { name: string; count: number; properties: Property[] }
type Format = 'ascii' | 'binary_little_endian' | 'binary_big_endian';

/** Largest header we look through for end_header; real headers are a few KB. */
const MAX_HEADER_BYTES = 1 << 20;

function invalid(fileName: string, problem: string): StudioError {
  return new StudioError('INVALID_FILE', `Cannot read splat PLY ${fileName}: ${problem}.`);
}

function parseHeader(bytes: Uint8Array, fileName: string): { format: Format; elements: Element[]; dataOffset: number } {
  const head = Buffer.from(bytes.buffer, bytes.byteOffset, Math.min(bytes.length, MAX_HEADER_BYTES));
  if (head.subarray(0, 3).toString('latin1') !== 'ply') throw invalid(fileName, "it is not a PLY file (it does not start with 'ply')");
  const endAt = head.indexOf('end_header');
  if (endAt < 0) throw invalid(fileName, "the header has no 'end_header' line (the file is truncated or not a PLY)");
  const newline = head.indexOf(0x0a, endAt);
  if (newline < 0) throw invalid(fileName, "the file ends right after 'end_header'");
  const lines = head.subarray(0, endAt).toString('latin1').split('\n').map((l) => l.trim()).filter((l) => l.length > 0);

  let format: Format | undefined;
  const elements: Element[] = [];
  for (const [index, line] of lines.entries()) {
    const t = line.split(/\s+/);
    const where = `header line ${index + 1} ('${line}')`;
    switch (t[0]) {
      case 'ply': case 'comment': case 'obj_info': break;
      case 'format':
        if (t[1] !== 'ascii' && t[1] !== 'binary_little_endian' && t[1] !== 'binary_big_endian') throw invalid(fileName, `${where}: unknown format '${t[1]}'`);
        format = t[1];
        break;
      case 'element': {
        const count = Number(t[2]);
        if (t.length !== 3 || !Number.isSafeInteger(count) || count < 0) throw invalid(fileName, `${where}: an element needs a name and a count ≥ 0`);
        elements.push({ name: t[1], count, properties: [] });
        break;
      }
      case 'property': {
        const element = elements[elements.length - 1];
        if (!element) throw invalid(fileName, `${where}: property before any element`);
        if (t[1] === 'list') {
          const countType = TYPE_ALIASES[t[2]], type = TYPE_ALIASES[t[3]];
          if (t.length !== 5 || !countType || !type) throw invalid(fileName, `${where}: malformed list property`);
          element.properties.push({ name: t[4], type, listCountType: countType });
        } else {
          const type = TYPE_ALIASES[t[1]];
          if (t.length !== 3 || !type) throw invalid(fileName, `${where}: unknown property type '${t[1]}'`);
          element.properties.push({ name: t[2], type });
        }
        break;
      }
      default: throw invalid(fileName, `${where}: unknown header keyword '${t[0]}'`);
    }
  }
  if (!format) throw invalid(fileName, "the header has no 'format' line");
  return { format, elements, dataOffset: newline + 1 };
}

/** Which vertex columns feed which SplatSet field, found by name. */
interface Layout { shDegree: number; upstream: boolean; index: Map<string, number> }

function resolveLayout(vertex: Element, fileName: string): Layout {
  const index = new Map<string, number>();
  vertex.properties.forEach((p, i) => index.set(p.name, i));
  const required = ['x', 'y', 'z', 'opacity', 'scale_0', 'scale_1', 'scale_2', 'rot_0', 'rot_1', 'rot_2', 'rot_3', 'f_dc_0', 'f_dc_1', 'f_dc_2'];
  const missing = required.filter((n) => !index.has(n));
  if (missing.length > 0) throw invalid(fileName, `the vertex element lacks ${missing.join(', ')} (not a Gaussian splat PLY)`);
  const countPrefixed = (prefix: string): number => vertex.properties.filter((p) => p.name.startsWith(prefix)).length;
  const nRest = countPrefixed('f_rest_');
  const nDc = countPrefixed('f_dc_');
  const needContiguous = (prefix: string, n: number): void => {
    for (let i = 0; i < n; i++) if (!index.has(`${prefix}${i}`)) throw invalid(fileName, `it has ${n} ${prefix}* properties but no ${prefix}${i}`);
  };
  let upstream = false;
  let shDegree: number;
  if (nDc > 3) {
    // FlashWorld upstream: every SH coefficient is an f_dc_*, coefficient-major.
    if (nRest > 0) throw invalid(fileName, `it has ${nDc} f_dc_* and ${nRest} f_rest_* properties; expected 3 f_dc_* (INRIA) or f_dc_* only (FlashWorld upstream)`);
    shDegree = shDegreeForRestPerChannel(nDc / 3 - 1);
    if (nDc % 3 !== 0 || shDegree < 0) throw invalid(fileName, `${nDc} f_dc_* properties do not match any SH degree 0..4`);
    needContiguous('f_dc_', nDc);
    upstream = true;
  } else {
    shDegree = shDegreeForRestPerChannel(nRest / 3);
    if (nRest % 3 !== 0 || shDegree < 0) throw invalid(fileName, `${nRest} f_rest_* properties do not match any SH degree 0..4`);
    needContiguous('f_rest_', nRest);
  }
  for (const name of index.keys()) {
    if (vertex.properties[index.get(name)!].listCountType && (required.includes(name) || name.startsWith('f_'))) {
      throw invalid(fileName, `vertex property ${name} is a list, expected a scalar`);
    }
  }
  return { shDegree, upstream, index };
}

/** Where one vertex property goes: destination array, its floats per splat, and the slot within. */
interface Target { dest: Float32Array; stride: number; offset: number; prop: number }

function targets(set: SplatSet, layout: Layout): Target[] {
  const { index, shDegree, upstream } = layout;
  const out: Target[] = [];
  const add = (dest: Float32Array, stride: number, offset: number, name: string): void => {
    out.push({ dest, stride, offset, prop: index.get(name)! });
  };
  ['x', 'y', 'z'].forEach((name, k) => add(set.positions, 3, k, name));
  ['scale_0', 'scale_1', 'scale_2'].forEach((name, k) => add(set.scalesLog, 3, k, name));
  ['rot_0', 'rot_1', 'rot_2', 'rot_3'].forEach((name, k) => add(set.rotationsWXYZ, 4, k, name));
  add(set.opacityLogit, 1, 0, 'opacity');
  [0, 1, 2].forEach((k) => add(set.shDC, 3, k, `f_dc_${k}`));
  const rest = shRestPerChannel(shDegree);
  for (let c = 0; c < 3; c++) {
    for (let k = 0; k < rest; k++) {
      // INRIA f_rest is channel-major like SplatSet; upstream's f_dc_* is coefficient-major.
      add(set.shRest, 3 * rest, c * rest + k, upstream ? `f_dc_${(k + 1) * 3 + c}` : `f_rest_${c * rest + k}`);
    }
  }
  return out;
}

/**
 * Row by row (one pass over the file's bytes, not one per column), copying runs of adjacent
 * properties that land in adjacent slots of one array together — six runs for an INRIA file.
 */
function fillFromFloats(set: SplatSet, layout: Layout, floats: Float32Array, rowFloats: number): void {
  const sorted = targets(set, layout).sort((a, b) => a.prop - b.prop);
  const runs: { dest: Float32Array; stride: number; offset: number; prop: number; length: number }[] = [];
  for (const t of sorted) {
    const last = runs[runs.length - 1];
    if (last && last.dest === t.dest && last.prop + last.length === t.prop && last.offset + last.length === t.offset) last.length++;
    else runs.push({ ...t, length: 1 });
  }
  for (const { dest, stride, offset, prop, length } of runs) {
    for (let i = 0, src = prop, dst = offset; i < set.count; i++, src += rowFloats, dst += stride) {
      for (let k = 0; k < length; k++) dest[dst + k] = floats[src + k];
    }
  }
}

type Getter = (row: number, prop: number) => number;

function fillFromGetter(set: SplatSet, layout: Layout, get: Getter): void {
  const t = targets(set, layout);
  for (let i = 0; i < set.count; i++) {
    for (const { dest, stride, offset, prop } of t) dest[i * stride + offset] = get(i, prop);
  }
}

function fillBinary(set: SplatSet, layout: Layout, bytes: Uint8Array, start: number, vertex: Element, littleEndian: boolean): void {
  const offsets: number[] = [];
  let rowBytes = 0;
  for (const p of vertex.properties) {
    offsets.push(rowBytes);
    rowBytes += TYPE_BYTES[p.type];
  }
  const allFloat = vertex.properties.every((p) => p.type === 'float32');
  if (allFloat && littleEndian && new Uint8Array(Uint16Array.of(1).buffer)[0] === 1) {
    // Fast path (every file we write): a float32 view over the vertex block, copied only if unaligned.
    const len = vertex.count * rowBytes;
    let aligned = bytes.subarray(start, start + len);
    if (aligned.byteOffset % 4 !== 0) aligned = new Uint8Array(aligned); // (Buffer#slice would not copy)
    fillFromFloats(set, layout, new Float32Array(aligned.buffer, aligned.byteOffset, len / 4), rowBytes / 4);
    return;
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset + start, vertex.count * rowBytes);
  const readers = vertex.properties.map((p) => scalarReader(view, p.type, littleEndian));
  fillFromGetter(set, layout, (row, prop) => readers[prop](row * rowBytes + offsets[prop]));
}

function scalarReader(view: DataView, type: ScalarType, le: boolean): (at: number) => number {
  switch (type) {
    case 'int8': return (at) => view.getInt8(at);
    case 'uint8': return (at) => view.getUint8(at);
    case 'int16': return (at) => view.getInt16(at, le);
    case 'uint16': return (at) => view.getUint16(at, le);
    case 'int32': return (at) => view.getInt32(at, le);
    case 'uint32': return (at) => view.getUint32(at, le);
    case 'float32': return (at) => view.getFloat32(at, le);
    case 'float64': return (at) => view.getFloat64(at, le);
  }
}

/** Bytes taken by `count` instances of a binary element (walks list properties). */
function skipBinaryElement(bytes: Uint8Array, at: number, element: Element, le: boolean, fileName: string): number {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
  for (let i = 0; i < element.count; i++) {
    for (const p of element.properties) {
      if (p.listCountType) {
        const countBytes = TYPE_BYTES[p.listCountType];
        if (at + countBytes > bytes.length) throw invalid(fileName, `the file is truncated inside element '${element.name}'`);
        const n = scalarReader(view, p.listCountType, le)(at);
        at += countBytes + n * TYPE_BYTES[p.type];
      } else {
        at += TYPE_BYTES[p.type];
      }
    }
    if (at > bytes.length) throw invalid(fileName, `the file is truncated inside element '${element.name}'`);
  }
  return at;
}

function decodeBinary(bytes: Uint8Array, fileName: string, elements: Element[], vertexIndex: number, dataOffset: number, le: boolean, layout: Layout): SplatSet {
  let at = dataOffset;
  for (let e = 0; e < vertexIndex; e++) at = skipBinaryElement(bytes, at, elements[e], le, fileName);
  const vertex = elements[vertexIndex];
  if (vertex.properties.some((p) => p.listCountType)) throw invalid(fileName, 'the vertex element has list properties, which splat files never have');
  const rowBytes = vertex.properties.reduce((sum, p) => sum + TYPE_BYTES[p.type], 0);
  const available = bytes.length - at;
  if (available < vertex.count * rowBytes) {
    throw invalid(fileName, `the file is truncated: the header declares ${vertex.count} splats (${vertex.count * rowBytes} bytes) but only ${available} bytes follow (${Math.floor(available / rowBytes)} whole splats)`);
  }
  const set = allocateSplatSet(vertex.count, layout.shDegree);
  fillBinary(set, layout, bytes, at, vertex, le);
  return set;
}

function decodeAscii(bytes: Uint8Array, fileName: string, elements: Element[], vertexIndex: number, dataOffset: number, layout: Layout): SplatSet {
  const text = Buffer.from(bytes.buffer, bytes.byteOffset + dataOffset, bytes.length - dataOffset).toString('latin1');
  const tokens = text.split(/\s+/).filter((t) => t.length > 0);
  let at = 0;
  const number = (what: string): number => {
    if (at >= tokens.length) throw invalid(fileName, `the file is truncated: it ends before ${what}`);
    const v = Number(tokens[at++]);
    if (Number.isNaN(v) && !/^[-+]?nan$/i.test(tokens[at - 1])) throw invalid(fileName, `'${tokens[at - 1]}' is not a number (${what})`);
    return v;
  };
  for (let e = 0; e < vertexIndex; e++) {
    const el = elements[e];
    for (let i = 0; i < el.count; i++) {
      for (const p of el.properties) {
        const n = p.listCountType ? number(`element '${el.name}' ${i}`) : 1;
        for (let k = 0; k < n; k++) number(`element '${el.name}' ${i}`);
      }
    }
  }
  const vertex = elements[vertexIndex];
  if (vertex.properties.some((p) => p.listCountType)) throw invalid(fileName, 'the vertex element has list properties, which splat files never have');
  const nProps = vertex.properties.length;
  if (tokens.length - at < vertex.count * nProps) {
    throw invalid(fileName, `the file is truncated: the header declares ${vertex.count} splats but only ${Math.floor((tokens.length - at) / nProps)} whole rows follow`);
  }
  const values = new Float64Array(vertex.count * nProps);
  for (let i = 0; i < values.length; i++) values[i] = number(`property ${vertex.properties[i % nProps].name} of splat ${Math.floor(i / nProps)}`);
  const set = allocateSplatSet(vertex.count, layout.shDegree);
  fillFromGetter(set, layout, (row, prop) => values[row * nProps + prop]);
  return set;
}

/** Parses a splat PLY held in memory. `fileName` only labels error messages. */
export function decodePly(bytes: Uint8Array, fileName = 'PLY data'): SplatSet {
  const { format, elements, dataOffset } = parseHeader(bytes, fileName);
  const vertexIndex = elements.findIndex((e) => e.name === 'vertex');
  if (vertexIndex < 0) throw invalid(fileName, "the header declares no 'vertex' element");
  const layout = resolveLayout(elements[vertexIndex], fileName);
  if (format === 'ascii') return decodeAscii(bytes, fileName, elements, vertexIndex, dataOffset, layout);
  return decodeBinary(bytes, fileName, elements, vertexIndex, dataOffset, format === 'binary_little_endian', layout);
}

export async function readPlyFile(filePath: string): Promise<SplatSet> {
  return decodePly(await readFileBytes(filePath, 'PLY file'), filePath);
}
