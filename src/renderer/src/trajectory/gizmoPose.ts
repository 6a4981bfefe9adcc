/**
 * Between a key's pose (quaternion [w, x, y, z]) and three.js's Quaternion (x, y, z, w): the
 * gizmo edits a three.js object, and the editor stores the studio's order. Both are the OpenGL
 * camera-to-world convention (-Z forward, +Y up), so only the component order differs.
 */
import * as THREE from 'three';
import { quatCanonical, type QuatWXYZ, type Vec3 } from '../../../shared/trajectory';

export function threeQuaternionFromWXYZ([w, x, y, z]: QuatWXYZ): THREE.Quaternion {
  return new THREE.Quaternion(x, y, z, w);
}

/** Normalised and sign-canonical, like every stored key quaternion. */
export function wxyzFromThreeQuaternion(q: THREE.Quaternion): QuatWXYZ {
  return quatCanonical([q.w, q.x, q.y, q.z]);
}

/** Puts an object at a key's position and rotation. */
export function placeAtPose(object: THREE.Object3D, pose: { position: Vec3; quaternionWXYZ: QuatWXYZ }): void {
  object.position.set(...pose.position);
  object.quaternion.copy(threeQuaternionFromWXYZ(pose.quaternionWXYZ));
  object.updateMatrixWorld();
}
