import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { StudioError } from '../../shared/errors';
import { FakeHub, testModelRepos } from '../../../test/helpers/fakeHub';
import { testModelDir } from '../../../test/helpers/fixtures';
import { createFlashWorldRuntime } from '../runtime';
import { buildModelGraphs, buildSomeGraphs, GRAPH_NETWORKS, type GraphBuildEvent } from './buildGraphs';
import { downloadModel } from './downloadModel';
import { FLASHWORLD_REVISION, WAN_REVISION } from './modelFiles';

let hub: FakeHub | null = null;
afterEach(() => hub?.close());

describe('buildModelGraphs', () => {
  it('builds the four graphs once with progress, and the runtime then loads them without building', async () => {
    const cacheDir = mkdtempSync(join(tmpdir(), 'fw-graphs-'));
    const events: GraphBuildEvent[] = [];
    const first = await buildModelGraphs({ model: 'test', cacheDir, onProgress: (e) => events.push(e) });
    expect(first).toMatchObject({ built: 4, cached: 0 });
    expect(events.filter((e) => e.type === 'graph').map((e) => e.type === 'graph' && [e.network, e.state, e.index, e.of])).toEqual(
      GRAPH_NETWORKS.map((n, i) => [n, 'building', i, 4]),
    );
    expect(events.filter((e) => e.type === 'graph-built').map((e) => e.type === 'graph-built' && e.network)).toEqual([...GRAPH_NETWORKS]);
    expect(events.at(-1)).toMatchObject({ type: 'done', built: 4, cached: 0 });
    for (const path of Object.values(first.graphs)) expect(existsSync(path)).toBe(true);

    const again: GraphBuildEvent[] = [];
    const second = await buildModelGraphs({ model: 'test', cacheDir, onProgress: (e) => again.push(e) });
    expect(second).toMatchObject({ built: 0, cached: 4, graphs: first.graphs });
    expect(again.filter((e) => e.type === 'graph').every((e) => e.type === 'graph' && e.state === 'cached')).toBe(true);

    const loadEvents: string[] = [];
    const runtime = await createFlashWorldRuntime({ model: 'test', cacheDir, onLoadProgress: (e) => loadEvents.push(`${e.network}:${e.event}`) });
    await runtime.dispose();
    expect(loadEvents.filter((e) => e.endsWith(':build'))).toEqual([]);
    expect(loadEvents.filter((e) => e.endsWith(':hit'))).toHaveLength(4);
  });

  it('builds each network in its own float type when asked (per-network override of floatType)', async () => {
    const cacheDir = mkdtempSync(join(tmpdir(), 'fw-graphs-'));
    const fp32 = await buildModelGraphs({ model: 'test', cacheDir, floatType: 'float32' });
    expect(fp32.floatTypes).toEqual({ 'text encoder': 'float32', 'VAE encoder': 'float32', transformer: 'float32', 'recon decoder': 'float32' });
    // low-vram's set: the networks on the CPU keep their float32 graphs, only the transformer is float16
    const mixed = await buildModelGraphs({
      model: 'test',
      cacheDir,
      provider: 'cuda',
      floatTypes: { 'text encoder': 'float32', 'VAE encoder': 'float32', 'recon decoder': 'float32' },
    });
    expect(mixed).toMatchObject({ built: 1, cached: 3 });
    expect(mixed.floatTypes).toEqual({ 'text encoder': 'float32', 'VAE encoder': 'float32', transformer: 'float16', 'recon decoder': 'float32' });
    for (const n of ['text encoder', 'VAE encoder', 'recon decoder'] as const) expect(mixed.graphs[n]).toBe(fp32.graphs[n]);
    expect(mixed.graphs.transformer).not.toBe(fp32.graphs.transformer);
    expect(mixed.graphs.transformer).toMatch(/float16/);
    // without overrides the model manager's default for CUDA is still float16 everywhere
    const gpu = await buildModelGraphs({ model: 'test', cacheDir, provider: 'cuda' });
    expect(gpu).toMatchObject({ built: 3, cached: 1 });
    expect(Object.values(gpu.floatTypes)).toEqual(['float16', 'float16', 'float16', 'float16']);
  }, 120_000);

  it('builds only the networks asked for (the GPU bench builds fp32 CPU graphs beside the fp16 ones)', async () => {
    const cacheDir = mkdtempSync(join(tmpdir(), 'fw-graphs-'));
    const some = await buildSomeGraphs({ model: 'test', cacheDir, floatType: 'float32' }, ['VAE encoder', 'recon decoder']);
    expect(some).toMatchObject({ built: 2, cached: 0 });
    expect(Object.keys(some.graphs).sort()).toEqual(['VAE encoder', 'recon decoder']);
    const all = await buildModelGraphs({ model: 'test', cacheDir, floatType: 'float32' });
    expect(all).toMatchObject({ built: 2, cached: 2, graphs: some.graphs });
  }, 120_000);

  it('stops between graphs when cancelled', async () => {
    const cacheDir = mkdtempSync(join(tmpdir(), 'fw-graphs-'));
    const controller = new AbortController();
    const events: GraphBuildEvent[] = [];
    const err = await buildModelGraphs({
      model: 'test',
      cacheDir,
      signal: controller.signal,
      onProgress: (e) => {
        events.push(e);
        if (e.type === 'graph-built') controller.abort();
      },
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StudioError);
    expect((err as StudioError).code).toBe('CANCELLED');
    expect(events.filter((e) => e.type === 'graph-built')).toHaveLength(1);
    // What was built stays built: the next run picks it up.
    const next = await buildModelGraphs({ model: 'test', cacheDir });
    expect(next).toMatchObject({ built: 3, cached: 1 });
  });

  it('builds the graphs of a model just downloaded from the Hub', async () => {
    hub = new FakeHub(testModelRepos(testModelDir, { wan: WAN_REVISION, flashworld: FLASHWORLD_REVISION }));
    await hub.start();
    const hubCache = mkdtempSync(join(tmpdir(), 'fw-hubcache-'));
    const downloaded = await downloadModel({ hubCache, endpoint: hub.url, env: {} });
    const cacheDir = mkdtempSync(join(tmpdir(), 'fw-graphs-'));
    const result = await buildModelGraphs({ model: downloaded.files, cacheDir });
    expect(result.built).toBe(4);

    // The runtime's `--model hub` reads the same cache (HF_HUB_CACHE) and finds every graph built.
    const saved = process.env.HF_HUB_CACHE;
    process.env.HF_HUB_CACHE = hubCache;
    try {
      const loadEvents: string[] = [];
      const runtime = await createFlashWorldRuntime({ model: 'hub', cacheDir, onLoadProgress: (e) => loadEvents.push(e.event) });
      await runtime.dispose();
      expect(runtime.info.label).toBe('FlashWorld (Hugging Face cache)');
      expect(loadEvents.filter((e) => e === 'hit')).toHaveLength(4);
      expect(loadEvents).not.toContain('build');
    } finally {
      if (saved === undefined) delete process.env.HF_HUB_CACHE;
      else process.env.HF_HUB_CACHE = saved;
    }
  });
});
