/**
 * Pure keyframe edits the editor turns into commands: numeric edits (position, yaw-pitch-roll,
 * quaternion, FOV, time) applied to one key or to each of several, and reordering.
 */
import { cloneKeyframe, type TrajectoryKeyframe } from '../document';
import { quatCanonical, quatFromYawPitchRoll, yawPitchRollFromQuat, type QuatWXYZ, type YawPitchRollDeg } from '../rotation';

/** A numeric edit of one or several keyframes; absent fields keep each key's own value. */
export interface KeyframeEdit {
  position?: Partial<{ x: number; y: number; z: number }>;
  /** replaces the named angles only, each key keeping its other angles */
  yawPitchRollDeg?: Partial<YawPitchRollDeg>;
  quaternionWXYZ?: QuatWXYZ;
  fovYDeg?: number;
  /** one key only: where it sits on the timeline */
  timeSec?: number;
}

export function applyKeyframeEdit(k: TrajectoryKeyframe, edit: KeyframeEdit): TrajectoryKeyframe {
  const out = cloneKeyframe(k);
  if (edit.position) {
    const { x, y, z } = edit.position;
    out.position = [x ?? k.position[0], y ?? k.position[1], z ?? k.position[2]];
  }
  if (edit.quaternionWXYZ) out.quaternionWXYZ = quatCanonical(edit.quaternionWXYZ);
  if (edit.yawPitchRollDeg) out.quaternionWXYZ = quatFromYawPitchRoll({ ...yawPitchRollFromQuat(out.quaternionWXYZ), ...edit.yawPitchRollDeg });
  if (edit.fovYDeg !== undefined) out.fovYDeg = edit.fovYDeg;
  if (edit.timeSec !== undefined) out.timeSec = edit.timeSec;
  return out;
}

export function describeKeyframeEdit(edit: KeyframeEdit, count: number): string {
  const rotates = edit.yawPitchRollDeg !== undefined || edit.quaternionWXYZ !== undefined;
  const parts = [
    edit.position ? 'position' : '',
    rotates ? 'rotation' : '',
    edit.fovYDeg !== undefined ? 'FOV' : '',
    edit.timeSec !== undefined ? 'time' : '',
  ].filter(Boolean);
  return `Edit ${parts.join(' and ') || 'nothing'} of ${count === 1 ? 'keyframe' : `${count} keyframes`}`;
}

/**
 * Moves key `id` to place `index` in the order. Timeline slots stay put and the poses move between
 * them, so every key between the old and new place takes its neighbour's time. Returns the keys
 * that change, before and after.
 */
export function reorderKeyframes(keys: readonly TrajectoryKeyframe[], id: string, index: number): { before: TrajectoryKeyframe[]; after: TrajectoryKeyframe[] } {
  const from = keys.findIndex((k) => k.id === id);
  const to = Math.max(0, Math.min(keys.length - 1, Math.trunc(index)));
  if (from < 0 || from === to) return { before: [], after: [] };
  const order = [...keys];
  const [moved] = order.splice(from, 1);
  order.splice(to, 0, moved);
  const after = order.map((k, i) => ({ ...cloneKeyframe(k), timeSec: keys[i].timeSec })).filter((k, i) => k.id !== keys[i].id);
  const before = after.map((a) => cloneKeyframe(keys.find((k) => k.id === a.id) as TrajectoryKeyframe));
  return { before, after };
}
