/**
 * The studio's model manager through the service: engine settings persisted and applied by
 * restarting the engine with a new init, downloads from a local fake Hub with progress events and
 * cancel/resume, verification, a graph build in its own engine process, and the GPU fit table.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { StudioService, type StudioServiceOptions } from './studioService';
import { fakeEngineLauncher, type FakeEngineControl } from '../../../test/helpers/fakeEngineLauncher';
import { FakeHub, sha256, testModelRepos } from '../../../test/helpers/fakeHub';
import { testModelDir } from '../../../test/helpers/fixtures';
import { FLASHWORLD_REVISION, WAN_REVISION } from '../model/modelFiles';
import { createHostWorker } from './hostWorker';
import type { EngineLauncher } from './engineProcess';
import type { StudioEvent } from '../../shared/api/events';
import type { EngineSettings } from '../../shared/api/modelSchemas';
import type { Job, JobSettings } from '../../shared/api/jobSchemas';
import type { GpuProbe } from './modelState';

const VAE = 'vae/diffusion_pytorch_model.safetensors';
const GB = 1e9;

const noGpus: GpuProbe = {
  listGpus: async () => ({ gpus: [], problem: 'nvidia-smi was not found: no NVIDIA driver is installed.' }),
  cudaProviderProblem: () => 'The CUDA provider is not installed.',
};

const services: StudioService[] = [];
afterEach(() => services.splice(0).forEach((s) => s.stop()));

interface Setup {
  service: StudioService;
  control: FakeEngineControl;
  events: StudioEvent[];
  dataDir: string;
  hubCache: string;
}

async function setup(extra: Partial<StudioServiceOptions> & { stepDelayMs?: number } = {}): Promise<Setup> {
  const { launcher, control } = fakeEngineLauncher({ stepDelayMs: extra.stepDelayMs ?? 5 });
  const dataDir = extra.dataDir ?? mkdtempSync(join(tmpdir(), 'fw-model-svc-'));
  const hubCache = mkdtempSync(join(tmpdir(), 'fw-model-hub-'));
  const service = new StudioService({
    examplesDir: resolve('examples'),
    launcher,
    shell: 'serve',
    restartDelayMs: 10,
    gpuProbe: noGpus,
    modelEnv: { HF_HUB_CACHE: hubCache },
    modelProgressIntervalMs: 0,
    ...extra,
    dataDir,
  });
  services.push(service);
  const events: StudioEvent[] = [];
  service.subscribe((e) => events.push(e));
  await service.start();
  return { service, control, events, dataDir, hubCache };
}

function until<T>(events: StudioEvent[], pick: (e: StudioEvent) => T | undefined, timeoutMs = 30_000): Promise<T> {
  return new Promise((resolvePick, reject) => {
    const started = Date.now();
    const poll = () => {
      for (const e of events) {
        const v = pick(e);
        if (v !== undefined) return resolvePick(v);
      }
      if (Date.now() - started > timeoutMs) return reject(new Error('timed out waiting for an event'));
      setTimeout(poll, 5);
    };
    poll();
  });
}

const engineReady = (events: StudioEvent[], from = 0) =>
  until(events, (e) => (events.indexOf(e) >= from && e.type === 'engine' && e.status.state === 'ready' ? e.status : undefined));

const taskEnd = (events: StudioEvent[], id: number) =>
  until(events, (e) => (e.type === 'modelTask' && e.task.id === id && e.task.state !== 'running' ? e.task : undefined));

describe('engine settings', () => {
  it('start from the defaults, are saved to settings.json, and restart the engine with the new init', async () => {
    const { service, control, events, dataDir } = await setup({ provider: 'cpu' });
    await engineReady(events);
    expect(control.processes[0].sent[0]).toMatchObject({ type: 'init', model: 'test', provider: 'cpu', deviceId: 0, memoryMode: 'auto' });
    const before = (await service.getModelState()).settings;
    expect(before).toEqual({ model: 'test', provider: 'cpu', deviceId: 0, memoryMode: 'auto' });

    const mark = events.length;
    const next: EngineSettings = { model: 'test', provider: 'cuda', deviceId: 1, memoryMode: 'low-vram' };
    const state = await service.setEngineSettings(next);
    expect(state.settings).toEqual(next);
    expect(JSON.parse(readFileSync(join(dataDir, 'settings.json'), 'utf8'))).toEqual(next);
    expect(events.slice(mark).find((e) => e.type === 'engineSettings')).toEqual({ type: 'engineSettings', settings: next });
    // A second engine process, started with the new settings, and it comes back ready.
    const status = await engineReady(events, mark);
    expect(control.launches).toBe(2);
    expect(control.processes[1].sent[0]).toMatchObject({ type: 'init', model: 'test', provider: 'cuda', deviceId: 1, memoryMode: 'low-vram' });
    expect(status.restarts).toBe(0); // a restart we asked for is no crash
    expect(status.lastCrash).toBeNull();

    // The same settings again restart nothing.
    await service.setEngineSettings({ ...next });
    expect(control.launches).toBe(2);

    // A new session reads them back and starts its engine with them.
    service.stop();
    const again = await setup({ dataDir });
    expect((await again.service.getModelState()).settings).toEqual(next);
    expect(again.control.processes[0].sent[0]).toMatchObject({ provider: 'cuda', deviceId: 1, memoryMode: 'low-vram' });
  });

  it.each([
    ['not JSON', '{ "model": "test", ', /not valid JSON/],
    ['a value out of range', JSON.stringify({ model: 'test', provider: 'cpu', deviceId: -3, memoryMode: 'auto' }), /"deviceId"/],
    ['an unknown memory mode', JSON.stringify({ model: 'test', provider: 'cpu', deviceId: 0, memoryMode: 'turbo' }), /"memoryMode"/],
  ])('a settings file with %s gives the defaults and a notice', async (_name, text, why) => {
    const dataDir = mkdtempSync(join(tmpdir(), 'fw-model-bad-'));
    writeFileSync(join(dataDir, 'settings.json'), text);
    const { service, control } = await setup({ dataDir, provider: 'cpu' });
    const state = await service.getModelState();
    expect(state.settings).toEqual({ model: 'test', provider: 'cpu', deviceId: 0, memoryMode: 'auto' });
    expect(state.settingsNotice).toMatch(why);
    expect(state.settingsNotice).toMatch(/defaults are used/);
    expect(control.processes[0].sent[0]).toMatchObject({ model: 'test', provider: 'cpu' });
    // Choosing a setting writes a good file and clears the notice.
    const fixed = await service.setEngineSettings({ model: 'test', provider: 'cpu', deviceId: 0, memoryMode: 'gpu' });
    expect(fixed.settingsNotice).toBeNull();
    expect(JSON.parse(readFileSync(join(dataDir, 'settings.json'), 'utf8')).memoryMode).toBe('gpu');
  });

  it('refuse the official model until it is downloaded', async () => {
    const { service, dataDir } = await setup();
    await expect(service.setEngineSettings({ model: 'hub', provider: 'cpu', deviceId: 0, memoryMode: 'auto' })).rejects.toMatchObject({ code: 'INVALID_REQUEST' });
    expect(existsSync(join(dataDir, 'settings.json'))).toBe(false);
    const hub = (await service.getSnapshot()).models.find((m) => m.id === 'hub')!;
    expect(hub.available).toBe(false);
    expect(hub.reason).toMatch(/not downloaded yet.*Model panel/);
  });

  it('a running job finishes on the old engine; the restart waits for it and queued jobs run after it', async () => {
    const { service, control, events } = await setup({ stepDelayMs: 40 });
    await engineReady(events);
    const job = (seed: number): JobSettings => ({
      request: {
        text_prompt: 'a harbor',
        cameras: [{ quaternion: [1, 0, 0, 0], position: [0, 0, 0], fx: 48, fy: 48, cx: 48, cy: 32 }, { quaternion: [1, 0, 0, 0], position: [0, 0, -1], fx: 48, fy: 48, cx: 48, cy: 32 }],
        resolution: [4, 64, 96],
        image_index: 0,
      },
      seed,
      model: 'test',
    });
    const a = service.enqueue(job(1));
    const b = service.enqueue(job(2));
    await until(events, (e) => (e.type === 'job' && e.job.id === a.id && e.job.status === 'running' ? true : undefined));
    await service.setEngineSettings({ model: 'test', provider: 'cpu', deviceId: 0, memoryMode: 'text-encoder-cpu' });
    expect(control.launches).toBe(1); // not while a job runs
    const done = await until(events, (e) => (e.type === 'job' && e.job.id === b.id && e.job.status === 'done' ? e.job : undefined), 60_000);
    const jobs: Job[] = (await service.getSnapshot()).jobs;
    expect(jobs.find((j) => j.id === a.id)!.status).toBe('done');
    expect(done.status).toBe('done');
    expect(control.launches).toBe(2);
    // b ran on the restarted engine: its generate went to the second process.
    expect(control.processes[1].sent.map((m) => m.type)).toEqual(['init', 'generate']);
    expect(control.processes[1].sent[0]).toMatchObject({ memoryMode: 'text-encoder-cpu' });
  });
});

describe('engine status', () => {
  it('carries the provider, device, memory mode and warnings the engine reports when ready', async () => {
    // An engine whose runtime fell back to the CPU, as the real one does without CUDA.
    const launcher: EngineLauncher = () => {
      const listeners: ((m: unknown) => void)[] = [];
      const handle = createHostWorker(
        (reply) => setImmediate(() => listeners.forEach((l) => l(structuredClone(reply)))),
        async () => ({
          info: { label: 'Test model (random weights)', randomWeights: true, provider: 'cpu', deviceId: 0, memoryMode: 'gpu', warnings: ['CUDA unavailable: no NVIDIA driver; running on the CPU'] },
          generateScene: () => Promise.reject(new Error('not used')),
        }),
      );
      return { pid: 4242, send: (m) => handle(structuredClone(m)), onMessage: (l) => listeners.push(l), onExit: () => undefined, kill: () => undefined, stderrTail: () => '' };
    };
    const { service, events } = await setup({ launcher });
    const status = await engineReady(events);
    expect(status).toMatchObject({ provider: 'cpu', deviceId: 0, memoryMode: 'gpu', warnings: ['CUDA unavailable: no NVIDIA driver; running on the CPU'] });
    expect((await service.getSnapshot()).engine.warnings).toHaveLength(1);
  });
});

describe('model download through the service', () => {
  let hub: FakeHub;
  beforeEach(async () => {
    hub = new FakeHub(testModelRepos(testModelDir, { wan: WAN_REVISION, flashworld: FLASHWORLD_REVISION }));
    await hub.start();
  });
  afterEach(() => hub.close());

  const hubEnv = (hubCache: string) => ({ HF_HUB_CACHE: hubCache, HF_ENDPOINT: hub.url });

  it('streams per-file and total progress as modelTask events; the official model becomes available', async () => {
    const hubCache = mkdtempSync(join(tmpdir(), 'fw-model-dl-'));
    const { service, events } = await setup({ modelEnv: hubEnv(hubCache) });
    const started = service.downloadModel({});
    expect(started).toMatchObject({ kind: 'download', state: 'running', unit: 'bytes' });
    expect(() => service.verifyModel()).toThrow(/download is running/);
    const end = await taskEnd(events, started.id);
    expect(end.state).toBe('done');
    expect(end.summary).toMatch(/downloaded/);

    const updates = events.flatMap((e) => (e.type === 'modelTask' && e.task.id === started.id ? [e.task] : []));
    expect(updates.length).toBeGreaterThan(5);
    // Totals only grow, and end at the size of every file.
    const totals = updates.filter((t) => t.total > 0);
    for (let i = 1; i < totals.length; i++) expect(totals[i].done).toBeGreaterThanOrEqual(totals[i - 1].done);
    expect(end.done).toBe(end.total);
    expect(end.items).toHaveLength(12);
    expect(end.items.every((i) => i.state === 'done' && i.done === i.total)).toBe(true);
    // The VAE file was seen part-way (per-file progress), not only at its end.
    const vaeBytes = hub.repos[0].files[VAE].length;
    const vaeSeen = updates.map((t) => t.items.find((i) => i.label.endsWith(VAE))?.done ?? 0);
    expect(vaeSeen.some((d) => d > 0 && d < vaeBytes)).toBe(true);

    const models = (await service.getSnapshot()).models;
    expect(models.find((m) => m.id === 'hub')).toMatchObject({ available: true, reason: null });
    const state = await service.getModelState();
    expect(state.hub.ready).toBe(true);
    expect(state.task?.id).toBe(started.id);

    const verify = service.verifyModel();
    const verified = await taskEnd(events, verify.id);
    expect(verified).toMatchObject({ kind: 'verify', state: 'done', unit: 'files' });
    expect(verified.done).toBe(verified.items.length);
    expect(verified.summary).toMatch(/All \d+ files are intact/);
  });

  it('cancel stops the download and keeps what arrived; the next download resumes from it', async () => {
    const hubCache = mkdtempSync(join(tmpdir(), 'fw-model-cancel-'));
    hub.setFault(VAE, { stallAfter: 400_000 });
    const { service, events } = await setup({ modelEnv: hubEnv(hubCache) });
    const first = service.downloadModel({});
    await until(events, (e) => (e.type === 'modelTask' && e.task.id === first.id && (e.task.items.find((i) => i.label.endsWith(VAE))?.done ?? 0) >= 400_000 ? true : undefined));
    service.cancelModelTask();
    const cancelled = await taskEnd(events, first.id);
    expect(cancelled.state).toBe('cancelled');
    expect(cancelled.error).toBeNull();
    const vaeBytes = Buffer.from(hub.repos[0].files[VAE]);
    const partial = join(hubCache, 'models--Wan-AI--Wan2.2-TI2V-5B-Diffusers', 'blobs', `${sha256(vaeBytes)}.incomplete`);
    expect(readFileSync(partial).length).toBe(400_000);
    expect((await service.getModelState()).hub).toMatchObject({ ready: false, interrupted: true });

    const second = service.downloadModel({});
    const done = await taskEnd(events, second.id);
    expect(done.state).toBe('done');
    expect(hub.contentRequests(VAE).map((r) => r.range)).toEqual([null, 'bytes=400000-']);
    const vaeItem = events.flatMap((e) => (e.type === 'modelTask' && e.task.id === second.id ? e.task.items : [])).find((i) => i.label.endsWith(VAE) && i.note);
    expect(vaeItem?.note).toMatch(/resume/);
    expect(existsSync(partial)).toBe(false);
  });

  it('a download that fails reports the error with its fix', async () => {
    const hubCache = mkdtempSync(join(tmpdir(), 'fw-model-fail-'));
    hub.repos[1].access = 'gated';
    const { service, events } = await setup({ modelEnv: hubEnv(hubCache) });
    const end = await taskEnd(events, service.downloadModel({}).id);
    expect(end.state).toBe('failed');
    expect(end.error?.code).toBe('HUB_AUTH_REQUIRED');
    expect(end.error?.message).toMatch(/token/i);
  });
});

describe('graph build and memory fit', () => {
  it('builds the selected model in an engine process of its own, then reports the graphs and estimates from their sizes', async () => {
    const { service, control, events } = await setup();
    await engineReady(events);
    const before = await service.getModelState();
    expect(before.graphs.networks.every((n) => !n.built)).toBe(true);
    expect(before.estimate).toMatchObject({ model: 'test', basis: 'weights' });

    const task = service.buildModelGraphs();
    const end = await taskEnd(events, task.id);
    expect(end.state, end.error?.message).toBe('done');
    expect(end.items.map((i) => [i.label, i.state])).toEqual([['text encoder', 'done'], ['VAE encoder', 'done'], ['transformer', 'done'], ['recon decoder', 'done']]);
    expect(end.done).toBe(4);
    // A second process ran the build and was ended after it; the job engine was left alone.
    expect(control.launches).toBe(2);
    expect(control.processes[1].sent[0]).toMatchObject({ type: 'buildGraphs', model: 'test', provider: 'cpu' });

    const state = await service.getModelState();
    expect(state.graphs).toMatchObject({ provider: 'cpu', floatType: 'float32' });
    expect(state.graphs.networks.every((n) => n.built && (n.bytes ?? 0) > 0)).toBe(true);
    // The estimate is about the GPU's fp16 graphs: not built yet, so still from the weights.
    expect(state.estimate?.basis).toBe('weights');
    // Building again finds everything in the cache.
    const again = await taskEnd(events, service.buildModelGraphs().id);
    expect(again.items.every((i) => i.note === 'already built')).toBe(true);
  });

  it('lists each GPU with which memory modes fit it, and says why there is none', async () => {
    const cards = [
      { index: 0, name: 'NVIDIA H200', memoryTotalBytes: 141 * GB, memoryUsedBytes: 1 * GB, memoryFreeBytes: 140 * GB, driverVersion: '580.1', cudaVersion: '13.0' },
      { index: 1, name: 'Tiny card', memoryTotalBytes: 0.9 * GB, memoryUsedBytes: 0.5 * GB, memoryFreeBytes: 0.4 * GB, driverVersion: '580.1', cudaVersion: '13.0' },
      { index: 2, name: 'vGPU', memoryTotalBytes: NaN, memoryUsedBytes: NaN, memoryFreeBytes: NaN, driverVersion: '580.1', cudaVersion: null },
    ];
    const probe: GpuProbe = { listGpus: async () => ({ gpus: cards, problem: null }), cudaProviderProblem: () => null };
    const { service } = await setup({ gpuProbe: probe });
    const state = await service.getModelState();
    expect(state.gpuProblem).toBeNull();
    expect(state.cudaProblem).toBeNull();
    expect(state.gpus.map((g) => g.name)).toEqual(['NVIDIA H200', 'Tiny card', 'vGPU']);
    const [big, tiny, unknown] = state.gpus;
    // The test model's estimate is about a gigabyte of fixed buffers: fits the H200 in every mode.
    expect(big.modes.map((m) => m.mode)).toEqual(['gpu', 'unload-text-encoder', 'text-encoder-cpu', 'low-vram']);
    expect(big.modes.every((m) => m.fits && m.fitsFreeNow)).toBe(true);
    expect(big.automatic).toBe('gpu');
    expect(tiny.modes.every((m) => m.fits === false)).toBe(true);
    expect(tiny.automatic).toBeNull();
    expect(unknown.memoryTotalBytes).toBeNull();
    expect(unknown.modes.every((m) => m.fits === null)).toBe(true);
    // Smaller modes never need more memory than faster ones.
    const bytes = big.modes.map((m) => m.gpuBytes);
    expect([...bytes].sort((a, b) => b - a)).toEqual(bytes);

    const none = await setup();
    const empty = await none.service.getModelState();
    expect(empty.gpus).toEqual([]);
    expect(empty.gpuProblem).toMatch(/nvidia-smi was not found/);
    expect(empty.cudaProblem).toMatch(/not installed/);
  });

  it('has no estimate for the official model before it is downloaded, and says so', async () => {
    const hubCache = mkdtempSync(join(tmpdir(), 'fw-model-none-'));
    const { service, dataDir } = await setup({ modelEnv: { HF_HUB_CACHE: hubCache } });
    // Force the setting as a previous session might have left it (the model was deleted since).
    writeFileSync(join(dataDir, 'settings.json'), JSON.stringify({ model: 'hub', provider: 'cuda', deviceId: 0, memoryMode: 'auto' }));
    service.stop();
    const next = await setup({ dataDir, modelEnv: { HF_HUB_CACHE: hubCache } });
    const state = await next.service.getModelState();
    expect(state.settings.model).toBe('hub');
    expect(state.estimate).toBeNull();
    expect(state.estimateProblem).toMatch(/Download the model/);
    expect(() => next.service.buildModelGraphs()).toThrow(/can't be built/);
    expect(readdirSync(hubCache)).toEqual([]);
  });
});
