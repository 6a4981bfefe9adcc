import { describe, expect, it } from 'vitest';
import * as THREE from 'three';
import { quatFromYawPitchRoll } from '../../../shared/trajectory';
import { placeAtPose, threeQuaternionFromWXYZ, wxyzFromThreeQuaternion } from './gizmoPose';

describe('gizmo pose conversion (wxyz ↔ three.js xyzw)', () => {
  it('puts w last for three.js and first for the studio', () => {
    const q = threeQuaternionFromWXYZ([0.5, 0.1, 0.2, 0.3]);
    expect([q.x, q.y, q.z, q.w]).toEqual([0.1, 0.2, 0.3, 0.5]);
    const back = wxyzFromThreeQuaternion(new THREE.Quaternion(0, 0, Math.SQRT1_2, Math.SQRT1_2));
    expect(back[0]).toBeCloseTo(Math.SQRT1_2, 15);
    expect(back[3]).toBeCloseTo(Math.SQRT1_2, 15);
    expect(back[1]).toBe(0);
  });

  it('round-trips a key rotation and rotates the camera the same way as the studio maths', () => {
    const wxyz = quatFromYawPitchRoll({ yawDeg: 40, pitchDeg: -15, rollDeg: 5 });
    const roundTrip = wxyzFromThreeQuaternion(threeQuaternionFromWXYZ(wxyz));
    roundTrip.forEach((v, i) => expect(v).toBeCloseTo(wxyz[i], 14));
    // Yaw 90° about +Y turns the camera's forward (-Z) to -X in the OpenGL convention.
    const yaw90 = threeQuaternionFromWXYZ(quatFromYawPitchRoll({ yawDeg: 90, pitchDeg: 0, rollDeg: 0 }));
    const forward = new THREE.Vector3(0, 0, -1).applyQuaternion(yaw90);
    expect(forward.x).toBeCloseTo(-1, 12);
    expect(forward.z).toBeCloseTo(0, 12);
  });

  it('gives a sign-canonical, unit quaternion from an unnormalised negative one', () => {
    const q = wxyzFromThreeQuaternion(new THREE.Quaternion(0, 0, 0, -2));
    expect(q[0]).toBe(1);
    expect(q.slice(1).every((v) => v === 0)).toBe(true);
  });

  it('places an object at the pose', () => {
    const o = new THREE.Object3D();
    placeAtPose(o, { position: [1, 2, 3], quaternionWXYZ: [0, 1, 0, 0] });
    expect(o.position.toArray()).toEqual([1, 2, 3]);
    expect(o.quaternion.toArray()).toEqual([1, 0, 0, 0]);
  });
});
