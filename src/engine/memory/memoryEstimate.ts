/**
 * GPU memory each memory mode needs, from the sizes of the built graphs (their weights live on the
 * GPU as stored: fp16) plus the working memory of one generation at the requested resolution. The
 * studio uses it to say which mode fits the selected card, and the engine to pick one when the
 * user leaves it on "automatic".
 *
 * Working memory adds up across loaded networks: ONNX Runtime keeps each session's arena at its
 * peak, so a session's activations stay reserved after its run. Coefficients are calibrated from
 * `npm run bench:gpu` on an H200 (docs/BENCHMARKS.md, 2026-11-28, nvidia-smi peaks at 24×480×704
 * with 22.1 GB of fp16 graphs): 'low-vram' (only the transformer on the card) peaked at 16,181 MiB,
 * so the transformer's arena is ≈ 6.3 GB beside its 10.2 GB of weights and the CUDA context;
 * 'text-encoder-cpu' at 63,332 MiB, which leaves ≈ 48.9 GB to the arenas of the VAE encoder and the
 * recon decoder together; 'gpu' at 76,375 MiB, ≈ 2.3 GB more than the text encoder's weights. The
 * VAE encoder alone, run at 24 frames on a fresh session, peaked at 9.7 GiB above idle
 * (`test/bench/vaeSessionShapes.ts`; 2.1 GiB at 4 frames per call), which leaves ≈ 38.9 GB to the
 * recon decoder.
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

/** Bytes of arena per pixel of one call's frames (frames × height × width), per network. */
export const WORKING_BYTES_PER_PIXEL: Record<GraphNetwork, number> = {
  'text encoder': 0,
  'VAE encoder': 1170,
  transformer: 0,
  'recon decoder': 4760,
};
/** Arena that does not scale with the image size (attention/FFN buffers, cuBLAS/cuDNN workspaces). */
export const WORKING_BYTES_FIXED: Record<GraphNetwork, number> = {
  'text encoder': 2.3e9,
  'VAE encoder': 0.3e9,
  transformer: 6.3e9,
  'recon decoder': 0.3e9,
};
/** CUDA context, cuBLAS/cuDNN handles: paid once per process. */
export const CUDA_CONTEXT_BYTES = 0.5e9;

export interface MemoryModeEstimate {
  mode: MemoryMode;
  gpuBytes: number;
}

/** Weights plus arena of one network on the GPU, when each call sees `framesPerCall` frames. */
export function networkGpuBytes(network: GraphNetwork, weightBytes: Record<GraphNetwork, number>, size: GenerationSize, framesPerCall = size.frames): number {
  const pixels = Math.min(framesPerCall, size.frames) * size.height * size.width;
  return weightBytes[network] + WORKING_BYTES_FIXED[network] + WORKING_BYTES_PER_PIXEL[network] * pixels;
}

/**
 * GPU bytes per mode: the networks loaded at the same time add up (weights and arenas). In the
 * transient-text mode the text encoder is alone on the card while it runs.
 */
export function estimateMemoryModes(
  weightBytes: Record<GraphNetwork, number>,
  size: GenerationSize,
  opts: { framesPerCall?: number } = {},
): MemoryModeEstimate[] {
  return MEMORY_MODES.map((mode) => {
    const info = MEMORY_MODE_INFO[mode];
    const resident: GraphNetwork[] = ['transformer'];
    if (info.vae === 'gpu') resident.push('VAE encoder');
    if (info.recon === 'gpu') resident.push('recon decoder');
    // The prompt image has a VAE session of its own (one input shape per session: no re-tuning),
    // so the VAE's weights are there twice, with a one-frame arena.
    const imageSession = (nets: GraphNetwork[]) => (nets.includes('VAE encoder') ? networkGpuBytes('VAE encoder', weightBytes, size, 1) : 0);
    const together = (nets: GraphNetwork[]) => nets.reduce((a, n) => a + networkGpuBytes(n, weightBytes, size, opts.framesPerCall), 0) + imageSession(nets);
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
