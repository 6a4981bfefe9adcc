/**
 * Writes torch.save-compatible checkpoints: a ZIP of stored entries (`<archive>/data.pkl`,
 * `.format_version`, `.storage_alignment`, `byteorder`, `data/<key>` 64-byte aligned, `version`,
 * `.data/serialization_id`), the
 * pickle in protocol 2 with tensors as `torch._utils._rebuild_tensor_v2` calls on persistent
 * storages, exactly as torch emits them. The tree is declared first; storage data then streams in,
 * storage by storage, in chunks if wanted (the full-size benchmark writes ~10 GB this way).
 *
 * Tests use `torchView` to describe tensors that torch itself would produce from slicing or
 * transposing: several views on one storage, non-contiguous strides.
 */
import { createHash } from 'node:crypto';
import { StudioError } from '../../shared/errors';
import { DTYPE_BYTES, isValidShape, shapeElements } from './dtypes';
import { OP, PickleEncoder, PyFloat } from './pickleWriter';
import type { WeightDType } from './types';
import { StoredZipWriter } from './zipWriter';

/** A tensor with its own contiguous storage; its data is written under its dotted path. */
export class TorchTensorSpec {
  constructor(
    readonly dtype: WeightDType,
    readonly shape: number[],
  ) {}
}

/** A strided view (in elements) into a storage declared in `options.storages`. */
export class TorchViewSpec {
  constructor(
    readonly storage: string,
    readonly offset: number,
    readonly shape: number[],
    readonly stride: number[],
  ) {}
}

export const torchTensor = (dtype: WeightDType, shape: number[]): TorchTensorSpec => new TorchTensorSpec(dtype, shape);
export const torchView = (storage: string, view: { offset?: number; shape: number[]; stride: number[] }): TorchViewSpec =>
  new TorchViewSpec(storage, view.offset ?? 0, view.shape, view.stride);
/** A Python tuple (lists are plain arrays). */
export const pyTuple = (...items: TorchValue[]): readonly TorchValue[] => Object.freeze(items);
export { PyFloat };

export type TorchValue =
  | null
  | boolean
  | number
  | bigint
  | string
  | PyFloat
  | Uint8Array
  | TorchTensorSpec
  | TorchViewSpec
  | readonly TorchValue[]
  | { [key: string]: TorchValue };

const STORAGE_CLASS: Readonly<Record<WeightDType, string>> = {
  F64: 'DoubleStorage',
  F32: 'FloatStorage',
  F16: 'HalfStorage',
  BF16: 'BFloat16Storage',
  I64: 'LongStorage',
  I32: 'IntStorage',
  I16: 'ShortStorage',
  I8: 'CharStorage',
  U8: 'ByteStorage',
  BOOL: 'BoolStorage',
};

export interface TorchCheckpointWriter {
  /** Storage names in archive order: dotted tensor paths for TorchTensorSpec, declared names for views. */
  storageNames(): string[];
  /** Appends raw little-endian bytes (fp16/bf16 as Uint16Array bits) to a storage. */
  write(storage: string, data: ArrayBufferView): void;
  close(): void;
}

interface StorageDecl {
  dtype: WeightDType;
  numel: number;
  key?: string;
}

export function createTorchCheckpointWriter(
  path: string,
  tree: { [key: string]: TorchValue },
  options: { storages?: Record<string, { dtype: WeightDType; numel: number }>; forceZip64?: boolean; archiveName?: string } = {},
): TorchCheckpointWriter {
  const archive = options.archiveName ?? 'archive';
  const storages = new Map<string, StorageDecl>(Object.entries(options.storages ?? {}).map(([k, v]) => [k, { ...v }]));
  const order: string[] = []; // storage names in key order
  const enc = new PickleEncoder();

  const storageKey = (name: string): string => {
    const s = storages.get(name)!;
    if (s.key === undefined) {
      s.key = String(order.length);
      order.push(name);
    }
    return s.key;
  };

  const emitTensor = (storageName: string, offset: number, shape: number[], stride: number[]): void => {
    const s = storages.get(storageName)!;
    enc.global('torch._utils', '_rebuild_tensor_v2');
    enc.op(OP.MARK); // args tuple
    enc.op(OP.MARK).str('storage').global('torch', STORAGE_CLASS[s.dtype]).str(storageKey(storageName)).str('cpu').int(s.numel).op(OP.TUPLE);
    enc.op(OP.BINPERSID);
    enc.int(offset).intTuple(shape).intTuple(stride).bool(false);
    enc.global('collections', 'OrderedDict').op(OP.EMPTY_TUPLE).op(OP.REDUCE); // backward hooks
    enc.op(OP.TUPLE).op(OP.REDUCE);
  };

  const emit = (value: TorchValue, path: string): void => {
    if (value instanceof TorchTensorSpec) {
      if (!isValidShape(value.shape)) throw new StudioError('INTERNAL', `Tensor "${path}" has an invalid shape.`);
      if (storages.has(path)) throw new StudioError('INTERNAL', `Storage name "${path}" is used twice.`);
      storages.set(path, { dtype: value.dtype, numel: shapeElements(value.shape) });
      const stride = value.shape.map((_, i) => shapeElements(value.shape.slice(i + 1)));
      emitTensor(path, 0, value.shape, stride);
    } else if (value instanceof TorchViewSpec) {
      if (!storages.has(value.storage)) throw new StudioError('INTERNAL', `Tensor "${path}" views undeclared storage "${value.storage}".`);
      emitTensor(value.storage, value.offset, value.shape, value.stride);
    } else if (value instanceof PyFloat) enc.float(value.value);
    else if (value === null) enc.op(OP.NONE);
    else if (typeof value === 'boolean') enc.bool(value);
    else if (typeof value === 'bigint') enc.int(value);
    else if (typeof value === 'number') {
      if (Number.isSafeInteger(value) && !Object.is(value, -0)) enc.int(value);
      else enc.float(value);
    } else if (typeof value === 'string') enc.str(value);
    else if (value instanceof Uint8Array) enc.bytesValue(value);
    else if (Array.isArray(value)) {
      if (Object.isFrozen(value)) {
        if (value.length > 3) enc.op(OP.MARK);
        value.forEach((v, i) => emit(v, `${path}.${i}`));
        enc.tupleOf(value.length);
      } else {
        enc.op(OP.EMPTY_LIST).put();
        if (value.length) {
          enc.op(OP.MARK);
          value.forEach((v, i) => emit(v, `${path}.${i}`));
          enc.op(OP.APPENDS);
        }
      }
    } else emitDict(value as { [key: string]: TorchValue }, path);
  };

  /** Dicts holding tensors are written as state dicts (OrderedDict + `_metadata`), the rest as plain dicts. */
  const emitDict = (dict: { [key: string]: TorchValue }, path: string): void => {
    const entries = Object.entries(dict);
    const stateDict = path !== '' && entries.some(([, v]) => v instanceof TorchTensorSpec || v instanceof TorchViewSpec);
    if (stateDict) enc.global('collections', 'OrderedDict').op(OP.EMPTY_TUPLE).op(OP.REDUCE).put();
    else enc.op(OP.EMPTY_DICT).put();
    // Python's pickler batches SETITEMS by 1000
    for (let i = 0; i < entries.length; i += 1000) {
      enc.op(OP.MARK);
      for (const [k, v] of entries.slice(i, i + 1000)) {
        enc.str(k);
        emit(v, path ? `${path}.${k}` : k);
      }
      enc.op(OP.SETITEMS);
    }
    if (stateDict) {
      // state_dict()._metadata = OrderedDict({'': {'version': 1}})
      enc.op(OP.EMPTY_DICT).str('_metadata');
      enc.global('collections', 'OrderedDict').op(OP.EMPTY_TUPLE).op(OP.REDUCE);
      enc.str('').op(OP.EMPTY_DICT).str('version').int(1).op(OP.SETITEM); // {'version': 1}
      enc.op(OP.SETITEM); // metadata[''] = {'version': 1}
      enc.op(OP.SETITEM); // state['_metadata'] = metadata
      enc.op(OP.BUILD);
    }
  };

  emitDict(tree, '');
  const pickle = enc.stop();
  for (const [name, s] of storages) {
    if (s.key === undefined) throw new StudioError('INTERNAL', `Storage "${name}" is declared but no tensor uses it.`);
  }
  const sizes = new Map(order.map((name) => [name, storages.get(name)!.numel * DTYPE_BYTES[storages.get(name)!.dtype]]));
  const textEntry = (s: string): Uint8Array => new TextEncoder().encode(s);
  // The records torch 2.x writes around the data, in its order (checked against torch 2.11 output).
  const fixed: Array<[string, Uint8Array]> = [
    [`${archive}/data.pkl`, pickle],
    [`${archive}/.format_version`, textEntry('1')],
    [`${archive}/.storage_alignment`, textEntry('64')],
    [`${archive}/byteorder`, textEntry('little')],
  ];
  // torch writes 40 random digits; deriving them from the pickle keeps our output reproducible
  const serializationId = Array.from(createHash('sha256').update(pickle).digest().subarray(0, 20), (x) => String(x % 100).padStart(2, '0')).join('');
  const tailEntries: Array<[string, Uint8Array]> = [
    [`${archive}/version`, textEntry('3\n')],
    [`${archive}/.data/serialization_id`, textEntry(serializationId)],
  ];
  const dataEntry = (name: string): string => `${archive}/data/${storages.get(name)!.key}`;
  const zip = new StoredZipWriter(
    path,
    [
      ...fixed.map(([name, b]) => ({ name, size: b.length })),
      ...order.map((name) => ({ name: dataEntry(name), size: sizes.get(name)! })),
      ...tailEntries.map(([name, b]) => ({ name, size: b.length })),
    ],
    { forceZip64: options.forceZip64 },
  );
  for (const [name, b] of [...fixed, ...tailEntries]) zip.write(name, b);
  return {
    storageNames: () => order.slice(),
    write(storage, data) {
      if (!storages.has(storage)) throw new StudioError('INTERNAL', `${path}: storage "${storage}" was not declared.`);
      zip.write(dataEntry(storage), data);
    },
    close: () => zip.close(),
  };
}
