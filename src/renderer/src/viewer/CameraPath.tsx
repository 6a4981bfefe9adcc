/** The trajectory's cameras as small frusta (first one highlighted), so users see what they will generate. */
import { useMemo } from 'react';
import * as THREE from 'three';
import { useStudio } from '../state/store';

const FRUSTUM_DEPTH = 0.08;

export function CameraPath() {
  const cameras = useStudio((s) => s.draft.cameras);
  const width = useStudio((s) => s.draft.width);
  const height = useStudio((s) => s.draft.height);
  const geometry = useMemo(() => {
    const points: number[] = [];
    const colors: number[] = [];
    cameras.forEach((c, i) => {
      const [w, x, y, z] = c.quaternion;
      const m = new THREE.Matrix4().compose(new THREE.Vector3(...c.position), new THREE.Quaternion(x, y, z, w).normalize(), new THREE.Vector3(1, 1, 1));
      // Image-plane corners at depth d (OpenGL: -Z forward, +Y up).
      const d = FRUSTUM_DEPTH;
      const hx = (width / 2 / c.fx) * d, hy = (height / 2 / c.fy) * d;
      const o = new THREE.Vector3(0, 0, 0).applyMatrix4(m);
      const corners = [[-hx, hy], [hx, hy], [hx, -hy], [-hx, -hy]].map(([a, b]) => new THREE.Vector3(a, b, -d).applyMatrix4(m));
      const segs: THREE.Vector3[][] = [...corners.map((k) => [o, k]), ...corners.map((k, j) => [k, corners[(j + 1) % 4]])];
      const color = i === 0 ? [1, 0.75, 0.2] : [0.35, 0.7, 1];
      for (const [a, b] of segs) {
        points.push(a.x, a.y, a.z, b.x, b.y, b.z);
        colors.push(...color, ...color);
      }
    });
    const g = new THREE.BufferGeometry();
    g.setAttribute('position', new THREE.Float32BufferAttribute(points, 3));
    g.setAttribute('color', new THREE.Float32BufferAttribute(colors, 3));
    return g;
  }, [cameras, width, height]);
  if (cameras.length === 0) return null;
  return (
    <lineSegments geometry={geometry}>
      <lineBasicMaterial vertexColors />
    </lineSegments>
  );
}
