import { describe, expect, it } from 'vitest';
import { requestCamerasToPacked } from '../camera/types';
import { resampleCameras } from '../camera/resample';
import { createKeyframe, createTrajectory, POSITION_INTERPOLATIONS, ROTATION_INTERPOLATIONS, type Trajectory } from './document';
import { buildPathModel } from './pathModel';
import { quatAngleBetween, quatConjugate, quatFromYawPitchRoll, quatLog, quatMultiply, yawPitchRollFromQuat } from './rotation';
import { evaluateTrajectory, fovYDegToFocalPx, sampleGenerationCameras, samplePoses, sampleTimes } from './sampling';
import { curvyTrajectory, straightTrajectory } from './testPaths';
import { distance3, sub3, type Vec3 } from './vector';

function velocity(t: Trajectory, timeSec: number, side: -1 | 1, h = 1e-5): Vec3 {
  const m = buildPathModel(t);
  const a = m.poseAtTime(timeSec).position, b = m.poseAtTime(timeSec + side * h).position;
  return sub3(b, a).map((v) => (v * side) / h) as Vec3;
}

/** Angular velocity (axis·rad/s) of the rotation leaving (side 1) or arriving at (side −1) a time. */
function angularVelocity(t: Trajectory, timeSec: number, side: -1 | 1, h = 1e-5): Vec3 {
  const m = buildPathModel(t);
  const a = m.poseAtTime(timeSec).quaternionWXYZ, b = m.poseAtTime(timeSec + side * h).quaternionWXYZ;
  const l = quatLog(quatMultiply(b, quatConjugate(a)));
  return [(2 * l[1] * side) / h, (2 * l[2] * side) / h, (2 * l[3] * side) / h];
}

describe('interpolation through keyframes', () => {
  for (const position of POSITION_INTERPOLATIONS) {
    for (const rotation of ROTATION_INTERPOLATIONS) {
      for (const loop of [false, true]) {
        it(`hits every keyframe exactly (${position}, ${rotation}${loop ? ', loop' : ''})`, () => {
          const t = curvyTrajectory({ position, rotation, tension: 0.3 }, { loop, durationSec: 5 });
          const model = buildPathModel(t);
          for (const k of t.keyframes) {
            const p = model.poseAtTime(k.timeSec);
            expect(p.position).toEqual(k.position);
            expect(p.quaternionWXYZ).toEqual(k.quaternionWXYZ);
            expect(p.fovYDeg).toBe(k.fovYDeg);
          }
        });
      }
    }
  }

  it('moves between keys (the path is not stuck at a key)', () => {
    const t = curvyTrajectory();
    const mid = evaluateTrajectory(t, 0.35);
    expect(distance3(mid.position, t.keyframes[0].position)).toBeGreaterThan(0.3);
    expect(distance3(mid.position, t.keyframes[1].position)).toBeGreaterThan(0.3);
    expect(mid.fovYDeg).toBeGreaterThan(54);
    expect(mid.fovYDeg).toBeLessThan(61);
  });

  it('holds the end poses outside the key times of an open path', () => {
    const t = curvyTrajectory();
    expect(evaluateTrajectory(t, -3).position).toEqual(t.keyframes[0].position);
    expect(evaluateTrajectory(t, 99).position).toEqual(t.keyframes[4].position);
  });
});

describe('continuity', () => {
  it('keeps Catmull-Rom positions C1 in time at every interior key, despite uneven key times', () => {
    const t = curvyTrajectory({ position: 'catmullRom' });
    for (const k of t.keyframes.slice(1, -1)) {
      const left = velocity(t, k.timeSec, -1), right = velocity(t, k.timeSec, 1);
      const speed = Math.hypot(...right);
      expect(speed).toBeGreaterThan(0.5);
      expect(distance3(left, right) / speed).toBeLessThan(1e-3);
    }
  });

  it('keeps Kochanek–Bartels with continuity 0 C1 as well', () => {
    const t = curvyTrajectory({ position: 'kochanekBartels', tension: 0.5, bias: 0.2 });
    for (const k of t.keyframes.slice(1, -1)) {
      const left = velocity(t, k.timeSec, -1), right = velocity(t, k.timeSec, 1);
      expect(distance3(left, right) / Math.hypot(...right)).toBeLessThan(1e-3);
    }
  });

  it('shows a velocity jump at keys with linear interpolation (the check can fail)', () => {
    const t = curvyTrajectory({ position: 'linear' });
    const k = t.keyframes[2];
    const left = velocity(t, k.timeSec, -1), right = velocity(t, k.timeSec, 1);
    expect(distance3(left, right) / Math.hypot(...right)).toBeGreaterThan(0.1);
  });

  it('keeps squad rotations C1 at keys', () => {
    const t = straightTrajectory(5, 0, { position: 'catmullRom', rotation: 'squad' });
    const yaws = [0, 20, 60, 70, 40];
    t.keyframes.forEach((k, i) => (k.quaternionWXYZ = quatFromYawPitchRoll({ yawDeg: yaws[i], pitchDeg: 10 * i, rollDeg: 0 })));
    for (const k of t.keyframes.slice(1, -1)) {
      const left = angularVelocity(t, k.timeSec, -1), right = angularVelocity(t, k.timeSec, 1);
      expect(distance3(left, right) / Math.hypot(...right)).toBeLessThan(1e-3);
    }
    // and slerp does not: its angular velocity jumps at the same key
    t.interpolation.rotation = 'slerp';
    const k = t.keyframes[2];
    expect(distance3(angularVelocity(t, k.timeSec, -1), angularVelocity(t, k.timeSec, 1))).toBeGreaterThan(0.1);
  });

  it('closes a loop smoothly: back at the first key after one period, C1 across the seam', () => {
    const t = curvyTrajectory({ position: 'catmullRom' }, { loop: true, durationSec: 5 });
    const m = buildPathModel(t);
    expect(m.endSec).toBe(5);
    const end = m.poseAtTime(5 - 1e-12).position;
    expect(distance3(end, t.keyframes[0].position)).toBeLessThan(1e-9);
    const left = velocity(t, 5, -1), right = velocity(t, 5, 1);
    expect(distance3(left, right) / Math.hypot(...right)).toBeLessThan(1e-3);
    // wraps: one period later is the same pose
    expect(distance3(m.poseAtTime(1.3).position, m.poseAtTime(6.3).position)).toBeLessThan(1e-9);
  });
});

describe('constant speed', () => {
  function stepLengths(t: Trajectory, count: number): number[] {
    const m = buildPathModel(t);
    const times = sampleTimes(m, count);
    const out: number[] = [];
    for (let i = 0; i + 1 < times.length; i++) {
      let len = 0;
      let prev = m.poseAtTime(times[i]).position;
      for (let k = 1; k <= 200; k++) {
        const p = m.poseAtTime(times[i] + ((times[i + 1] - times[i]) * k) / 200).position;
        len += distance3(prev, p);
        prev = p;
      }
      out.push(len);
    }
    return out;
  }
  const spread = (xs: number[]): number => {
    const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
    return Math.max(...xs.map((x) => Math.abs(x - mean) / mean));
  };

  it('spaces 24 samples along the arc within 1 % of each other', () => {
    const t = curvyTrajectory({ position: 'catmullRom' }, { constantSpeed: true });
    expect(spread(stepLengths(t, 24))).toBeLessThan(0.01);
  });

  it('does the same on a loop and with Kochanek–Bartels', () => {
    expect(spread(stepLengths(curvyTrajectory({ position: 'kochanekBartels', tension: 0.4 }, { constantSpeed: true, loop: true }), 24))).toBeLessThan(0.01);
  });

  it('is needed: timed by keys the same path varies by far more than 1 %', () => {
    expect(spread(stepLengths(curvyTrajectory({ position: 'catmullRom' }), 24))).toBeGreaterThan(0.1);
  });
});

describe('generation cameras', () => {
  it('samples exactly n_frame cameras from the first key to the last, with pixel intrinsics', () => {
    const t = curvyTrajectory();
    for (const n of [1, 2, 16, 24, 57]) expect(sampleGenerationCameras(t, n)).toHaveLength(n);
    const cams = sampleGenerationCameras(t, 24);
    expect(cams[0].position).toEqual(t.keyframes[0].position);
    expect(cams[23].position).toEqual(t.keyframes[4].position);
    expect(cams[0].fy).toBeCloseTo(fovYDegToFocalPx(60, 480), 9);
    expect(cams[0].fx).toBe(cams[0].fy);
    expect([cams[0].cx, cams[0].cy]).toEqual([352, 240]);
  });

  it('does not repeat the first camera at the end of a loop', () => {
    const t = curvyTrajectory({}, { loop: true });
    const cams = sampleGenerationCameras(t, 10);
    expect(distance3(cams[9].position, cams[0].position)).toBeGreaterThan(0.5);
    expect(sampleTimes(t, 10)[9]).toBeCloseTo(4.5, 12);
  });

  it('reproduces upstream resampling (lerp + slerp over evenly timed keys) with linear interpolation', () => {
    const t = straightTrajectory(5, 12);
    t.keyframes[2].position = [1, 0.5, -2];
    const ours = sampleGenerationCameras(t, 24);
    const keyCams = t.keyframes.map((k) => ({ quaternion: k.quaternionWXYZ, position: k.position, fx: 400, fy: 400, cx: 352, cy: 240 }));
    const upstream = resampleCameras(requestCamerasToPacked(keyCams, 704, 480), 24);
    ours.forEach((c, i) => {
      for (let a = 0; a < 3; a++) expect(c.position[a]).toBeCloseTo(upstream[i * 11 + 4 + a], 5);
      const q: [number, number, number, number] = [upstream[i * 11], upstream[i * 11 + 1], upstream[i * 11 + 2], upstream[i * 11 + 3]];
      expect(quatAngleBetween(c.quaternion, q)).toBeLessThan(1e-5);
    });
  });

  it('turns the short way between keys on opposite hemispheres', () => {
    const t = straightTrajectory(2, 0);
    t.keyframes[0].quaternionWXYZ = quatFromYawPitchRoll({ yawDeg: 170, pitchDeg: 0, rollDeg: 0 });
    t.keyframes[1].quaternionWXYZ = quatFromYawPitchRoll({ yawDeg: -170, pitchDeg: 0, rollDeg: 0 });
    for (const rotation of ROTATION_INTERPOLATIONS) {
      t.interpolation.rotation = rotation;
      const poses = samplePoses(t, 11);
      for (const p of poses) expect(quatAngleBetween(p.quaternionWXYZ, t.keyframes[0].quaternionWXYZ)).toBeLessThan((20.0001 * Math.PI) / 180);
      expect(Math.abs(yawPitchRollFromQuat(poses[5].quaternionWXYZ).yawDeg)).toBeCloseTo(180, 6);
    }
  });

  it('gives a single keyframe as n_frame copies and refuses an empty trajectory', () => {
    const one = createTrajectory({ keyframes: [createKeyframe({ position: [1, 2, 3], quaternionWXYZ: [1, 0, 0, 0], fovYDeg: 50 }, 0, 'a')] });
    expect(sampleGenerationCameras(one, 4).map((c) => c.position)).toEqual([[1, 2, 3], [1, 2, 3], [1, 2, 3], [1, 2, 3]]);
    expect(() => sampleGenerationCameras(createTrajectory(), 4)).toThrow(/no keyframes/);
  });
});
