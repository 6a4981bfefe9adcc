/**
 * Streaming safetensors writer: all tensors are declared first (name, dtype, shape), so the header
 * and every offset are known; data then arrives tensor by tensor, in chunks if wanted, and is
 * written at its place. Used by the full-size benchmark (random weights of the official shapes,
 * never all in memory) and by tests (round trips, files to break on purpose).
 */
import { closeSync, mkdirSync, openSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { StudioError } from '../../shared/errors';
import { DTYPE_BYTES, isValidShape, shapeElements } from './dtypes';
import { ProgressLedger, asBytes, writeAt } from './fileWrite';
import type { WeightDType } from './types';

export interface TensorDeclaration {
  name: string;
  dtype: WeightDType;
  shape: number[];
}

export interface StreamingWeightWriter {
  /** Appends bytes (raw little-endian elements; fp16/bf16 as Uint16Array bits) to a declared tensor. */
  write(name: string, data: ArrayBufferView): void;
  /** Checks that every declared tensor got all its bytes, then closes the file(s). */
  close(): void;
  /** Files written, data files first (index last when sharded). */
  readonly files: string[];
}

function tensorBytes(t: TensorDeclaration): number {
  if (!isValidShape(t.shape)) throw new StudioError('INTERNAL', `Tensor "${t.name}" declared with invalid shape ${JSON.stringify(t.shape)}.`);
  return shapeElements(t.shape) * DTYPE_BYTES[t.dtype];
}

/** Writes one `.safetensors` file. */
export function createSafetensorsWriter(
  path: string,
  tensors: TensorDeclaration[],
  options: { metadata?: Record<string, string> } = {},
): StreamingWeightWriter {
  const header: Record<string, unknown> = {};
  if (options.metadata) header.__metadata__ = options.metadata;
  const sizes = new Map<string, number>();
  const offsets = new Map<string, number>();
  let cursor = 0;
  for (const t of tensors) {
    if (sizes.has(t.name)) throw new StudioError('INTERNAL', `Tensor "${t.name}" declared twice for ${path}.`);
    const size = tensorBytes(t);
    header[t.name] = { dtype: t.dtype, shape: t.shape, data_offsets: [cursor, cursor + size] };
    sizes.set(t.name, size);
    offsets.set(t.name, cursor);
    cursor += size;
  }
  // Pad the header with spaces to a multiple of 8 so the data block is 8-byte aligned, as the
  // reference writer does (readers that map the file can then view fp64 data in place).
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - ((8 + Buffer.byteLength(json)) % 8)) % 8);
  const headerBytes = Buffer.from(json, 'utf8');
  const prefix = Buffer.alloc(8);
  prefix.writeBigUInt64LE(BigInt(headerBytes.length));
  const dataStart = 8 + headerBytes.length;

  const fd = openSync(path, 'w');
  writeAt(fd, prefix, 0, path);
  writeAt(fd, headerBytes, 8, path);
  const ledger = new ProgressLedger(sizes, path);
  let open = true;
  return {
    files: [path],
    write(name, data) {
      if (!open) throw new StudioError('INTERNAL', `${path}: write("${name}") after close().`);
      const bytes = asBytes(data);
      const at = ledger.claim(name, bytes.byteLength);
      writeAt(fd, bytes, dataStart + offsets.get(name)! + at, path);
    },
    close() {
      if (!open) return;
      open = false;
      try {
        ledger.finish();
      } finally {
        closeSync(fd);
      }
    },
  };
}

/** Shard file name as Hugging Face writes it: `model-00001-of-00003.safetensors`. */
export function shardFileName(baseName: string, index: number, count: number): string {
  const pad = (n: number): string => String(n).padStart(5, '0');
  return `${baseName}-${pad(index + 1)}-of-${pad(count)}.safetensors`;
}

/**
 * Writes a checkpoint split into shards of at most `maxShardBytes` (a single tensor larger than
 * that gets a shard of its own) plus `<baseName>.safetensors.index.json`, like `save_pretrained`.
 * One shard is written as plain `<baseName>.safetensors` without an index, as Hugging Face does.
 */
export function createShardedSafetensorsWriter(
  dir: string,
  tensors: TensorDeclaration[],
  options: { maxShardBytes: number; baseName?: string; metadata?: Record<string, string> },
): StreamingWeightWriter {
  const baseName = options.baseName ?? 'model';
  mkdirSync(dir, { recursive: true });
  const groups: TensorDeclaration[][] = [];
  let current: TensorDeclaration[] = [];
  let currentBytes = 0;
  let totalSize = 0;
  for (const t of tensors) {
    const size = tensorBytes(t);
    totalSize += size;
    if (current.length && currentBytes + size > options.maxShardBytes) {
      groups.push(current);
      current = [];
      currentBytes = 0;
    }
    current.push(t);
    currentBytes += size;
  }
  if (current.length || !groups.length) groups.push(current);
  if (groups.length === 1) {
    return createSafetensorsWriter(join(dir, `${baseName}.safetensors`), tensors, { metadata: options.metadata });
  }
  const shardNames = groups.map((_, i) => shardFileName(baseName, i, groups.length));
  const writers = groups.map((g, i) => createSafetensorsWriter(join(dir, shardNames[i]), g, { metadata: options.metadata }));
  const writerOf = new Map<string, StreamingWeightWriter>();
  const weightMap: Record<string, string> = {};
  groups.forEach((g, i) =>
    g.forEach((t) => {
      writerOf.set(t.name, writers[i]);
      weightMap[t.name] = shardNames[i];
    }),
  );
  const indexPath = join(dir, `${baseName}.safetensors.index.json`);
  const sortedMap = Object.fromEntries(Object.keys(weightMap).sort().map((k) => [k, weightMap[k]]));
  return {
    files: [...writers.map((w) => w.files[0]), indexPath],
    write(name, data) {
      const w = writerOf.get(name);
      if (!w) throw new StudioError('INTERNAL', `${dir}: tensor "${name}" was not declared before writing.`);
      w.write(name, data);
    },
    close() {
      let firstError: unknown;
      for (const w of writers) {
        try {
          w.close();
        } catch (error) {
          firstError ??= error;
        }
      }
      if (firstError) throw firstError;
      writeFileSync(indexPath, JSON.stringify({ metadata: { total_size: totalSize }, weight_map: sortedMap }, null, 2) + '\n');
    },
  };
}
