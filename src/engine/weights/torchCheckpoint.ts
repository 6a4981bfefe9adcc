/**
 * Reads torch.save checkpoints (e.g. FlashWorld's model.ckpt: {"transformer": state_dict,
 * "recon_decoder": state_dict, ...}) without Python: a ZIP whose `<root>/data.pkl` describes the
 * object tree and whose `<root>/data/<key>` entries hold raw storages. The tree is unpickled once
 * (safely, see pickle.ts); tensors stay descriptions until `read()`, which reads just the bytes the
 * view covers and gathers non-contiguous (e.g. transposed) views.
 */
import { StudioError } from '../../shared/errors';
import { DTYPE_BYTES, convertToFloatTensor, shapeElements } from './dtypes';
import { closeQuietly, openForReading, readAt } from './fileIO';
import { PickleDict, unpickle } from './pickle';
import { TorchTensorRef, torchUnpickleHooks } from './torchPickle';
import type { FloatTensor, WeightDType, WeightInfo, WeightSource } from './types';
import { missingTensorError } from './weightSource';
import { ZipArchive, scanLocalEntries, type ZipEntry } from './zip';

const REDOWNLOAD = 'The file is damaged or incomplete: delete it and download it again.';

export interface TorchCheckpoint {
  readonly path: string;
  /** The unpickled object: PickleDict / arrays / scalars; tensors as TorchTensorRef (data not loaded). */
  readonly root: unknown;
  /** Every tensor in the tree by dotted path (dict keys and list indices joined with "."). */
  tensorNames(): string[];
  /** The value under nested dict keys, e.g. `value('meta', 'steps')`; undefined if absent. */
  value(...keys: string[]): unknown;
  /** Tensors whose dotted path starts with `prefix`, keys stripped of it (`"transformer."` → that state dict). */
  source(prefix?: string): WeightSource;
  /** Releases the file once every source taken from it is closed too. */
  close(): void;
}

function collectTensors(value: unknown, path: string, out: Map<string, TorchTensorRef>, seen: Set<unknown>): void {
  if (value instanceof TorchTensorRef) {
    out.set(path, value);
    return;
  }
  if (typeof value !== 'object' || value === null || seen.has(value)) return;
  seen.add(value);
  const join = (k: unknown): string => (path ? `${path}.${String(k)}` : String(k));
  if (value instanceof PickleDict) for (const [k, v] of value.items) collectTensors(v, join(k), out, seen);
  else if (Array.isArray(value)) value.forEach((v, i) => collectTensors(v, join(i), out, seen));
}

function isContiguous(shape: readonly number[], stride: readonly number[]): boolean {
  let expected = 1;
  for (let d = shape.length - 1; d >= 0; d--) {
    if (shape[d] !== 1 && stride[d] !== expected) return false;
    expected *= shape[d];
  }
  return true;
}

/** Copies a strided view out of `span` (which starts at the view's offset) into row-major order. */
function gather(span: Uint8Array, elemBytes: number, shape: readonly number[], stride: readonly number[]): Uint8Array {
  const n = shapeElements(shape);
  const out = new Uint8Array(new ArrayBuffer(n * elemBytes));
  // integer views only: copying through Float64Array could rewrite NaN payloads
  const Typed = elemBytes === 8 ? BigUint64Array : elemBytes === 4 ? Uint32Array : elemBytes === 2 ? Uint16Array : Uint8Array;
  const src = new Typed(span.buffer as ArrayBuffer, span.byteOffset, span.byteLength / elemBytes);
  const dst = new Typed(out.buffer);
  const nd = shape.length;
  if (nd === 0) {
    dst[0] = src[0];
    return out;
  }
  const inner = shape[nd - 1];
  const innerStride = stride[nd - 1];
  const index = new Array<number>(nd).fill(0);
  let base = 0;
  for (let o = 0; o < n; o += inner) {
    for (let j = 0; j < inner; j++) dst[o + j] = src[base + j * innerStride];
    // advance the outer multi-index like an odometer
    for (let d = nd - 2; d >= 0; d--) {
      index[d]++;
      base += stride[d];
      if (index[d] < shape[d]) break;
      base -= stride[d] * shape[d];
      index[d] = 0;
    }
  }
  return out;
}

/** Opens a torch.save ZIP checkpoint. Throws StudioError (WEIGHTS_NOT_FOUND / _TRUNCATED / _CORRUPT / _UNSUPPORTED). */
export function openTorchCheckpoint(path: string): TorchCheckpoint {
  rejectLegacyFormat(path);
  let zip: ZipArchive;
  try {
    zip = ZipArchive.open(path, 'Checkpoint');
  } catch (error) {
    if (error instanceof StudioError && error.code === 'WEIGHTS_TRUNCATED') throw explainTruncation(path, error);
    throw error;
  }
  try {
    return readCheckpoint(path, zip);
  } catch (error) {
    zip.close();
    throw error;
  }
}

/**
 * A cut download loses the ZIP directory at the end. The local headers at the front still say
 * which entry the file ends in, and data.pkl (written first) says which tensors use that storage,
 * so the message can name them. Falls back to the plain error if the front is damaged too.
 */
function explainTruncation(path: string, original: StudioError): StudioError {
  try {
    const tail = ' The download is incomplete: delete the file and download it again.';
    // First pass finds data.pkl (written first); its storages then give every data entry's size.
    let scan = scanLocalEntries(path);
    const pkl = scan.complete.find((e) => /^([^/]+\/)?data\.pkl$/.test(e.name) && e.method === 0);
    const tensors = new Map<string, TorchTensorRef>();
    if (pkl) {
      const fd = openForReading(path, 'Checkpoint');
      let pickle: Uint8Array;
      try {
        pickle = readAt(fd, scanDataStart(fd, pkl), pkl.size);
      } finally {
        closeQuietly(fd);
      }
      collectTensors(unpickle(pickle, `${path} (${pkl.name})`, torchUnpickleHooks(path)), '', tensors, new Set());
      const storageBytes = new Map<string, number>();
      for (const t of tensors.values()) {
        if (t.storage.dtype) storageBytes.set(t.storage.key, t.storage.numel * DTYPE_BYTES[t.storage.dtype]);
      }
      scan = scanLocalEntries(path, (name) => {
        const key = /^(?:[^/]+\/)?data\/([^/]+)$/.exec(name)?.[1];
        return key === undefined ? undefined : storageBytes.get(key);
      });
    }
    if (!scan.cut) return original;
    const { cut } = scan;
    const present = Number.isNaN(cut.size) ? `${cut.present} bytes` : `${cut.present} of ${cut.size} bytes`;
    const head = `${path} is cut short (${present} of entry "${cut.name}" present)`;
    const storageKey = /^(?:[^/]+\/)?data\/([^/]+)$/.exec(cut.name)?.[1];
    const names = [...tensors].filter(([, t]) => t.storage.key === storageKey).map(([n]) => `"${n}"`);
    const which = names.length ? `, inside the data of tensor ${names.slice(0, 3).join(', ')}${names.length > 3 ? ' and others' : ''}` : '';
    return new StudioError('WEIGHTS_TRUNCATED', `${head}${which}.${tail}`, { cause: original });
  } catch {
    return original;
  }
}

function scanDataStart(fd: number, entry: ZipEntry): number {
  const head = readAt(fd, entry.localHeaderOffset, 30);
  const v = new DataView(head.buffer);
  return entry.localHeaderOffset + 30 + v.getUint16(26, true) + v.getUint16(28, true);
}

function rejectLegacyFormat(path: string): void {
  const fd = openForReading(path, 'Checkpoint');
  const head = readAt(fd, 0, 2);
  closeQuietly(fd);
  // Before torch 1.6, torch.save wrote a bare pickle stream (it starts with the PROTO opcode).
  if (head[0] === 0x80 && head[1] !== undefined && head[1] <= 5) {
    throw new StudioError(
      'WEIGHTS_UNSUPPORTED',
      `${path} uses torch's legacy (pre-1.6) checkpoint format. Re-save it with a current torch.save, or download the official file again.`,
    );
  }
}

function readCheckpoint(path: string, zip: ZipArchive): TorchCheckpoint {
  const pkl = zip.entries.find((e) => /^[^/]+\/data\.pkl$/.test(e.name)) ?? zip.get('data.pkl');
  if (!pkl) {
    throw new StudioError('WEIGHTS_CORRUPT', `${path} is a ZIP archive but not a torch checkpoint (no data.pkl inside). Check that you picked model.ckpt.`);
  }
  const root = pkl.name.slice(0, pkl.name.length - 'data.pkl'.length); // "<name>/" or ""
  const byteorder = zip.get(`${root}byteorder`);
  if (byteorder && new TextDecoder().decode(zip.readEntry(byteorder)).trim() === 'big') {
    throw new StudioError('WEIGHTS_UNSUPPORTED', `${path} was saved on a big-endian machine; re-save it on a little-endian one (any PC or Mac).`);
  }
  const tree = unpickle(zip.readEntry(pkl), `${path} (${pkl.name})`, torchUnpickleHooks(path));
  const tensors = new Map<string, TorchTensorRef>();
  collectTensors(tree, '', tensors, new Set());

  const entryOf = new Map<string, ZipEntry>();
  for (const [name, t] of tensors) {
    const { storage } = t;
    const where = `${path}: tensor "${name}"`;
    let entry = entryOf.get(storage.key);
    if (!entry) {
      entry = zip.get(`${root}data/${storage.key}`);
      if (!entry) throw new StudioError('WEIGHTS_CORRUPT', `${where} refers to storage ${storage.key}, which is not in the archive. ${REDOWNLOAD}`);
      if (storage.dtype && entry.size !== storage.numel * DTYPE_BYTES[storage.dtype]) {
        throw new StudioError(
          'WEIGHTS_CORRUPT',
          `${where}: storage ${storage.key} holds ${entry.size} bytes, but ${storage.numel} ${storage.dtype} elements need ${storage.numel * DTYPE_BYTES[storage.dtype]}. ${REDOWNLOAD}`,
        );
      }
      entryOf.set(storage.key, entry);
    }
    const last = t.shape.reduce((acc, d, i) => acc + (d > 0 ? (d - 1) * t.stride[i] : 0), t.offset);
    if (shapeElements(t.shape) > 0 && last >= storage.numel) {
      throw new StudioError(
        'WEIGHTS_CORRUPT',
        `${where} (shape [${t.shape.join(', ')}], offset ${t.offset}) reaches past the end of its storage ${storage.key} (${storage.numel} elements). ${REDOWNLOAD}`,
      );
    }
  }

  let refs = 1;
  const release = (): void => {
    if (--refs === 0) zip.close();
  };
  const dtypeOf = (name: string, t: TorchTensorRef): WeightDType => {
    if (t.storage.dtype) return t.storage.dtype;
    throw new StudioError(
      'WEIGHTS_UNSUPPORTED',
      `${path}: tensor "${name}" is stored as ${t.storage.storageType}, which the studio can't load. Use the official checkpoint.`,
    );
  };
  const readTensor = (name: string, t: TorchTensorRef, as: 'float32' | 'float16'): FloatTensor => {
    const dtype = dtypeOf(name, t);
    const es = DTYPE_BYTES[dtype];
    const shape = [...t.shape];
    const n = shapeElements(shape);
    const entry = entryOf.get(t.storage.key)!;
    let bytes: Uint8Array;
    if (n === 0) bytes = new Uint8Array(0);
    else if (isContiguous(shape, t.stride)) bytes = zip.readRange(entry, t.offset * es, n * es);
    else {
      const spanElems = shape.reduce((acc, d, i) => acc + (d - 1) * t.stride[i], 0) + 1;
      bytes = gather(zip.readRange(entry, t.offset * es, spanElems * es), es, shape, t.stride);
    }
    return convertToFloatTensor(bytes, dtype, shape, as, () => `${path}: tensor "${name}"`);
  };

  return {
    path,
    root: tree,
    tensorNames: () => [...tensors.keys()],
    value(...keys) {
      let v: unknown = tree;
      for (const k of keys) {
        if (!(v instanceof PickleDict)) return undefined;
        v = v.items.get(k);
      }
      return v;
    },
    source(prefix = '') {
      const names = [...tensors.keys()].filter((k) => k.startsWith(prefix)).map((k) => k.slice(prefix.length));
      const nameSet = new Set(names);
      const origin = prefix ? `${path} (under "${prefix}")` : path;
      const tensorOf = (name: string): TorchTensorRef => {
        const t = tensors.get(prefix + name);
        if (!t || !nameSet.has(name)) throw missingTensorError(origin, name, names);
        return t;
      };
      refs++;
      let open = true;
      return {
        origin,
        keys: () => names.slice(),
        has: (name) => nameSet.has(name),
        info(name): WeightInfo {
          const t = tensorOf(name);
          return { name, dtype: dtypeOf(prefix + name, t), shape: [...t.shape] };
        },
        read: (name, as) => readTensor(prefix + name, tensorOf(name), as),
        close() {
          if (open) release();
          open = false;
        },
      };
    },
    close: (() => {
      let open = true;
      return () => {
        if (open) release();
        open = false;
      };
    })(),
  };
}
