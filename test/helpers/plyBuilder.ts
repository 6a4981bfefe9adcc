/**
 * Builds arbitrary PLY files for reader tests (any format, types, property order, extra elements),
 * independently of the studio's writer.
 */
export type PlyType = 'char' | 'uchar' | 'short' | 'ushort' | 'int' | 'uint' | 'float' | 'double';
export interface PlyProp { name: string; type: PlyType; list?: PlyType }
export interface PlyElementSpec { name: string; props: PlyProp[]; rows: (number | number[])[][] }

const SIZE: Record<PlyType, number> = { char: 1, uchar: 1, short: 2, ushort: 2, int: 4, uint: 4, float: 4, double: 8 };

function put(view: DataView, at: number, type: PlyType, v: number, le: boolean): number {
  switch (type) {
    case 'char': view.setInt8(at, v); break;
    case 'uchar': view.setUint8(at, v); break;
    case 'short': view.setInt16(at, v, le); break;
    case 'ushort': view.setUint16(at, v, le); break;
    case 'int': view.setInt32(at, v, le); break;
    case 'uint': view.setUint32(at, v, le); break;
    case 'float': view.setFloat32(at, v, le); break;
    case 'double': view.setFloat64(at, v, le); break;
  }
  return at + SIZE[type];
}

export function buildPly(format: 'ascii' | 'binary_little_endian' | 'binary_big_endian', elements: PlyElementSpec[], comments: string[] = []): Buffer {
  const lines = ['ply', `format ${format} 1.0`, ...comments.map((c) => `comment ${c}`)];
  for (const e of elements) {
    lines.push(`element ${e.name} ${e.rows.length}`);
    for (const p of e.props) lines.push(p.list ? `property list ${p.list} ${p.type} ${p.name}` : `property ${p.type} ${p.name}`);
  }
  lines.push('end_header');
  const header = Buffer.from(lines.join('\n') + '\n', 'ascii');
  if (format === 'ascii') {
    const body = elements
      .flatMap((e) => e.rows.map((row) => row.map((v) => (Array.isArray(v) ? [v.length, ...v].join(' ') : String(v))).join(' ')))
      .join('\n');
    return Buffer.concat([header, Buffer.from(body + '\n', 'ascii')]);
  }
  const le = format === 'binary_little_endian';
  let size = 0;
  for (const e of elements) for (const row of e.rows) e.props.forEach((p, i) => {
    const v = row[i];
    size += Array.isArray(v) ? SIZE[p.list!] + v.length * SIZE[p.type] : SIZE[p.type];
  });
  const body = new DataView(new ArrayBuffer(size));
  let at = 0;
  for (const e of elements) for (const row of e.rows) e.props.forEach((p, i) => {
    const v = row[i];
    if (Array.isArray(v)) {
      at = put(body, at, p.list!, v.length, le);
      for (const x of v) at = put(body, at, p.type, x, le);
    } else {
      at = put(body, at, p.type, v, le);
    }
  });
  return Buffer.concat([header, Buffer.from(body.buffer)]);
}
