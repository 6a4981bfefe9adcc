import { describe, expect, it } from 'vitest';
import { StudioError } from '../../errors';
import { createTrajectory, type CameraPose, type Trajectory } from '../document';
import { buildPathModel } from '../pathModel';
import { quatAngleBetween, quatFromYawPitchRoll, yawPitchRollFromQuat } from '../rotation';
import { evaluateTrajectory } from '../sampling';
import { UPSTREAM_TEMPLATES } from '../templates';
import { TrajectoryEditor } from './trajectoryEditor';

const view = (x: number, yawDeg = 0, fovYDeg = 60): CameraPose => ({
  position: [x, 0, -x], quaternionWXYZ: quatFromYawPitchRoll({ yawDeg, pitchDeg: 0, rollDeg: 0 }), fovYDeg,
});

function makeEditor(): TrajectoryEditor {
  let n = 0;
  return new TrajectoryEditor(createTrajectory(), { newId: () => `k${++n}` });
}

/** Editor with three keys at 0, 1, 2 s. */
function threeKeys(): TrajectoryEditor {
  const e = makeEditor();
  e.addKeyframe(view(0));
  e.addKeyframe(view(1, 20));
  e.addKeyframe(view(2, 40));
  return e;
}

const ids = (t: Trajectory): string[] => t.keyframes.map((k) => k.id);
const times = (t: Trajectory): number[] => t.keyframes.map((k) => k.timeSec);

describe('keyframes', () => {
  it('adds keys at the current view one spacing apart, growing the timeline', () => {
    const e = threeKeys();
    expect(ids(e.trajectory)).toEqual(['k1', 'k2', 'k3']);
    expect(times(e.trajectory)).toEqual([0, 1, 2]);
    expect(e.trajectory.durationSec).toBe(2);
    expect(e.selection).toEqual(['k3']);
    expect(e.trajectory.keyframes[1].position).toEqual([1, 0, -1]);
  });

  it('replaces the pose of a key already at that time', () => {
    const e = threeKeys();
    expect(e.addKeyframe(view(5), 1)).toBe('k2');
    expect(e.trajectory.keyframes).toHaveLength(3);
    expect(e.trajectory.keyframes[1].position).toEqual([5, 0, -5]);
  });

  it('inserts between two keys on the existing path, so the path keeps its shape', () => {
    const e = threeKeys();
    const before = buildPathModel(e.trajectory);
    const id = e.insertKeyframeBetween('k1', 'k2');
    expect(times(e.trajectory)).toEqual([0, 0.5, 1, 2]);
    const inserted = e.keyframe(id);
    expect(inserted.position).toEqual(before.poseAtTime(0.5).position);
    expect(e.selection).toEqual([id]);
  });

  it('deletes the selected keys and reorders by moving poses between time slots', () => {
    const e = threeKeys();
    e.moveKeyframeToIndex('k3', 0);
    expect(ids(e.trajectory)).toEqual(['k3', 'k1', 'k2']);
    expect(times(e.trajectory)).toEqual([0, 1, 2]);
    expect(e.keyframe('k3').position).toEqual([2, 0, -2]);
    e.select(['k1', 'k2']);
    e.deleteKeyframes();
    expect(ids(e.trajectory)).toEqual(['k3']);
    expect(e.selection).toEqual([]);
  });

  it('edits several selected keys numerically: one yaw for all, each keeps its pitch', () => {
    const e = threeKeys();
    e.editKeyframes(['k2'], { yawPitchRollDeg: { pitchDeg: 15 } });
    e.select(['k1', 'k2'], 'replace');
    e.select(['k3'], 'add');
    e.editKeyframes(e.selection, { yawPitchRollDeg: { yawDeg: -30 }, fovYDeg: 45, position: { y: 2 } });
    for (const k of e.trajectory.keyframes) {
      const ypr = yawPitchRollFromQuat(k.quaternionWXYZ);
      expect(ypr.yawDeg).toBeCloseTo(-30, 9);
      expect(k.fovYDeg).toBe(45);
      expect(k.position[1]).toBe(2);
    }
    expect(yawPitchRollFromQuat(e.keyframe('k2').quaternionWXYZ).pitchDeg).toBeCloseTo(15, 9);
    expect(e.keyframe('k3').position[0]).toBe(2);
    expect(e.trajectory.keyframes.map((k) => k.fovYDeg)).toEqual([45, 45, 45]);
  });

  it('copies and pastes keys with their spacing after the last key', () => {
    const e = threeKeys();
    expect(e.copy(['k1', 'k2'])).toBe(2);
    const pasted = e.paste();
    expect(pasted).toEqual(['k4', 'k5']);
    expect(times(e.trajectory)).toEqual([0, 1, 2, 3, 4]);
    expect(e.keyframe('k5').position).toEqual(e.keyframe('k2').position);
    expect(e.selection).toEqual(pasted);
  });

  it('refuses a time edit onto another key, changing nothing', () => {
    const e = threeKeys();
    const doc = e.trajectory;
    expect(() => e.editKeyframes(['k1'], { timeSec: 2 })).toThrow(StudioError);
    expect(e.trajectory).toBe(doc);
    expect(e.canUndo).toBe(true);
    e.undo();
    expect(ids(e.trajectory)).toEqual(['k1', 'k2']); // the last add, not a phantom edit
  });
});

describe('undo and redo', () => {
  it('undoes and redoes every kind of edit back to the exact documents', () => {
    const e = threeKeys();
    const snapshots: Trajectory[] = [e.trajectory];
    const edits: Array<() => void> = [
      () => e.insertKeyframeAt(1.5),
      () => e.editKeyframes(['k2'], { position: { x: 9 }, fovYDeg: 70 }),
      () => e.moveKeyframeToIndex('k1', 2),
      () => e.shiftKeyframes(['k3'], 0.25),
      () => e.deleteKeyframes(['k2']),
      () => e.setInterpolation({ position: 'kochanekBartels', tension: 0.5 }),
      () => e.setLoop(true),
      () => e.setConstantSpeed(true),
      () => e.setDurationSec(10),
      () => e.setImageSize(480, 704),
      () => e.applyTemplate(UPSTREAM_TEMPLATES['Orbit Right 15°']),
      () => { e.copy(['k1']); e.paste(); },
      () => e.replaceTrajectory(createTrajectory()),
    ];
    for (const edit of edits) {
      edit();
      snapshots.push(e.trajectory);
    }
    for (let i = snapshots.length - 2; i >= 0; i--) {
      expect(e.undo()).toBe(true);
      expect(e.trajectory).toEqual(snapshots[i]);
    }
    expect(e.undo()).toBe(true); // the three adds remain
    for (let i = 0; i < 2; i++) e.undo();
    expect(e.trajectory.keyframes).toHaveLength(0);
    expect(e.undo()).toBe(false);
    for (let i = 0; i < 3; i++) e.redo();
    for (let i = 1; i < snapshots.length; i++) {
      expect(e.redo()).toBe(true);
      expect(e.trajectory).toEqual(snapshots[i]);
    }
    expect(e.redo()).toBe(false);
  });

  it('labels steps and drops the redo branch after a new edit', () => {
    const e = threeKeys();
    e.setLoop(true);
    expect(e.getState().undoLabel).toBe('Close the path (loop)');
    e.undo();
    expect(e.getState().redoLabel).toBe('Close the path (loop)');
    e.setConstantSpeed(true);
    expect(e.canRedo).toBe(false);
  });

  it('groups a transaction into one step and rolls it back when it fails', () => {
    const e = threeKeys();
    e.transaction('Nudge two keys', () => {
      e.editKeyframes(['k1'], { fovYDeg: 50 });
      e.editKeyframes(['k2'], { fovYDeg: 55 });
    });
    expect(e.getState().undoLabel).toBe('Nudge two keys');
    e.undo();
    expect(e.trajectory.keyframes.map((k) => k.fovYDeg)).toEqual([60, 60, 60]);
    const doc = e.trajectory;
    expect(() => e.transaction('Broken', () => {
      e.editKeyframes(['k1'], { fovYDeg: 50 });
      e.editKeyframes(['k2'], { fovYDeg: 500 });
    })).toThrow(/FOV/);
    expect(e.trajectory).toEqual(doc);
  });

  it('notifies subscribers with a new snapshot only when something changed', () => {
    const e = threeKeys();
    let calls = 0;
    const stop = e.subscribe(() => calls++);
    const s1 = e.getState();
    expect(e.getState()).toBe(s1);
    e.setPlayhead(0.5);
    expect(calls).toBe(1);
    expect(e.getState()).not.toBe(s1);
    expect(e.getState().playheadSec).toBe(0.5);
    stop();
    e.setPlayhead(1);
    expect(calls).toBe(1);
  });

  it('drops keys that an undo removes from the selection', () => {
    const e = threeKeys();
    e.selectAll();
    e.undo(); // removes k3
    expect(e.selection).toEqual(['k1', 'k2']);
  });
});

describe('templates in the editor', () => {
  it('starts from the current view on an empty path and adds the view as the first key', () => {
    const e = makeEditor();
    const added = e.applyTemplate({ kind: 'orbit', target: [0, 0, -3], angleDeg: 360, count: 8 }, { reference: view(0) });
    expect(added).toHaveLength(9);
    expect(times(e.trajectory)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8]);
    expect(e.trajectory.keyframes[0].position).toEqual([0, 0, -0]);
  });

  it("continues from the last key, like upstream's templates", () => {
    const e = threeKeys();
    const [id] = e.applyTemplate(UPSTREAM_TEMPLATES['Move Forward']);
    expect(e.keyframe(id).timeSec).toBe(3);
    expect(e.keyframe(id).position).toEqual([2, 0, -2.5]);
    expect(quatAngleBetween(e.keyframe(id).quaternionWXYZ, e.keyframe('k3').quaternionWXYZ)).toBe(0);
    expect(evaluateTrajectory(e.trajectory, 3).position).toEqual([2, 0, -2.5]);
  });

  it('says what to do when there is nothing to start from', () => {
    expect(() => makeEditor().applyTemplate(UPSTREAM_TEMPLATES['Move Left'])).toThrow(/add a keyframe at the current view/);
  });
});

describe('playhead', () => {
  it('evaluates the camera at the playhead', () => {
    const e = threeKeys();
    e.setPlayhead(1);
    expect(e.poseAtPlayhead()?.position).toEqual([1, 0, -1]);
    expect(makeEditor().poseAtPlayhead()).toBeNull();
  });
});
