import { describe, expect, it } from 'vitest';
import { createStudioStore } from '../state/store';
import { sampleGenerationCameras, type CameraPose } from '../../../shared/trajectory';
import { generationTrajectory } from './trajectorySlice';

const pose = (z: number, fovYDeg = 60): CameraPose => ({ position: [0, 0, z], quaternionWXYZ: [1, 0, 0, 0], fovYDeg });

describe('trajectory slice', () => {
  it('mirrors the editor: every edit and undo/redo reaches the store snapshot', () => {
    const store = createStudioStore();
    const editor = store.getState().trajectoryEditor;
    editor.addKeyframe(pose(0));
    editor.addKeyframe(pose(-1));
    expect(store.getState().trajectory.trajectory.keyframes.map((k) => k.position[2])).toEqual([0, -1]);
    expect(store.getState().trajectory.undoLabel).toBe('Add keyframe');
    editor.undo();
    expect(store.getState().trajectory.trajectory.keyframes).toHaveLength(1);
    expect(store.getState().trajectory.canRedo).toBe(true);
    editor.redo();
    expect(store.getState().trajectory.trajectory.keyframes).toHaveLength(2);
  });

  it('once the path has two keys the prompt cameras are the path sampled at exactly n_frame points', () => {
    const store = createStudioStore();
    store.getState().setDraft({ frames: 4, width: 96, height: 64 });
    const editor = store.getState().trajectoryEditor;
    editor.addKeyframe(pose(0));
    expect(store.getState().draft.cameras).toEqual([]); // one key is not a path yet
    editor.addKeyframe(pose(-2, 50));
    const expected = sampleGenerationCameras(generationTrajectory(editor.trajectory, { width: 96, height: 64 }), 4);
    expect(store.getState().draft.cameras).toEqual(expected);
    expect(expected).toHaveLength(4);
    expect(expected[3].position[2]).toBeCloseTo(-2, 12);
    expect(expected[0]).toMatchObject({ cx: 48, cy: 32 });
  });

  it('a new frame count or image size re-samples the path', () => {
    const store = createStudioStore();
    const editor = store.getState().trajectoryEditor;
    editor.addKeyframe(pose(0));
    editor.addKeyframe(pose(-1));
    store.getState().setDraft({ frames: 7, width: 128, height: 64 });
    const cameras = store.getState().draft.cameras;
    expect(cameras).toHaveLength(7);
    expect(cameras[0].cx).toBe(64);
    expect(cameras).toEqual(sampleGenerationCameras(generationTrajectory(editor.trajectory, { width: 128, height: 64 }), 7));
  });

  it('imported cameras stay as they are while there is no authored path', () => {
    const store = createStudioStore();
    const cam = { quaternion: [1, 0, 0, 0] as [number, number, number, number], position: [0, 0, 0] as [number, number, number], fx: 50, fy: 50, cx: 48, cy: 32 };
    store.getState().setDraft({ cameras: [cam, cam, cam] });
    store.getState().setDraft({ frames: 9 });
    expect(store.getState().draft.cameras).toHaveLength(3);
  });
});
