/** What the viewer shows and what it measured. */
import type { StateCreator } from 'zustand';
import type { StudioState } from './store';

export type ViewerSource =
  | { kind: 'none' }
  | { kind: 'job'; jobId: string }
  | { kind: 'file'; name: string; bytes: Uint8Array; fileType: 'ply' | 'spz' };

export interface ViewerSlice {
  viewerSource: ViewerSource;
  splatCount: number | null;
  fps: number | null;
  /** the view camera's position, refreshed with the fps (shown in the overlay) */
  cameraPosition: [number, number, number] | null;
  viewerStatus: 'idle' | 'loading' | 'ready' | 'error';
  viewerError: string | null;
  resetViewToken: number;
  showSplats(source: ViewerSource): void;
  setViewerStats(stats: Partial<Pick<ViewerSlice, 'splatCount' | 'fps' | 'cameraPosition' | 'viewerStatus' | 'viewerError'>>): void;
  resetView(): void;
}

export const createViewerSlice: StateCreator<StudioState, [], [], ViewerSlice> = (set) => ({
  viewerSource: { kind: 'none' },
  splatCount: null,
  fps: null,
  cameraPosition: null,
  viewerStatus: 'idle',
  viewerError: null,
  resetViewToken: 0,
  showSplats: (viewerSource) => set({ viewerSource, viewerStatus: viewerSource.kind === 'none' ? 'idle' : 'loading', splatCount: null, viewerError: null }),
  setViewerStats: (stats) => set(stats),
  resetView: () => set((s) => ({ resetViewToken: s.resetViewToken + 1 })),
});
