/**
 * The authored path in the viewer: keyframes as larger frusta (selected ones highlighted) and the
 * spline as a line. The generation cameras (the path sampled at n_frame points) are the small
 * frusta CameraPath draws from the prompt's cameras.
 */
import { useMemo } from 'react';
import * as THREE from 'three';
import { samplePoses, type CameraPose } from '../../../shared/trajectory';
import { useStudio } from '../state/store';

const KEY_FRUSTUM_DEPTH = 0.2;
const SPLINE_SAMPLES_PER_KEY = 24;
const KEY_COLOR = [0.95, 0.95, 0.95];
const SELECTED_COLOR = [1, 0.75, 0.25];
const PLAYHEAD_COLOR = [1, 0.35, 0.35];

function frustumSegments(pose: CameraPose, aspect: number, depth: number, color: number[], points: number[], colors: number[]): void {
  const [w, x, y, z] = pose.quaternionWXYZ;
  const m = new THREE.Matrix4().compose(new THREE.Vector3(...pose.position), new THREE.Quaternion(x, y, z, w).normalize(), new THREE.Vector3(1, 1, 1));
  const hy = Math.tan(THREE.MathUtils.degToRad(pose.fovYDeg) / 2) * depth, hx = hy * aspect;
  const o = new THREE.Vector3().applyMatrix4(m);
  const c = [[-hx, hy], [hx, hy], [hx, -hy], [-hx, -hy]].map(([a, b]) => new THREE.Vector3(a, b, -depth).applyMatrix4(m));
  // An "up" tick on the top edge tells the camera's roll apart at a glance.
  const up = new THREE.Vector3(0, hy * 1.5, -depth).applyMatrix4(m);
  const segs = [...c.map((k) => [o, k]), ...c.map((k, j) => [k, c[(j + 1) % 4]]), [c[0], up], [up, c[1]]];
  for (const [a, b] of segs) {
    points.push(a.x, a.y, a.z, b.x, b.y, b.z);
    colors.push(...color, ...color);
  }
}

export function PathOverlay() {
  const doc = useStudio((s) => s.trajectory.trajectory);
  const selection = useStudio((s) => s.trajectory.selection);
  const playheadSec = useStudio((s) => s.trajectory.playheadSec);
  const lookThrough = useStudio((s) => s.lookThrough);
  const width = useStudio((s) => s.draft.width);
  const height = useStudio((s) => s.draft.height);
  const aspect = width > 0 && height > 0 ? width / height : doc.imageWidthPx / doc.imageHeightPx;

  const frusta = useMemo(() => {
    const points: number[] = [], colors: number[] = [];
    for (const k of doc.keyframes) frustumSegments(k, aspect, KEY_FRUSTUM_DEPTH, selection.includes(k.id) ? SELECTED_COLOR : KEY_COLOR, points, colors);
    const g = new THREE.BufferGeometry();
    g.setAttribute('position', new THREE.Float32BufferAttribute(points, 3));
    g.setAttribute('color', new THREE.Float32BufferAttribute(colors, 3));
    return g;
  }, [doc.keyframes, selection, aspect]);

  const spline = useMemo(() => {
    if (doc.keyframes.length < 2) return null;
    const poses = samplePoses(doc, Math.max(2, doc.keyframes.length * SPLINE_SAMPLES_PER_KEY));
    const pts = poses.map((p) => new THREE.Vector3(...p.position));
    if (doc.loop) pts.push(pts[0].clone());
    return new THREE.BufferGeometry().setFromPoints(pts);
  }, [doc]);

  const playhead = useMemo(() => {
    if (lookThrough || doc.keyframes.length === 0) return null;
    const points: number[] = [], colors: number[] = [];
    const pose = useStudio.getState().trajectoryEditor.poseAtPlayhead();
    if (pose) frustumSegments(pose, aspect, KEY_FRUSTUM_DEPTH * 0.75, PLAYHEAD_COLOR, points, colors);
    const g = new THREE.BufferGeometry();
    g.setAttribute('position', new THREE.Float32BufferAttribute(points, 3));
    g.setAttribute('color', new THREE.Float32BufferAttribute(colors, 3));
    return g;
    // playheadSec and doc decide the pose the editor returns
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [doc, playheadSec, lookThrough, aspect]);

  if (doc.keyframes.length === 0) return null;
  return (
    <group>
      <lineSegments geometry={frusta}><lineBasicMaterial vertexColors /></lineSegments>
      {spline && (
        <line>
          <primitive object={spline} attach="geometry" />
          <lineBasicMaterial color="#7fd0ff" />
        </line>
      )}
      {playhead && <lineSegments geometry={playhead}><lineBasicMaterial vertexColors /></lineSegments>}
    </group>
  );
}
