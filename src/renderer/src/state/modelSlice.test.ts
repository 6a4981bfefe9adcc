import { beforeEach, describe, expect, it } from 'vitest';
import type { StudioApi } from '../../../shared/api/studioApi';
import type { StudioEvent } from '../../../shared/api/events';
import type { EngineSettings, ModelState, ModelTask } from '../../../shared/api/modelSchemas';
import { useStudio } from './store';
import { settingsChanged, shownSettings } from './modelSlice';
import { connect } from './actions';
import { applyEngineSettings, chooseEngineModel, downloadModel, openModelPanel } from './modelActions';
import { emptyDraft } from './promptSlice';

const settings: EngineSettings = { model: 'test', provider: 'cpu', deviceId: 0, memoryMode: 'auto' };

function modelState(patch: Partial<ModelState> = {}): ModelState {
  return {
    settings,
    settingsNotice: null,
    engineCount: 1,
    hub: { ready: false, problem: 'not downloaded', interrupted: false, hubCache: '/hub', label: null },
    graphs: { provider: 'cpu', floatType: 'float32', networks: [], builtAt: null },
    gpus: [],
    gpuProblem: 'nvidia-smi was not found.',
    cudaProblem: null,
    estimate: null,
    estimateProblem: null,
    task: null,
    ...patch,
  };
}

function task(id: number, state: ModelTask['state'], done = 0): ModelTask {
  return { id, kind: 'download', state, startedAt: 0, finishedAt: null, unit: 'bytes', items: [], done, total: 100, bytesPerSecond: null, message: null, summary: null, problems: [], error: null };
}

const s = () => useStudio.getState();
const flush = () => new Promise((r) => setTimeout(r, 0));

describe('model slice', () => {
  beforeEach(() => useStudio.setState({ modelState: modelState(), modelTask: null, settingsDraft: null, draft: emptyDraft() }));

  it('edits settings as a draft; back to the saved values is no change', () => {
    expect(settingsChanged(s())).toBe(false);
    s().editSettings({ memoryMode: 'low-vram' });
    expect(shownSettings(s())).toEqual({ ...settings, memoryMode: 'low-vram' });
    expect(settingsChanged(s())).toBe(true);
    s().editSettings({ memoryMode: 'auto' });
    expect(s().settingsDraft).toBeNull();
    expect(settingsChanged(s())).toBe(false);
  });

  it('keeps the newest task: a late event of an older task does not replace it', () => {
    s().applyModelEvent({ type: 'modelTask', task: task(2, 'running', 10) });
    s().applyModelEvent({ type: 'modelTask', task: task(1, 'done', 100) });
    expect(s().modelTask).toMatchObject({ id: 2, done: 10 });
    s().applyModelEvent({ type: 'modelTask', task: task(2, 'running', 50) });
    expect(s().modelTask?.done).toBe(50);
  });

  it('settings applied elsewhere update the panel and the prompt model, and clear an edit that matches them', () => {
    s().editSettings({ provider: 'cuda', deviceId: 1 });
    const applied = { ...settings, provider: 'cuda' as const, deviceId: 1 };
    s().applyModelEvent({ type: 'engineSettings', settings: applied });
    expect(s().modelState?.settings).toEqual(applied);
    expect(s().settingsDraft).toBeNull();
    s().applyModelEvent({ type: 'engineSettings', settings: { ...applied, model: 'hub' } });
    expect(s().draft.model).toBe('hub');
  });
});

describe('model actions against a fake StudioApi', () => {
  let listeners: ((e: StudioEvent) => void)[];
  let calls: { method: string; args: unknown[] }[];
  let backend: ModelState;

  beforeEach(async () => {
    listeners = [];
    calls = [];
    backend = modelState();
    useStudio.setState({ modelState: null, modelTask: null, settingsDraft: null, modelPanelOpen: false, draft: emptyDraft(), notices: [] });
    const record = (method: string, value: () => unknown) => async (...args: unknown[]) => (calls.push({ method, args }), value());
    const api = {
      onEvent: (l: (e: StudioEvent) => void) => (listeners.push(l), () => undefined),
      getSnapshot: record('getSnapshot', () => ({ jobs: [], engine: null, models: [], shell: 'serve', recovery: null, exportFormats: [] })),
      listRecent: async () => [],
      listExamples: async () => [],
      getModelState: record('getModelState', () => backend),
      setEngineSettings: record('setEngineSettings', () => backend),
      downloadModel: record('downloadModel', () => task(7, 'running')),
    } as unknown as StudioApi;
    await connect(api);
  });

  it('the prompt model follows the engine settings read at connect', () => {
    expect(s().modelState?.settings).toEqual(settings);
    expect(s().notices).toEqual([]);
  });

  it('opening the panel reads the model state again', async () => {
    backend = modelState({ gpuProblem: 'the driver is not loaded' });
    openModelPanel();
    await flush();
    expect(s().modelPanelOpen).toBe(true);
    expect(s().modelState?.gpuProblem).toBe('the driver is not loaded');
  });

  it('applies the edited settings in one call and drops the draft', async () => {
    s().editSettings({ memoryMode: 'text-encoder-cpu' });
    s().editSettings({ provider: 'cuda', deviceId: 2 });
    backend = modelState({ settings: { ...settings, memoryMode: 'text-encoder-cpu', provider: 'cuda', deviceId: 2 } });
    await applyEngineSettings();
    const sets = calls.filter((c) => c.method === 'setEngineSettings');
    expect(sets).toHaveLength(1);
    expect(sets[0].args[0]).toEqual({ model: 'test', provider: 'cuda', deviceId: 2, memoryMode: 'text-encoder-cpu' });
    expect(s().settingsDraft).toBeNull();
    expect(s().modelState?.settings.deviceId).toBe(2);
  });

  it('choosing the model in the prompt panel sets the engine model', async () => {
    backend = modelState({ settings: { ...settings, model: 'hub' } });
    await chooseEngineModel('hub');
    expect(calls.find((c) => c.method === 'setEngineSettings')?.args[0]).toEqual({ ...settings, model: 'hub' });
    expect(s().draft.model).toBe('hub');
  });

  it('a download shows its task at once, and when it ends the model state and model list are read again', async () => {
    await downloadModel('  hf_abc  ');
    expect(calls.find((c) => c.method === 'downloadModel')?.args[0]).toEqual({ token: 'hf_abc' });
    expect(s().modelTask).toMatchObject({ id: 7, state: 'running' });
    const before = calls.length;
    listeners.forEach((l) => l({ type: 'modelTask', task: task(7, 'done', 100) }));
    await flush();
    const after = calls.slice(before).map((c) => c.method);
    expect(after).toContain('getModelState');
    expect(after).toContain('getSnapshot');
    expect(s().modelTask?.state).toBe('done');
  });
});
