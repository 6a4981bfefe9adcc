/**
 * Undoable edits of a trajectory document, as command objects (SuperSplat's EditOp pattern):
 * `do` and `undo` each take a document and return the next one, never mutating their input, so a
 * command can be replayed, tested on its own, and kept in one undo stack. Each command carries
 * the data it needs both ways (the removed keys, the values before and after).
 */
import { StudioError } from '../../errors';
import { assertValidKeyframes, byTime, cloneKeyframe, type Trajectory, type TrajectoryKeyframe } from '../document';

export interface TrajectoryCommand {
  /** what the user did, for Edit ▸ Undo "…" */
  readonly label: string;
  do(doc: Trajectory): Trajectory;
  undo(doc: Trajectory): Trajectory;
}

/** Document fields other than the keyframes. */
export type TrajectorySettings = Pick<Trajectory, 'interpolation' | 'loop' | 'constantSpeed' | 'durationSec' | 'imageWidthPx' | 'imageHeightPx'>;

function withKeyframes(doc: Trajectory, keyframes: TrajectoryKeyframe[]): Trajectory {
  const sorted = keyframes.sort(byTime);
  assertValidKeyframes(sorted);
  return { ...doc, keyframes: sorted };
}

function missing(id: string): StudioError {
  return new StudioError('NOT_FOUND', `There is no keyframe "${id}" in the trajectory; it may have been deleted. Select a keyframe and try again.`);
}

/** Adds keyframes (each with its own id and time). */
export function insertKeyframesCommand(label: string, keys: readonly TrajectoryKeyframe[]): TrajectoryCommand {
  const added = keys.map(cloneKeyframe);
  const ids = new Set(added.map((k) => k.id));
  return {
    label,
    do: (doc) => {
      for (const k of doc.keyframes) if (ids.has(k.id)) throw new StudioError('INVALID_REQUEST', `A keyframe with id "${k.id}" already exists.`);
      return withKeyframes(doc, [...doc.keyframes, ...added.map(cloneKeyframe)]);
    },
    undo: (doc) => ({ ...doc, keyframes: doc.keyframes.filter((k) => !ids.has(k.id)) }),
  };
}

/** Removes keyframes; they come back unchanged on undo. */
export function removeKeyframesCommand(label: string, doc: Trajectory, ids: readonly string[]): TrajectoryCommand {
  const removed = ids.map((id) => {
    const k = doc.keyframes.find((x) => x.id === id);
    if (!k) throw missing(id);
    return cloneKeyframe(k);
  });
  const idSet = new Set(ids);
  return {
    label,
    do: (d) => ({ ...d, keyframes: d.keyframes.filter((k) => !idSet.has(k.id)) }),
    undo: (d) => withKeyframes(d, [...d.keyframes, ...removed.map(cloneKeyframe)]),
  };
}

/** Replaces keyframes by id (pose, FOV, time). `before` and `after` hold the same ids. */
export function replaceKeyframesCommand(label: string, before: readonly TrajectoryKeyframe[], after: readonly TrajectoryKeyframe[]): TrajectoryCommand {
  const b = before.map(cloneKeyframe), a = after.map(cloneKeyframe);
  const swap = (doc: Trajectory, next: TrajectoryKeyframe[]): Trajectory => {
    const byId = new Map(next.map((k) => [k.id, k]));
    for (const id of byId.keys()) if (!doc.keyframes.some((k) => k.id === id)) throw missing(id);
    return withKeyframes(doc, doc.keyframes.map((k) => (byId.has(k.id) ? cloneKeyframe(byId.get(k.id) as TrajectoryKeyframe) : k)));
  };
  return { label, do: (doc) => swap(doc, a), undo: (doc) => swap(doc, b) };
}

/** Changes document settings (interpolation, loop, constant speed, duration, image size). */
export function changeSettingsCommand(label: string, before: Partial<TrajectorySettings>, after: Partial<TrajectorySettings>): TrajectoryCommand {
  const copy = (s: Partial<TrajectorySettings>): Partial<TrajectorySettings> => (s.interpolation ? { ...s, interpolation: { ...s.interpolation } } : { ...s });
  const b = copy(before), a = copy(after);
  return { label, do: (doc) => ({ ...doc, ...copy(a) }), undo: (doc) => ({ ...doc, ...copy(b) }) };
}

/** Swaps the whole document (import, "new path"), undoably. */
export function replaceDocumentCommand(label: string, before: Trajectory, after: Trajectory): TrajectoryCommand {
  return { label, do: () => after, undo: () => before };
}

/** Several commands as one undo step; undone in reverse order. */
export function batchCommand(label: string, commands: readonly TrajectoryCommand[]): TrajectoryCommand {
  const list = [...commands];
  return {
    label,
    do: (doc) => list.reduce((d, c) => c.do(d), doc),
    undo: (doc) => list.reduceRight((d, c) => c.undo(d), doc),
  };
}
