/**
 * What torch.save puts in data.pkl, understood as data: storage types, tensor rebuild calls and
 * parameters become descriptions (storage key, dtype, offset, size, stride); their bytes stay in
 * the archive until read. Everything else torch may emit (devices, layouts, dtypes, hooks, user
 * classes) stays an inert placeholder. Nothing is ever executed.
 */
import { StudioError } from '../../shared/errors';
import { PickleGlobal, isTuple, type UnpickleHooks } from './pickle';
import type { WeightDType } from './types';

/** One storage in the archive (`<root>/data/<key>`), shared by every tensor that views it. */
export class TorchStorageRef {
  constructor(
    readonly key: string,
    /** undefined for element types the studio can't load (complex, quantized, …) */
    readonly dtype: WeightDType | undefined,
    readonly storageType: string,
    readonly numel: number,
    readonly location: string,
  ) {}
}

/** A tensor as torch describes it: a strided view (in elements) into a storage. Data not loaded. */
export class TorchTensorRef {
  constructor(
    readonly storage: TorchStorageRef,
    readonly offset: number,
    readonly shape: readonly number[],
    readonly stride: readonly number[],
  ) {}
}

/** Legacy storage class names (what torch.save pickles as the storage type) → element type. */
const STORAGE_DTYPES: Readonly<Record<string, WeightDType>> = {
  DoubleStorage: 'F64',
  FloatStorage: 'F32',
  HalfStorage: 'F16',
  BFloat16Storage: 'BF16',
  LongStorage: 'I64',
  IntStorage: 'I32',
  ShortStorage: 'I16',
  CharStorage: 'I8',
  ByteStorage: 'U8',
  BoolStorage: 'BOOL',
  UntypedStorage: 'U8',
};

class StorageType {
  constructor(readonly name: string) {}
}

/** Rebuild functions we recognise: they only assemble a tensor from its description. */
type RebuildKind = 'tensor' | 'parameter' | 'fromType';
class Rebuild {
  constructor(readonly kind: RebuildKind) {}
}

const REBUILDS: Readonly<Record<string, RebuildKind>> = {
  'torch._utils._rebuild_tensor': 'tensor',
  'torch._utils._rebuild_tensor_v2': 'tensor',
  'torch._utils._rebuild_parameter': 'parameter',
  'torch._utils._rebuild_parameter_with_state': 'parameter',
  'torch._tensor._rebuild_from_type_v2': 'fromType',
};

function isIntList(v: unknown): v is number[] {
  return Array.isArray(v) && v.every((x) => Number.isSafeInteger(x) && x >= 0);
}

/**
 * Hooks for `unpickle` that turn torch's data.pkl into a tree whose tensors are TorchTensorRef.
 * `origin` names the file in errors.
 */
export function torchUnpickleHooks(origin: string): UnpickleHooks {
  const storages = new Map<string, TorchStorageRef>();
  const corrupt = (why: string): StudioError =>
    new StudioError('WEIGHTS_CORRUPT', `${origin}: ${why}. The file is damaged: delete it and download it again.`);

  const rebuild = (kind: RebuildKind, args: readonly unknown[]): unknown => {
    if (kind === 'parameter') return args[0];
    if (kind === 'fromType') {
      // _rebuild_from_type_v2(func, new_type, args, state): only the inner call builds data
      const [func, , innerArgs] = args;
      return func instanceof Rebuild && Array.isArray(innerArgs) ? rebuild(func.kind, innerArgs) : undefined;
    }
    const [storage, offset, size, stride] = args;
    if (!(storage instanceof TorchStorageRef)) throw corrupt('a tensor is rebuilt from something that is not a storage');
    if (!Number.isSafeInteger(offset) || (offset as number) < 0) throw corrupt(`a tensor in storage ${storage.key} has a bad offset`);
    if (!isIntList(size) || !isIntList(stride) || size.length !== stride.length) {
      throw corrupt(`a tensor in storage ${storage.key} has a bad size/stride`);
    }
    return new TorchTensorRef(storage, offset as number, [...size], [...stride]);
  };

  return {
    findClass(module, name) {
      const qualified = `${module}.${name}`;
      if (qualified in REBUILDS) return new Rebuild(REBUILDS[qualified]);
      if ((module === 'torch' || module === 'torch.storage') && name.endsWith('Storage')) return new StorageType(name);
      return new PickleGlobal(module, name);
    },
    reduce(callable, args) {
      return callable instanceof Rebuild ? rebuild(callable.kind, args) : undefined;
    },
    persistentLoad(pid) {
      // ('storage', storage_type, key, location, numel)
      if (!isTuple(pid) || pid[0] !== 'storage' || pid.length < 5) throw corrupt('a persistent id is not a storage reference');
      const [, type, key, location, numel] = pid;
      if (!(type instanceof StorageType) || typeof key !== 'string' || !Number.isSafeInteger(numel)) {
        throw corrupt('a storage reference is malformed');
      }
      const known = storages.get(key);
      if (known) return known;
      const ref = new TorchStorageRef(key, STORAGE_DTYPES[type.name], type.name, numel as number, String(location));
      storages.set(key, ref);
      return ref;
    },
  };
}
