/** Which project is open, whether it has unsaved changes, and what the start screen lists. */
import type { StateCreator } from 'zustand';
import type { Example, RecentProject } from '../../../shared/api/projectSchemas';
import type { StudioState } from './store';

export interface Notice {
  id: number;
  kind: 'info' | 'error';
  text: string;
}

export interface ProjectSlice {
  screen: 'start' | 'studio';
  projectName: string;
  projectPath: string | null;
  dirty: boolean;
  recent: RecentProject[];
  examples: Example[];
  recoveryAt: number | null;
  notices: Notice[];
  /** serve mode: whether the WebSocket is up */
  connected: boolean;
  setScreen(screen: 'start' | 'studio'): void;
  setProject(name: string, path: string | null): void;
  markSaved(path: string): void;
  setLists(lists: { recent?: RecentProject[]; examples?: Example[]; recoveryAt?: number | null }): void;
  notify(kind: Notice['kind'], text: string): void;
  dismiss(id: number): void;
}

let noticeId = 0;

export const createProjectSlice: StateCreator<StudioState, [], [], ProjectSlice> = (set) => ({
  screen: 'start',
  projectName: 'Untitled',
  projectPath: null,
  dirty: false,
  recent: [],
  examples: [],
  recoveryAt: null,
  notices: [],
  connected: true,
  setScreen: (screen) => set({ screen }),
  setProject: (projectName, projectPath) => set({ projectName, projectPath, dirty: false }),
  markSaved: (projectPath) => set({ projectPath, dirty: false }),
  setLists: (lists) => set(lists),
  notify: (kind, text) => set((s) => ({ notices: [...s.notices.slice(-4), { id: ++noticeId, kind, text }] })),
  dismiss: (id) => set((s) => ({ notices: s.notices.filter((n) => n.id !== id) })),
});
