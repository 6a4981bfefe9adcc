/**
 * Runs a per-frame network on at most N frames per call. ONNX Runtime keeps each session's
 * arena at its peak, so the VAE encoder and the recon decoder at 24 frames hold tens of GB
 * between generations; chunks bound that to N frames' worth.
 *
 * Only for graphs whose frames are independent (frames are the batch axis and nothing reduces
 * or attends across it; see the chunking tests in test/engine/frameChunking.test.ts). Every
 * call feeds the same number of frames: the last chunk is padded by repeating its last frame and
 * the padded outputs are dropped, because on CUDA a session whose input shape changes re-tunes
 * its convolutions (≈ 0.8 s a call at full size).
 */
import { StudioError } from '../../shared/errors';

/** A frame-major array a chunked network reads or returns: f32 values, or fp16 bits (Uint16Array). */
export type FrameArray = Float32Array | Uint16Array;

/** A new zeroed array of the same element type as `like`. */
function allocLike<T extends FrameArray>(like: T, length: number): T {
  return new (like.constructor as new (length: number) => T)(length);
}

export interface FrameChunk {
  /** first frame of the chunk */
  start: number;
  /** real frames in it */
  frames: number;
  /** frames fed to the network (frames + padding) */
  fed: number;
}

/** Chunks of `maxFramesPerCall` frames (one call of all frames when unset or not smaller). */
export function planFrameChunks(total: number, maxFramesPerCall?: number): FrameChunk[] {
  if (maxFramesPerCall !== undefined && (!Number.isInteger(maxFramesPerCall) || maxFramesPerCall < 1)) {
    throw new StudioError('INVALID_REQUEST', `maxFramesPerCall must be a whole number of frames ≥ 1, not ${maxFramesPerCall}.`);
  }
  if (maxFramesPerCall === undefined || maxFramesPerCall >= total) return [{ start: 0, frames: total, fed: total }];
  const chunks: FrameChunk[] = [];
  for (let start = 0; start < total; start += maxFramesPerCall) {
    chunks.push({ start, frames: Math.min(maxFramesPerCall, total - start), fed: maxFramesPerCall });
  }
  return chunks;
}

/** The chunk's frames of frame-major `data` (`frameSize` values a frame), its last frame repeated up to `chunk.fed`. */
export function chunkFrames<T extends FrameArray>(data: T, frameSize: number, chunk: FrameChunk): T {
  const real = data.subarray(chunk.start * frameSize, (chunk.start + chunk.frames) * frameSize) as T;
  if (chunk.fed === chunk.frames) return real;
  const out = allocLike(data, chunk.fed * frameSize);
  out.set(real);
  const last = real.subarray((chunk.frames - 1) * frameSize);
  for (let f = chunk.frames; f < chunk.fed; f++) out.set(last, f * frameSize);
  return out;
}

export interface FrameChunkedCall<I extends FrameArray[], O extends FrameArray> {
  /** frames of the whole call */
  frames: number;
  maxFramesPerCall?: number;
  /** frame-major inputs: each its data and its values per frame (chunks keep each input's element type) */
  inputs: { [K in keyof I]: { data: I[K]; frameSize: number } };
  /** runs the network on one chunk's inputs (`fed` frames) → frame-major output of `fed` frames */
  run: (inputs: I, fed: number) => Promise<O>;
}

/** Runs `run` chunk by chunk and concatenates the real frames' outputs (frame-major, the output's element type). */
export async function runInFrameChunks<I extends FrameArray[], O extends FrameArray>(call: FrameChunkedCall<I, O>): Promise<O> {
  for (const input of call.inputs) {
    if (input.data.length !== call.frames * input.frameSize) {
      throw new StudioError('INTERNAL', `A frame-chunked input has ${input.data.length} values, not ${call.frames} frames × ${input.frameSize}.`);
    }
  }
  const chunks = planFrameChunks(call.frames, call.maxFramesPerCall);
  const inputs: { data: FrameArray; frameSize: number }[] = call.inputs;
  if (chunks.length === 1) return call.run(inputs.map((i) => i.data) as I, call.frames);
  let out: O | null = null;
  let outFrameSize = 0;
  for (const chunk of chunks) {
    const result = await call.run(inputs.map((i) => chunkFrames(i.data, i.frameSize, chunk)) as I, chunk.fed);
    if (!out) {
      outFrameSize = result.length / chunk.fed;
      out = allocLike(result, call.frames * Math.floor(outFrameSize));
    }
    if (!Number.isInteger(outFrameSize) || result.length !== chunk.fed * outFrameSize) {
      throw new StudioError('INTERNAL', `A chunk of ${chunk.fed} frames gave ${result.length} values, not ${chunk.fed} × ${outFrameSize}.`);
    }
    out.set(result.subarray(0, chunk.frames * outFrameSize), chunk.start * outFrameSize);
  }
  return out as O;
}
