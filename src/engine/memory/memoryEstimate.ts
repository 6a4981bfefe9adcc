/**
 * GPU memory each memory mode needs, from the sizes of the built graphs (their weights live on the
 * GPU as stored: fp16) plus the working memory of one generation at the requested resolution. The
 * studio uses it to say which mode fits the selected card, and the engine to pick one when the
 * user leaves it on "automatic".
 *
 * The working-memory coefficients are per generated pixel (frames × height × width) and were
 * calibrated from peak GPU memory measured with `npm run bench:gpu` on an H200 (docs/BENCHMARKS.md);
 * they include ONNX Runtime's arena rounding and cuDNN workspaces.
 */
import { readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { MEMORY_MODES, MEMORY_MODE_INFO, type MemoryMode } from '../../shared/engine/memoryModes';
import type { GraphNetwork } from '../model/buildGraphs';

export interface GenerationSize {
  frames: number;
  height: number;
  width: number;
}

/** Bytes of working memory per generated pixel, per network (see the file comment). */
export const WORKING_BYTES_PER_PIXEL: Record<GraphNetwork, number> = {
  'text encoder': 0,
  'VAE encoder': 330,
  transformer: 40,
  'recon decoder': 520,
};
/** Fixed per-network working memory (attention/FFN buffers that don't scale with pixels). */
export const WORKING_BYTES_FIXED: Record<GraphNetwork, number> = {
  'text encoder': 0.6e9,
  'VAE encoder': 0.3e9,
  transformer: 0.8e9,
  'recon decoder': 0.3e9,
};
/** CUDA context, cuBLAS/cuDNN handles: paid once per process. */
export const CUDA_CONTEXT_BYTES = 0.6e9;

export interface MemoryModeEstimate {
  mode: MemoryMode;
  gpuBytes: number;
}

function networkBytes(network: GraphNetwork, weightBytes: Record<GraphNetwork, number>, size: GenerationSize): number {
  const pixels = size.frames * size.height * size.width;
  return weightBytes[network] + WORKING_BYTES_FIXED[network] + WORKING_BYTES_PER_PIXEL[network] * pixels;
}

/**
 * GPU bytes per mode. Networks that stay loaded together add their weights; only one runs at a
 * time, so working memory counts once (the largest).
 */
export function estimateMemoryModes(weightBytes: Record<GraphNetwork, number>, size: GenerationSize): MemoryModeEstimate[] {
  return MEMORY_MODES.map((mode) => {
    const info = MEMORY_MODE_INFO[mode];
    const resident: GraphNetwork[] = ['transformer'];
    if (info.vae === 'gpu') resident.push('VAE encoder');
    if (info.recon === 'gpu') resident.push('recon decoder');
    const together = (nets: GraphNetwork[]) =>
      nets.reduce((a, n) => a + weightBytes[n], 0) + Math.max(...nets.map((n) => networkBytes(n, weightBytes, size) - weightBytes[n]));
    let bytes: number;
    if (info.text === 'cpu') bytes = together(resident);
    else if (info.textEncoderTransient) bytes = Math.max(together(['text encoder']), together(resident));
    else bytes = together([...resident, 'text encoder']);
    return { mode, gpuBytes: Math.round(bytes + CUDA_CONTEXT_BYTES) };
  });
}

/** The fastest mode that fits in `freeBytes` (keeping a safety margin), or null when none does. */
export function fastestFittingMode(estimates: MemoryModeEstimate[], freeBytes: number, margin = 0.05): MemoryMode | null {
  for (const mode of MEMORY_MODES) {
    const e = estimates.find((x) => x.mode === mode);
    if (e && e.gpuBytes <= freeBytes * (1 - margin)) return mode;
  }
  return null;
}

/** Bytes of each built graph (its folder in the cache: the .onnx plus its external weight data). */
export function graphWeightBytes(graphs: Record<GraphNetwork, string>): Record<GraphNetwork, number> {
  const out = {} as Record<GraphNetwork, number>;
  for (const [network, modelPath] of Object.entries(graphs) as [GraphNetwork, string][]) {
    const dir = dirname(modelPath);
    out[network] = readdirSync(dir, { withFileTypes: true })
      .filter((e) => e.isFile())
      .reduce((a, e) => a + statSync(join(dir, e.name)).size, 0);
  }
  return out;
}
