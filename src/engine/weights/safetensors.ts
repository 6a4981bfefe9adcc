/**
 * safetensors reader: an 8-byte little-endian header length, a JSON header
 * `{name: {dtype, shape, data_offsets: [begin, end]}, __metadata__?: {..}}`, then the data block.
 * The header is parsed and checked once at open; tensors are read on demand at their offsets, so
 * only the tensor being converted is ever in memory.
 */
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { StudioError } from '../../shared/errors';
import { DTYPE_BYTES, convertToFloatTensor, isValidShape, isWeightDType, shapeElements } from './dtypes';
import { closeQuietly, fileSizeOf, openForReading, readAt } from './fileIO';
import type { FloatTensor, WeightDType, WeightInfo, WeightSource } from './types';
import { missingTensorError } from './weightSource';

/** The reference implementation refuses headers above 100 MB; a bigger value means "not safetensors". */
const MAX_HEADER_BYTES = 100_000_000;

const REDOWNLOAD = 'The file is damaged or incomplete: delete it and download it again.';

interface Entry {
  /** The dtype string as written; may be one we can't convert (e.g. F8_E4M3). */
  dtype: string;
  shape: number[];
  /** Absolute file offsets. */
  start: number;
  end: number;
}

export interface SafetensorsSource extends WeightSource {
  /** The optional `__metadata__` string map. */
  readonly metadata: Readonly<Record<string, string>>;
  /** Absolute byte range of a tensor's data in the file (for copying raw bytes without conversion). */
  byteRange(name: string): { start: number; end: number };
}

function parseHeader(path: string, fd: number): { entries: Map<string, Entry>; metadata: Record<string, string> } {
  const fileSize = fileSizeOf(fd);
  if (fileSize < 8) {
    throw new StudioError('WEIGHTS_TRUNCATED', `${path} is only ${fileSize} bytes, too short for a safetensors file. ${REDOWNLOAD}`);
  }
  const lenBytes = readAt(fd, 0, 8);
  const headerLen = Number(new DataView(lenBytes.buffer).getBigUint64(0, true));
  if (headerLen > MAX_HEADER_BYTES || headerLen < 2) {
    throw new StudioError('WEIGHTS_CORRUPT', `${path} is not a safetensors file (header length ${headerLen}). ${REDOWNLOAD}`);
  }
  if (8 + headerLen > fileSize) {
    throw new StudioError(
      'WEIGHTS_TRUNCATED',
      `${path} ends inside its header (header needs ${8 + headerLen} bytes, file has ${fileSize}). ${REDOWNLOAD}`,
    );
  }
  const headerText = Buffer.from(readAt(fd, 8, headerLen)).toString('utf8');
  let header: unknown;
  try {
    header = JSON.parse(headerText);
  } catch (cause) {
    throw new StudioError('WEIGHTS_CORRUPT', `${path} has an unreadable header (${(cause as Error).message}). ${REDOWNLOAD}`, { cause });
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) {
    throw new StudioError('WEIGHTS_CORRUPT', `${path} has a header that is not a JSON object. ${REDOWNLOAD}`);
  }
  const dataStart = 8 + headerLen;
  const entries = new Map<string, Entry>();
  let metadata: Record<string, string> = {};
  for (const [name, raw] of Object.entries(header as Record<string, unknown>)) {
    if (name === '__metadata__') {
      if (raw && typeof raw === 'object' && !Array.isArray(raw)) metadata = raw as Record<string, string>;
      continue;
    }
    const bad = (why: string): StudioError =>
      new StudioError('WEIGHTS_CORRUPT', `${path}: tensor "${name}" ${why}. ${REDOWNLOAD}`);
    if (!raw || typeof raw !== 'object') throw bad('has no description in the header');
    const { dtype, shape, data_offsets: offsets } = raw as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    if (typeof dtype !== 'string') throw bad('has no dtype');
    if (!isValidShape(shape)) throw bad(`has an invalid shape ${JSON.stringify(shape)}`);
    if (
      !Array.isArray(offsets) ||
      offsets.length !== 2 ||
      !offsets.every((o) => Number.isSafeInteger(o) && o >= 0) ||
      offsets[0] > offsets[1]
    ) {
      throw bad(`has invalid data_offsets ${JSON.stringify(offsets)}`);
    }
    const [begin, end] = offsets as [number, number];
    if (isWeightDType(dtype)) {
      const expected = shapeElements(shape) * DTYPE_BYTES[dtype];
      if (end - begin !== expected) {
        throw bad(`spans ${end - begin} bytes but its shape [${shape.join(', ')}] of ${dtype} needs ${expected}`);
      }
    }
    entries.set(name, { dtype, shape, start: dataStart + begin, end: dataStart + end });
  }
  const sorted = [...entries.entries()].sort((a, b) => a[1].start - b[1].start);
  const cut = sorted.filter(([, e]) => e.end > fileSize);
  if (cut.length) {
    const [name, entry] = cut[0];
    throw new StudioError(
      'WEIGHTS_TRUNCATED',
      `${path}: tensor "${name}"${cut.length > 1 ? ` and ${cut.length - 1} more tensors lie` : ' lies'} beyond the end of the file ` +
        `(needs ${entry.end} bytes, file has ${fileSize}). ${REDOWNLOAD}`,
    );
  }
  for (let i = 1; i < sorted.length; i++) {
    const [prevName, prev] = sorted[i - 1];
    const [name, cur] = sorted[i];
    if (cur.start < prev.end && cur.end > cur.start && prev.end > prev.start) {
      throw new StudioError('WEIGHTS_CORRUPT', `${path}: tensors "${prevName}" and "${name}" overlap in the file. ${REDOWNLOAD}`);
    }
  }
  return { entries, metadata };
}

/** Opens one `.safetensors` file. Throws StudioError (WEIGHTS_NOT_FOUND / _TRUNCATED / _CORRUPT). */
export function openSafetensors(path: string): SafetensorsSource {
  const fd = openForReading(path, 'Weight file');
  let parsed: ReturnType<typeof parseHeader>;
  try {
    parsed = parseHeader(path, fd);
  } catch (error) {
    closeQuietly(fd);
    throw error;
  }
  const { entries, metadata } = parsed;
  let open = true;
  const entryOf = (name: string): Entry => {
    const entry = entries.get(name);
    if (!entry) throw missingTensorError(path, name, [...entries.keys()]);
    return entry;
  };
  const dtypeOf = (name: string, entry: Entry): WeightDType => {
    if (isWeightDType(entry.dtype)) return entry.dtype;
    throw new StudioError(
      'WEIGHTS_UNSUPPORTED',
      `${path}: tensor "${name}" has dtype ${entry.dtype}, which the studio can't load. Use the official (bf16/fp16/fp32) weights.`,
    );
  };
  return {
    origin: path,
    metadata,
    keys: () => [...entries.keys()],
    has: (name) => entries.has(name),
    info(name): WeightInfo {
      const entry = entryOf(name);
      return { name, dtype: dtypeOf(name, entry), shape: entry.shape.slice() };
    },
    byteRange(name) {
      const { start, end } = entryOf(name);
      return { start, end };
    },
    read(name, as): FloatTensor {
      const entry = entryOf(name);
      const dtype = dtypeOf(name, entry);
      if (!open) throw new StudioError('INTERNAL', `${path}: tensor "${name}" read after the file was closed.`);
      const bytes = readAt(fd, entry.start, entry.end - entry.start, `${path}: tensor "${name}"`);
      if (bytes.byteLength !== entry.end - entry.start) {
        throw new StudioError(
          'WEIGHTS_TRUNCATED',
          `${path}: tensor "${name}" could not be read in full (the file shrank while open). ${REDOWNLOAD}`,
        );
      }
      return convertToFloatTensor(bytes, dtype, entry.shape.slice(), as, () => `${path}: tensor "${name}"`);
    },
    close() {
      if (open) closeQuietly(fd);
      open = false;
    },
  };
}

/** Index files and single files diffusers/transformers write, in the order they are looked for. */
const KNOWN_INDEXES = ['model.safetensors.index.json', 'diffusion_pytorch_model.safetensors.index.json'];
const KNOWN_SINGLES = ['model.safetensors', 'diffusion_pytorch_model.safetensors'];

function pickWeightFile(dir: string): { index?: string; single?: string } {
  let names: string[];
  try {
    if (!statSync(dir).isDirectory()) throw new Error('not a folder');
    names = readdirSync(dir).sort();
  } catch (cause) {
    throw new StudioError('WEIGHTS_NOT_FOUND', `Model folder not found: ${dir}. Download the model again or pick the right folder.`, { cause });
  }
  const indexes = names.filter((n) => n.endsWith('.safetensors.index.json'));
  const knownIndex = KNOWN_INDEXES.find((n) => indexes.includes(n));
  if (knownIndex) return { index: knownIndex };
  if (indexes.length === 1) return { index: indexes[0] };
  if (indexes.length > 1) {
    throw new StudioError(
      'WEIGHTS_UNSUPPORTED',
      `${dir} holds several safetensors indexes (${indexes.join(', ')}); keep one set of weights in the folder.`,
    );
  }
  const knownSingle = KNOWN_SINGLES.find((n) => names.includes(n));
  if (knownSingle) return { single: knownSingle };
  const singles = names.filter((n) => n.endsWith('.safetensors'));
  if (singles.length === 1) return { single: singles[0] };
  throw new StudioError(
    'WEIGHTS_NOT_FOUND',
    singles.length
      ? `${dir} holds several .safetensors files but no *.safetensors.index.json telling how they fit together. Download the model again.`
      : `${dir} holds no .safetensors weights. Download the model again or pick the right folder.`,
  );
}

function readWeightMap(indexPath: string): Map<string, string> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(indexPath, 'utf8'));
  } catch (cause) {
    throw new StudioError('WEIGHTS_CORRUPT', `${indexPath} is not valid JSON (${(cause as Error).message}). ${REDOWNLOAD}`, { cause });
  }
  const weightMap = (parsed as { weight_map?: unknown } | null)?.weight_map;
  if (!weightMap || typeof weightMap !== 'object' || Array.isArray(weightMap)) {
    throw new StudioError('WEIGHTS_CORRUPT', `${indexPath} has no "weight_map". ${REDOWNLOAD}`);
  }
  const map = new Map<string, string>();
  for (const [name, shard] of Object.entries(weightMap as Record<string, unknown>)) {
    // Shard names are plain file names beside the index; anything else could point outside the folder.
    if (typeof shard !== 'string' || !shard.endsWith('.safetensors') || /[\\/]/.test(shard) || shard.startsWith('.')) {
      throw new StudioError('WEIGHTS_CORRUPT', `${indexPath}: tensor "${name}" maps to an invalid shard ${JSON.stringify(shard)}. ${REDOWNLOAD}`);
    }
    map.set(name, shard);
  }
  return map;
}

/**
 * Opens a diffusers/transformers component folder: a sharded checkpoint through its
 * `*.safetensors.index.json`, or the single `model.safetensors` / `diffusion_pytorch_model.safetensors`.
 * All shard headers are checked at open, so a missing or damaged shard fails before any graph work.
 */
export function openSafetensorsFolder(dir: string): WeightSource {
  const pick = pickWeightFile(dir);
  if (pick.single) return openSafetensors(join(dir, pick.single));
  const indexPath = join(dir, pick.index!);
  const weightMap = readWeightMap(indexPath);
  const shards = new Map<string, SafetensorsSource>();
  const closeAll = (): void => shards.forEach((s) => s.close());
  try {
    for (const [name, shard] of weightMap) {
      if (shards.has(shard)) continue;
      const shardPath = join(dir, shard);
      if (!existsSync(shardPath)) {
        throw new StudioError(
          'WEIGHTS_NOT_FOUND',
          `Shard ${shardPath} is missing (listed in ${indexPath} for tensor "${name}" and others). ` +
            'The download is incomplete: download the model again.',
        );
      }
      shards.set(shard, openSafetensors(shardPath));
    }
    for (const [name, shard] of weightMap) {
      if (!shards.get(shard)!.has(name)) {
        throw new StudioError(
          'WEIGHTS_MISSING_TENSOR',
          `Tensor "${name}" is listed in ${indexPath} but missing from ${join(dir, shard)}. ${REDOWNLOAD}`,
        );
      }
    }
  } catch (error) {
    closeAll();
    throw error;
  }
  const keys = [...weightMap.keys()];
  const shardOf = (name: string): SafetensorsSource => {
    const shard = weightMap.get(name);
    if (shard === undefined) throw missingTensorError(indexPath, name, keys);
    return shards.get(shard)!;
  };
  return {
    origin: dir,
    keys: () => keys.slice(),
    has: (name) => weightMap.has(name),
    info: (name) => shardOf(name).info(name),
    read: (name, as) => shardOf(name).read(name, as),
    close: closeAll,
  };
}
