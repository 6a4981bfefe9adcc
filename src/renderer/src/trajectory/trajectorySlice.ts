/**
 * The trajectory editor in the store: one TrajectoryEditor (command objects, one undo stack) whose
 * snapshot is mirrored into zustand on every change (subscribe → set), plus view-only state
 * (look-through, playback, frame preview). While the authored path has two or more keys it drives
 * the generation: the prompt's cameras are the path sampled at exactly n_frame points.
 */
import type { StateCreator, StoreApi } from 'zustand';
import {
  TrajectoryEditor, sampleGenerationCameras, type CameraPose, type EditorSnapshot, type Trajectory,
} from '../../../shared/trajectory';
import type { PromptDraft } from '../../../shared/api/projectSchemas';
import type { StudioState } from '../state/store';

export interface TrajectorySlice {
  /** the editor's snapshot: document, selection, playhead, undo/redo labels */
  trajectory: EditorSnapshot;
  /** the viewer shows the path's camera at the playhead */
  lookThrough: boolean;
  playing: boolean;
  /** draw the generation frame (W×H aspect) over the viewer */
  framePreview: boolean;
  showShortcuts: boolean;
  /** the viewer camera, refreshed a few times a second (readout; Space reads the camera itself) */
  viewPose: CameraPose | null;
  /** what the key gizmo edits (G / R) */
  gizmoMode: 'translate' | 'rotate';
  /** the gizmo is being dragged: the fly controls stand still */
  gizmoDragging: boolean;
  setTrajectoryView(patch: Partial<Pick<TrajectorySlice, 'lookThrough' | 'playing' | 'framePreview' | 'showShortcuts' | 'viewPose' | 'gizmoMode' | 'gizmoDragging'>>): void;
  /** the headless editor; actions call it, components never hold it */
  trajectoryEditor: TrajectoryEditor;
}

/** The path drives the generation cameras once it has this many keys. */
export const MIN_PATH_KEYS = 2;

/** The document with the prompt's image size: the size that will be generated. */
export function generationTrajectory(t: Trajectory, draft: Pick<PromptDraft, 'width' | 'height'>): Trajectory {
  const ok = Number.isInteger(draft.width) && Number.isInteger(draft.height) && draft.width > 0 && draft.height > 0;
  return ok ? { ...t, imageWidthPx: draft.width, imageHeightPx: draft.height } : t;
}

/** Whether the authored path (rather than imported cameras) decides the generation cameras. */
export function pathDrivesCameras(t: Trajectory): boolean {
  return t.keyframes.length >= MIN_PATH_KEYS;
}

function syncGenerationCameras(api: StoreApi<StudioState>): void {
  const s = api.getState();
  const doc = s.trajectory.trajectory;
  const { frames } = s.draft;
  if (!pathDrivesCameras(doc) || !(Number.isInteger(frames) && frames >= 1)) return;
  const cameras = sampleGenerationCameras(generationTrajectory(doc, s.draft), frames);
  api.setState({ draft: { ...s.draft, cameras }, dirty: true });
}

export const createTrajectorySlice: StateCreator<StudioState, [], [], TrajectorySlice> = (set, _get, api) => {
  const editor = new TrajectoryEditor();
  editor.subscribe(() => {
    const before = api.getState().trajectory.trajectory;
    set({ trajectory: editor.getState() });
    if (editor.trajectory !== before) syncGenerationCameras(api);
  });
  // A new frame count or image size re-samples the path (the frame count is n_frame exactly).
  api.subscribe((s, prev) => {
    if (s.draft.frames !== prev.draft.frames || s.draft.width !== prev.draft.width || s.draft.height !== prev.draft.height) {
      syncGenerationCameras(api);
    }
  });
  return {
    trajectory: editor.getState(),
    trajectoryEditor: editor,
    lookThrough: false,
    playing: false,
    framePreview: false,
    showShortcuts: false,
    viewPose: null,
    gizmoMode: 'translate',
    gizmoDragging: false,
    setTrajectoryView: (patch) => set(patch),
  };
};
