/**
 * The continuous camera path of a trajectory document: which keys neighbour which segment, where
 * each key sits on the curve parameter, how timeline seconds map to that parameter, and the pose
 * at any parameter. Built once per document (buildPathModel) and then evaluated many times: a viewer
 * playing the path keeps the model for as long as the document object stays the same.
 *
 * Parameter s: one unit per segment for linear and Kochanek–Bartels; centripetal knots
 * (|Δposition|^½) for Catmull-Rom. Time → s is a monotone C1 cubic through (key time, key knot), so
 * every key is reached exactly at its time and the camera velocity is continuous in time wherever
 * the curve is C1 in s. With constantSpeed, time maps to arc length instead.
 *
 * Open ends use mirrored phantom keys (2·P0 − P1; q0·q1⁻¹·q0), so the path starts and ends with
 * the direction of its first and last segment and squad's end control points equal the end keys.
 */
import { StudioError } from '../errors';
import { ArcLengthTable } from './arcLength';
import { DEFAULT_KEY_SPACING_SEC, assertValidKeyframes, poseOf, type CameraPose, type Trajectory, type TrajectoryKeyframe } from './document';
import {
  alignHemisphere, quatConjugate, quatMultiply, quatNormalize, slerpUnflipped, squad, squadControlPoint, type QuatWXYZ,
} from './rotation';
import {
  MonotoneCubic, catmullRomBarryGoldman, centripetalKnotStep, cubicHermite, findInterval, kochanekBartelsTangents, lerpChannels,
  reflectChannels, type Channels,
} from './splines';
import type { Vec3 } from './vector';

/** FOV stays inside this range even where a spline overshoots between very different keys. */
const FOV_CLAMP_DEG: readonly [number, number] = [0.01, 179.99];

export interface PathModel {
  readonly trajectory: Trajectory;
  /** keys in time order */
  readonly keys: readonly TrajectoryKeyframe[];
  readonly segmentCount: number;
  /** curve parameter of each segment boundary (segmentCount + 1 values; with loop the last is the first key again) */
  readonly knots: readonly number[];
  /** timeline time of each segment boundary */
  readonly times: readonly number[];
  readonly startSec: number;
  /** last key's time, or with loop the time the path is back at the first key */
  readonly endSec: number;
  /** arc length of the whole path in world units */
  readonly lengthWorld: number;
  /** curve parameter at a timeline time (honours loop and constantSpeed) */
  parameterAtTime(timeSec: number): number;
  poseAtParameter(s: number): CameraPose;
  positionAtParameter(s: number): Vec3;
  poseAtTime(timeSec: number): CameraPose;
}

/**
 * Loop period: durationSec when it leaves room for the closing segment; otherwise the keys' span
 * plus one average key gap, so a loop switched on over tightly packed keys still closes smoothly.
 */
export function loopPeriodSec(t: Trajectory): number {
  const keys = t.keyframes;
  if (keys.length === 0) return 0;
  const span = keys[keys.length - 1].timeSec - keys[0].timeSec;
  if (t.durationSec > span + 1e-9) return t.durationSec;
  return span + (keys.length > 1 ? span / (keys.length - 1) : DEFAULT_KEY_SPACING_SEC);
}

function channelsOf(k: TrajectoryKeyframe): number[] {
  return [k.position[0], k.position[1], k.position[2], k.fovYDeg];
}

/** Mirror of the rotation b about a: a · b⁻¹ · a. */
function reflectRotation(a: Readonly<QuatWXYZ>, b: Readonly<QuatWXYZ>): QuatWXYZ {
  return quatNormalize(quatMultiply(quatMultiply(a, quatConjugate(b)), a));
}

export function buildPathModel(trajectory: Trajectory): PathModel {
  const keys = trajectory.keyframes;
  if (keys.length === 0) {
    throw new StudioError('INVALID_REQUEST', 'The trajectory has no keyframes: add one at the current view, or apply a template.');
  }
  assertValidKeyframes(keys);
  const n = keys.length;
  const loop = trajectory.loop && n >= 2;
  const segmentCount = n === 1 ? 0 : loop ? n : n - 1;
  const interp = trajectory.interpolation;

  // Neighbourhood arrays hold entries -1 .. segmentCount + 1, stored at index + 1.
  const at = (i: number): TrajectoryKeyframe => keys[((i % n) + n) % n];
  const points: number[][] = [];
  const rotations: QuatWXYZ[] = [];
  for (let i = -1; i <= segmentCount + 1; i++) {
    if (n === 1) {
      points.push(channelsOf(keys[0]));
      rotations.push([...keys[0].quaternionWXYZ]);
    } else if (loop || (i >= 0 && i < n)) {
      points.push(channelsOf(at(i)));
      rotations.push([...at(i).quaternionWXYZ]);
    } else if (i < 0) {
      points.push(reflectChannels(channelsOf(keys[0]), channelsOf(keys[1])));
      rotations.push(reflectRotation(keys[0].quaternionWXYZ, keys[1].quaternionWXYZ));
    } else {
      // i ≥ n on an open path: mirror of the key before the last (i = n), then the mirror again
      points.push(reflectChannels(channelsOf(keys[n - 1]), channelsOf(keys[n - 2])));
      rotations.push(reflectRotation(keys[n - 1].quaternionWXYZ, keys[n - 2].quaternionWXYZ));
    }
  }
  // Consecutive rotations on one hemisphere: every slerp then takes the short way, and squad's
  // control points see the same signs from both neighbouring segments (C1 across keys).
  for (let i = 1; i < rotations.length; i++) rotations[i] = alignHemisphere(rotations[i - 1], rotations[i]);
  const controls: QuatWXYZ[] = rotations.map((q, i) =>
    i === 0 || i === rotations.length - 1 ? q : squadControlPoint(rotations[i - 1], q, rotations[i + 1]),
  );

  const knotsAll: number[] = [0];
  for (let i = 1; i < points.length; i++) {
    const step = interp.position === 'catmullRom' ? centripetalKnotStep(points[i - 1].slice(0, 3), points[i].slice(0, 3)) : 1;
    knotsAll.push(knotsAll[i - 1] + step);
  }
  const offset = knotsAll[1];
  for (let i = 0; i < knotsAll.length; i++) knotsAll[i] -= offset; // the first key at s = 0
  const knots = knotsAll.slice(1, segmentCount + 2);

  const period = loop ? loopPeriodSec(trajectory) : 0;
  const times = keys.map((k) => k.timeSec);
  if (loop) times.push(keys[0].timeSec + period);
  const startSec = times[0];
  const endSec = times[times.length - 1];

  let timeMap: MonotoneCubic | null = null;
  if (segmentCount > 0) {
    if (loop) {
      // pad one period-shifted node on each side so the map's slope matches across the seam
      timeMap = new MonotoneCubic(
        [times[segmentCount - 1] - period, ...times, times[1] + period],
        [knots[0] - (knots[segmentCount] - knots[segmentCount - 1]), ...knots, knots[segmentCount] + (knots[1] - knots[0])],
      );
    } else {
      timeMap = new MonotoneCubic(times, knots);
    }
  }

  function locate(s: number): { j: number; u: number } {
    const j = findInterval(knots, s);
    const u = (s - knots[j]) / (knots[j + 1] - knots[j]);
    return { j, u: Math.min(1, Math.max(0, u)) };
  }

  function exactKey(j: number, u: number): TrajectoryKeyframe | null {
    if (u === 0) return at(j);
    if (u === 1) return at(j + 1);
    return null;
  }

  function channelsAt(j: number, u: number, s: number): number[] {
    const p = (i: number): Channels => points[i + 1];
    switch (interp.position) {
      case 'linear':
        return lerpChannels(p(j), p(j + 1), u);
      case 'catmullRom': {
        const k = (i: number): number => knotsAll[i + 1];
        return catmullRomBarryGoldman(p(j - 1), p(j), p(j + 1), p(j + 2), k(j - 1), k(j), k(j + 1), k(j + 2), s);
      }
      case 'kochanekBartels': {
        const start = kochanekBartelsTangents(p(j - 1), p(j), p(j + 1), interp).outgoing;
        const end = kochanekBartelsTangents(p(j), p(j + 1), p(j + 2), interp).incoming;
        return cubicHermite(p(j), start, p(j + 1), end, u);
      }
    }
  }

  function rotationAt(j: number, u: number): QuatWXYZ {
    const q0 = rotations[j + 1], q1 = rotations[j + 2];
    return interp.rotation === 'squad' ? squad(q0, q1, controls[j + 1], controls[j + 2], u) : slerpUnflipped(q0, q1, u);
  }

  function clampParameter(s: number): number {
    return Math.min(knots[knots.length - 1], Math.max(knots[0], s));
  }

  function poseAtParameter(sIn: number): CameraPose {
    if (segmentCount === 0) return poseOf(keys[0]);
    const s = clampParameter(sIn);
    const { j, u } = locate(s);
    const key = exactKey(j, u);
    if (key) return poseOf(key);
    const c = channelsAt(j, u, s);
    return {
      position: [c[0], c[1], c[2]],
      quaternionWXYZ: rotationAt(j, u),
      fovYDeg: Math.min(FOV_CLAMP_DEG[1], Math.max(FOV_CLAMP_DEG[0], c[3])),
    };
  }

  function positionAtParameter(sIn: number): Vec3 {
    if (segmentCount === 0) return [...keys[0].position];
    const s = clampParameter(sIn);
    const { j, u } = locate(s);
    const key = exactKey(j, u);
    if (key) return [...key.position];
    const c = channelsAt(j, u, s);
    return [c[0], c[1], c[2]];
  }

  // The arc-length table costs ~128 evaluations per segment: built on first use only.
  let arcTable: ArcLengthTable | null | undefined;
  const arc = (): ArcLengthTable | null => (arcTable ??= segmentCount > 0 ? new ArcLengthTable(knots, positionAtParameter) : null);
  const lengthWorld = (): number => arc()?.totalLength ?? 0;
  // A path that never moves has no arc length to spread evenly; it keeps its key timing.
  const useArcLength = (): boolean => trajectory.constantSpeed && lengthWorld() > 1e-9;

  function wrapTime(timeSec: number): number {
    if (!loop) return Math.min(endSec, Math.max(startSec, timeSec));
    if (timeSec >= startSec && timeSec < endSec) return timeSec; // unchanged, so key times stay exact
    const r = (timeSec - startSec) % period;
    return startSec + (r < 0 ? r + period : r);
  }

  function parameterAtTime(timeSec: number): number {
    if (segmentCount === 0 || !timeMap) return 0;
    const t = wrapTime(timeSec);
    const table = useArcLength() ? arc() : null;
    if (table) return table.parameterAtLength(((t - startSec) / (endSec - startSec)) * table.totalLength);
    return timeMap.evaluate(t);
  }

  return {
    trajectory,
    keys,
    segmentCount,
    knots,
    times,
    startSec,
    endSec,
    get lengthWorld() {
      return lengthWorld();
    },
    parameterAtTime,
    poseAtParameter,
    positionAtParameter,
    poseAtTime: (timeSec: number) => poseAtParameter(parameterAtTime(timeSec)),
  };
}
