/**
 * Which NVIDIA GPUs this machine has, from `nvidia-smi` (it ships with the driver on Linux and
 * Windows, so asking it needs no CUDA library and no native addon). Never throws: when there is
 * no usable GPU, `problem` says why in one sentence the studio and the CLI show as is.
 *
 * Indices are nvidia-smi's (PCI bus order). CUDA numbers devices fastest-first unless
 * CUDA_DEVICE_ORDER=PCI_BUS_ID, and CUDA_VISIBLE_DEVICES renumbers them; on machines with one
 * kind of GPU and no CUDA_VISIBLE_DEVICES the two orders agree.
 */
import { execFile } from 'node:child_process';

export interface GpuInfo {
  /** nvidia-smi's index (see the file comment about CUDA's numbering) */
  index: number;
  name: string;
  /** NaN when nvidia-smi reports [N/A] (some unified-memory systems, vGPUs) */
  memoryTotalBytes: number;
  memoryUsedBytes: number;
  memoryFreeBytes: number;
  driverVersion: string;
  /** Highest CUDA version the driver supports ("13.0"), from nvidia-smi's banner; null if unknown. */
  cudaVersion: string | null;
}

export interface GpuList {
  gpus: GpuInfo[];
  /** Why no GPU can be used (no driver, driver not loaded, nvidia-smi failed), or null. */
  problem: string | null;
}

/** One query for everything but the CUDA version (`cuda_version` is not a --query-gpu field). */
export const NVIDIA_SMI_QUERY_ARGS = [
  '--query-gpu=index,name,memory.total,memory.used,memory.free,driver_version',
  '--format=csv,noheader,nounits',
];

const MIB = 1024 * 1024;
const DEFAULT_TIMEOUT_MS = 10_000;
const USE_CPU = 'or run on the CPU (--provider cpu; much slower)';

/** Splits one CSV line; honours double quotes (nvidia-smi doesn't quote today, a future one might). */
function splitCsvLine(line: string): string[] {
  const fields: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quoted) {
      if (c === '"' && line[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      fields.push(field.trim());
      field = '';
    } else field += c;
  }
  fields.push(field.trim());
  return fields;
}

/** MiB as nvidia-smi prints them with `nounits`; "[N/A]", "[Not Supported]" … give NaN. */
function mibToBytes(field: string): number {
  return /^\d+(\.\d+)?$/.test(field) ? Number(field) * MIB : NaN;
}

/**
 * Parses the output of `nvidia-smi --query-gpu=index,name,memory.total,memory.used,memory.free,
 * driver_version --format=csv,noheader,nounits`. A name containing commas is rejoined (the other
 * five fields never contain one); lines that aren't GPU rows (warnings) are skipped.
 */
export function parseNvidiaSmiCsv(text: string, cudaVersion: string | null = null): GpuInfo[] {
  const gpus: GpuInfo[] = [];
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (!line) continue;
    const f = splitCsvLine(line);
    if (f.length < 6 || !/^\d+$/.test(f[0])) continue;
    const tail = f.slice(-4);
    const name = f.slice(1, f.length - 4).join(', ');
    const total = mibToBytes(tail[0]);
    const used = mibToBytes(tail[1]);
    let free = mibToBytes(tail[2]);
    if (Number.isNaN(free) && !Number.isNaN(total) && !Number.isNaN(used)) free = total - used;
    gpus.push({
      index: Number(f[0]),
      name,
      memoryTotalBytes: total,
      memoryUsedBytes: used,
      memoryFreeBytes: free,
      driverVersion: tail[3],
      cudaVersion,
    });
  }
  return gpus;
}

/** "CUDA Version: 13.0" from nvidia-smi's banner (plain `nvidia-smi`), or null. */
export function parseCudaVersion(banner: string): string | null {
  return /CUDA Version:\s*(\d+\.\d+)/.exec(banner)?.[1] ?? null;
}

interface RunResult {
  stdout: string;
  stderr: string;
  /** exit code, or null when it didn't exit normally */
  code: number | null;
  /** 'ENOENT', 'EACCES', 'TIMEOUT', 'SIGNAL' when it didn't run to an exit */
  failure: string | null;
}

function run(file: string, args: string[], timeoutMs: number): Promise<RunResult> {
  return new Promise((resolve) => {
    execFile(file, args, { timeout: timeoutMs, windowsHide: true, maxBuffer: 4 * MIB, encoding: 'utf8' }, (error, stdout, stderr) => {
      if (!error) return resolve({ stdout, stderr, code: 0, failure: null });
      const e = error as NodeJS.ErrnoException & { killed?: boolean; signal?: string | null; code?: string | number };
      if (typeof e.code === 'string') return resolve({ stdout, stderr, code: null, failure: e.code });
      if (e.killed) return resolve({ stdout, stderr, code: null, failure: 'TIMEOUT' });
      if (typeof e.code === 'number') return resolve({ stdout, stderr, code: e.code, failure: null });
      resolve({ stdout, stderr, code: null, failure: e.signal ? 'SIGNAL' : 'UNKNOWN' });
    });
  });
}

/** The first meaningful lines nvidia-smi printed (it writes errors to stdout as often as to stderr). */
function excerpt(r: RunResult): string {
  const text = `${r.stderr}\n${r.stdout}`
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter(Boolean)
    .slice(0, 3)
    .join(' ');
  return text.length > 300 ? `${text.slice(0, 297)}…` : text;
}

function failureSentence(r: RunResult, file: string, timeoutMs: number): string {
  if (r.failure === 'ENOENT') {
    return `No NVIDIA driver found: nvidia-smi is not installed (or not on PATH). Install the NVIDIA driver (580 or newer for CUDA 13; 525 or newer for CUDA 12) to use a GPU, ${USE_CPU}.`;
  }
  if (r.failure === 'EACCES') return `nvidia-smi (${file}) could not be run: permission denied. Check the NVIDIA driver installation, ${USE_CPU}.`;
  if (r.failure === 'TIMEOUT') {
    return `nvidia-smi did not answer within ${(timeoutMs / 1000).toFixed(timeoutMs % 1000 ? 1 : 0)} s: the NVIDIA driver may be hung or a GPU in a bad state. Run nvidia-smi in a terminal to see, reboot if it hangs there too, ${USE_CPU}.`;
  }
  const said = excerpt(r);
  if (/couldn't communicate with the NVIDIA driver|NVIDIA driver is not loaded/i.test(said)) {
    return `The NVIDIA driver is not loaded: nvidia-smi could not talk to it. Reboot after installing or updating the driver (with Secure Boot, its kernel module must be signed or its key enrolled), ${USE_CPU}.`;
  }
  if (/Driver\/library version mismatch/i.test(said)) {
    return `The NVIDIA driver was updated but the old one is still loaded (nvidia-smi: "Driver/library version mismatch"). Reboot, ${USE_CPU}.`;
  }
  if (/No devices were found/i.test(said)) return noGpuSentence(said);
  const how = r.code !== null ? `exit code ${r.code}` : 'it was killed';
  return `nvidia-smi failed (${how})${said ? `: ${said}` : ''}. Check the NVIDIA driver installation, ${USE_CPU}.`;
}

function noGpuSentence(said: string): string {
  return `The NVIDIA driver is installed but sees no GPU${said ? ` (nvidia-smi: "${said}")` : ''}. Check that the GPU is seated and powered and, in a container or VM, that it is passed through; ${USE_CPU}.`;
}

/**
 * Lists the GPUs (`nvidia-smi` on PATH unless `opts.nvidiaSmi` names the binary). Runs the query
 * and then the plain banner for the CUDA version; a failing banner only leaves cudaVersion null.
 */
export async function listGpus(opts: { nvidiaSmi?: string; timeoutMs?: number } = {}): Promise<GpuList> {
  const file = opts.nvidiaSmi ?? 'nvidia-smi';
  const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const query = await run(file, NVIDIA_SMI_QUERY_ARGS, timeoutMs);
  if (query.failure !== null || query.code !== 0) return { gpus: [], problem: failureSentence(query, file, timeoutMs) };
  const parsed = parseNvidiaSmiCsv(query.stdout);
  if (!parsed.length) return { gpus: [], problem: noGpuSentence(excerpt(query)) };
  const banner = await run(file, [], timeoutMs);
  const cudaVersion = banner.code === 0 ? parseCudaVersion(banner.stdout) : null;
  return { gpus: parsed.map((g) => ({ ...g, cudaVersion })), problem: null };
}
