/**
 * Guard rails: warnings (never errors; the user may know better) about generation cameras the
 * model is likely to handle badly, each with one clear sentence of what is wrong and what to do.
 *
 * Translation is judged as upstream's `normalize_cameras` will present it to the model: relative
 * to camera 0 and divided by T_norm, the largest distance of any camera from camera 0. So the
 * limits are scale-free. They were set from upstream's eight example requests (/work/up/examples,
 * 24 frames each): at most 19.2° of turn and 0.21·T_norm of travel between consecutive frames,
 * vertical FOV 40.6°–66°.
 */
import type { RequestCamera } from '../camera/types';
import type { Trajectory } from './document';
import { loopPeriodSec } from './pathModel';
import { quatAngleBetween, radToDeg } from './rotation';
import { focalPxToFovYDeg, sampleGenerationCameras } from './sampling';
import { distance3 } from './vector';

export type GuardRailCode =
  | 'FRAME_COUNT_MISMATCH'
  | 'STATIC_PATH'
  | 'STEP_TOO_SMALL'
  | 'STEP_TOO_FAR'
  | 'STEP_TURNS_TOO_MUCH'
  | 'FOV_OUT_OF_RANGE'
  | 'LOOP_HAS_NO_CLOSING_TIME';

export interface GuardRailWarning {
  code: GuardRailCode;
  /** what is wrong and what to do, for the user */
  message: string;
  /** frames involved: for steps, the first frame of each offending pair, worst first */
  frames: number[];
}

export interface GuardRailLimits {
  /** turn between consecutive frames, degrees (examples: ≤ 19.2°) */
  maxStepTurnDeg: number;
  /** travel between consecutive frames as a fraction of T_norm (examples: ≤ 0.21) */
  maxStepTravelFraction: number;
  /** below both of these two frames are the same view */
  minStepTravelFraction: number;
  minStepTurnDeg: number;
  /** vertical FOV, degrees (examples: 40.6°–66°; upstream's demo slider goes to 120°) */
  minFovYDeg: number;
  maxFovYDeg: number;
}

export const DEFAULT_GUARD_RAIL_LIMITS: Readonly<GuardRailLimits> = {
  maxStepTurnDeg: 25,
  maxStepTravelFraction: 0.35,
  minStepTravelFraction: 1e-3,
  minStepTurnDeg: 0.05,
  minFovYDeg: 30,
  maxFovYDeg: 100,
};

/** A travel limit never below 1.5 evenly spaced steps, so few frames over a straight move are fine. */
function travelLimit(limits: GuardRailLimits, cameraCount: number): number {
  return Math.max(limits.maxStepTravelFraction, 1.5 / Math.max(1, cameraCount - 1));
}

function more(count: number, what: string): string {
  return count > 1 ? ` (${count} ${what} in all)` : '';
}

export interface GenerationCheckContext {
  nFrame: number;
  heightPx: number;
}

/** Warnings about the cameras of a generation request (as they will be sent). */
export function checkGenerationCameras(
  cameras: readonly RequestCamera[], { nFrame, heightPx }: GenerationCheckContext, limits: GuardRailLimits = DEFAULT_GUARD_RAIL_LIMITS,
): GuardRailWarning[] {
  const warnings: GuardRailWarning[] = [];
  const n = cameras.length;
  if (n !== nFrame) {
    warnings.push({
      code: 'FRAME_COUNT_MISMATCH',
      frames: [],
      message:
        `The request has ${n} camera${n === 1 ? '' : 's'} for ${nFrame} frames, so the engine will resample them along straight lines ` +
        `(lerp and slerp, as upstream), not along your path. Sample the path at ${nFrame} cameras to generate exactly what you see.`,
    });
  }
  if (n === 0) return warnings;

  const fovs = cameras.map((c) => focalPxToFovYDeg(c.fy, heightPx));
  const badFov = fovs.map((f, i) => ({ f, i })).filter(({ f }) => f < limits.minFovYDeg || f > limits.maxFovYDeg);
  if (badFov.length) {
    const worst = badFov.reduce((a, b) => (Math.abs(b.f - 65) > Math.abs(a.f - 65) ? b : a));
    warnings.push({
      code: 'FOV_OUT_OF_RANGE',
      frames: [worst.i, ...badFov.filter((b) => b !== worst).map((b) => b.i)],
      message:
        `Frame ${worst.i} has a vertical FOV of ${worst.f.toFixed(1)}°${more(badFov.length, 'frames outside the range')}; FlashWorld's own ` +
        `examples use 40°–66°. Keep the FOV between ${limits.minFovYDeg}° and ${limits.maxFovYDeg}° for reliable results.`,
    });
  }
  if (n < 2) return warnings;

  const origin = cameras[0].position;
  const tNorm = Math.max(...cameras.map((c) => distance3(c.position, origin)));
  const steps = cameras.slice(1).map((c, i) => ({
    i,
    travel: tNorm > 0 ? distance3(c.position, cameras[i].position) / tNorm : 0,
    turnDeg: radToDeg(quatAngleBetween(c.quaternion, cameras[i].quaternion)),
  }));
  const totalTurnDeg = steps.reduce((s, x) => s + x.turnDeg, 0);
  if (tNorm < 1e-9 && totalTurnDeg < limits.minStepTurnDeg) {
    warnings.push({
      code: 'STATIC_PATH',
      frames: [],
      message: 'The camera neither moves nor turns: every frame is the same view, so there is nothing to build in 3D. Add keyframes that move or turn the camera.',
    });
    return warnings;
  }

  const same = steps.filter((s) => s.travel < limits.minStepTravelFraction && s.turnDeg < limits.minStepTurnDeg);
  if (same.length) {
    warnings.push({
      code: 'STEP_TOO_SMALL',
      frames: same.map((s) => s.i),
      message:
        `Frames ${same[0].i} and ${same[0].i + 1} are practically the same view${more(same.length, 'such pairs')}: the model learns nothing ` +
        'from a repeated view. Spread the keyframes out, shorten pauses, or lower the frame count.',
    });
  }

  const maxTravel = travelLimit(limits, n);
  const far = steps.filter((s) => s.travel > maxTravel).sort((a, b) => b.travel - a.travel);
  if (far.length) {
    warnings.push({
      code: 'STEP_TOO_FAR',
      frames: far.map((s) => s.i),
      message:
        `Between frames ${far[0].i} and ${far[0].i + 1} the camera jumps ${(far[0].travel * 100).toFixed(0)} % of the path's reach` +
        `${more(far.length, 'such jumps')}; upstream's examples stay under 21 %, and views that far apart share too little of the scene. ` +
        'Add keyframes in between, use constant speed, or raise the frame count.',
    });
  }

  const turns = steps.filter((s) => s.turnDeg > limits.maxStepTurnDeg).sort((a, b) => b.turnDeg - a.turnDeg);
  if (turns.length) {
    warnings.push({
      code: 'STEP_TURNS_TOO_MUCH',
      frames: turns.map((s) => s.i),
      message:
        `Between frames ${turns[0].i} and ${turns[0].i + 1} the camera turns ${turns[0].turnDeg.toFixed(1)}°${more(turns.length, 'such turns')}; ` +
        `upstream's examples turn at most about 19° per frame. Turn less, or raise the frame count so each step is under ${limits.maxStepTurnDeg}°.`,
    });
  }
  return warnings;
}

/** Warnings about a trajectory document as it would be generated with `nFrame` frames. */
export function checkTrajectory(t: Trajectory, nFrame: number, limits: GuardRailLimits = DEFAULT_GUARD_RAIL_LIMITS): GuardRailWarning[] {
  const warnings: GuardRailWarning[] = [];
  const keys = t.keyframes;
  if (t.loop && keys.length >= 2) {
    const span = keys[keys.length - 1].timeSec - keys[0].timeSec;
    if (!(t.durationSec > span + 1e-9)) {
      warnings.push({
        code: 'LOOP_HAS_NO_CLOSING_TIME',
        frames: [],
        message:
          `The path loops but the timeline ends at the last keyframe, so the closing segment gets an assumed ` +
          `${(loopPeriodSec(t) - span).toFixed(2)} s. Lengthen the timeline to choose how long the return to the first keyframe takes.`,
      });
    }
  }
  if (keys.length === 0) return warnings;
  return [...warnings, ...checkGenerationCameras(sampleGenerationCameras(t, nFrame), { nFrame, heightPx: t.imageHeightPx }, limits)];
}
