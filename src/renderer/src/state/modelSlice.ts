/**
 * The Model panel: what the backend says about the model (download state, graphs, GPUs and which
 * memory mode fits), the task in progress, and the engine settings being edited before they are
 * applied (applying restarts the engine, so several changes go in one restart).
 */
import type { StateCreator } from 'zustand';
import type { EngineSettings, ModelState, ModelTask } from '../../../shared/api/modelSchemas';
import type { StudioEvent } from '../../../shared/api/events';
import type { StudioState } from './store';

export interface ModelSlice {
  modelPanelOpen: boolean;
  modelState: ModelState | null;
  /** the latest download / verify / build, live from `modelTask` events */
  modelTask: ModelTask | null;
  /** the settings as edited in the panel; null = same as the backend's */
  settingsDraft: EngineSettings | null;
  setModelPanelOpen(open: boolean): void;
  applyModelState(state: ModelState): void;
  applyModelEvent(event: StudioEvent): void;
  editSettings(patch: Partial<EngineSettings>): void;
  discardSettingsDraft(): void;
}

/** The settings the panel shows: the draft, else the backend's. */
export function shownSettings(s: Pick<ModelSlice, 'settingsDraft' | 'modelState'>): EngineSettings | null {
  return s.settingsDraft ?? s.modelState?.settings ?? null;
}

export function settingsChanged(s: Pick<ModelSlice, 'settingsDraft' | 'modelState'>): boolean {
  const saved = s.modelState?.settings;
  return Boolean(s.settingsDraft && saved && JSON.stringify(s.settingsDraft) !== JSON.stringify(saved));
}

/** Events stream a task's progress; a state read may be older or newer than the last event. */
function newerTask(event: ModelTask | null, read: ModelTask | null): ModelTask | null {
  if (!event || !read) return event ?? read;
  if (event.id !== read.id) return event.id > read.id ? event : read;
  if (event.state !== 'running') return event;
  return read.state !== 'running' ? read : event;
}

export const createModelSlice: StateCreator<StudioState, [], [], ModelSlice> = (set) => ({
  modelPanelOpen: false,
  modelState: null,
  modelTask: null,
  settingsDraft: null,
  setModelPanelOpen: (modelPanelOpen) => set({ modelPanelOpen }),
  applyModelState: (modelState) => set((s) => ({ modelState, modelTask: newerTask(s.modelTask, modelState.task) })),
  applyModelEvent: (event) =>
    set((s) => {
      if (event.type === 'modelTask') {
        // Events of one task arrive in order; an older task's late event never replaces a newer one.
        if (s.modelTask && event.task.id < s.modelTask.id) return {};
        return { modelTask: event.task };
      }
      if (event.type === 'engineSettings') {
        return {
          modelState: s.modelState ? { ...s.modelState, settings: event.settings, settingsNotice: null } : s.modelState,
          // Another window applied settings: an edit that now matches them is no longer a change.
          settingsDraft: s.settingsDraft && JSON.stringify(s.settingsDraft) === JSON.stringify(event.settings) ? null : s.settingsDraft,
          draft: { ...s.draft, model: event.settings.model },
        };
      }
      return {};
    }),
  editSettings: (patch) =>
    set((s) => {
      const base = shownSettings(s);
      if (!base) return {};
      const next = { ...base, ...patch };
      return { settingsDraft: JSON.stringify(next) === JSON.stringify(s.modelState?.settings) ? null : next };
    }),
  discardSettingsDraft: () => set({ settingsDraft: null }),
});
