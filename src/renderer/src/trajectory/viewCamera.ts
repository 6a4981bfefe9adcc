/**
 * The viewer's camera as a pose, for code outside the R3F canvas (Space records the current view,
 * templates start from it). The canvas registers its camera here; nothing else holds a reference.
 */
import type * as THREE from 'three';
import type { CameraPose } from '../../../shared/trajectory';
import { quatCanonical } from '../../../shared/trajectory';

let viewCamera: THREE.PerspectiveCamera | null = null;

export function registerViewCamera(camera: THREE.PerspectiveCamera | null): void {
  viewCamera = camera;
}

/** The current view (null before the viewer has mounted). */
export function getViewPose(): CameraPose | null {
  if (!viewCamera) return null;
  const p = viewCamera.position, q = viewCamera.quaternion;
  return { position: [p.x, p.y, p.z], quaternionWXYZ: quatCanonical([q.w, q.x, q.y, q.z]), fovYDeg: viewCamera.fov };
}

/** Puts the viewer camera at a pose (look through the path). */
export function setViewPose(pose: CameraPose): void {
  if (!viewCamera) return;
  const [w, x, y, z] = pose.quaternionWXYZ;
  viewCamera.position.set(...pose.position);
  viewCamera.quaternion.set(x, y, z, w).normalize();
  if (viewCamera.fov !== pose.fovYDeg) {
    viewCamera.fov = pose.fovYDeg;
    viewCamera.updateProjectionMatrix();
  }
  viewCamera.updateMatrixWorld();
}
