/**
 * Where each memory mode opens the four networks, and the transient text encoder's order of
 * events: the other GPU sessions are released before it opens and it is released after encoding.
 * Real sessions of the test model (opened on the CPU EP here, whatever device the mode asks for).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanupTempDirs, tempDir } from '../../test/helpers/onnxHarness';
import { buildModelGraphs, type GraphNetwork } from './model/buildGraphs';
import { NetworkSlots } from './networkSlots';
import { createSession, type GraphSession } from './onnx/session';
import type { MemoryMode } from '../shared/engine/memoryModes';

let graphs: Record<GraphNetwork, string>;
beforeAll(async () => {
  graphs = (await buildModelGraphs({ model: 'test', cacheDir: tempDir('slots-'), floatType: 'float32' })).graphs;
}, 120_000);
afterAll(() => cleanupTempDirs());

const name = (path: string) => (Object.entries(graphs).find(([, p]) => p === path)?.[0] ?? path) as GraphNetwork;

function watched(mode: MemoryMode, provider: 'cpu' | 'cuda' = 'cuda') {
  const events: string[] = [];
  const slots = new NetworkSlots({
    graphs,
    provider,
    deviceId: 0,
    memoryMode: mode,
    open: async (path, opts) => {
      events.push(`open ${name(path)} on ${opts.provider}`);
      const s = await createSession(path, { provider: 'cpu' });
      const watchedSession: GraphSession = {
        ...s,
        run: (feeds) => s.run(feeds),
        release: async () => {
          events.push(`release ${name(path)}`);
          await s.release();
        },
      };
      return watchedSession;
    },
  });
  return { slots, events };
}

describe('network slots per memory mode', () => {
  it('places the networks as each mode says', () => {
    const where = (mode: MemoryMode) => {
      const { slots } = watched(mode);
      return (['text encoder', 'VAE encoder', 'VAE encoder (image)', 'transformer', 'recon decoder'] as const).map((n) => slots.placement(n)).join(' ');
    };
    // the prompt image's VAE session goes wherever the VAE goes
    expect(where('gpu')).toBe('gpu gpu gpu gpu gpu');
    expect(where('unload-text-encoder')).toBe('gpu gpu gpu gpu gpu');
    expect(where('text-encoder-cpu')).toBe('cpu gpu gpu gpu gpu');
    expect(where('low-vram')).toBe('cpu cpu cpu gpu cpu');
    // the CPU provider ignores the mode
    expect(watched('gpu', 'cpu').slots.placement('transformer')).toBe('cpu');
  });

  it('never holds the transient text encoder together with the other GPU networks', async () => {
    const { slots, events } = watched('unload-text-encoder');
    expect(slots.resident()).toEqual(['VAE encoder', 'VAE encoder (image)', 'transformer', 'recon decoder']);
    for (const n of slots.resident()) await slots.get(n);
    await slots.withTextEncoder(async () => undefined);
    await slots.get('transformer');
    await slots.releaseAll();
    expect(events).toEqual([
      // both VAE sessions open the one VAE graph
      'open VAE encoder on cuda',
      'open VAE encoder on cuda',
      'open transformer on cuda',
      'open recon decoder on cuda',
      'release VAE encoder',
      'release VAE encoder',
      'release transformer',
      'release recon decoder',
      'open text encoder on cuda',
      'release text encoder',
      'open transformer on cuda',
      'release transformer',
    ]);
  }, 60_000);

  it('opens the prompt image\'s VAE session apart from the renders\' one and releases both', async () => {
    const { slots, events } = watched('low-vram');
    const renders = await slots.get('VAE encoder');
    const image = await slots.get('VAE encoder (image)');
    expect(image).not.toBe(renders);
    expect(await slots.get('VAE encoder (image)')).toBe(image);
    await slots.release(['VAE encoder', 'VAE encoder (image)']);
    expect(events).toEqual(['open VAE encoder on cpu', 'open VAE encoder on cpu', 'release VAE encoder', 'release VAE encoder']);
  });

  it('keeps a resident text encoder open between prompts', async () => {
    const { slots, events } = watched('text-encoder-cpu');
    await slots.withTextEncoder(async () => undefined);
    await slots.withTextEncoder(async () => undefined);
    expect(events).toEqual(['open text encoder on cpu']);
    await slots.releaseAll();
  });

  it('forgets a session that failed to open, so the next use tries again', async () => {
    let fail = true;
    const slots = new NetworkSlots({
      graphs, provider: 'cuda', deviceId: 0, memoryMode: 'gpu',
      open: async (path) => {
        if (fail) throw new Error('CUDA failure 2: out of memory');
        return createSession(path, { provider: 'cpu' });
      },
    });
    await expect(slots.get('transformer')).rejects.toThrow(/out of memory/);
    fail = false;
    await expect(slots.get('transformer')).resolves.toBeTruthy();
    await slots.releaseAll();
  });
});
