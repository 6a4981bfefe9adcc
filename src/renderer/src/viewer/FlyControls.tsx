/**
 * Fly navigation (Spark's controls: WASD to move, Q/E to roll, mouse drag to look) and the
 * reset view: back to the first trajectory camera (the frame the splats were generated from).
 */
import { useEffect, useMemo, useRef } from 'react';
import { useFrame, useThree } from '@react-three/fiber';
import { SparkControls } from '@sparkjsdev/spark';
import * as THREE from 'three';
import { useStudio } from '../state/store';

export function FlyControls() {
  const gl = useThree((s) => s.gl);
  const camera = useThree((s) => s.camera) as THREE.PerspectiveCamera;
  const controls = useMemo(() => new SparkControls({ canvas: gl.domElement }), [gl]);
  const resetToken = useStudio((s) => s.resetViewToken);
  // The first camera by value: an authored path re-samples the cameras on every edit, and the view
  // must not jump back while the user flies and records keys; imported cameras still reset it.
  const firstCameraKey = useStudio((s) => (s.trajectory.trajectory.keyframes.length >= 2 ? 'path' : JSON.stringify(s.draft.cameras[0] ?? null)));
  const height = useStudio((s) => s.draft.height);
  const source = useStudio((s) => s.viewerSource);
  const frames = useRef(0);
  const since = useRef(performance.now());
  const setStats = useStudio((s) => s.setViewerStats);

  const lastReset = useRef({ resetToken, source, firstCameraKey });
  useEffect(() => {
    const previous = lastReset.current;
    lastReset.current = { resetToken, source, firstCameraKey };
    const explicit = previous.resetToken !== resetToken || previous.source !== source;
    if (!explicit && previous.firstCameraKey !== firstCameraKey && (firstCameraKey === 'path' || previous.firstCameraKey === 'path')) return;
    const firstCamera = useStudio.getState().draft.cameras[0] ?? null;
    if (firstCamera) {
      const [w, x, y, z] = firstCamera.quaternion;
      camera.position.set(...firstCamera.position);
      camera.quaternion.set(x, y, z, w).normalize();
      camera.fov = THREE.MathUtils.radToDeg(2 * Math.atan(height / 2 / firstCamera.fy));
    } else {
      camera.position.set(0, 0, 0);
      camera.quaternion.identity();
      camera.fov = 60;
    }
    camera.near = 0.01;
    camera.far = 1000;
    camera.updateProjectionMatrix();
    // A new result or file also starts from the reference camera.
  }, [resetToken, firstCameraKey, height, camera, source]);

  useFrame(() => {
    // Spark listens for keys on the whole document: typing "w" in the prompt must not fly the camera.
    const focused = document.activeElement;
    const typing = Boolean(focused && /^(INPUT|TEXTAREA|SELECT)$/.test(focused.tagName));
    // While the key gizmo is dragged the same mouse drag must not also turn the view.
    const dragging = useStudio.getState().gizmoDragging;
    (controls.fpsMovement as unknown as { enable: boolean }).enable = !typing && !dragging;
    controls.pointerControls.enable = !dragging;
    controls.update(camera);
    frames.current++;
    const now = performance.now();
    if (now - since.current >= 500) {
      setStats({ fps: Math.round((frames.current * 1000) / (now - since.current)), cameraPosition: camera.position.toArray() });
      frames.current = 0;
      since.current = now;
    }
  });
  return null;
}
