/**
 * Runs Spark's own splat-file decoder (the Rust/WASM decoder its worker uses) in Node, as an
 * independent reader of the files the studio writes. Spark 2.x ships that worker as a string
 * (`jsContent`) and the WASM as base64 inside dist/spark.module.js; we evaluate the worker source
 * with a stand-in `self` and talk to it with the same messages Spark's SplatWorker sends.
 * Read-only use of the installed package; nothing is copied into the studio.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, dirname } from 'node:path';

export interface SparkSplats {
  numSplats: number;
  /** Spark's "ext" layout: two Uint32Arrays of 4 words per splat (float32 centres, half floats). */
  extArrays: [Uint32Array, Uint32Array];
  extra: Record<string, unknown>;
}

type Listener = (event: { data: unknown }) => void;
interface WorkerReply { id: number; result?: unknown; error?: unknown; status?: unknown }

let worker: Promise<(name: string, args: unknown) => Promise<unknown>> | null = null;

function sparkModulePath(): string {
  const require = createRequire(import.meta.url);
  return join(dirname(require.resolve('@sparkjsdev/spark')), 'spark.module.js');
}

/** The JS string literal that follows `marker` on its line, evaluated. */
function literalAfter(source: string, marker: string, close: string): string {
  const start = source.indexOf(marker);
  if (start < 0) throw new Error(`Spark bundle layout changed: '${marker}' not found`);
  const end = source.indexOf(close, start + marker.length);
  return source.slice(start + marker.length, end);
}

async function startWorker(): Promise<(name: string, args: unknown) => Promise<unknown>> {
  const source = readFileSync(sparkModulePath(), 'utf8');
  const jsLiteral = literalAfter(source, 'const jsContent = ', "';\n") + "'";
  const workerSource = new Function(`return ${jsLiteral};`)() as string;
  const wasmBase64 = literalAfter(source, 'const WASM = decode64("', '")');
  const module = await WebAssembly.compile(Buffer.from(wasmBase64, 'base64'));

  const listeners = new Set<Listener>();
  const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: unknown) => void }>();
  const self = {
    addEventListener: (type: string, fn: Listener) => { if (type === 'message') listeners.add(fn); },
    removeEventListener: (type: string, fn: Listener) => { if (type === 'message') listeners.delete(fn); },
    postMessage: (message: WorkerReply) => {
      const p = pending.get(message.id);
      if (!p || message.status !== undefined) return;
      pending.delete(message.id);
      if (message.error !== undefined) p.reject(message.error);
      else p.resolve(message.result);
    },
  };
  new Function('self', workerSource)(self);
  const send = (data: unknown): void => { for (const fn of [...listeners]) fn({ data }); };
  send({ name: 'init-wasm', module });
  let nextId = 0;
  return (name, args) => new Promise((resolve, reject) => {
    const id = ++nextId;
    pending.set(id, { resolve, reject });
    send({ id, name, args });
  });
}

/** Decodes PLY or SPZ bytes exactly as Spark does when it loads them into ExtSplats. */
export async function sparkDecode(fileBytes: Uint8Array, fileType: 'ply' | 'spz', pathName: string): Promise<SparkSplats> {
  worker ??= startWorker();
  const call = await worker;
  return (await call('loadExtSplats', { fileBytes: new Uint8Array(fileBytes), fileType, pathName })) as SparkSplats;
}
