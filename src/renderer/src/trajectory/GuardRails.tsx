/** checkTrajectory's warnings for the path as it would be generated (n_frame, W×H); they never block Generate. */
import { useMemo } from 'react';
import { checkTrajectory } from '../../../shared/trajectory';
import { useStudio } from '../state/store';
import { generationTrajectory } from './trajectorySlice';

export function GuardRails() {
  const doc = useStudio((s) => s.trajectory.trajectory);
  const frames = useStudio((s) => s.draft.frames);
  const width = useStudio((s) => s.draft.width);
  const height = useStudio((s) => s.draft.height);
  const warnings = useMemo(() => {
    if (doc.keyframes.length === 0 || !(Number.isInteger(frames) && frames >= 1)) return [];
    try {
      return checkTrajectory(generationTrajectory(doc, { width, height }), frames);
    } catch (error) {
      return [{ code: 'INVALID', message: (error as Error).message, frames: [] }];
    }
  }, [doc, frames, width, height]);
  if (warnings.length === 0) return null;
  return (
    <ul className="guard-rails" data-testid="guard-rails">
      {warnings.map((w, i) => (
        <li key={i} data-testid="guard-rail" data-code={w.code}>⚠ {w.message}</li>
      ))}
    </ul>
  );
}
