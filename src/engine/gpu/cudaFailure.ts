/**
 * Turns ONNX Runtime's CUDA errors into one StudioError each, with the fix. ORT's texts are long
 * ("…cuda_call.cc:123 … CUDA failure 2: out of memory ; GPU=0 ; hostname=… ; expr=cudaMalloc…")
 * and the CUDA provider's load failure reaches JavaScript as only "Failed to load shared
 * library" (the missing library is named in ORT's log on stderr, not in the error), so for that
 * case we ask the dynamic loader ourselves which library is missing.
 *
 * Patterns come from ORT's own messages as users reported them (see cudaFailure.test.ts).
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { MEMORY_MODE_INFO, nextMemoryMode, type MemoryMode } from '../../shared/engine/memoryModes';
import { StudioError, type StudioErrorCode } from '../../shared/errors';
import { formatBytes } from '../../shared/formatBytes';
import { CUDA_PROVIDER_LIBRARIES, cudaProviderProblem, ortBinaryDir } from './cudaProvider';
import { linkedLibraries } from './sharedLibraries';

export interface CudaFailureContext {
  /** What was running, as a noun phrase: "the transformer", "the text encoder". */
  what: string;
  /** The memory mode in use (an out-of-memory error suggests the next one). */
  memoryMode?: MemoryMode;
  deviceId?: number;
  /** How many GPUs nvidia-smi listed, for an invalid device id. */
  gpuCount?: number;
  /** Where the network ran; 'cpu': allocation failures are host memory, not ours to explain. */
  device?: 'gpu' | 'cpu';
  /** Where to look instead of this machine's (tests). */
  probe?: { providerDir?: string; env?: NodeJS.ProcessEnv; toolkitRoot?: string };
}

const CUDA_CODES: readonly StudioErrorCode[] = ['GPU_OUT_OF_MEMORY', 'GPU_UNAVAILABLE', 'CUDA_DRIVER_MISSING', 'CUDA_LIBRARY_MISSING', 'CUDA_PROVIDER_MISSING'];
const USE_CPU = 'or run on the CPU (--provider cpu; much slower)';
const DRIVER_VERSIONS = '580 or newer for CUDA 13, 525 or newer for CUDA 12';

/** The error's message and those of its causes (StudioErrors wrap ORT's error as `cause`). */
function errorText(error: unknown): string {
  const parts: string[] = [];
  let e: unknown = error;
  for (let depth = 0; e !== undefined && e !== null && depth < 5; depth++) {
    if (typeof e === 'string') parts.push(e);
    else if (typeof e === 'object' && typeof (e as { message?: unknown }).message === 'string') parts.push((e as Error).message);
    e = typeof e === 'object' ? (e as { cause?: unknown }).cause : undefined;
  }
  return parts.join('\n');
}

const capitalize = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

const GPU_OOM = /CUDA failure 2:|cudaErrorMemoryAllocation|CUBLAS_STATUS_ALLOC_FAILED|CUDNN_STATUS_ALLOC_FAILED/i;
/** Also what the CPU arena says: GPU memory only when the network ran on the GPU. */
const ANY_OOM = /out of memory|Failed to allocate memory for requested buffer|BFCArena::AllocateRawInternal/i;
const INVALID_DEVICE = /invalid device ordinal|CUDA failure 101:|cudaErrorInvalidDevice\b/i;
const OLD_DRIVER = /CUDA driver version is insufficient|CUDA failure 35:|cudaErrorInsufficientDriver/i;
const NO_DEVICE = /no CUDA-capable device is detected|CUDA failure 100:|cudaErrorNoDevice/i;
const PROVIDER_NOT_BUILT = /executionProviders\[\d+\] is unsupported: 'cuda'|CUDA execution provider is not enabled|CUDAExecutionProvider is not (enabled|available)/i;
const PROVIDER_LOAD_FAILED = /AppendExecutionProvider_Cuda: Failed to load shared library/i;
/** "libcublasLt.so.12: cannot open shared object file" (dlopen), "Could not load library libcudnn_graph.so.9" (cuDNN). */
const CANNOT_OPEN = /([^\s/:'"]+\.so(?:\.\d+)*): cannot open shared object file|Could not load library (lib[\w.+-]+\.so(?:\.\d+)*)/;

export function explainCudaFailure(error: unknown, context: CudaFailureContext): StudioError | null {
  if (error instanceof StudioError && CUDA_CODES.includes(error.code)) return error;
  const text = errorText(error);
  if (!text) return null;
  const what = capitalize(context.what);
  const env = context.probe?.env ?? process.env;
  const make = (code: StudioErrorCode, message: string) => new StudioError(code, message, { cause: error });

  if (INVALID_DEVICE.test(text)) return make('GPU_UNAVAILABLE', invalidDevice(context, env));
  if (OLD_DRIVER.test(text)) {
    return make(
      'CUDA_DRIVER_MISSING',
      `${what} could not start on the GPU: the NVIDIA driver is missing or too old for the CUDA version ONNX Runtime's CUDA provider was built with ("CUDA driver version is insufficient for CUDA runtime version"). Install or update the NVIDIA driver (${DRIVER_VERSIONS}) and reboot, ${USE_CPU}.`,
    );
  }
  if (NO_DEVICE.test(text)) {
    const cvd = env.CUDA_VISIBLE_DEVICES;
    const hidden = cvd !== undefined ? ` CUDA_VISIBLE_DEVICES is set to "${cvd}": it may hide every GPU.` : '';
    return make(
      'CUDA_DRIVER_MISSING',
      `${what} could not start on the GPU: CUDA sees no GPU ("no CUDA-capable device is detected").${hidden} Check that nvidia-smi lists one and, in a container, that the GPUs are passed through (e.g. docker run --gpus all); ${USE_CPU}.`,
    );
  }
  if (GPU_OOM.test(text) || (context.device !== 'cpu' && ANY_OOM.test(text))) return make('GPU_OUT_OF_MEMORY', outOfMemory(what, text, context));
  if (PROVIDER_NOT_BUILT.test(text)) return make('CUDA_PROVIDER_MISSING', providerMissing(context));

  const cannotOpen = CANNOT_OPEN.exec(text);
  if (cannotOpen) {
    const lib = cannotOpen[1] ?? cannotOpen[2];
    if ((CUDA_PROVIDER_LIBRARIES as readonly string[]).includes(lib)) return make('CUDA_PROVIDER_MISSING', providerMissing(context));
    if (lib === 'libcuda.so.1') return make('CUDA_DRIVER_MISSING', driverLibraryMissing(what));
    return make('CUDA_LIBRARY_MISSING', librariesMissing(what, [lib], context));
  }
  if (PROVIDER_LOAD_FAILED.test(text)) return explainProviderLoadFailure(what, context, make);
  return null;
}

function invalidDevice(context: CudaFailureContext, env: NodeJS.ProcessEnv): string {
  const id = context.deviceId ?? 0;
  const n = context.gpuCount;
  const count =
    n === undefined ? ' (GPUs are numbered from 0)' : n === 0 ? ': this machine has no NVIDIA GPU' : `: this machine has ${n} NVIDIA GPU${n === 1 ? '' : 's'}, numbered 0 to ${n - 1}`;
  const cvd = env.CUDA_VISIBLE_DEVICES;
  const renumbered = cvd !== undefined ? ` CUDA_VISIBLE_DEVICES="${cvd}" is set, so CUDA numbers only those GPUs, from 0.` : '';
  return `There is no GPU ${id}${count}.${renumbered} Pick one that \`flashworld devices\` lists (--device N, or the GPU setting in the studio).`;
}

function outOfMemory(what: string, text: string, context: CudaFailureContext): string {
  const on = context.deviceId !== undefined ? ` on GPU ${context.deviceId}` : '';
  const requested = Number(/requested buffer of size (\d+)/.exec(text)?.[1]);
  // ORT has printed absurd sizes (2^62) for shape bugs; only quote plausible ones.
  const asked = requested > 0 && requested < 1e13 ? ` (it asked for ${formatBytes(requested)} more)` : '';
  const others = 'run the VAE encoder and recon decoder a few frames at a time (--frames-per-call 4), or close other programs using the GPU (nvidia-smi lists them)';
  const mode = context.memoryMode;
  let fix: string;
  if (!mode) {
    fix = `Choose a memory mode that keeps less on the GPU (\`flashworld devices\` shows which fit), generate at a lower resolution or with fewer frames, or ${others}.`;
  } else {
    const next = nextMemoryMode(mode);
    fix = next
      ? `Switch to the memory mode "${MEMORY_MODE_INFO[next].label}" (--memory-mode ${next}, or Memory mode in the studio's model panel), which keeps less on the GPU, or ${others}.`
      : `This is already the smallest memory mode ("${MEMORY_MODE_INFO[mode].label}"): generate at a lower resolution or with fewer frames, or ${others}.`;
  }
  return `${what} ran out of GPU memory${on}${asked}. ${fix}`;
}

function providerMissing(context: CudaFailureContext): string {
  return (
    cudaProviderProblem({ dir: context.probe?.providerDir }) ??
    `This onnxruntime-node has no CUDA execution provider (it is built for the CPU only on this platform); ${USE_CPU}.`
  );
}

function driverLibraryMissing(what: string): string {
  return `${what} could not start on the GPU: the NVIDIA driver is not installed (its libcuda.so.1 is missing). Install the NVIDIA driver (${DRIVER_VERSIONS}) and reboot, ${USE_CPU}.`;
}

/** CUDA majors installed as /usr/local/cuda-N.M (the toolkit installers' layout). */
export function installedCudaToolkits(root = '/usr/local'): string[] {
  try {
    return readdirSync(root)
      .map((n) => /^cuda-(\d+\.\d+)$/.exec(n)?.[1])
      .filter((v): v is string => Boolean(v))
      .sort((a, b) => Number(a.split('.')[0]) - Number(b.split('.')[0]) || Number(a.split('.')[1]) - Number(b.split('.')[1]));
  } catch {
    return [];
  }
}

/** cudart/cuBLAS sonames carry the CUDA major (cuFFT/cuRAND's don't: cuFFT 12 ships with CUDA 13). */
function cudaMajorOf(names: string[]): number | null {
  for (const n of names) {
    const m = /^libcu(?:dart|blas|blasLt)\.so\.(\d+)$/.exec(n);
    if (m) return Number(m[1]);
  }
  return null;
}

/** Every library the installed CUDA provider links against (found or not), from ldd; [] if unknown. */
function providerNeeds(context: CudaFailureContext): string[] {
  const dir = context.probe?.providerDir ?? ortBinaryDir();
  const libs = dir ? linkedLibraries(join(dir, CUDA_PROVIDER_LIBRARIES[0]), context.probe?.env) : null;
  return (libs ?? []).map((l) => l.name);
}

function librariesMissing(what: string, missing: string[], context: CudaFailureContext): string {
  const major = cudaMajorOf(missing) ?? cudaMajorOf(providerNeeds(context));
  const root = context.probe?.toolkitRoot ?? '/usr/local';
  const toolkits = installedCudaToolkits(root);
  const matching = major ? toolkits.filter((v) => Number(v.split('.')[0]) === major).pop() : undefined;
  const cudnn = missing.filter((n) => n.startsWith('libcudnn'));
  const cuda = missing.filter((n) => !n.startsWith('libcudnn'));
  const them = missing.length === 1 ? 'it is' : 'they are';
  const needs = major ? `It was built for CUDA ${major} and cuDNN 9.` : 'It needs the CUDA version it was built for (12 for onnxruntime-node’s own download) and cuDNN 9.';
  const found = toolkits.length ? ` Installed here: CUDA ${toolkits.join(', ')} (${root}).` : '';
  const wrongMajor = major && toolkits.length && !matching ? ` Other major versions don't provide CUDA ${major}'s libraries.` : '';
  const steps: string[] = [];
  if (cuda.length) steps.push(`install the CUDA${major ? ` ${major}` : ''} runtime libraries (the CUDA toolkit, or its cudart, cuBLAS, cuFFT and cuRAND packages)`);
  if (cudnn.length) steps.push(`install cuDNN 9${major ? ` for CUDA ${major}` : ''}`);
  const folder = matching && cuda.length ? `: ${join(root, `cuda-${matching}`, 'lib64')}` : major && cuda.length ? ` (for the toolkit: /usr/local/cuda-${major}/lib64)` : '';
  return (
    `${what} could not start on the GPU: ONNX Runtime's CUDA provider needs ${missing.join(', ')}, which the system can't find. ${needs}${found}${wrongMajor} ` +
    `Fix: ${steps.join(' and ')}; if ${them} installed, add the folder that holds ${missing.length === 1 ? 'it' : 'them'} to LD_LIBRARY_PATH${folder}. Or run on the CPU (--provider cpu; much slower).`
  );
}

/** "Failed to load shared library" with no name: the provider files, then the loader, say which. */
function explainProviderLoadFailure(what: string, context: CudaFailureContext, make: (code: StudioErrorCode, message: string) => StudioError): StudioError {
  const dir = context.probe?.providerDir ?? ortBinaryDir();
  const problem = cudaProviderProblem({ dir: dir ?? undefined });
  if (problem) return make('CUDA_PROVIDER_MISSING', problem);
  const libs = dir ? linkedLibraries(join(dir, CUDA_PROVIDER_LIBRARIES[0]), context.probe?.env) : null;
  const missing = (libs ?? []).filter((l) => l.path === null).map((l) => l.name);
  if (missing.includes('libcuda.so.1')) return make('CUDA_DRIVER_MISSING', driverLibraryMissing(what));
  if (missing.length) return make('CUDA_LIBRARY_MISSING', librariesMissing(what, missing, context));
  return make(
    'CUDA_LIBRARY_MISSING',
    `${what} could not start on the GPU: ONNX Runtime's CUDA provider (${dir}) failed to load; ONNX Runtime's log above names the library it could not open. ` +
      `Usually CUDA or cuDNN 9 libraries are missing or of another major version: install those the provider was built for, or add their folder to LD_LIBRARY_PATH; ${USE_CPU}.`,
  );
}
