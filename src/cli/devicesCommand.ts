/**
 * `flashworld devices`: what this machine can run on. The NVIDIA GPUs (nvidia-smi), whether
 * ONNX Runtime's CUDA provider is installed, and which memory mode fits each GPU's free memory
 * for a generation size, estimated from the model's weight shapes (tensor headers only: nothing
 * is built or loaded, so it answers in a second even for the full model).
 *
 * Always exits 0 when it could report, even with no GPU: "no GPU" is an answer, not a failure.
 * 1: the model asked for with --model can't be read; 2: bad usage.
 */
import { parseArgs } from 'node:util';
import { MEMORY_MODES, MEMORY_MODE_INFO } from '../shared/engine/memoryModes';
import { isStudioError } from '../shared/errors';
import { cudaProviderProblem, ortBinaryDir } from '../engine/gpu/cudaProvider';
import { listGpus, type GpuInfo } from '../engine/gpu/nvidiaSmi';
import { estimateMemoryModes, fastestFittingMode, type GenerationSize, type MemoryModeEstimate } from '../engine/memory/memoryEstimate';
import { resolveModelFiles } from '../engine/model/modelFiles';
import { modelStatus } from '../engine/model/modelStatus';
import { estimateGraphBytesFromWeights } from '../engine/service/weightEstimate';

export const DEVICES_USAGE = `usage: flashworld devices [--model hub|test|PATH] [--resolution NxHxW]

  Lists the NVIDIA GPUs, whether ONNX Runtime's CUDA provider is installed, and which memory mode
  fits each GPU's free memory (estimated from the model's weight shapes; nothing is loaded).
  --model hub|test|PATH  the model to estimate for (default: hub, when it is downloaded)
  --resolution NxHxW     generation size to estimate for (default 24x480x704, upstream's default)`;

const DEFAULT_SIZE: GenerationSize = { frames: 24, height: 480, width: 704 };

export interface DevicesIo {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  /** nvidia-smi to run instead of the one on PATH */
  nvidiaSmi?: string;
}

export interface DevicesReport {
  gpus: GpuInfo[];
  gpuProblem: string | null;
  providerDir: string | null;
  providerProblem: string | null;
  /** the estimate, or why there is none */
  modes: { size: GenerationSize; model: string; estimates: MemoryModeEstimate[] } | { unavailable: string };
}

/** GiB, as nvidia-smi's MiB and the cards' marketing sizes go ("80 GB" H100 = 79.6 GiB). */
function gib(bytes: number): string {
  return Number.isFinite(bytes) ? `${(bytes / 2 ** 30).toFixed(1)} GiB` : 'unknown';
}

/** The report as text lines (stdout). Fit marks use fastestFittingMode's rule (5 % margin on free memory). */
export function renderDevicesReport(r: DevicesReport): string {
  const out: string[] = [];
  if (r.gpus.length) {
    const g0 = r.gpus[0];
    out.push(`NVIDIA GPUs (driver ${g0.driverVersion}${g0.cudaVersion ? `, CUDA ${g0.cudaVersion}` : ''}):`);
    const nameWidth = Math.max(...r.gpus.map((g) => g.name.length));
    for (const g of r.gpus) out.push(`  GPU ${g.index}  ${g.name.padEnd(nameWidth)}  ${gib(g.memoryTotalBytes)} total, ${gib(g.memoryFreeBytes)} free`);
  } else {
    out.push(`NVIDIA GPUs: none. ${r.gpuProblem ?? ''}`.trimEnd());
  }
  out.push(r.providerProblem ? `CUDA provider: ${r.providerProblem}` : `CUDA provider: installed (${r.providerDir})`);

  if ('unavailable' in r.modes) {
    out.push(`Memory modes: ${r.modes.unavailable}`);
    return `${out.join('\n')}\n`;
  }
  const { size, model, estimates } = r.modes;
  out.push(`Memory modes for ${size.frames}x${size.height}x${size.width} (${model}; GPU memory needed, estimated from the weights):`);
  const modeWidth = Math.max(...MEMORY_MODES.map((m) => m.length));
  const fastest = new Map(r.gpus.map((g) => [g.index, fastestFittingMode(estimates, g.memoryFreeBytes)]));
  for (const mode of MEMORY_MODES) {
    const e = estimates.find((x) => x.mode === mode);
    if (!e) continue;
    const cells = r.gpus.map((g) => {
      const fits = fastestFittingMode([e], g.memoryFreeBytes) !== null;
      return `GPU ${g.index}: ${fits ? 'fits' : 'too big'}${fastest.get(g.index) === mode ? ' (fastest that fits)' : ''}`;
    });
    out.push(`  ${mode.padEnd(modeWidth)}  ${gib(e.gpuBytes).padStart(10)}  ${[MEMORY_MODE_INFO[mode].label, ...cells].join('; ')}`);
  }
  for (const g of r.gpus) {
    if (fastest.get(g.index) === null) out.push(`  GPU ${g.index}: no mode fits its ${gib(g.memoryFreeBytes)} free; lower the resolution or frames, or free GPU memory.`);
  }
  if (r.gpus.length) out.push('Pick one with --memory-mode MODE (generate), or leave it to --memory-mode auto.');
  return `${out.join('\n')}\n`;
}

function parseSize(text: string | undefined): GenerationSize | string {
  if (text === undefined) return DEFAULT_SIZE;
  const m = /^(\d+)x(\d+)x(\d+)$/.exec(text);
  if (!m) return `--resolution ${text}: write it as FRAMESxHEIGHTxWIDTH, e.g. 24x480x704.`;
  return { frames: Number(m[1]), height: Number(m[2]), width: Number(m[3]) };
}

/** The estimate for `--model` (or the downloaded hub model), or why there is none; `failed` when --model was given and can't be read. */
function memoryModes(model: string | undefined, size: GenerationSize): { modes: DevicesReport['modes']; failed: boolean } {
  if (model === undefined && !modelStatus().ready) {
    return { modes: { unavailable: 'the model is not downloaded yet (flashworld model download), so there is nothing to estimate; --model test shows the estimate for the built-in test model.' }, failed: false };
  }
  try {
    const files = resolveModelFiles(model ?? 'hub');
    // The GPU runs fp16 graphs (the CUDA provider's default float type).
    const estimates = estimateMemoryModes(estimateGraphBytesFromWeights(files, 'float16'), size);
    return { modes: { size, model: files.label, estimates }, failed: false };
  } catch (e) {
    if (!isStudioError(e)) throw e;
    return { modes: { unavailable: e.message }, failed: true };
  }
}

export async function runDevicesCommand(argv: string[], io: Partial<DevicesIo> = {}): Promise<number> {
  const stdout = io.stdout ?? process.stdout;
  const stderr = io.stderr ?? process.stderr;
  if (argv.includes('--help') || argv.includes('-h')) {
    stdout.write(`${DEVICES_USAGE}\n`);
    return 0;
  }
  let values: { model?: string; resolution?: string };
  try {
    ({ values } = parseArgs({ args: argv, options: { model: { type: 'string' }, resolution: { type: 'string' } }, allowPositionals: false }));
  } catch (e) {
    stderr.write(`flashworld devices: ${(e as Error).message}\n${DEVICES_USAGE}\n`);
    return 2;
  }
  const size = parseSize(values.resolution);
  if (typeof size === 'string') {
    stderr.write(`flashworld devices: ${size}\n`);
    return 2;
  }
  const { gpus, problem } = await listGpus({ nvidiaSmi: io.nvidiaSmi });
  const { modes, failed } = memoryModes(values.model, size);
  stdout.write(renderDevicesReport({ gpus, gpuProblem: problem, providerDir: ortBinaryDir(), providerProblem: cudaProviderProblem(), modes }));
  return failed ? 1 : 0;
}
