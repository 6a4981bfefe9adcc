import { describe, expect, it } from 'vitest';
import type { MemoryMode } from '../shared/engine/memoryModes';
import { StudioError } from '../shared/errors';
import { NetworkSlots, type NetworkSlot } from './networkSlots';
import { withCudaExplained } from './onnxNetworks';

/** What ORT's arena says when an allocation fails, on the GPU and on the host alike. */
const ARENA_FAILURE =
  "Non-zero status code returned while running Conv node. Name:'Conv_12' Status Message: /onnxruntime_src/onnxruntime/core/framework/bfc_arena.cc:376 void* onnxruntime::BFCArena::AllocateRawInternal(size_t, bool, onnxruntime::Stream*, bool, onnxruntime::WaitNotificationFn) Failed to allocate memory for requested buffer of size 2830172160";
const CUDA_OOM = 'CUDA failure 2: out of memory ; GPU=0 ; hostname=box ; expr=cudaMalloc((void**)&p, size);';

function failing(mode: MemoryMode, slot: NetworkSlot, message: string): Promise<unknown> {
  const slots = new NetworkSlots({
    graphs: { 'text encoder': 'unused.onnx', 'VAE encoder': 'unused.onnx', transformer: 'unused.onnx', 'recon decoder': 'unused.onnx' },
    provider: 'cuda',
    deviceId: 0,
    memoryMode: mode,
  });
  const wrapped = new StudioError('RUNTIME_FAILED', `Running graph x.onnx failed: ${message}`, { cause: new Error(message) });
  return withCudaExplained({ slots, memoryMode: mode, deviceId: 0 }, slot, () => Promise.reject(wrapped)).catch((e: unknown) => e);
}

describe('CUDA failures by where the network runs', () => {
  it('reports an arena failure of a network on the GPU as out of GPU memory, with the next mode', async () => {
    const err = await failing('gpu', 'VAE encoder (image)', ARENA_FAILURE);
    expect(err).toMatchObject({ code: 'GPU_OUT_OF_MEMORY' });
    expect((err as StudioError).message).toMatch(/^The VAE encoder \(image\) ran out of GPU memory on GPU 0/);
    expect((err as StudioError).message).toMatch(/--memory-mode unload-text-encoder/);
  });

  it('leaves an arena failure of a network the mode runs on the CPU as it was (host memory, not GPU)', async () => {
    for (const slot of ['text encoder', 'VAE encoder', 'VAE encoder (image)', 'recon decoder'] as const) {
      const err = await failing('low-vram', slot, ARENA_FAILURE);
      expect(err, slot).toMatchObject({ code: 'RUNTIME_FAILED' });
      expect((err as StudioError).message).not.toMatch(/GPU memory/);
    }
    // the transformer stays on the GPU in every mode
    expect(await failing('low-vram', 'transformer', ARENA_FAILURE)).toMatchObject({ code: 'GPU_OUT_OF_MEMORY' });
    expect(await failing('text-encoder-cpu', 'text encoder', ARENA_FAILURE)).toMatchObject({ code: 'RUNTIME_FAILED' });
    expect(await failing('text-encoder-cpu', 'VAE encoder', ARENA_FAILURE)).toMatchObject({ code: 'GPU_OUT_OF_MEMORY' });
  });

  it('still names a CUDA allocation failure as GPU memory wherever it comes from', async () => {
    expect(await failing('low-vram', 'transformer', CUDA_OOM)).toMatchObject({ code: 'GPU_OUT_OF_MEMORY' });
  });
});
