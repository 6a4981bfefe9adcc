import { describe, expect, it } from 'vitest';
import { StudioError } from '../errors';
import type { CameraPose } from './document';
import {
  cameraForward, cameraRight, degToRad, quatAngleBetween, quatFromAxisAngle, quatFromYawPitchRoll, rotateVector, yawPitchRollFromQuat, type QuatWXYZ,
} from './rotation';
import { UPSTREAM_TEMPLATES, templatePoses, describeTemplate } from './templates';
import { add3, cross3, distance3, dot3, length3, normalize3, sub3, type Vec3 } from './vector';

const level = (yawDeg: number, position: Vec3 = [0.3, 1.2, -0.4], fovYDeg = 60): CameraPose => ({
  position, quaternionWXYZ: quatFromYawPitchRoll({ yawDeg, pitchDeg: 0, rollDeg: 0 }), fovYDeg,
});
const close3 = (a: readonly number[], b: readonly number[], digits = 12): void => a.forEach((v, i) => expect(v).toBeCloseTo(b[i], digits));
/** Angle between the camera's view direction and the direction to `target`. */
const aimError = (p: CameraPose, target: Vec3): number => Math.acos(Math.min(1, dot3(cameraForward(p.quaternionWXYZ), normalize3(sub3(target, p.position)))));

/** three.js Quaternion.setFromUnitVectors(from, to): the shortest rotation between two unit vectors. */
function fromUnitVectors(from: Vec3, to: Vec3): QuatWXYZ {
  const axis = cross3(from, to);
  const w = 1 + dot3(from, to);
  const n = Math.hypot(w, ...axis);
  return [w / n, axis[0] / n, axis[1] / n, axis[2] / n];
}

describe("upstream's templates", () => {
  it('Move Forward/Backward/Left/Right step 0.5 along the world axes and keep the rotation', () => {
    const ref = level(40);
    const expected: Record<string, Vec3> = {
      'Move Forward': [0, 0, -0.5], 'Move Backward': [0, 0, 0.5], 'Move Left': [-0.5, 0, 0], 'Move Right': [0.5, 0, 0],
    };
    for (const [name, delta] of Object.entries(expected)) {
      const out = templatePoses(UPSTREAM_TEMPLATES[name], ref);
      expect(out).toHaveLength(1);
      close3(out[0].position, add3(ref.position, delta));
      expect(out[0].quaternionWXYZ).toEqual(ref.quaternionWXYZ);
      expect(out[0].fovYDeg).toBe(60);
    }
  });

  it("Orbit Left/Right 15° match upstream's formula: target 1 ahead, ±15° about the camera's up, looking at it", () => {
    const ref = level(40);
    for (const [name, sign] of [['Orbit Left 15°', -1], ['Orbit Right 15°', 1]] as const) {
      const angle = degToRad(15 * sign);
      // upstream: target = p + q·(0,0,-1); p' = target + q·(sin a, 0, cos a); q' = setFromUnitVectors(-Z, dir)
      const target = add3(ref.position, rotateVector(ref.quaternionWXYZ, [0, 0, -1]));
      const position = add3(target, rotateVector(ref.quaternionWXYZ, [Math.sin(angle), 0, Math.cos(angle)]));
      const q = fromUnitVectors([0, 0, -1], normalize3(sub3(target, position)));
      const [out] = templatePoses(UPSTREAM_TEMPLATES[name], ref);
      close3(out.position, position);
      expect(quatAngleBetween(out.quaternionWXYZ, q)).toBeLessThan(1e-9);
    }
    // left really moves the camera to its left
    const [left] = templatePoses(UPSTREAM_TEMPLATES['Orbit Left 15°'], ref);
    expect(dot3(sub3(left.position, ref.position), cameraRight(ref.quaternionWXYZ))).toBeLessThan(0);
  });
});

describe('orbit around a picked target', () => {
  it('keeps the distance to the target and looks at it through a full 360°', () => {
    const ref = level(10, [2, 0.5, 3]);
    const target: Vec3 = [-0.5, 0.2, 0.4]; // not straight ahead of the reference
    const out = templatePoses({ kind: 'orbit', target, angleDeg: 360, count: 12 }, ref);
    expect(out).toHaveLength(12);
    const r0 = distance3(ref.position, target);
    for (const p of out) {
      expect(distance3(p.position, target)).toBeCloseTo(r0, 12);
      expect(aimError(p, target)).toBeLessThan(1e-7);
      expect(p.position[1]).toBeCloseTo(ref.position[1], 12); // world-up axis: height kept
      expect(Math.abs(rotateVector(p.quaternionWXYZ, [1, 0, 0])[1])).toBeLessThan(1e-12); // level horizon
    }
    close3(out[11].position, ref.position);
    for (let i = 1; i < 12; i++) {
      const a = sub3(out[i - 1].position, target), b = sub3(out[i].position, target);
      const flat = (v: Vec3): Vec3 => [v[0], 0, v[2]];
      expect(Math.acos(dot3(normalize3(flat(a)), normalize3(flat(b))))).toBeCloseTo(degToRad(30), 10);
    }
  });

  it('defaults to one key per 45° of turn', () => {
    expect(templatePoses({ kind: 'orbit', angleDeg: 360, target: [0, 0, 0] }, level(0, [0, 0, 2]))).toHaveLength(8);
    expect(templatePoses({ kind: 'orbit', angleDeg: -15 }, level(0))).toHaveLength(1);
  });

  it('refuses a target at the camera and a zero count, with clear messages', () => {
    expect(() => templatePoses({ kind: 'orbit', target: [0.3, 1.2, -0.4] }, level(0))).toThrow(/at the orbit target/);
    expect(() => templatePoses({ kind: 'orbit', count: 0 }, level(0))).toThrow(StudioError);
  });
});

describe('other templates', () => {
  it('pan turns in place about world up; positive pans left', () => {
    const ref = level(0);
    const out = templatePoses({ kind: 'pan', angleDeg: 90, count: 2 }, ref);
    expect(out.map((p) => p.position)).toEqual([ref.position, ref.position]);
    close3(cameraForward(out[1].quaternionWXYZ), [-1, 0, 0]);
    expect(yawPitchRollFromQuat(out[0].quaternionWXYZ).yawDeg).toBeCloseTo(45, 10);
  });

  it('tilt turns about the camera right axis; positive looks up', () => {
    const out = templatePoses({ kind: 'tilt', angleDeg: 20 }, level(70));
    const ypr = yawPitchRollFromQuat(out[0].quaternionWXYZ);
    expect(ypr.pitchDeg).toBeCloseTo(20, 10);
    expect(ypr.yawDeg).toBeCloseTo(70, 10);
  });

  it('crane rises along world up without turning', () => {
    const ref = level(30);
    const out = templatePoses({ kind: 'crane', distance: -0.8, count: 4 }, ref);
    close3(out[3].position, add3(ref.position, [0, -0.8, 0]));
    close3(out[0].position, add3(ref.position, [0, -0.2, 0]));
    for (const p of out) expect(p.quaternionWXYZ).toEqual(ref.quaternionWXYZ);
  });

  it('dolly zoom keeps the subject the same size: tan(fov/2)·distance is constant', () => {
    const ref = level(-30, [0, 0, 0], 50);
    const target = add3(ref.position, rotateVector(ref.quaternionWXYZ, [0, 0, -4]));
    const out = templatePoses({ kind: 'dollyZoom', distance: 2.5, target, count: 5 }, ref);
    const size = (p: CameraPose): number => Math.tan(degToRad(p.fovYDeg) / 2) * distance3(p.position, target);
    for (const p of out) {
      expect(size(p)).toBeCloseTo(size(ref), 12);
      expect(aimError(p, target)).toBeLessThan(1e-7);
    }
    expect(out[4].fovYDeg).toBeGreaterThan(90);
    expect(() => templatePoses({ kind: 'dollyZoom', distance: 5, target }, ref)).toThrow(/reach the subject/);
  });

  it('spiral shrinks the radius to the end scale, rises, and keeps looking at the target', () => {
    const ref = level(0, [0, 0, 3]);
    const target: Vec3 = [0, 0, 0];
    const out = templatePoses({ kind: 'spiral', target, angleDeg: 720, count: 16, endRadiusScale: 0.5, rise: 1 }, ref);
    out.forEach((p, i) => {
      const f = (i + 1) / 16;
      expect(Math.hypot(p.position[0], p.position[2])).toBeCloseTo(3 * (1 - 0.5 * f), 12);
      expect(p.position[1]).toBeCloseTo(f, 12);
      expect(aimError(p, target)).toBeLessThan(1e-7);
    });
  });

  it('look around only rotates: left, up, right and back to the start', () => {
    const ref = level(15);
    const out = templatePoses({ kind: 'lookAround', angleDeg: 30, pitchDeg: 10 }, ref);
    expect(out).toHaveLength(4);
    for (const p of out) expect(p.position).toEqual(ref.position);
    const ypr = out.map((p) => yawPitchRollFromQuat(p.quaternionWXYZ));
    expect(ypr[0].yawDeg).toBeCloseTo(45, 9);
    expect(ypr[1].pitchDeg).toBeCloseTo(10, 9);
    expect(ypr[2].yawDeg).toBeCloseTo(-15, 9);
    expect(quatAngleBetween(out[3].quaternionWXYZ, ref.quaternionWXYZ)).toBeLessThan(1e-9);
  });

  it('moves along the camera axes when asked', () => {
    const ref: CameraPose = { position: [0, 0, 0], quaternionWXYZ: quatFromAxisAngle([1, 1, 0], 0.6), fovYDeg: 60 };
    const [p] = templatePoses({ kind: 'move', direction: 'forward', distance: 2, axes: 'camera' }, ref);
    close3(p.position, rotateVector(ref.quaternionWXYZ, [0, 0, -2]));
    expect(length3(p.position)).toBeCloseTo(2, 12);
  });

  it('names templates for the undo history', () => {
    expect(describeTemplate(UPSTREAM_TEMPLATES['Orbit Left 15°'])).toBe('Orbit -15°');
    expect(describeTemplate({ kind: 'crane', distance: -1 })).toBe('Crane down 1');
  });
});
