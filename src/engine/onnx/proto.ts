/**
 * A minimal protobuf encoder for the parts of onnx.proto the builder writes (ModelProto,
 * GraphProto, NodeProto, TensorProto, AttributeProto, ValueInfoProto). Encode-only: we never
 * parse models. Field numbers follow onnx/onnx.proto (IR version 9).
 *
 * Each message is encoded bottom-up into a byte array; nested messages are length-prefixed.
 * Weights never pass through here (they live in the external-data file), so the arrays stay small.
 */

export type ElemType = 'float32' | 'float16' | 'int64' | 'int32' | 'bool' | 'uint8';

/** TensorProto.DataType numbers. */
export const ONNX_DATA_TYPE: Record<ElemType, number> = {
  float32: 1,
  uint8: 2,
  int32: 6,
  int64: 7,
  bool: 9,
  float16: 10,
};

export const ELEM_BYTES: Record<ElemType, number> = {
  float32: 4,
  uint8: 1,
  int32: 4,
  int64: 8,
  bool: 1,
  float16: 2,
};

const WIRE_VARINT = 0;
const WIRE_FIXED32 = 5;
const WIRE_LEN = 2;

const textEncoder = new TextEncoder();

/** Accumulates fields of one message. */
export class ProtoWriter {
  private readonly chunks: Uint8Array[] = [];
  private size = 0;

  private push(bytes: Uint8Array): void {
    this.chunks.push(bytes);
    this.size += bytes.length;
  }

  private tag(field: number, wire: number): void {
    this.push(encodeVarint(field * 8 + wire));
  }

  /** int32/int64/enum field; negative values use the 10-byte two's complement form. */
  varint(field: number, value: number | bigint): this {
    this.tag(field, WIRE_VARINT);
    this.push(encodeVarint(value));
    return this;
  }

  float(field: number, value: number): this {
    this.tag(field, WIRE_FIXED32);
    const b = new Uint8Array(4);
    new DataView(b.buffer).setFloat32(0, value, true);
    this.push(b);
    return this;
  }

  bytes(field: number, value: Uint8Array): this {
    this.tag(field, WIRE_LEN);
    this.push(encodeVarint(value.length));
    this.push(value);
    return this;
  }

  string(field: number, value: string): this {
    return this.bytes(field, textEncoder.encode(value));
  }

  message(field: number, value: ProtoWriter): this {
    return this.bytes(field, value.finish());
  }

  /** Packed repeated varints (parsers accept packed form for proto2 repeated scalars too). */
  packedVarints(field: number, values: ArrayLike<number | bigint>): this {
    const inner = new ProtoWriter();
    for (let i = 0; i < values.length; i++) inner.push(encodeVarint(values[i]));
    return this.bytes(field, inner.finish());
  }

  packedFloats(field: number, values: ArrayLike<number>): this {
    const b = new Uint8Array(values.length * 4);
    const view = new DataView(b.buffer);
    for (let i = 0; i < values.length; i++) view.setFloat32(i * 4, values[i], true);
    return this.bytes(field, b);
  }

  finish(): Uint8Array {
    const out = new Uint8Array(this.size);
    let at = 0;
    for (const c of this.chunks) {
      out.set(c, at);
      at += c.length;
    }
    return out;
  }
}

export function encodeVarint(value: number | bigint): Uint8Array {
  let v: bigint;
  if (typeof value === 'bigint') v = value;
  else {
    if (!Number.isInteger(value)) throw new RangeError(`varint needs an integer, got ${value}`);
    if (value >= 0 && value < 0x80) return Uint8Array.of(value);
    v = BigInt(value);
  }
  if (v < 0n) v = BigInt.asUintN(64, v);
  const out: number[] = [];
  while (v >= 0x80n) {
    out.push(Number(v & 0x7fn) | 0x80);
    v >>= 7n;
  }
  out.push(Number(v));
  return Uint8Array.from(out);
}

// ---- onnx.proto messages ----------------------------------------------------------------------

export interface TensorShapeDim {
  value?: number;
  param?: string;
}

/** TypeProto{tensor_type{elem_type, shape}}; shape omitted → rank unknown. */
export function encodeTensorType(type: ElemType, shape?: Array<number | string>): ProtoWriter {
  const tensor = new ProtoWriter().varint(1, ONNX_DATA_TYPE[type]);
  if (shape) {
    const shapeMsg = new ProtoWriter();
    for (const d of shape) {
      const dim = new ProtoWriter();
      if (typeof d === 'number' && d >= 0) dim.varint(1, d);
      else if (typeof d === 'string') dim.string(2, d);
      // a negative number means "unknown, unnamed": an empty Dimension
      shapeMsg.message(1, dim);
    }
    tensor.message(2, shapeMsg);
  }
  return new ProtoWriter().message(1, tensor);
}

export function encodeValueInfo(name: string, type: ElemType, shape?: Array<number | string>): ProtoWriter {
  return new ProtoWriter().string(1, name).message(2, encodeTensorType(type, shape));
}

export type TensorData =
  | { kind: 'raw'; bytes: Uint8Array }
  | { kind: 'external'; location: string; offset: number; length: number };

export function encodeTensor(name: string, type: ElemType, dims: number[], data: TensorData): ProtoWriter {
  const w = new ProtoWriter();
  w.packedVarints(1, dims);
  w.varint(2, ONNX_DATA_TYPE[type]);
  if (name) w.string(8, name);
  if (data.kind === 'raw') {
    w.bytes(9, data.bytes);
  } else {
    const entry = (k: string, v: string) => new ProtoWriter().string(1, k).string(2, v);
    w.message(13, entry('location', data.location));
    w.message(13, entry('offset', String(data.offset)));
    w.message(13, entry('length', String(data.length)));
    w.varint(14, 1); // data_location = EXTERNAL
  }
  return w;
}

/** AttributeProto.AttributeType numbers. */
export const ATTR_TYPE = { FLOAT: 1, INT: 2, STRING: 3, TENSOR: 4, FLOATS: 6, INTS: 7, STRINGS: 8 } as const;

export type EncodedAttr =
  | { type: 'FLOAT'; value: number }
  | { type: 'INT'; value: number }
  | { type: 'STRING'; value: string }
  | { type: 'FLOATS'; value: number[] }
  | { type: 'INTS'; value: number[] }
  | { type: 'STRINGS'; value: string[] }
  | { type: 'TENSOR'; value: ProtoWriter };

export function encodeAttribute(name: string, attr: EncodedAttr): ProtoWriter {
  const w = new ProtoWriter().string(1, name);
  switch (attr.type) {
    case 'FLOAT':
      w.float(2, attr.value);
      break;
    case 'INT':
      w.varint(3, attr.value);
      break;
    case 'STRING':
      w.string(4, attr.value);
      break;
    case 'TENSOR':
      w.message(5, attr.value);
      break;
    case 'FLOATS':
      w.packedFloats(7, attr.value);
      break;
    case 'INTS':
      w.packedVarints(8, attr.value);
      break;
    case 'STRINGS':
      for (const s of attr.value) w.string(9, s);
      break;
  }
  w.varint(20, ATTR_TYPE[attr.type]);
  return w;
}

export interface NodeSpec {
  opType: string;
  name: string;
  domain: string;
  inputs: string[];
  outputs: string[];
  attributes: Array<[string, EncodedAttr]>;
}

export function encodeNode(node: NodeSpec): ProtoWriter {
  const w = new ProtoWriter();
  for (const i of node.inputs) w.string(1, i);
  for (const o of node.outputs) w.string(2, o);
  w.string(3, node.name);
  w.string(4, node.opType);
  for (const [name, a] of node.attributes) w.message(5, encodeAttribute(name, a));
  if (node.domain) w.string(7, node.domain);
  return w;
}

export interface GraphSpec {
  name: string;
  nodes: ProtoWriter[];
  initializers: ProtoWriter[];
  inputs: ProtoWriter[];
  outputs: ProtoWriter[];
}

export function encodeGraph(g: GraphSpec): ProtoWriter {
  const w = new ProtoWriter();
  for (const n of g.nodes) w.message(1, n);
  w.string(2, g.name);
  for (const t of g.initializers) w.message(5, t);
  for (const i of g.inputs) w.message(11, i);
  for (const o of g.outputs) w.message(12, o);
  return w;
}

export function encodeModel(opts: {
  irVersion: number;
  opsets: Array<{ domain: string; version: number }>;
  producerName: string;
  producerVersion: string;
  graph: ProtoWriter;
}): Uint8Array {
  const w = new ProtoWriter();
  w.varint(1, opts.irVersion);
  w.string(2, opts.producerName);
  w.string(3, opts.producerVersion);
  w.message(7, opts.graph);
  for (const o of opts.opsets) {
    const op = new ProtoWriter();
    if (o.domain) op.string(1, o.domain);
    op.varint(2, o.version);
    w.message(8, op);
  }
  return w.finish();
}
