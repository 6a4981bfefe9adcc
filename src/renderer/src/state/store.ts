/** One zustand store split into slices (queue, prompt, project, viewer, trajectory, model); components select narrowly. */
import { create } from 'zustand';
import { createQueueSlice, type QueueSlice } from './queueSlice';
import { createPromptSlice, type PromptSlice } from './promptSlice';
import { createProjectSlice, type ProjectSlice } from './projectSlice';
import { createViewerSlice, type ViewerSlice } from './viewerSlice';
import { createTrajectorySlice, type TrajectorySlice } from '../trajectory/trajectorySlice';
import { createModelSlice, type ModelSlice } from './modelSlice';

export type StudioState = QueueSlice & PromptSlice & ProjectSlice & ViewerSlice & TrajectorySlice & ModelSlice;

export function createStudioStore() {
  return create<StudioState>()((...a) => ({
    ...createQueueSlice(...a),
    ...createPromptSlice(...a),
    ...createProjectSlice(...a),
    ...createViewerSlice(...a),
    ...createTrajectorySlice(...a),
    ...createModelSlice(...a),
  }));
}

export const useStudio = createStudioStore();
