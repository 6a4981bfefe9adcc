/** The 3D view: R3F canvas with Spark, fly controls, the trajectory, and an overlay of stats. */
import { Canvas } from '@react-three/fiber';
import { useStudio } from '../state/store';
import { SparkSetup, SplatLayer } from './SplatLayer';
import { FlyControls } from './FlyControls';
import { CameraPath } from './CameraPath';
import { LookThrough } from '../trajectory/LookThrough';
import { PathOverlay } from '../trajectory/PathOverlay';
import { KeyGizmo } from '../trajectory/KeyGizmo';
import { FramePreview, ViewPoseReadout } from '../trajectory/FramePreview';

export function Viewer() {
  const splatCount = useStudio((s) => s.splatCount);
  const fps = useStudio((s) => s.fps);
  const cameraPosition = useStudio((s) => s.cameraPosition);
  const status = useStudio((s) => s.viewerStatus);
  const error = useStudio((s) => s.viewerError);
  const source = useStudio((s) => s.viewerSource);
  const cameraCount = useStudio((s) => s.draft.cameras.length);
  const resetView = useStudio((s) => s.resetView);
  return (
    <div className="viewer" data-testid="viewer">
      <Canvas
        data-testid="viewer-canvas"
        // Screenshots and thumbnails read the canvas back after the frame.
        gl={{ preserveDrawingBuffer: true, antialias: false }}
        camera={{ fov: 60, near: 0.01, far: 1000, position: [0, 0, 0] }}
        onCreated={({ gl }) => gl.setClearColor('#1b1d22')}
      >
        <SparkSetup />
        <FlyControls />
        {/* after FlyControls: look-through sets the camera last in each frame */}
        <LookThrough />
        <CameraPath />
        <PathOverlay />
        <KeyGizmo />
        <SplatLayer />
      </Canvas>
      <div className="viewer-overlay">
        <span data-testid="viewer-source">{source.kind === 'job' ? 'Result' : source.kind === 'file' ? source.name : 'No splats loaded'}</span>
        <span data-testid="splat-count">{splatCount === null ? '–' : `${splatCount.toLocaleString('en-US')} splats`}</span>
        <span data-testid="camera-count">{cameraCount} cameras</span>
        <span data-testid="fps">{fps === null ? '' : `${fps} fps`}</span>
        <span data-testid="camera-position" title="View camera position (world units)">
          {cameraPosition ? cameraPosition.map((v) => v.toFixed(2)).join(', ') : ''}
        </span>
        <ViewPoseReadout />
        {status === 'loading' && <span>Loading…</span>}
        <button onClick={resetView} title="Back to the first trajectory camera (Ctrl+R)">Reset view</button>
      </div>
      <FramePreview />
      {error && <div className="viewer-error">{error}</div>}
      <div className="viewer-help">WASD move · Q/E roll · drag to look · R+Ctrl reset · Space add key · G/R move/rotate key · ? shortcuts</div>
    </div>
  );
}
