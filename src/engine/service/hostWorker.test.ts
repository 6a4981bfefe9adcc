/**
 * The engine host's graph-build request: with CUDA and a memory mode that runs networks on the
 * CPU, the fp32 graphs of those networks are built as well (the CPU EP has no fast fp16 kernels),
 * while the reply keeps the GPU set that the build record and the memory estimate use. The real
 * builder runs on the test model; a wrapper watches what it was asked.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { buildModelGraphs, type GraphBuildOptions } from '../model/buildGraphs';
import { cleanupTempDirs, tempDir } from '../../../test/helpers/onnxHarness';
import type { HostReply } from './hostProtocol';
import { createHostWorker } from './hostWorker';

afterAll(() => cleanupTempDirs());

async function build(memoryMode?: string) {
  const calls: GraphBuildOptions[] = [];
  const replies: HostReply[] = [];
  const done = new Promise<HostReply>((resolve) => {
    const handle = createHostWorker(
      (r) => {
        replies.push(r);
        if (r.type === 'buildDone' || r.type === 'buildFailed') resolve(r);
      },
      async () => {
        throw new Error('no runtime in this test');
      },
      undefined,
      (opts) => {
        calls.push(opts);
        return buildModelGraphs(opts);
      },
    );
    handle({ type: 'buildGraphs', taskId: 7, model: 'test', cacheDir: tempDir('host-build-'), provider: 'cuda', ...(memoryMode ? { memoryMode } : {}) });
  });
  return { reply: await done, calls };
}

describe('host worker: build graphs', () => {
  it('also builds the fp32 graphs of the networks a CPU-offloading mode runs on the CPU', async () => {
    const { reply, calls } = await build('text-encoder-cpu');
    expect(reply.type).toBe('buildDone');
    expect(calls).toHaveLength(2);
    expect(calls[1].floatTypes).toEqual({ 'text encoder': 'float32', 'VAE encoder': 'float16', transformer: 'float16', 'recon decoder': 'float16' });
    if (reply.type !== 'buildDone') return;
    expect(reply.built).toBe(5); // four fp16 graphs, then only the fp32 text encoder is new
    expect(reply.graphs['text encoder']).toMatch(/umt5-encoder-float16/);
  }, 120_000);

  it('builds one set when every network runs on the GPU', async () => {
    const { reply, calls } = await build('gpu');
    expect(reply.type).toBe('buildDone');
    expect(calls).toHaveLength(1);
  }, 120_000);
});
