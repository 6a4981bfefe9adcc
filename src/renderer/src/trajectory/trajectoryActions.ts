/**
 * What the trajectory controls do. Each action calls the headless TrajectoryEditor (so every edit
 * is a command on one undo stack) and turns a StudioError into a notice instead of losing it.
 */
import {
  UPSTREAM_INTERPOLATION, createKeyframe, createTrajectory, defaultPose, importTrajectoryFile, newKeyframeId, requestCameraToPose,
  toNerfstudioCameraPath, toPosesCsv, toUpstreamAllInOneJson, toUpstreamTrajectoryJson,
  type CameraPose, type InterpolationSettings, type KeyframeEdit, type SelectionMode, type TrajectoryTemplate,
} from '../../../shared/trajectory';
import { studioApi } from '../state/actions';
import { useStudio } from '../state/store';
import { generationTrajectory } from './trajectorySlice';
import { getViewPose } from './viewCamera';

const editor = () => useStudio.getState().trajectoryEditor;

/** Runs an edit; a failure becomes an error notice (what happened and what to do). */
export function edit<T>(fn: () => T): T | undefined {
  try {
    return fn();
  } catch (error) {
    useStudio.getState().notify('error', error instanceof Error ? error.message : String(error));
    return undefined;
  }
}

function currentView(): CameraPose {
  return getViewPose() ?? defaultPose();
}

/** Space: a keyframe at the current view, after the last key (upstream's "record camera"). */
export const addKeyAtView = () => edit(() => editor().addKeyframe(currentView()));
export const insertKeyAfter = (id: string) =>
  edit(() => {
    const keys = editor().trajectory.keyframes;
    const i = keys.findIndex((k) => k.id === id);
    if (i < 0 || i === keys.length - 1) return editor().addKeyframe(currentView());
    return editor().insertKeyframeBetween(id, keys[i + 1].id);
  });
export const deleteSelectedKeys = () => edit(() => editor().deleteKeyframes());
export const selectKeys = (ids: string[], mode: SelectionMode = 'replace') => edit(() => editor().select(ids, mode));
export const selectAllKeys = () => edit(() => editor().selectAll());
export const copyKeys = () => edit(() => editor().copy());
export const pasteKeys = () => edit(() => editor().paste());
export const undoEdit = () => edit(() => editor().undo());
export const redoEdit = () => edit(() => editor().redo());
export const editSelectedKeys = (change: KeyframeEdit) => edit(() => editor().editKeyframes(editor().selection, change));
export const moveKeyInOrder = (id: string, index: number) => edit(() => editor().moveKeyframeToIndex(id, index));
export const shiftKeysInTime = (ids: readonly string[], deltaSec: number) => edit(() => editor().shiftKeyframes(ids, deltaSec));
export const setPlayhead = (timeSec: number) => edit(() => editor().setPlayhead(timeSec));
export const setInterpolation = (patch: Partial<InterpolationSettings>) => edit(() => editor().setInterpolation(patch));
export const setLoop = (loop: boolean) => edit(() => editor().setLoop(loop));
export const setConstantSpeed = (on: boolean) => edit(() => editor().setConstantSpeed(on));
export const setDurationSec = (sec: number) => edit(() => editor().setDurationSec(sec));

/** A template after the last key, starting from the current view or from the last key. */
export function applyTemplate(template: TrajectoryTemplate, from: 'view' | 'lastKey'): string[] | undefined {
  return edit(() => editor().applyTemplate(template, from === 'view' ? { reference: currentView() } : {}));
}

/** The imported request's cameras become an editable path (upstream interpolates them linearly). */
export function editCamerasAsPath(): void {
  const { draft } = useStudio.getState();
  edit(() => {
    const keyframes = draft.cameras.map((c, i) => createKeyframe(requestCameraToPose(c, draft.height), i, newKeyframeId()));
    const t = createTrajectory({ keyframes, interpolation: UPSTREAM_INTERPOLATION, imageWidthPx: draft.width, imageHeightPx: draft.height });
    editor().replaceTrajectory(t, 'Edit the request cameras as a path');
  });
}

export const PATH_EXPORT_FORMATS = {
  'studio': { label: 'Studio trajectory (.json)', suffix: '-trajectory.json' },
  'upstream-trajectory': { label: 'FlashWorld trajectory JSON (keys)', suffix: '-cameras.json' },
  'upstream-all-in-one': { label: 'FlashWorld all-in-one JSON (sampled cameras + prompt)', suffix: '-request.json' },
  'nerfstudio': { label: 'nerfstudio camera_path.json', suffix: '-camera_path.json' },
  'csv': { label: 'Poses CSV', suffix: '-poses.csv' },
} as const;
export type PathExportFormat = keyof typeof PATH_EXPORT_FORMATS;

/** The file text of the path in one of the interchange formats (the prompt's W×H and frame count). */
export function pathFileText(format: PathExportFormat): string {
  const { draft, trajectory } = useStudio.getState();
  const t = generationTrajectory(trajectory.trajectory, draft);
  const json = (v: unknown) => JSON.stringify(v, null, 2);
  switch (format) {
    case 'studio': return json(t);
    case 'upstream-trajectory': return json(toUpstreamTrajectoryJson(t));
    case 'upstream-all-in-one':
      return json(toUpstreamAllInOneJson(t, { nFrame: draft.frames, imagePrompt: draft.imageDataUrl, textPrompt: draft.text, imageIndex: draft.imageIndex }));
    case 'nerfstudio': return json(toNerfstudioCameraPath(t));
    case 'csv': return toPosesCsv(t);
  }
}

export async function exportPath(format: PathExportFormat): Promise<void> {
  const s = useStudio.getState();
  try {
    const bytes = new TextEncoder().encode(pathFileText(format));
    const name = `${s.projectName.replace(/[^A-Za-z0-9_-]+/g, '_') || 'path'}${PATH_EXPORT_FORMATS[format].suffix}`;
    const outcome = await studioApi().saveFile({ suggestedName: name, bytes, kind: 'trajectory' });
    if (outcome.saved) useStudio.getState().notify('info', `Saved the camera path to ${outcome.path ?? name}.`);
  } catch (error) {
    useStudio.getState().notify('error', error instanceof Error ? error.message : String(error));
  }
}

/** Import camera path…: any of the formats, told apart by content; one undo step replaces the path. */
export async function importPath(file?: { name: string; bytes: Uint8Array }): Promise<void> {
  try {
    const picked = file ?? (await studioApi().pickFile('trajectory'));
    if (!picked) return;
    const { draft } = useStudio.getState();
    const imported = importTrajectoryFile(new TextDecoder().decode(picked.bytes), { widthPx: draft.width, heightPx: draft.height }, picked.name);
    editor().replaceTrajectory(imported.trajectory, `Import ${picked.name}`);
    useStudio.getState().notify('info', `Imported ${imported.trajectory.keyframes.length} keyframes from ${picked.name} (${imported.format}).`);
  } catch (error) {
    useStudio.getState().notify('error', error instanceof Error ? error.message : String(error));
  }
}
