/**
 * Ours against upstream's PyTorch run (tools/reference/bench_upstream.py → upstream_timing.json):
 * the same random weights, request and card; ratio < 1 means we are faster / smaller.
 */
import type { ModeResult, StageGroup } from './gpuBench';

export interface UpstreamVariant {
  runs: { stages_ms: Record<string, number>; generate_ms: number; request_ms?: number }[];
  /** clean_*: runs without the per-stage timers (their synchronisations would inflate totals) */
  median: { stages_ms: Record<string, number>; generate_ms: number; request_ms?: number; clean_generate_ms?: number; clean_request_ms?: number };
  peak?: { allocated_mib?: number; reserved_mib?: number; nvidia_smi_used_mib?: number | null; nvidia_smi_used_minus_baseline_mib?: number | null };
}

export interface UpstreamTiming {
  machine?: string;
  torch?: string;
  variants: Record<string, UpstreamVariant>;
}

/** Which of upstream's stage keys make up each of our stage groups (names as bench_upstream.py writes them). */
export const UPSTREAM_STAGES: Partial<Record<StageGroup, string[]>> = {
  text: ['text_encoder'],
  image: ['vae_encode_image'],
  transformer: ['transformer'],
  decode: ['recon_decoder'],
  render: ['render'],
  encode: ['vae_encode_renders'],
};

export interface ComparisonRow {
  mode: string;
  variant: string;
  oursMs: number;
  upstreamMs: number;
  ratio: number;
  stages: { stage: StageGroup; oursMs: number; upstreamMs: number; ratio: number }[];
  peakOursMiB: number | null;
  peakUpstreamMiB: number | null;
  peakRatio: number | null;
}

export function compareWithUpstream(modes: ModeResult[], upstream: UpstreamTiming): ComparisonRow[] {
  const rows: ComparisonRow[] = [];
  for (const m of modes) {
    for (const [variant, u] of Object.entries(upstream.variants)) {
      const stages = (Object.entries(UPSTREAM_STAGES) as [StageGroup, string[]][]).map(([stage, keys]) => {
        const upstreamMs = keys.reduce((a, k) => a + (u.median.stages_ms[k] ?? 0), 0);
        const oursMs = m.median.stages[stage];
        return { stage, oursMs, upstreamMs, ratio: oursMs / upstreamMs };
      });
      // upstream's request time includes its image preparation and PLY export, as our total does;
      // its runs without stage timers are the fair total
      const request = u.median.clean_request_ms ?? u.median.request_ms;
      const upstreamMs = request ?? u.median.clean_generate_ms ?? u.median.generate_ms;
      const oursMs = request !== undefined ? m.median.totalMs : m.median.totalMs - m.median.exportMs;
      const peakUpstream = u.peak?.nvidia_smi_used_minus_baseline_mib ?? u.peak?.nvidia_smi_used_mib ?? null;
      rows.push({
        mode: m.framesPerCall ? `${m.mode} (${m.framesPerCall} frames a call)` : m.mode,
        variant,
        oursMs,
        upstreamMs,
        ratio: oursMs / upstreamMs,
        stages,
        peakOursMiB: m.peakGpuAboveIdleMiB,
        peakUpstreamMiB: peakUpstream,
        peakRatio: m.peakGpuAboveIdleMiB !== null && peakUpstream ? m.peakGpuAboveIdleMiB / peakUpstream : null,
      });
    }
  }
  return rows;
}

export function formatComparison(rows: ComparisonRow[]): string {
  const s = (ms: number) => (ms / 1000).toFixed(3);
  const stageNames = rows[0]?.stages.map((x) => x.stage) ?? [];
  const head = ['ours (mode)', 'upstream', 'ours s', 'upstream s', 'ratio', ...stageNames.map((n) => `${n} ratio`), 'peak GPU ours/upstream GiB', 'ratio'];
  const lines = [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`];
  for (const r of rows) {
    const peak = r.peakOursMiB === null || r.peakUpstreamMiB === null ? 'n/a' : `${(r.peakOursMiB / 1024).toFixed(1)} / ${(r.peakUpstreamMiB / 1024).toFixed(1)}`;
    lines.push(
      `| ${r.mode} | ${r.variant} | ${s(r.oursMs)} | ${s(r.upstreamMs)} | ${r.ratio.toFixed(2)} | ${r.stages.map((x) => (Number.isFinite(x.ratio) ? x.ratio.toFixed(2) : '—')).join(' | ')} | ${peak} | ${r.peakRatio === null ? 'n/a' : r.peakRatio.toFixed(2)} |`,
    );
  }
  return lines.join('\n');
}
