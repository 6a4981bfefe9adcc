/** One zustand store split into slices (queue, prompt, project, viewer); components select narrowly. */
import { create } from 'zustand';
import { createQueueSlice, type QueueSlice } from './queueSlice';
import { createPromptSlice, type PromptSlice } from './promptSlice';
import { createProjectSlice, type ProjectSlice } from './projectSlice';
import { createViewerSlice, type ViewerSlice } from './viewerSlice';

export type StudioState = QueueSlice & PromptSlice & ProjectSlice & ViewerSlice;

export function createStudioStore() {
  return create<StudioState>()((...a) => ({
    ...createQueueSlice(...a),
    ...createPromptSlice(...a),
    ...createProjectSlice(...a),
    ...createViewerSlice(...a),
  }));
}

export const useStudio = createStudioStore();
