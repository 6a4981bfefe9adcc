/**
 * The trajectory document: plain serialisable data (JSON, structured clone, zustand) that every
 * other trajectory module reads. Keyframes sit on a time line in seconds; the interpolation
 * settings say how the path runs between them; the generation cameras are this path sampled at
 * n_frame points (sampling.ts). One zod schema validates documents coming from files or messages.
 */
import { z } from 'zod';
import { StudioError, type StudioErrorCode } from '../errors';
import { UPSTREAM_DEFAULT_FOV_Y_DEG, UPSTREAM_DEFAULT_HEIGHT_PX, UPSTREAM_DEFAULT_WIDTH_PX } from './constants';
import { quatCanonical, type QuatWXYZ } from './rotation';
import type { Vec3 } from './vector';

export const TRAJECTORY_VERSION = 1;

export const POSITION_INTERPOLATIONS = ['linear', 'catmullRom', 'kochanekBartels'] as const;
export const ROTATION_INTERPOLATIONS = ['slerp', 'squad'] as const;
export type PositionInterpolation = (typeof POSITION_INTERPOLATIONS)[number];
export type RotationInterpolation = (typeof ROTATION_INTERPOLATIONS)[number];

export interface InterpolationSettings {
  /** linear; centripetal Catmull-Rom (no cusps or loops between close keys); Kochanek–Bartels */
  position: PositionInterpolation;
  rotation: RotationInterpolation;
  /** Kochanek–Bartels only: 0 = Catmull-Rom-like, 1 = straight segments with stops at keys */
  tension: number;
  /** Kochanek–Bartels only: 0 keeps the path C1; other values make corners at keys */
  continuity: number;
  /** Kochanek–Bartels only: negative leans towards the next key, positive towards the previous */
  bias: number;
}

/** A camera pose as authored: OpenGL camera-to-world rotation and centre, vertical FOV. */
export interface CameraPose {
  position: Vec3;
  /** [w, x, y, z], unit length, OpenGL convention (-Z forward, +Y up), as three.js */
  quaternionWXYZ: QuatWXYZ;
  /** vertical field of view in degrees (three.js PerspectiveCamera.fov) */
  fovYDeg: number;
}

export interface TrajectoryKeyframe extends CameraPose {
  id: string;
  timeSec: number;
}

export interface Trajectory {
  version: typeof TRAJECTORY_VERSION;
  /** strictly increasing timeSec */
  keyframes: TrajectoryKeyframe[];
  interpolation: InterpolationSettings;
  /** the path closes: after the last key it returns to the first */
  loop: boolean;
  /** move the camera at constant speed along the path (arc length), not key to key by time */
  constantSpeed: boolean;
  /** timeline length; with loop it is the period, so the closing segment lasts durationSec − (last − first) */
  durationSec: number;
  /** the generated image's size; FOV and it give the pixel intrinsics */
  imageWidthPx: number;
  imageHeightPx: number;
}

export const DEFAULT_INTERPOLATION: Readonly<InterpolationSettings> = {
  position: 'catmullRom',
  rotation: 'squad',
  tension: 0,
  continuity: 0,
  bias: 0,
};

/** Our default gap between keys added one after another (seconds on the timeline). */
export const DEFAULT_KEY_SPACING_SEC = 1;

export function createTrajectory(init: Partial<Omit<Trajectory, 'version'>> = {}): Trajectory {
  return {
    version: TRAJECTORY_VERSION,
    keyframes: (init.keyframes ?? []).map(cloneKeyframe).sort(byTime),
    interpolation: { ...DEFAULT_INTERPOLATION, ...init.interpolation },
    loop: init.loop ?? false,
    constantSpeed: init.constantSpeed ?? false,
    durationSec: init.durationSec ?? Math.max(0, ...(init.keyframes ?? []).map((k) => k.timeSec)),
    imageWidthPx: init.imageWidthPx ?? UPSTREAM_DEFAULT_WIDTH_PX,
    imageHeightPx: init.imageHeightPx ?? UPSTREAM_DEFAULT_HEIGHT_PX,
  };
}

let idCounter = 0;

/** A keyframe id unique within this session and, with high probability, across documents. */
export function newKeyframeId(): string {
  idCounter += 1;
  const random = Math.floor(Math.random() * 0x100000000).toString(36);
  return `key-${Date.now().toString(36)}-${idCounter.toString(36)}-${random}`;
}

export function createKeyframe(pose: CameraPose, timeSec: number, id: string = newKeyframeId()): TrajectoryKeyframe {
  return {
    id,
    timeSec,
    position: [pose.position[0], pose.position[1], pose.position[2]],
    quaternionWXYZ: quatCanonical(pose.quaternionWXYZ),
    fovYDeg: pose.fovYDeg,
  };
}

export function cloneKeyframe(k: TrajectoryKeyframe): TrajectoryKeyframe {
  return { ...k, position: [...k.position], quaternionWXYZ: [...k.quaternionWXYZ] };
}

export function poseOf(k: CameraPose): CameraPose {
  return { position: [...k.position], quaternionWXYZ: [...k.quaternionWXYZ], fovYDeg: k.fovYDeg };
}

export function byTime(a: { timeSec: number }, b: { timeSec: number }): number {
  return a.timeSec - b.timeSec;
}

export function defaultPose(): CameraPose {
  return { position: [0, 0, 0], quaternionWXYZ: [1, 0, 0, 0], fovYDeg: UPSTREAM_DEFAULT_FOV_Y_DEG };
}

/** Keys closer than this on the timeline are "at the same time". */
export const TIME_EPSILON_SEC = 1e-9;

/**
 * Throws unless the keyframes have unique ids, strictly increasing times and sane poses: the
 * evaluator relies on all three.
 */
export function assertValidKeyframes(keys: readonly TrajectoryKeyframe[], code: StudioErrorCode = 'INVALID_REQUEST'): void {
  const ids = new Set<string>();
  keys.forEach((k, i) => {
    if (ids.has(k.id)) throw new StudioError(code, `Two keyframes share the id "${k.id}"; give each keyframe its own id.`);
    ids.add(k.id);
    if (i > 0 && !(k.timeSec - keys[i - 1].timeSec > TIME_EPSILON_SEC)) {
      throw new StudioError(
        code,
        `Keyframes ${i - 1} and ${i} are both at ${k.timeSec.toFixed(3)} s (or out of order); move one of them on the timeline.`,
      );
    }
    if (![...k.position, ...k.quaternionWXYZ, k.timeSec].every(Number.isFinite)) {
      throw new StudioError(code, `Keyframe ${i} has a position, rotation or time that is not a finite number; enter numbers.`);
    }
    if (!(k.fovYDeg > 0 && k.fovYDeg < 180)) {
      throw new StudioError(code, `Keyframe ${i} has a vertical FOV of ${k.fovYDeg}°; use a value between 0 and 180 (typically 40–90).`);
    }
  });
}

const finite = z.number().refine(Number.isFinite, { message: 'must be a finite number' });

export const cameraPoseSchema = z.object({
  position: z.tuple([finite, finite, finite]),
  quaternionWXYZ: z.tuple([finite, finite, finite, finite]),
  fovYDeg: finite.refine((v) => v > 0 && v < 180, { message: 'must be between 0 and 180 degrees' }),
});

export const trajectoryKeyframeSchema = cameraPoseSchema.extend({ id: z.string().min(1), timeSec: finite });

export const trajectorySchema = z.object({
  version: z.literal(TRAJECTORY_VERSION),
  keyframes: z.array(trajectoryKeyframeSchema),
  interpolation: z.object({
    position: z.enum(POSITION_INTERPOLATIONS),
    rotation: z.enum(ROTATION_INTERPOLATIONS),
    tension: finite,
    continuity: finite,
    bias: finite,
  }),
  loop: z.boolean(),
  constantSpeed: z.boolean(),
  durationSec: finite.refine((v) => v >= 0, { message: 'must not be negative' }),
  imageWidthPx: z.number().int().positive(),
  imageHeightPx: z.number().int().positive(),
});

/** Validates a document from a file or a message; quaternions come back unit length and canonical. */
export function parseTrajectory(json: unknown, origin = 'trajectory'): Trajectory {
  const parsed = trajectorySchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue.path.length ? issue.path.join('.') : origin;
    throw new StudioError('INVALID_FILE', `${origin} is not a FlashWorld Studio trajectory: ${where}: ${issue.message}.`);
  }
  const t = parsed.data;
  const keyframes = t.keyframes.map((k) => ({ ...k, quaternionWXYZ: quatCanonical(k.quaternionWXYZ) } as TrajectoryKeyframe)).sort(byTime);
  assertValidKeyframes(keyframes, 'INVALID_FILE');
  return { ...t, keyframes };
}
