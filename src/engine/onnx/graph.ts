/**
 * GraphBuilder: the small DSL the network builders (UMT5, Wan VAE, Wan transformer, recon
 * decoder) use to emit ONNX graphs. Nodes are encoded as they are added; weights are converted
 * and written straight to the external-data file, so only the (small) graph structure is held.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { StudioError } from '../../shared/errors';
import type { FloatTensor } from '../weights/types';
import { float32ArrayToHalf, halfArrayToFloat32 } from '../weights/halfFloat';
import { ExternalDataWriter } from './externalData';
import {
  ELEM_BYTES,
  ONNX_DATA_TYPE,
  encodeGraph,
  encodeModel,
  encodeNode,
  encodeTensor,
  encodeValueInfo,
  type ElemType,
  type EncodedAttr,
  type ProtoWriter,
} from './proto';

export type { ElemType } from './proto';

export interface Value {
  readonly name: string;
}

/** Raw tensor data for a TENSOR attribute (e.g. ConstantOfShape's `value`). */
export interface AttrTensor {
  dtype: ElemType;
  shape: number[];
  data: Float32Array | Uint16Array | BigInt64Array | Int32Array | Uint8Array;
}

/**
 * Plain numbers / number[] are INT / INTS; `{float}` / `{floats}` are FLOAT / FLOATS.
 * An empty array is INTS (use `{floats: []}` for an empty FLOATS).
 */
export type AttrValue =
  | number
  | string
  | number[]
  | string[]
  | { float: number }
  | { floats: number[] }
  | { tensor: AttrTensor };

export const DEFAULT_OPSET = 17;
export const IR_VERSION = 9;
export const MS_DOMAIN = 'com.microsoft';
const PRODUCER = 'flashworld-studio';
const PRODUCER_VERSION = '1';

/** Output element types of ops whose result type is not their first input's. */
const FIXED_OUTPUT_TYPES: Record<string, ElemType> = {
  Shape: 'int64',
  Size: 'int64',
  ArgMax: 'int64',
  ArgMin: 'int64',
  NonZero: 'int64',
  Equal: 'bool',
  Less: 'bool',
  LessOrEqual: 'bool',
  Greater: 'bool',
  GreaterOrEqual: 'bool',
  And: 'bool',
  Or: 'bool',
  Xor: 'bool',
  Not: 'bool',
  IsNaN: 'bool',
  IsInf: 'bool',
};

/** Ops whose output type comes from an attribute or a later input: we do not guess it. */
const UNTYPED_OPS = new Set([
  'OneHot',
  'EyeLike',
  'RandomNormalLike',
  'RandomUniformLike',
  'Multinomial',
  'QuantizeLinear',
  'DequantizeLinear',
  'DynamicQuantizeLinear',
  'MatMulInteger',
  'ConvInteger',
  'CastLike',
  'If',
  'Loop',
  'Scan',
]);

const ONNX_TYPE_TO_ELEM = new Map<number, ElemType>(
  Object.entries(ONNX_DATA_TYPE).map(([k, v]) => [v, k as ElemType]),
);

export function elemTypeToOnnx(type: ElemType): number {
  return ONNX_DATA_TYPE[type];
}

export function tensorBytes(t: AttrTensor): Uint8Array {
  return new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);
}

export class GraphBuilder {
  readonly name: string;
  readonly floatType: 'float32' | 'float16';
  readonly opset: number;
  readonly externalData: ExternalDataWriter | undefined;

  private readonly nodes: ProtoWriter[] = [];
  private readonly initializers: ProtoWriter[] = [];
  private readonly inputs: ProtoWriter[] = [];
  private readonly outputs: ProtoWriter[] = [];
  private readonly usedNames = new Set<string>();
  /** Element types we know (inputs, weights, constants, propagated through ops); a hint for helpers. */
  private readonly types = new Map<string, ElemType>();
  private usesMsDomain = false;
  private counter = 0;
  private saved = false;

  constructor(opts: {
    name: string;
    floatType: 'float32' | 'float16';
    opset?: number;
    externalData?: ExternalDataWriter;
  }) {
    this.name = opts.name;
    this.floatType = opts.floatType;
    this.opset = opts.opset ?? DEFAULT_OPSET;
    this.externalData = opts.externalData;
  }

  /** Number of nodes so far (for logs and tests). */
  get nodeCount(): number {
    return this.nodes.length;
  }

  /** The element type of a value when the builder can tell; undefined otherwise. */
  typeOf(value: Value): ElemType | undefined {
    return this.types.get(value.name);
  }

  private claim(name: string): string {
    if (this.usedNames.has(name)) {
      throw new StudioError(
        'GRAPH_BUILD_FAILED',
        `Graph "${this.name}": the name "${name}" is used twice. This is a bug in the network builder; report it.`,
      );
    }
    this.usedNames.add(name);
    return name;
  }

  /** A fresh unique name with a readable prefix. */
  uniqueName(prefix: string): string {
    return this.claim(this.freshName(prefix));
  }

  private freshName(prefix: string): string {
    let name: string;
    do name = `${prefix}_${this.counter++}`;
    while (this.usedNames.has(name));
    return name;
  }

  input(name: string, type: ElemType, shape: Array<number | string>): Value {
    this.claim(name);
    this.inputs.push(encodeValueInfo(name, type, shape));
    this.types.set(name, type);
    return { name };
  }

  output(value: Value, name: string, type: ElemType, shape?: Array<number | string>): void {
    const known = this.types.get(value.name);
    if (known && known !== type) {
      throw new StudioError(
        'GRAPH_BUILD_FAILED',
        `Graph "${this.name}": output "${name}" is declared ${type} but the value is ${known}. The network builder must cast it (ops.cast) or declare ${known}.`,
      );
    }
    let finalName = value.name;
    if (value.name !== name) {
      this.claim(name);
      this.nodes.push(
        encodeNode({ opType: 'Identity', name: `${name}_identity`, domain: '', inputs: [value.name], outputs: [name], attributes: [] }),
      );
      finalName = name;
    }
    this.types.set(finalName, type);
    this.outputs.push(encodeValueInfo(finalName, type, shape));
  }

  /** Adds an initializer; the bytes go to external data when a writer was given, inline otherwise. */
  private initializer(name: string, type: ElemType, shape: number[], bytes: Uint8Array, inline: boolean): Value {
    this.assertOpen();
    const expected = shape.reduce((a, b) => a * b, 1) * ELEM_BYTES[type];
    if (bytes.length !== expected) {
      throw new StudioError(
        'GRAPH_BUILD_FAILED',
        `Graph "${this.name}": tensor "${name}" has ${bytes.length} bytes but shape [${shape}] of ${type} needs ${expected}. The weight file does not match the network config.`,
      );
    }
    this.claim(name);
    if (this.externalData && !inline) {
      const { offset, length } = this.externalData.append(bytes);
      this.initializers.push(
        encodeTensor(name, type, shape, { kind: 'external', location: this.externalData.location, offset, length }),
      );
    } else {
      this.initializers.push(encodeTensor(name, type, shape, { kind: 'raw', bytes }));
    }
    this.types.set(name, type);
    return { name };
  }

  private convert(tensor: FloatTensor, to: 'float32' | 'float16'): Uint8Array {
    let data: Float32Array | Uint16Array;
    if (tensor.dtype === to) data = tensor.data;
    else if (to === 'float16') data = float32ArrayToHalf(tensor.data as Float32Array);
    else data = halfArrayToFloat32(tensor.data as Uint16Array);
    return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  }

  /** A weight: converted to the graph's float type unless keepType, written to external data at once. */
  weight(name: string, tensor: FloatTensor, opts?: { keepType?: boolean }): Value {
    const to = opts?.keepType ? tensor.dtype : this.floatType;
    return this.initializer(name, to, tensor.shape, this.convert(tensor, to), false);
  }

  /**
   * A 2-D weight (out, in) stored transposed as (in, out), so `MatMul(x, W^T)` needs no
   * Transpose node at run time.
   */
  weightTransposed(name: string, tensor: FloatTensor, opts?: { keepType?: boolean }): Value {
    if (tensor.shape.length !== 2) {
      throw new StudioError(
        'GRAPH_BUILD_FAILED',
        `Graph "${this.name}": weight "${name}" has shape [${tensor.shape}] but a linear weight must be 2-D (out, in). The weight file does not match the network.`,
      );
    }
    const [rows, cols] = tensor.shape;
    const src = tensor.data;
    const dst = tensor.dtype === 'float32' ? new Float32Array(src.length) : new Uint16Array(src.length);
    // Tiled so both sides stay in cache: a 5120×13824 weight transposes in well under a second.
    const TILE = 64;
    for (let r0 = 0; r0 < rows; r0 += TILE) {
      const r1 = Math.min(rows, r0 + TILE);
      for (let c0 = 0; c0 < cols; c0 += TILE) {
        const c1 = Math.min(cols, c0 + TILE);
        for (let r = r0; r < r1; r++) for (let c = c0; c < c1; c++) dst[c * rows + r] = src[r * cols + c];
      }
    }
    const transposed = { dtype: tensor.dtype, shape: [cols, rows], data: dst } as FloatTensor;
    return this.weight(name, transposed, opts);
  }

  /** Small inline constant (default: the graph's float type). */
  constFloat(values: number | number[] | Float32Array, shape?: number[], type?: 'float32' | 'float16'): Value {
    const arr = typeof values === 'number' ? Float32Array.of(values) : Float32Array.from(values);
    const dims = shape ?? (typeof values === 'number' ? [] : [arr.length]);
    const t = type ?? this.floatType;
    const data = t === 'float16' ? float32ArrayToHalf(arr) : arr;
    const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    return this.initializer(this.freshName(`const_${t === 'float16' ? 'f16' : 'f32'}`), t, dims, bytes, true);
  }

  constInt64(values: number | number[], shape?: number[]): Value {
    const list = typeof values === 'number' ? [values] : values;
    const data = BigInt64Array.from(list.map((v) => BigInt(v)));
    const dims = shape ?? (typeof values === 'number' ? [] : [list.length]);
    const bytes = new Uint8Array(data.buffer);
    return this.initializer(this.freshName('const_i64'), 'int64', dims, bytes, true);
  }

  op(
    opType: string,
    inputs: Array<Value | null | undefined>,
    attrs?: Record<string, AttrValue>,
    opts?: { domain?: string; name?: string },
  ): Value {
    const [out] = this.emit(opType, inputs, 1, attrs, opts);
    return out;
  }

  opMulti(
    opType: string,
    inputs: Array<Value | null | undefined>,
    outputs: number,
    attrs?: Record<string, AttrValue>,
    opts?: { domain?: string; name?: string },
  ): Value[] {
    return this.emit(opType, inputs, outputs, attrs, opts);
  }

  private emit(
    opType: string,
    inputs: Array<Value | null | undefined>,
    outputCount: number,
    attrs: Record<string, AttrValue> | undefined,
    opts: { domain?: string; name?: string } | undefined,
  ): Value[] {
    this.assertOpen();
    const domain = opts?.domain ?? '';
    if (domain === MS_DOMAIN) this.usesMsDomain = true;
    const nodeName = opts?.name ? this.claim(opts.name) : this.uniqueName(opType);
    const outputs: Value[] = [];
    for (let i = 0; i < outputCount; i++) outputs.push({ name: this.claim(`${nodeName}_out${i}`) });
    // Trailing absent optional inputs are dropped; inner ones become "" (ONNX's "not given").
    const names = inputs.map((v) => (v ? v.name : ''));
    while (names.length > 0 && names[names.length - 1] === '') names.pop();
    const attributes = Object.entries(attrs ?? {}).map(([k, v]) => [k, this.encodeAttr(opType, k, v)] as [string, EncodedAttr]);
    this.nodes.push(encodeNode({ opType, name: nodeName, domain, inputs: names, outputs: outputs.map((o) => o.name), attributes }));
    this.propagateType(opType, inputs, outputs, attrs);
    return outputs;
  }

  private assertOpen(): void {
    if (this.saved) {
      throw new StudioError('GRAPH_BUILD_FAILED', `Graph "${this.name}" was already saved; nothing can be added to it.`);
    }
  }

  private propagateType(
    opType: string,
    inputs: Array<Value | null | undefined>,
    outputs: Value[],
    attrs: Record<string, AttrValue> | undefined,
  ): void {
    let type: ElemType | undefined = FIXED_OUTPUT_TYPES[opType];
    if (opType === 'Cast' && typeof attrs?.to === 'number') type = ONNX_TYPE_TO_ELEM.get(attrs.to);
    else if (opType === 'Where') type = inputs[1] ? this.types.get(inputs[1].name) : undefined;
    else if (opType === 'ConstantOfShape') {
      const v = attrs?.value;
      type = v && typeof v === 'object' && 'tensor' in v ? v.tensor.dtype : 'float32';
    } else if (!type) {
      const first = inputs.find((v) => v && this.types.has(v.name));
      type = first ? this.types.get(first.name) : undefined;
    }
    if (!type || UNTYPED_OPS.has(opType)) return;
    // Only Split's extra outputs surely share the type (others: TopK indices, norm statistics…).
    const typed = opType === 'Split' ? outputs : outputs.slice(0, 1);
    for (const o of typed) this.types.set(o.name, type);
  }

  private encodeAttr(opType: string, key: string, v: AttrValue): EncodedAttr {
    const bad = (why: string) =>
      new StudioError('GRAPH_BUILD_FAILED', `Graph "${this.name}": attribute ${opType}.${key} ${why}. This is a bug in the network builder.`);
    if (typeof v === 'number') {
      if (!Number.isInteger(v)) throw bad(`is ${v}, not an integer; write {float: ${v}} for a FLOAT attribute`);
      return { type: 'INT', value: v };
    }
    if (typeof v === 'string') return { type: 'STRING', value: v };
    if (Array.isArray(v)) {
      if (v.every((x): x is number => typeof x === 'number')) {
        if (!v.every(Number.isInteger)) throw bad(`has non-integers [${v}]; write {floats: [...]} for FLOATS`);
        return { type: 'INTS', value: v };
      }
      if (v.every((x): x is string => typeof x === 'string')) return { type: 'STRINGS', value: v };
      throw bad('mixes numbers and strings');
    }
    if ('float' in v) return { type: 'FLOAT', value: v.float };
    if ('floats' in v) return { type: 'FLOATS', value: v.floats };
    if ('tensor' in v) {
      return { type: 'TENSOR', value: encodeTensor('', v.tensor.dtype, v.tensor.shape, { kind: 'raw', bytes: tensorBytes(v.tensor) }) };
    }
    throw bad('has an unsupported value');
  }

  /** Writes `${dir}/${baseName}.onnx` (weights already streamed to the ExternalDataWriter, closed here). */
  async save(dir: string, baseName: string): Promise<{ modelPath: string; bytes: number }> {
    if (this.outputs.length === 0) {
      throw new StudioError('GRAPH_BUILD_FAILED', `Graph "${this.name}" has no outputs; the network builder must call output().`);
    }
    if (this.externalData && path.resolve(path.dirname(this.externalData.filePath)) !== path.resolve(dir)) {
      throw new StudioError(
        'GRAPH_BUILD_FAILED',
        `Graph "${this.name}": external data ${this.externalData.filePath} is not in ${dir}; the .onnx and its data file must share a folder.`,
      );
    }
    const opsets = [{ domain: '', version: this.opset }];
    if (this.usesMsDomain) opsets.push({ domain: MS_DOMAIN, version: 1 });
    const graph = encodeGraph({
      name: this.name,
      nodes: this.nodes,
      initializers: this.initializers,
      inputs: this.inputs,
      outputs: this.outputs,
    });
    const bytes = encodeModel({ irVersion: IR_VERSION, opsets, producerName: PRODUCER, producerVersion: PRODUCER_VERSION, graph });
    const modelPath = path.join(dir, `${baseName}.onnx`);
    try {
      await fs.promises.mkdir(dir, { recursive: true });
      await fs.promises.writeFile(modelPath, bytes);
    } catch (cause) {
      throw new StudioError('IO_FAILED', `Could not write the model file ${modelPath}. Check free disk space and folder permissions.`, {
        cause,
      });
    }
    this.externalData?.close();
    this.saved = true;
    return { modelPath, bytes: bytes.length };
  }
}

/** The conventional data-file path for `save(dir, baseName)`. */
export function externalDataPath(dir: string, baseName: string): string {
  return path.join(dir, `${baseName}.onnx.data`);
}
