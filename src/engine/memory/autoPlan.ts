/**
 * What 'auto' runs on a GPU: the fastest memory mode the estimate says fits, and — when the only
 * mode that fits whole is `low-vram` (the VAE encoder and recon decoder on the CPU: minutes a
 * generation) — a GPU mode run a few frames a call instead. ONNX Runtime keeps each session's
 * arena at its peak, and the VAE encoder's and recon decoder's arenas grow with the frames of one
 * call (≈ 49 GB at 24 frames of 480×704), so fewer frames a call is what lets the GPU modes fit
 * smaller cards; the output is the same (frame chunking is exact, pipeline/frameChunks.ts).
 */
import { MEMORY_MODE_INFO, type MemoryMode } from '../../shared/engine/memoryModes';
import { formatBytes } from '../../shared/formatBytes';
import type { GraphNetwork } from '../model/buildGraphs';
import { estimateMemoryModes, fastestFittingMode, type GenerationSize } from './memoryEstimate';

/** Frames a call 'auto' tries, most first: every call has a fixed cost, so it takes the largest that fits. */
export const AUTO_FRAMES_PER_CALL = [12, 8, 6, 4, 3, 2, 1] as const;

export interface AutoPlan {
  mode: MemoryMode;
  /** frames per VAE-encoder / recon-decoder call; undefined = all at once */
  framesPerCall: number | undefined;
  /** one sentence for the user when auto had to compromise (chunked frames, or nothing fits) */
  note: string | null;
}

export interface AutoPlanInput {
  weightBytes: Record<GraphNetwork, number>;
  size: GenerationSize;
  freeBytes: number;
  gpuName: string;
  /** the user's own frames per call: then auto only picks the mode */
  framesPerCall?: number;
}

export function autoPlan(input: AutoPlanInput): AutoPlan {
  const fitting = (framesPerCall: number | undefined) =>
    fastestFittingMode(estimateMemoryModes(input.weightBytes, input.size, { framesPerCall }), input.freeBytes);
  const free = `${formatBytes(input.freeBytes)} free on ${input.gpuName}`;

  const whole = fitting(input.framesPerCall);
  if (whole && (whole !== 'low-vram' || input.framesPerCall !== undefined)) return { mode: whole, framesPerCall: input.framesPerCall, note: null };
  if (input.framesPerCall === undefined) {
    for (const framesPerCall of AUTO_FRAMES_PER_CALL) {
      if (framesPerCall >= input.size.frames) continue;
      const mode = fitting(framesPerCall);
      if (mode && mode !== 'low-vram') {
        return {
          mode,
          framesPerCall,
          note: `To fit the ${free}, "${MEMORY_MODE_INFO[mode].label}" runs the VAE encoder and recon decoder ${framesPerCall} frame${framesPerCall === 1 ? '' : 's'} at a time (slower than all at once, much faster than on the CPU).`,
        };
      }
    }
  }
  if (whole) return { mode: whole, framesPerCall: input.framesPerCall, note: null };
  return {
    mode: 'low-vram',
    framesPerCall: input.framesPerCall,
    note: `No memory mode is expected to fit the ${free}; trying "${MEMORY_MODE_INFO['low-vram'].label}". Close other GPU programs or lower the resolution if it runs out of memory.`,
  };
}
