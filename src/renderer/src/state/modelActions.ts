/**
 * What the Model panel's buttons do: read the model state, start and stop downloads,
 * verifications and graph builds, and apply engine settings (the engine restarts with them).
 */
import type { StudioEvent } from '../../../shared/api/events';
import type { EngineSettings } from '../../../shared/api/modelSchemas';
import { guarded, resync, studioApi } from './actions';
import { useStudio } from './store';
import type { StudioState } from './store';

/** The model a new job asks for: the engine's (the prompt panel's select sets the engine's model). */
export function promptModel(s: Pick<StudioState, 'modelState' | 'draft'>): string {
  return s.modelState?.settings.model ?? s.draft.model;
}

export async function refreshModelState(): Promise<void> {
  await guarded(async () => {
    const state = await studioApi().getModelState();
    useStudio.getState().applyModelState(state);
    useStudio.setState((s) => (s.draft.model === state.settings.model ? {} : { draft: { ...s.draft, model: state.settings.model } }));
  });
}

export function openModelPanel(): void {
  useStudio.getState().setModelPanelOpen(true);
  void refreshModelState();
}

export function closeModelPanel(): void {
  useStudio.getState().setModelPanelOpen(false);
}

/** Backend events for the model slice; a task that ended changes what is downloaded and built. */
export function onModelEvent(event: StudioEvent): void {
  if (event.type !== 'modelTask' && event.type !== 'engineSettings') return;
  const before = useStudio.getState().modelTask;
  useStudio.getState().applyModelEvent(event);
  if (event.type === 'modelTask' && event.task.state !== 'running' && before?.state === 'running' && before.id === event.task.id) {
    void refreshModelState();
    // The model list (is the official model available?) comes with the snapshot.
    void resync();
  }
}

export async function downloadModel(token: string): Promise<void> {
  const task = await guarded(() => studioApi().downloadModel(token.trim() ? { token: token.trim() } : {}));
  if (task) onModelEvent({ type: 'modelTask', task });
}

export async function verifyModel(): Promise<void> {
  const task = await guarded(() => studioApi().verifyModel());
  if (task) onModelEvent({ type: 'modelTask', task });
}

export async function buildModelGraphs(): Promise<void> {
  const task = await guarded(() => studioApi().buildModelGraphs());
  if (task) onModelEvent({ type: 'modelTask', task });
}

export const cancelModelTask = () => guarded(() => studioApi().cancelModelTask());

async function setEngineSettings(settings: EngineSettings): Promise<boolean> {
  const state = await guarded(() => studioApi().setEngineSettings(settings));
  if (!state) return false;
  useStudio.getState().applyModelState(state);
  useStudio.setState((s) => ({ settingsDraft: null, draft: { ...s.draft, model: state.settings.model } }));
  return true;
}

/** Applies the panel's edited settings: saved, and the engine restarts with them. */
export async function applyEngineSettings(): Promise<void> {
  const draft = useStudio.getState().settingsDraft;
  if (draft && (await setEngineSettings(draft))) useStudio.getState().notify('info', 'Settings saved; the engine restarts with them (after the running job, if any).');
}

/** The prompt panel's model choice: the engine's model, so it restarts with it. */
export async function chooseEngineModel(model: EngineSettings['model']): Promise<void> {
  if (!useStudio.getState().modelState) await refreshModelState();
  const current = useStudio.getState().modelState?.settings;
  if (!current || current.model === model) return;
  await setEngineSettings({ ...current, model });
}
