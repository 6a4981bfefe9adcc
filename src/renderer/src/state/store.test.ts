import { beforeEach, describe, expect, it } from 'vitest';
import { createStudioStore, useStudio } from './store';
import { draftToSettings, emptyDraft, promptProblems, settingsToDraft } from './promptSlice';
import { connect, duplicateJob, enqueueDraft, selectJob } from './actions';
import { cropRect } from '../panels/ImageCropPreview';
import { validateGenerationRequest } from '../../../shared/request/generationRequest';
import type { Job, ModelInfo } from '../../../shared/api/jobSchemas';
import type { StudioApi } from '../../../shared/api/studioApi';
import type { StudioEvent } from '../../../shared/api/events';

const models: ModelInfo[] = [
  { id: 'test', label: 'Test', randomWeights: true, available: true, reason: null },
  { id: 'hub', label: 'Real', randomWeights: false, available: false, reason: 'not downloaded' },
];
const camera = { quaternion: [1, 0, 0, 0] as [number, number, number, number], fx: 48, fy: 48, cx: 48, cy: 32 };
const cameras = [{ ...camera, position: [0, 0, 0] as [number, number, number] }, { ...camera, position: [0, 0, -1] as [number, number, number] }];
const readyDraft = () => ({ ...emptyDraft(), text: 'a harbor', cameras, frames: 4, height: 64, width: 96 });

function job(id: string, status: Job['status']): Job {
  return { id, createdAt: 1, settings: draftToSettings(readyDraft(), id), status, progress: null, error: null, result: null, startedAt: null, finishedAt: null };
}

describe('prompt slice', () => {
  it('a ready draft has no problems and becomes a request the engine accepts', () => {
    expect(promptProblems(readyDraft(), models)).toEqual({});
    const request = validateGenerationRequest(draftToSettings(readyDraft(), 'x').request);
    expect([request.nFrame, request.height, request.width]).toEqual([4, 64, 96]);
  });

  it('names each problem by control: prompt, sizes not multiple of 32, image index, cameras, unavailable model', () => {
    const p = promptProblems({ ...emptyDraft(), height: 470, width: 700, imageIndex: 30, frames: 24, model: 'hub' }, models);
    expect(Object.keys(p).sort()).toEqual(['cameras', 'height', 'imageIndex', 'model', 'prompt', 'width']);
    expect(p.height).toMatch(/multiple of 32/);
    expect(p.model).toBe('not downloaded');
  });

  it('duplicating a job puts its settings back in the panel', () => {
    const settings = { ...draftToSettings({ ...readyDraft(), seed: 99, text: 'copy me' }, 'x') };
    const draft = settingsToDraft(settings, emptyDraft());
    expect(draft).toMatchObject({ seed: 99, text: 'copy me', frames: 4, cameras });
  });

  it('the crop preview is the centre crop to the W:H aspect', () => {
    expect(cropRect(1000, 1000, 704, 480)).toEqual({ x: 0, y: (1000 - 1000 / (704 / 480)) / 2, w: 1000, h: 1000 / (704 / 480) });
    expect(cropRect(2000, 480, 704, 480)).toEqual({ x: (2000 - 704) / 2, y: 0, w: 704, h: 480 });
  });
});

describe('queue slice', () => {
  it('applies job events in order, moves retried jobs to the end, clears a removed selection', () => {
    const store = createStudioStore();
    const s = () => store.getState();
    s().applyEvent({ type: 'job', job: job('a', 'queued') });
    s().applyEvent({ type: 'job', job: job('b', 'queued') });
    s().applyEvent({ type: 'job', job: job('a', 'failed') });
    expect(s().jobs.map((j) => `${j.id}:${j.status}`)).toEqual(['a:failed', 'b:queued']);
    s().applyEvent({ type: 'job', job: job('a', 'queued') });
    expect(s().jobs.map((j) => j.id)).toEqual(['b', 'a']);
    s().selectJob('b');
    s().applyEvent({ type: 'jobRemoved', id: 'b' });
    expect(s().selectedJobId).toBeNull();
    s().applyEvent({ type: 'jobsReset', jobs: [job('c', 'done')] });
    expect(s().jobs.map((j) => j.id)).toEqual(['c']);
  });
});

describe('actions against a fake StudioApi', () => {
  let listeners: ((e: StudioEvent) => void)[];
  let enqueued: unknown[];

  beforeEach(async () => {
    listeners = [];
    enqueued = [];
    useStudio.setState({ jobs: [], selectedJobId: null, draft: emptyDraft(), notices: [], viewerSource: { kind: 'none' } });
    const api = {
      onEvent: (l: (e: StudioEvent) => void) => (listeners.push(l), () => undefined),
      getSnapshot: async () => ({ jobs: [], engine: null as never, models, shell: 'serve' as const, recovery: null, exportFormats: [] }),
      listRecent: async () => [],
      listExamples: async () => [],
      enqueue: async (settings: unknown) => (enqueued.push(settings), job('new', 'queued')),
      getModelState: async () => ({ settings: { model: 'test', provider: 'cpu', deviceId: 0, memoryMode: 'auto' } }),
    } as unknown as StudioApi;
    await connect(api);
  });

  it('Generate with problems sends nothing and says why', async () => {
    await enqueueDraft();
    expect(enqueued).toEqual([]);
    expect(useStudio.getState().notices.at(-1)!.text).toMatch(/Add an image, a text prompt, or both/);
  });

  it('Generate with a ready draft queues it and selects the job; its result shows when done', async () => {
    useStudio.setState({ draft: readyDraft() });
    await enqueueDraft();
    expect(enqueued).toHaveLength(1);
    expect(useStudio.getState().selectedJobId).toBe('new');
    listeners.forEach((l) => l({ type: 'job', job: { ...job('new', 'done') } }));
    expect(useStudio.getState().viewerSource).toEqual({ kind: 'job', jobId: 'new' });
  });

  it('selecting an unfinished job shows nothing new; duplicate copies settings', () => {
    listeners.forEach((l) => l({ type: 'job', job: { ...job('r', 'running'), settings: { ...job('r', 'running').settings, seed: 5 } } }));
    selectJob('r');
    expect(useStudio.getState().viewerSource).toEqual({ kind: 'none' });
    duplicateJob('r');
    expect(useStudio.getState().draft.seed).toBe(5);
  });

  it('menu events run commands (reset view)', () => {
    const before = useStudio.getState().resetViewToken;
    listeners.forEach((l) => l({ type: 'menu', command: 'reset-view' }));
    expect(useStudio.getState().resetViewToken).toBe(before + 1);
  });
});
