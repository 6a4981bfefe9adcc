/** How the path runs between keys: position and rotation interpolation, KB tension, loop, constant speed, duration. */
import { POSITION_INTERPOLATIONS, ROTATION_INTERPOLATIONS, type PositionInterpolation, type RotationInterpolation } from '../../../shared/trajectory';
import { useStudio } from '../state/store';
import { setConstantSpeed, setDurationSec, setInterpolation, setLoop } from './trajectoryActions';
import { NumberField } from './NumberField';

const POSITION_LABELS: Record<PositionInterpolation, string> = { linear: 'Linear', catmullRom: 'Catmull-Rom', kochanekBartels: 'Kochanek–Bartels' };
const ROTATION_LABELS: Record<RotationInterpolation, string> = { slerp: 'Slerp', squad: 'Squad (smooth)' };

export function PathSettings() {
  const interpolation = useStudio((s) => s.trajectory.trajectory.interpolation);
  const loop = useStudio((s) => s.trajectory.trajectory.loop);
  const constantSpeed = useStudio((s) => s.trajectory.trajectory.constantSpeed);
  const durationSec = useStudio((s) => s.trajectory.trajectory.durationSec);
  const kb = interpolation.position === 'kochanekBartels';
  return (
    <div className="path-settings" data-testid="path-settings">
      <h3>Path</h3>
      <div className="row">
        <label>Position
          <select data-testid="interp-position" value={interpolation.position} onChange={(e) => setInterpolation({ position: e.target.value as PositionInterpolation })}>
            {POSITION_INTERPOLATIONS.map((p) => <option key={p} value={p}>{POSITION_LABELS[p]}</option>)}
          </select>
        </label>
        <label>Rotation
          <select data-testid="interp-rotation" value={interpolation.rotation} onChange={(e) => setInterpolation({ rotation: e.target.value as RotationInterpolation })}>
            {ROTATION_INTERPOLATIONS.map((r) => <option key={r} value={r}>{ROTATION_LABELS[r]}</option>)}
          </select>
        </label>
      </div>
      {kb && (
        <div className="row">
          <NumberField label="Tension" testId="kb-tension" value={interpolation.tension} step={0.1} onCommit={(tension) => setInterpolation({ tension })} />
          <NumberField label="Continuity" testId="kb-continuity" value={interpolation.continuity} step={0.1} onCommit={(continuity) => setInterpolation({ continuity })} />
          <NumberField label="Bias" testId="kb-bias" value={interpolation.bias} step={0.1} onCommit={(bias) => setInterpolation({ bias })} />
        </div>
      )}
      <div className="row">
        <label className="check"><input type="checkbox" data-testid="path-loop" checked={loop} onChange={(e) => setLoop(e.target.checked)} />Loop</label>
        <label className="check" title="Move at constant speed along the path instead of key to key by time">
          <input type="checkbox" data-testid="path-constant-speed" checked={constantSpeed} onChange={(e) => setConstantSpeed(e.target.checked)} />Constant speed
        </label>
        <NumberField label="Duration s" testId="path-duration" value={durationSec} step={0.5} onCommit={setDurationSec} />
      </div>
    </div>
  );
}
