/**
 * Small trajectories shared by the trajectory tests (not shipped behaviour: test scaffolding that
 * several test files build on, so each test states only what it checks).
 */
import { createKeyframe, createTrajectory, type InterpolationSettings, type Trajectory } from './document';
import { lookAtQuat, quatFromYawPitchRoll } from './rotation';
import type { Vec3 } from './vector';

/** A curvy open path: five keys at uneven times and spacing, looking at the origin, FOV changing. */
export function curvyTrajectory(interpolation: Partial<InterpolationSettings> = {}, extra: Partial<Trajectory> = {}): Trajectory {
  const spots: Array<[number, Vec3, number]> = [
    [0, [3, 0.2, 0], 60],
    [0.7, [2, 0.5, 2.5], 55],
    [2.0, [-1, 0.1, 3], 50],
    [2.6, [-2.5, 0.8, 0.5], 65],
    [4.1, [-1, 0.3, -3], 70],
  ];
  return createTrajectory({
    keyframes: spots.map(([t, p, fov], i) => createKeyframe({ position: p, quaternionWXYZ: lookAtQuat(p, [0, 0, 0]), fovYDeg: fov }, t, `k${i}`)),
    interpolation: { position: 'catmullRom', rotation: 'squad', tension: 0, continuity: 0, bias: 0, ...interpolation },
    durationSec: 5,
    ...extra,
  });
}

/** Keys on a straight line along -Z at uniform times, turning by `yawStepDeg` each. */
export function straightTrajectory(count: number, yawStepDeg = 0, interpolation: Partial<InterpolationSettings> = {}): Trajectory {
  return createTrajectory({
    keyframes: Array.from({ length: count }, (_, i) =>
      createKeyframe({ position: [0, 0, -i], quaternionWXYZ: quatFromYawPitchRoll({ yawDeg: i * yawStepDeg, pitchDeg: 0, rollDeg: 0 }), fovYDeg: 60 }, i, `s${i}`),
    ),
    interpolation: { position: 'linear', rotation: 'slerp', tension: 0, continuity: 0, bias: 0, ...interpolation },
    durationSec: count - 1,
  });
}
