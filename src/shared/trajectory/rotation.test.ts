import { describe, expect, it } from 'vitest';
import {
  cameraForward, cameraUp, lookAtQuat, quatAngleBetween, quatCanonical, quatFromAxisAngle, quatFromYawPitchRoll, quatMultiply,
  rotateVector, slerpShortest, squad, squadControlPoint, yawPitchRollFromQuat, type QuatWXYZ,
} from './rotation';
import { normalize3, sub3 } from './vector';

const close3 = (a: number[], b: number[], digits = 12): void => a.forEach((v, i) => expect(v).toBeCloseTo(b[i], digits));

describe('yaw, pitch, roll', () => {
  it('round-trips angles away from the poles', () => {
    for (const ypr of [
      { yawDeg: 30, pitchDeg: -20, rollDeg: 10 },
      { yawDeg: -170, pitchDeg: 80, rollDeg: -45 },
      { yawDeg: 0, pitchDeg: 0, rollDeg: 179 },
    ]) {
      const back = yawPitchRollFromQuat(quatFromYawPitchRoll(ypr));
      expect(back.yawDeg).toBeCloseTo(ypr.yawDeg, 9);
      expect(back.pitchDeg).toBeCloseTo(ypr.pitchDeg, 9);
      expect(back.rollDeg).toBeCloseTo(ypr.rollDeg, 9);
    }
  });

  it('turns left for positive yaw and looks up for positive pitch', () => {
    close3(cameraForward(quatFromYawPitchRoll({ yawDeg: 90, pitchDeg: 0, rollDeg: 0 })), [-1, 0, 0]);
    close3(cameraForward(quatFromYawPitchRoll({ yawDeg: 0, pitchDeg: 90, rollDeg: 0 })), [0, 1, 0]);
  });

  it('reports roll 0 and keeps the rotation when looking straight down', () => {
    const q = quatFromYawPitchRoll({ yawDeg: 40, pitchDeg: -90, rollDeg: 0 });
    const back = yawPitchRollFromQuat(q);
    expect(back.rollDeg).toBe(0);
    expect(quatAngleBetween(quatFromYawPitchRoll(back), q)).toBeLessThan(1e-6);
  });
});

describe('lookAt', () => {
  it('points the camera at the target with an upright horizon', () => {
    const eye: [number, number, number] = [2, 1, 3];
    const q = lookAtQuat(eye, [0, 0, 0]);
    close3(cameraForward(q), normalize3(sub3([0, 0, 0], eye)));
    // right vector horizontal: no roll
    expect(rotateVector(q, [1, 0, 0])[1]).toBeCloseTo(0, 12);
    expect(cameraUp(q)[1]).toBeGreaterThan(0);
  });

  it('stays defined when looking straight down', () => {
    const q = lookAtQuat([0, 5, 0], [0, 0, 0]);
    close3(cameraForward(q), [0, -1, 0]);
  });
});

describe('slerp', () => {
  it('takes the shorter arc even when the quaternions lie on opposite hemispheres', () => {
    const a = quatFromYawPitchRoll({ yawDeg: 170, pitchDeg: 0, rollDeg: 0 });
    const b = quatFromYawPitchRoll({ yawDeg: -170, pitchDeg: 0, rollDeg: 0 }); // 20° away, the long way is 340°
    for (let i = 0; i <= 10; i++) {
      const q = slerpShortest(a, b, i / 10);
      expect(quatAngleBetween(q, a)).toBeCloseTo((20 * Math.PI) / 180 * (i / 10), 9);
    }
    expect(Math.abs(yawPitchRollFromQuat(slerpShortest(a, b, 0.5)).yawDeg)).toBeCloseTo(180, 9);
  });

  it('treats q and -q as the same rotation', () => {
    const a = quatFromAxisAngle([1, 2, 3], 0.7);
    const minusA: QuatWXYZ = [-a[0], -a[1], -a[2], -a[3]];
    expect(quatAngleBetween(slerpShortest(a, minusA, 0.5), a)).toBeLessThan(1e-7);
  });
});

describe('squad', () => {
  it('reaches both ends and equals slerp when the control points are the ends', () => {
    const a = quatFromAxisAngle([0, 1, 0], 0.2), b = quatFromAxisAngle([1, 1, 0], 1.1);
    close3(squad(a, b, a, b, 0), a);
    close3(squad(a, b, a, b, 1), b);
    expect(quatAngleBetween(squad(a, b, a, b, 0.3), slerpShortest(a, b, 0.3))).toBeLessThan(1e-9);
  });

  it('puts the control point of evenly spaced rotations about one axis on the key itself', () => {
    const q = (k: number): QuatWXYZ => quatFromAxisAngle([0, 0, 1], 0.3 * k);
    expect(quatAngleBetween(squadControlPoint(q(0), q(1), q(2)), q(1))).toBeLessThan(1e-9);
  });
});

describe('canonical quaternions', () => {
  it('normalises and gives w a positive sign', () => {
    expect(quatCanonical([-2, 0, 0, 0])).toEqual([1, -0, -0, -0]);
    const q = quatCanonical(quatMultiply([0, 0, 1, 0], [0, 0, 1, 0]));
    expect(q[0]).toBeCloseTo(1, 12);
  });
});
