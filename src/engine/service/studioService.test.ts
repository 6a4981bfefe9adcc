import { afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { StudioService } from './studioService';
import { fakeEngineLauncher } from '../../../test/helpers/fakeEngineLauncher';
import { decodePly } from '../splat/ply';
import { decodeSpz } from '../splat/spz';
import type { Job, JobSettings } from '../../shared/api/jobSchemas';
import type { StudioEvent } from '../../shared/api/events';
import type { ProjectDocument } from '../../shared/api/projectSchemas';

const camera = { quaternion: [1, 0, 0, 0] as [number, number, number, number], fx: 48, fy: 48, cx: 48, cy: 32 };
const settings = (seed: number): JobSettings => ({
  request: {
    text_prompt: 'a harbor',
    cameras: [{ ...camera, position: [0, 0, 0] }, { ...camera, position: [0, 0, -1] }],
    resolution: [4, 64, 96],
    image_index: 0,
  },
  seed,
  model: 'test',
});

const services: StudioService[] = [];
afterEach(() => services.splice(0).forEach((s) => s.stop()));

async function setup(stepDelayMs = 5, engineCount = 1) {
  const { launcher, control } = fakeEngineLauncher({ stepDelayMs });
  const dataDir = mkdtempSync(join(tmpdir(), 'fw-service-'));
  // An empty Hugging Face cache: the official model is "not downloaded" on any machine.
  const modelEnv = { HF_HUB_CACHE: mkdtempSync(join(tmpdir(), 'fw-service-hub-')) };
  const service = new StudioService({ dataDir, examplesDir: resolve('examples'), launcher, shell: 'serve', restartDelayMs: 10, engineCount, modelEnv });
  services.push(service);
  const events: StudioEvent[] = [];
  service.subscribe((e) => events.push(e));
  await service.start();
  return { service, control, events, dataDir };
}

// Event-driven: resolves as soon as the queue gets there; the timeout only bounds a hang (generous for loaded CI machines).
function waitFor(service: StudioService, predicate: (jobs: Job[]) => boolean, timeoutMs = 60_000): Promise<Job[]> {
  return new Promise((resolveJobs, reject) => {
    const timer = setTimeout(() => reject(new Error('timed out waiting for the queue')), timeoutMs);
    const check = async () => {
      const jobs = (await service.getSnapshot()).jobs;
      if (predicate(jobs)) {
        clearTimeout(timer);
        off();
        resolveJobs(jobs);
      }
    };
    const off = service.subscribe(() => void check());
    void check();
  });
}

/**
 * Job `id` is running and has reached step 1 (active, or already past it). Waiting for the
 * transient "step 1 active" alone can miss it on a loaded machine: the check reads the snapshot
 * after the event, when the job may have moved on.
 */
function reachedStep1(jobs: Job[], id: string): boolean {
  const job = jobs.find((j) => j.id === id)!;
  const step1 = job.progress?.stages.find((s) => s.id === 'step1');
  return job.status === 'running' && (step1?.state === 'active' || step1?.state === 'done');
}

describe('studio service with a fake engine', () => {
  it('runs queued jobs one at a time with progress, and serves their PLY and SPZ', async () => {
    const { service, events } = await setup(25);
    const a = service.enqueue(settings(1));
    const b = service.enqueue(settings(2));
    const jobs = await waitFor(service, (js) => js.every((j) => j.status === 'done'));
    const running = events.flatMap((e) => (e.type === 'job' && e.job.status === 'running' ? [e.job.id] : []));
    // b never ran while a did: a's running updates all come before b's.
    expect(running.lastIndexOf(a.id)).toBeLessThan(running.indexOf(b.id));
    const progress = events.flatMap((e) => (e.type === 'job' && e.job.id === a.id && e.job.progress ? [e.job.progress.fraction] : []));
    expect(progress.length).toBeGreaterThan(3);
    expect(progress.at(-1)).toBe(1);
    const ply = decodePly(await service.getResultBytes(a.id, 'ply'));
    expect(ply.count).toBe(jobs[0].result!.splatCount);
    expect(decodeSpz(await service.getResultBytes(b.id, 'spz')).count).toBe(ply.count);
    expect(jobs[0].result!.thumbnail).toMatch(/^data:image\/png;base64,/);
  });

  it('cancels a running job and a queued one; the rest still runs', async () => {
    const { service } = await setup(150); // 15 stages × 150 ms: still running when the test cancels it
    const a = service.enqueue(settings(1));
    const b = service.enqueue(settings(2));
    const c = service.enqueue(settings(3));
    await waitFor(service, (js) => reachedStep1(js, a.id));
    service.cancelJob(a.id);
    service.cancelJob(b.id);
    const jobs = await waitFor(service, (js) => js.find((j) => j.id === c.id)!.status === 'done');
    expect(jobs.map((j) => j.status)).toEqual(['cancelled', 'cancelled', 'done']);
  });

  it('an engine crash fails the running job with the reason, restarts the engine, and queued jobs run', async () => {
    const { service, control, events } = await setup(150); // still running when the test crashes the engine
    const a = service.enqueue(settings(1));
    const b = service.enqueue(settings(2));
    await waitFor(service, (js) => reachedStep1(js, a.id));
    control.processes.at(-1)!.crash({ code: null, signal: 'SIGKILL' });
    const jobs = await waitFor(service, (js) => js.find((j) => j.id === b.id)!.status === 'done');
    const failed = jobs.find((j) => j.id === a.id)!;
    expect(failed.status).toBe('failed');
    expect(failed.error!.code).toBe('ENGINE_CRASHED');
    expect(failed.error!.message).toMatch(/killed \(SIGKILL\).*out of memory/);
    expect(control.launches).toBe(2);
    const crashed = events.find((e) => e.type === 'engine' && e.status.state === 'crashed');
    expect(crashed && crashed.type === 'engine' && crashed.status.lastCrash?.jobId).toBe(a.id);
    expect((await service.getSnapshot()).engine.restarts).toBe(1);
  });

  it('with two GPUs, two jobs run at once and never more', async () => {
    const { service, control } = await setup(10, 2);
    let maxRunning = 0;
    service.subscribe(() => void service.getSnapshot().then((s) => (maxRunning = Math.max(maxRunning, s.jobs.filter((j) => j.status === 'running').length))));
    for (let i = 0; i < 4; i++) service.enqueue(settings(i));
    await waitFor(service, (js) => js.every((j) => j.status === 'done'));
    expect(maxRunning).toBe(2);
    expect(control.launches).toBe(2);
  });

  it('MP4 export asks the engine that ran the job; a reopened project says why it cannot', async () => {
    const { service, dataDir } = await setup();
    const a = service.enqueue(settings(4));
    await waitFor(service, (js) => js.every((j) => j.status === 'done'));
    const mp4 = await service.getExportBytes(a.id, 'mp4');
    expect(mp4.fileName.endsWith('.mp4')).toBe(true);
    expect(new TextDecoder().decode(mp4.bytes)).toBe('fake mp4 of 200 splats');
    const document: ProjectDocument = { name: 'V', selectedJobId: null, prompt: { imageDataUrl: null, imageName: null, text: 't', imageIndex: 0, frames: 4, height: 64, width: 96, seed: 3, model: 'test', cameras: [] } };
    const { path } = await service.saveProjectTo(join(dataDir, 'v'), document);
    service.removeJob(a.id);
    await service.openProject({ path });
    await expect(service.getExportBytes(a.id, 'mp4')).rejects.toThrow(/generate it again/);
  });

  it('rejects unavailable models and invalid requests before queueing', async () => {
    const { service } = await setup();
    expect(() => service.enqueue({ ...settings(1), model: 'hub' })).toThrow(/not downloaded/);
    const bad = settings(1);
    bad.request.resolution = [4, 60, 96];
    expect(() => service.enqueue(bad)).toThrow(/multiple of 32/);
    expect((await service.getSnapshot()).jobs).toEqual([]);
  });

  it('saves a project, and opening it brings jobs and results back', async () => {
    const { service, dataDir } = await setup();
    const a = service.enqueue({ ...settings(7), request: { ...settings(7).request, image_prompt: 'data:image/png;base64,iVBORw0KGgo=' } });
    await waitFor(service, (js) => js.every((j) => j.status === 'done'));
    const document: ProjectDocument = {
      name: 'Harbor',
      selectedJobId: a.id,
      prompt: { imageDataUrl: 'data:image/png;base64,iVBORw0KGgo=', imageName: 'x.png', text: 'a harbor', imageIndex: 0, frames: 4, height: 64, width: 96, seed: 7, model: 'test', cameras: settings(1).request.cameras },
    };
    const before = await service.getResultBytes(a.id, 'ply');
    const { path } = await service.saveProjectTo(join(dataDir, 'harbor'), document);
    expect(path.endsWith('.fwproj')).toBe(true);
    service.newProject();
    expect((await service.getSnapshot()).jobs).toEqual([]);
    const opened = await service.openProject({ path });
    expect(opened.document).toEqual(document);
    expect(opened.jobs.map((j) => [j.id, j.status])).toEqual([[a.id, 'done']]);
    expect(opened.jobs[0].settings.request.image_prompt).toBe('data:image/png;base64,iVBORw0KGgo=');
    expect(Buffer.from(await service.getResultBytes(a.id, 'ply')).equals(Buffer.from(before))).toBe(true);
    expect((await service.listRecent()).map((r) => r.path)).toEqual([path]);
  });

  it('autosave is offered after an unclean end and restores the work', async () => {
    const { service, dataDir } = await setup();
    service.enqueue(settings(3));
    await waitFor(service, (js) => js.every((j) => j.status === 'done'));
    const document: ProjectDocument = { name: 'Unsaved', selectedJobId: null, prompt: { imageDataUrl: null, imageName: null, text: 't', imageIndex: 0, frames: 4, height: 64, width: 96, seed: 3, model: 'test', cameras: [] } };
    await service.autosave(document, null);
    service.stop();
    const { launcher } = fakeEngineLauncher();
    const next = new StudioService({ dataDir, examplesDir: resolve('examples'), launcher, shell: 'serve' });
    services.push(next);
    await next.start();
    expect((await next.getSnapshot()).recovery).not.toBeNull();
    const recovery = await next.getRecovery();
    expect(recovery!.project.document.name).toBe('Unsaved');
    expect(recovery!.project.jobs[0].status).toBe('done');
    expect((await next.getResultBytes(recovery!.project.jobs[0].id, 'spz')).byteLength).toBeGreaterThan(100);
  });

  it('lists the examples with their images inlined', async () => {
    const { service } = await setup();
    const examples = await service.listExamples();
    expect(examples.length).toBeGreaterThan(0);
    expect(examples[0].request.image_prompt).toMatch(/^data:image\/png;base64,/);
  });
});
