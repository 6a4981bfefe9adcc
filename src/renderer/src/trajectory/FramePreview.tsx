/**
 * The generation frame over the viewer: a W×H rectangle as tall as the view (the FOV is vertical,
 * so the frame's height is the view's height) with the outside dimmed. Only with look-through:
 * then the view is the path camera, so the rectangle is what that frame of the generation sees.
 */
import { useStudio } from '../state/store';

export function FramePreview() {
  const on = useStudio((s) => s.framePreview && s.lookThrough);
  const width = useStudio((s) => s.draft.width);
  const height = useStudio((s) => s.draft.height);
  if (!on || !(width > 0 && height > 0)) return null;
  return <div className="frame-preview" data-testid="frame-preview" style={{ aspectRatio: `${width} / ${height}` }} title={`Generation frame ${width}×${height}`} />;
}

/** The view camera's pose (full precision in data-pose, for tools and tests; rounded in the text). */
export function ViewPoseReadout() {
  const pose = useStudio((s) => s.viewPose);
  if (!pose) return null;
  return (
    <span className="view-pose" data-testid="view-pose" data-pose={JSON.stringify(pose)}>
      fov {pose.fovYDeg.toFixed(1)}°
    </span>
  );
}
