/**
 * Numeric edit of the selected keys: position, yaw-pitch-roll, vertical FOV (per key), and time
 * (one key). With several keys selected a field shows their common value or "mixed", and a commit
 * sets that one value on all of them, as one undo step.
 */
import { yawPitchRollFromQuat, type KeyframeEdit, type TrajectoryKeyframe } from '../../../shared/trajectory';
import { useStudio } from '../state/store';
import { editSelectedKeys } from './trajectoryActions';
import { NumberField } from './NumberField';

function common(keys: TrajectoryKeyframe[], read: (k: TrajectoryKeyframe) => number): number | null {
  const values = keys.map(read);
  return values.every((v) => Math.abs(v - values[0]) < 1e-9) ? values[0] : null;
}

export function KeyframeInspector() {
  const keys = useStudio((s) => s.trajectory.trajectory.keyframes);
  const selection = useStudio((s) => s.trajectory.selection);
  const selected = keys.filter((k) => selection.includes(k.id));
  if (selected.length === 0) return <p className="hint">Select a keyframe to edit it.</p>;
  const ypr = (k: TrajectoryKeyframe) => yawPitchRollFromQuat(k.quaternionWXYZ);
  const field = (label: string, testId: string, read: (k: TrajectoryKeyframe) => number, toEdit: (v: number) => KeyframeEdit, step = 0.1, digits = 3) => (
    <NumberField label={label} testId={testId} value={common(selected, read)} step={step} digits={digits} onCommit={(v) => editSelectedKeys(toEdit(v))} />
  );
  return (
    <div className="keyframe-inspector" data-testid="keyframe-inspector">
      <h3>{selected.length === 1 ? `Keyframe ${keys.indexOf(selected[0]) + 1}` : `${selected.length} keyframes`}</h3>
      <div className="row">
        {field('X', 'key-x', (k) => k.position[0], (x) => ({ position: { x } }))}
        {field('Y', 'key-y', (k) => k.position[1], (y) => ({ position: { y } }))}
        {field('Z', 'key-z', (k) => k.position[2], (z) => ({ position: { z } }))}
      </div>
      <div className="row">
        {field('Yaw°', 'key-yaw', (k) => ypr(k).yawDeg, (yawDeg) => ({ yawPitchRollDeg: { yawDeg } }), 1, 2)}
        {field('Pitch°', 'key-pitch', (k) => ypr(k).pitchDeg, (pitchDeg) => ({ yawPitchRollDeg: { pitchDeg } }), 1, 2)}
        {field('Roll°', 'key-roll', (k) => ypr(k).rollDeg, (rollDeg) => ({ yawPitchRollDeg: { rollDeg } }), 1, 2)}
      </div>
      <div className="row">
        {field('FOV°', 'key-fov', (k) => k.fovYDeg, (fovYDeg) => ({ fovYDeg }), 1, 2)}
        {selected.length === 1 && field('Time s', 'key-time', (k) => k.timeSec, (timeSec) => ({ timeSec }), 0.1, 3)}
      </div>
    </div>
  );
}
