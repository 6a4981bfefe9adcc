/**
 * Reads ONNX Runtime profiles (session option enableProfiling: a JSON array of trace events) and
 * says where a graph's time goes: per run, per operator type and the slowest nodes. Only the last
 * run counts in the breakdown — the first ones pay cuDNN's algorithm search and arena growth.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

interface TraceEvent {
  cat?: string;
  name?: string;
  ts?: number;
  dur?: number;
  args?: { op_name?: string; provider?: string; input_type_shape?: unknown; output_type_shape?: unknown };
}

export interface OpTypeTime {
  op: string;
  ms: number;
  nodes: number;
}

export interface ProfileSummary {
  file: string;
  /** every model_run, in order (ms) */
  runsMs: number[];
  /** kernels of the last run: their sum, and what is left of the run (host copies, allocation, gaps) */
  kernelMs: number;
  otherMs: number;
  byOpType: OpTypeTime[];
  slowestNodes: { node: string; op: string; provider: string; ms: number; inputs: string; outputs: string }[];
  /** nodes ONNX Runtime placed on the CPU in a CUDA session (each one is a device round trip) */
  cpuNodes: string[];
}

const KERNEL_SUFFIX = '_kernel_time';

export function summarizeProfile(events: TraceEvent[], file = ''): ProfileSummary {
  const runs = events.filter((e) => e.cat === 'Session' && e.name === 'model_run' && typeof e.ts === 'number');
  const runsMs = runs.map((r) => (r.dur ?? 0) / 1000);
  const last = runs[runs.length - 1];
  const inLast = (e: TraceEvent) => !last || ((e.ts ?? 0) >= (last.ts ?? 0) && (e.ts ?? 0) <= (last.ts ?? 0) + (last.dur ?? 0));
  const kernels = events.filter((e) => e.cat === 'Node' && e.name?.endsWith(KERNEL_SUFFIX) && inLast(e));
  const byOp = new Map<string, OpTypeTime>();
  let kernelUs = 0;
  const cpuNodes = new Set<string>();
  const cudaSession = events.some((e) => e.args?.provider === 'CUDAExecutionProvider');
  for (const k of kernels) {
    const op = k.args?.op_name ?? '?';
    const entry = byOp.get(op) ?? { op, ms: 0, nodes: 0 };
    entry.ms += (k.dur ?? 0) / 1000;
    entry.nodes += 1;
    byOp.set(op, entry);
    kernelUs += k.dur ?? 0;
    if (cudaSession && k.args?.provider === 'CPUExecutionProvider') {
      cpuNodes.add(`${k.name!.slice(0, -KERNEL_SUFFIX.length)} (${op})`);
    }
  }
  const round = (ms: number) => Math.round(ms * 1000) / 1000;
  const byOpType = [...byOp.values()].sort((a, b) => b.ms - a.ms).map((e) => ({ ...e, ms: round(e.ms) }));
  const slowestNodes = [...kernels]
    .sort((a, b) => (b.dur ?? 0) - (a.dur ?? 0))
    .slice(0, 25)
    .map((k) => ({
      node: k.name!.slice(0, -KERNEL_SUFFIX.length),
      op: k.args?.op_name ?? '?',
      provider: k.args?.provider ?? '?',
      ms: round((k.dur ?? 0) / 1000),
      inputs: JSON.stringify(k.args?.input_type_shape ?? null),
      outputs: JSON.stringify(k.args?.output_type_shape ?? null),
    }));
  const kernelMs = kernelUs / 1000;
  return {
    file,
    runsMs: runsMs.map(round),
    kernelMs: round(kernelMs),
    otherMs: round(last ? runsMs[runsMs.length - 1] - kernelMs : 0),
    byOpType,
    slowestNodes,
    cpuNodes: [...cpuNodes],
  };
}

/** Every `*.json` profile ONNX Runtime wrote into `dir`. */
export function summarizeProfileDir(dir: string): ProfileSummary[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => summarizeProfile(JSON.parse(readFileSync(join(dir, f), 'utf8')) as TraceEvent[], f));
}

export function formatProfile(s: ProfileSummary): string {
  const ops = s.byOpType
    .slice(0, 12)
    .map((o) => `${o.op} ${o.ms.toFixed(1)} ms ×${o.nodes}`)
    .join(', ');
  return `${s.file}: runs ${s.runsMs.map((r) => r.toFixed(1)).join(' ')} ms; last run kernels ${s.kernelMs.toFixed(1)} ms, other ${s.otherMs.toFixed(1)} ms\n  by op: ${ops}${
    s.cpuNodes.length ? `\n  on the CPU: ${s.cpuNodes.slice(0, 10).join(', ')}` : ''
  }`;
}
