/**
 * onnxruntime-node session factory with typed host tensors. fp16 data crosses as raw half bits
 * in a Uint16Array (see weights/halfFloat.ts), never bf16.
 */
import * as path from 'node:path';
import type * as Ort from 'onnxruntime-node';
import { StudioError } from '../../shared/errors';
import { float32ArrayToHalf, halfArrayToFloat32 } from '../weights/halfFloat';
import type { ElemType } from './proto';

export type HostTensor = {
  dtype: ElemType;
  shape: number[];
  data: Float32Array | Uint16Array | BigInt64Array | Int32Array | Uint8Array;
};

export interface SessionOptions {
  provider: 'cpu' | 'cuda';
  deviceId?: number;
  intraOpThreads?: number;
  /** ORT graph optimisation level; default 'all'. */
  graphOptimization?: 'disabled' | 'basic' | 'extended' | 'all';
  /**
   * Allocate the weights (initializers) with the device allocator, each exactly its size, instead
   * of through the BFC arena, which grows in doubling steps and keeps the slack (GBs for the
   * multi-GB weights of the full model). Default: on for CUDA, off for the CPU.
   */
  deviceAllocatorForInitializers?: boolean;
  /**
   * Benchmarks only: ONNX Runtime's per-node profiler, written to `<prefix>_<date>.json` when the
   * session is released. Costs time on every run.
   */
  profileFilePrefix?: string;
}

export interface GraphSession {
  readonly modelPath: string;
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  run(feeds: Record<string, HostTensor>): Promise<Record<string, HostTensor>>;
  release(): Promise<void>;
}

const DATA_CTORS: Record<ElemType, { new (n: number): HostTensor['data'] } & { name: string }> = {
  float32: Float32Array,
  float16: Uint16Array,
  int64: BigInt64Array,
  int32: Int32Array,
  bool: Uint8Array,
  uint8: Uint8Array,
};

export function hostTensor(dtype: ElemType, shape: number[], data?: HostTensor['data']): HostTensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const d = data ?? new DATA_CTORS[dtype](n);
  if (d.length !== n) {
    throw new StudioError('INTERNAL', `A ${dtype} tensor of shape [${shape}] needs ${n} elements, got ${d.length}.`);
  }
  return { dtype, shape, data: d };
}

/** A float tensor for a graph input from fp32 values (converted to half bits for 'float16'). */
export function floatTensor(dtype: 'float32' | 'float16', shape: number[], values: Float32Array): HostTensor {
  return hostTensor(dtype, shape, dtype === 'float16' ? float32ArrayToHalf(values) : values);
}

/** A graph output as fp32 values (fp16 widened; integer types converted). */
export function toFloat32(t: HostTensor): Float32Array {
  if (t.dtype === 'float32') return t.data as Float32Array;
  if (t.dtype === 'float16') return halfArrayToFloat32(t.data as Uint16Array);
  return Float32Array.from(Array.from(t.data as ArrayLike<number | bigint>, Number));
}

function graphLabel(modelPath: string): string {
  return path.basename(modelPath);
}

/** A provider library that failed to load (vs. a model error that merely mentions CUDA). */
function isCudaMissing(error: unknown): boolean {
  const msg = String((error as Error)?.message ?? error);
  return /AppendExecutionProvider|failed to load|providers_(shared|cuda)|cannot open shared object|LoadLibrary|error 126|not (enabled|available|supported)|backend .*not found|cudnn|libcublas|libcudart/i.test(
    msg,
  );
}

/** The native addon loads with the first session: building graphs (benchmarks, `--help`) never needs it. */
let ortModule: Promise<typeof Ort> | undefined;
function loadOrt(): Promise<typeof Ort> {
  ortModule ??= import('onnxruntime-node');
  return ortModule;
}

/** ONNX Runtime's session options for `opts` (`extra` entries become session config keys, "session.…"). */
export function ortSessionOptions(opts: SessionOptions): Ort.InferenceSession.SessionOptions {
  const executionProviders: Ort.InferenceSession.ExecutionProviderConfig[] =
    opts.provider === 'cuda' ? [{ name: 'cuda', deviceId: opts.deviceId ?? 0 } as Ort.InferenceSession.ExecutionProviderConfig] : ['cpu'];
  const exactInitializers = opts.deviceAllocatorForInitializers ?? opts.provider === 'cuda';
  return {
    executionProviders,
    graphOptimizationLevel: opts.graphOptimization ?? 'all',
    ...(opts.intraOpThreads ? { intraOpNumThreads: opts.intraOpThreads } : {}),
    ...(exactInitializers ? { extra: { session: { use_device_allocator_for_initializers: '1' } } } : {}),
    ...(opts.profileFilePrefix ? { enableProfiling: true, profileFilePrefix: opts.profileFilePrefix } : {}),
  };
}

export async function createSession(modelPath: string, opts: SessionOptions): Promise<GraphSession> {
  const ort = await loadOrt();
  const sessionOptions = ortSessionOptions(opts);
  let session: Ort.InferenceSession;
  try {
    session = await ort.InferenceSession.create(modelPath, sessionOptions);
  } catch (cause) {
    if (opts.provider === 'cuda' && isCudaMissing(cause)) {
      throw new StudioError(
        'RUNTIME_FAILED',
        `The CUDA runtime for ONNX Runtime could not be loaded to run ${graphLabel(modelPath)} (${(cause as Error)?.message ?? cause}). ` +
          'Install the matching CUDA provider for onnxruntime-node 1.29.0 and an NVIDIA driver with CUDA 12/13, or choose the CPU device in settings.',
        { cause },
      );
    }
    throw new StudioError(
      'RUNTIME_FAILED',
      `ONNX Runtime could not load the graph ${modelPath}: ${(cause as Error)?.message ?? cause}. ` +
        'Delete the graph cache folder so the graph is rebuilt; if it persists, report the message.',
      { cause },
    );
  }

  const inputNames = [...session.inputNames];
  const outputNames = [...session.outputNames];

  return {
    modelPath,
    inputNames,
    outputNames,
    async run(feeds) {
      const unknown = Object.keys(feeds).filter((k) => !inputNames.includes(k));
      if (unknown.length > 0) {
        throw new StudioError(
          'INTERNAL',
          `Graph ${graphLabel(modelPath)} has no input(s) ${unknown.join(', ')} (its inputs: ${inputNames.join(', ')}). The graph cache may be stale: delete it and retry.`,
        );
      }
      const ortFeeds: Record<string, Ort.Tensor> = {};
      for (const name of inputNames) {
        const t = feeds[name];
        if (!t) {
          throw new StudioError(
            'INTERNAL',
            `Graph ${graphLabel(modelPath)} needs input "${name}" but it was not given (given: ${Object.keys(feeds).join(', ') || 'none'}).`,
          );
        }
        ortFeeds[name] = new ort.Tensor(t.dtype, t.data as never, t.shape);
      }
      let results: Ort.InferenceSession.OnnxValueMapType;
      try {
        results = await session.run(ortFeeds);
      } catch (cause) {
        const shapes = Object.entries(feeds)
          .map(([k, t]) => `${k}:${t.dtype}[${t.shape}]`)
          .join(', ');
        throw new StudioError(
          'RUNTIME_FAILED',
          `Running graph ${graphLabel(modelPath)} failed with inputs ${shapes}: ${(cause as Error)?.message ?? cause}. ` +
            'Check the input sizes; if they are right, free GPU memory (lower resolution or enable offload) and retry.',
          { cause },
        );
      }
      const out: Record<string, HostTensor> = {};
      for (const name of outputNames) {
        const t = results[name] as Ort.Tensor;
        out[name] = { dtype: t.type as ElemType, shape: [...t.dims], data: t.data as HostTensor['data'] };
      }
      return out;
    },
    async release() {
      // ORT writes the profile when asked to end it, not at release.
      if (opts.profileFilePrefix) session.endProfiling();
      await session.release();
    },
  };
}
