import { describe, expect, it } from 'vitest';
import { createKeyframe, createTrajectory, type Trajectory } from './document';
import { checkGenerationCameras, checkTrajectory, type GuardRailCode } from './guardRails';
import { lookAtQuat, quatFromYawPitchRoll } from './rotation';
import { sampleGenerationCameras } from './sampling';
import { templatePoses } from './templates';
import { curvyTrajectory, straightTrajectory } from './testPaths';
import type { Vec3 } from './vector';

const codes = (t: Trajectory, nFrame = 24): GuardRailCode[] => checkTrajectory(t, nFrame).map((w) => w.code);

function keysAt(spots: Array<[number, Vec3]>, extra: Partial<Trajectory> = {}): Trajectory {
  return createTrajectory({
    keyframes: spots.map(([t, p], i) => createKeyframe({ position: p, quaternionWXYZ: [1, 0, 0, 0], fovYDeg: 60 }, t, `g${i}`)),
    interpolation: { position: 'linear', rotation: 'slerp', tension: 0, continuity: 0, bias: 0 },
    ...extra,
  });
}

describe('guard rails', () => {
  it('stay quiet for ordinary paths: a walk forward, a curve, a quarter orbit', () => {
    expect(codes(straightTrajectory(5, 5))).toEqual([]);
    expect(codes(curvyTrajectory({}, { constantSpeed: true }))).toEqual([]);
    const start = { position: [0, 0, 3] as Vec3, quaternionWXYZ: lookAtQuat([0, 0, 3], [0, 0, 0]), fovYDeg: 60 };
    const orbit = [start, ...templatePoses({ kind: 'orbit', target: [0, 0, 0], angleDeg: 90, count: 3 }, start)];
    expect(codes(createTrajectory({ keyframes: orbit.map((p, i) => createKeyframe(p, i, `o${i}`)) }))).toEqual([]);
  });

  it('warn when the camera never moves', () => {
    const one = keysAt([[0, [1, 1, 1]]]);
    const [w] = checkTrajectory(one, 24);
    expect(w.code).toBe('STATIC_PATH');
    expect(w.message).toMatch(/same view/);
  });

  it('warn about a pause: consecutive frames that are the same view', () => {
    const t = keysAt([[0, [0, 0, 0]], [1, [0, 0, -1]], [3, [0, 0, -1]], [4, [0, 0, -2]]]);
    const w = checkTrajectory(t, 25).find((x) => x.code === 'STEP_TOO_SMALL');
    expect(w).toBeDefined();
    expect(w?.frames.length).toBeGreaterThan(3);
    expect(w?.message).toMatch(/^Frames (\d+) and (\d+) are practically the same view/);
  });

  it('warn about a jump too far between two frames, naming it', () => {
    const t = keysAt([[0, [0, 0, 0]], [10, [0, 0, -0.1]], [10.1, [0, 0, -5]]]);
    const w = checkTrajectory(t, 24).find((x) => x.code === 'STEP_TOO_FAR');
    expect(w?.frames[0]).toBe(22);
    expect(w?.message).toMatch(/between frames 22 and 23 the camera jumps \d+ %/i);
    // the same path at constant speed is fine
    expect(codes({ ...t, constantSpeed: true })).toEqual([]);
  });

  it('warn about turning too fast, and not when there are enough frames', () => {
    const t = createTrajectory({
      keyframes: [0, 90, 180].map((yaw, i) => createKeyframe({ position: [0, 0, -i], quaternionWXYZ: quatFromYawPitchRoll({ yawDeg: yaw, pitchDeg: 0, rollDeg: 0 }), fovYDeg: 60 }, i, `t${i}`)),
    });
    const w = checkTrajectory(t, 5).find((x) => x.code === 'STEP_TURNS_TOO_MUCH');
    expect(w?.message).toMatch(/turns 45\.0°/);
    expect(codes(t, 24)).toEqual([]);
  });

  it('warn when the FOV leaves the sane range', () => {
    const t = straightTrajectory(3);
    t.keyframes[2].fovYDeg = 120;
    const w = checkTrajectory(t, 24).find((x) => x.code === 'FOV_OUT_OF_RANGE');
    expect(w?.frames[0]).toBe(23);
    expect(w?.message).toMatch(/Frame 23 has a vertical FOV of 120\.0°/);
  });

  it('warn when the request carries another number of cameras than n_frame', () => {
    const cams = sampleGenerationCameras(straightTrajectory(3), 8);
    const [w] = checkGenerationCameras(cams, { nFrame: 24, heightPx: 480 });
    expect(w.code).toBe('FRAME_COUNT_MISMATCH');
    expect(w.message).toMatch(/8 cameras for 24 frames/);
    expect(checkGenerationCameras(sampleGenerationCameras(straightTrajectory(3), 24), { nFrame: 24, heightPx: 480 })).toEqual([]);
  });

  it('warn when a loop has no time left for its closing segment', () => {
    const t = { ...curvyTrajectory(), loop: true, durationSec: 4.1 };
    expect(codes(t)).toContain('LOOP_HAS_NO_CLOSING_TIME');
    expect(codes({ ...t, durationSec: 5 })).not.toContain('LOOP_HAS_NO_CLOSING_TIME');
  });
});
