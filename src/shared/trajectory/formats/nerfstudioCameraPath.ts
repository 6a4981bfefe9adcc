/**
 * nerfstudio's camera_path.json (written by its viewer's render panel, read by `ns-render
 * camera-path`, nerfstudio/scripts/render.py `get_path_from_json`), both ways:
 * - camera_path: the rendered cameras, each `camera_to_world` (4×4 row-major, flattened, OpenGL
 *   axes like three.js: -Z forward, +Y up), `fov` (vertical, degrees) and `aspect` (W/H);
 * - keyframes: the viewer's keys, each `matrix` (the same 4×4), `fov`, `aspect` and the
 *   transition time that leads into it (`override_transition_sec`, else `default_transition_sec`;
 *   with is_cycle the first key's transition closes the loop);
 * - render_height, render_width, fps, seconds, is_cycle, smoothness_value (the viewer's
 *   Kochanek–Bartels tension), camera_type, default_fov.
 *
 * Our keys map onto its keyframes (times become transitions); on import, keyframes are used when
 * the file has them, otherwise the dense camera_path becomes linearly interpolated keys.
 */
import { z } from 'zod';
import { DEFAULT_KEY_SPACING_SEC, assertValidKeyframes, createKeyframe, createTrajectory, newKeyframeId, type CameraPose, type Trajectory } from '../document';
import { loopPeriodSec } from '../pathModel';
import { matrix3ToQuat, quatToMatrix3 } from '../rotation';
import { samplePoses } from '../sampling';
import { invalidFile, parseJsonText } from './jsonText';

/** nerfstudio's viewer renders at 30 fps unless told otherwise. */
export const NERFSTUDIO_DEFAULT_FPS = 30;
/** Rotation blocks further than this from orthonormal are refused rather than silently fixed. */
const ORTHONORMAL_TOLERANCE = 1e-4;

const finite = z.number().refine(Number.isFinite, { message: 'must be a finite number' });
const matrix = z.array(finite).length(16);
const frameSchema = z.object({ camera_to_world: matrix, fov: finite, aspect: finite.optional() });
const keyframeSchema = z.object({
  matrix,
  fov: finite,
  aspect: finite.optional(),
  override_transition_enabled: z.boolean().nullable().optional(),
  override_transition_sec: finite.nullable().optional(),
});
const cameraPathSchema = z.object({
  camera_type: z.string().optional(),
  render_height: z.number().int().positive(),
  render_width: z.number().int().positive(),
  camera_path: z.array(frameSchema),
  fps: finite.optional(),
  seconds: finite.optional(),
  smoothness_value: finite.optional(),
  is_cycle: z.boolean().optional(),
  keyframes: z.array(keyframeSchema).optional(),
  default_fov: finite.optional(),
  default_transition_sec: finite.optional(),
});

export type NerfstudioCameraPath = z.infer<typeof cameraPathSchema>;

/** Camera-to-world 4×4, row-major, flattened: [R t; 0 0 0 1]. */
export function poseToMatrix4(p: CameraPose): number[] {
  const r = quatToMatrix3(p.quaternionWXYZ);
  return [r[0], r[1], r[2], p.position[0], r[3], r[4], r[5], p.position[1], r[6], r[7], r[8], p.position[2], 0, 0, 0, 1];
}

function matrix4ToPose(m: readonly number[], fovYDeg: number, where: string, origin: string): CameraPose {
  const r = [m[0], m[1], m[2], m[4], m[5], m[6], m[8], m[9], m[10]];
  for (let i = 0; i < 3; i++) {
    for (let j = 0; j < 3; j++) {
      const dot = r[i] * r[j] + r[3 + i] * r[3 + j] + r[6 + i] * r[6 + j];
      if (Math.abs(dot - (i === j ? 1 : 0)) > ORTHONORMAL_TOLERANCE) {
        throw invalidFile(origin, `${where} is not a rotation plus a translation (its 3×3 block is scaled or skewed).`);
      }
    }
  }
  if (!(fovYDeg > 0 && fovYDeg < 180)) throw invalidFile(origin, `${where} has fov ${fovYDeg}; it must be a vertical FOV in degrees between 0 and 180.`);
  return { position: [m[3], m[7], m[11]], quaternionWXYZ: matrix3ToQuat(r), fovYDeg };
}

export interface NerfstudioExportOptions {
  fps?: number;
}

/** Our trajectory as a camera_path.json: its keys as nerfstudio keyframes, and the path rendered at `fps`. */
export function toNerfstudioCameraPath(t: Trajectory, options: NerfstudioExportOptions = {}): NerfstudioCameraPath {
  const fps = options.fps ?? NERFSTUDIO_DEFAULT_FPS;
  const keys = t.keyframes;
  const aspect = t.imageWidthPx / t.imageHeightPx;
  const loop = t.loop && keys.length >= 2;
  const span = keys.length ? keys[keys.length - 1].timeSec - keys[0].timeSec : 0;
  const seconds = loop ? loopPeriodSec(t) : span;
  const frames = keys.length ? samplePoses(t, Math.max(2, Math.round(fps * seconds))) : [];
  const gaps = keys.slice(1).map((k, i) => k.timeSec - keys[i].timeSec);
  return {
    camera_type: 'perspective',
    render_height: t.imageHeightPx,
    render_width: t.imageWidthPx,
    camera_path: frames.map((p) => ({ camera_to_world: poseToMatrix4(p), fov: p.fovYDeg, aspect })),
    fps,
    seconds,
    smoothness_value: t.interpolation.position === 'kochanekBartels' ? t.interpolation.tension : 0,
    is_cycle: loop,
    default_fov: keys[0]?.fovYDeg ?? 60,
    default_transition_sec: gaps.length ? span / gaps.length : DEFAULT_KEY_SPACING_SEC,
    keyframes: keys.map((k, i) => {
      const transition = i > 0 ? gaps[i - 1] : loop ? seconds - span : null;
      return { matrix: poseToMatrix4(k), fov: k.fovYDeg, aspect, override_transition_enabled: transition !== null, override_transition_sec: transition };
    }),
  };
}

export interface NerfstudioImportOptions {
  /** which cameras become keys: the file's keyframes (default when present) or its rendered camera_path */
  source?: 'keyframes' | 'cameraPath';
  newId?: () => string;
}

/** Reads a camera_path.json (text or parsed value). */
export function parseNerfstudioCameraPath(input: unknown, options: NerfstudioImportOptions = {}, origin = 'The camera_path.json'): Trajectory {
  const parsed = cameraPathSchema.safeParse(parseJsonText(input, origin));
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw invalidFile(origin, `is not a nerfstudio camera path (${issue.path.join('.') || 'file'}: ${issue.message}).`);
  }
  const f = parsed.data;
  const newId = options.newId ?? newKeyframeId;
  const loop = f.is_cycle ?? false;
  const useKeyframes = (options.source ?? (f.keyframes?.length ? 'keyframes' : 'cameraPath')) === 'keyframes';
  const base = { imageWidthPx: f.render_width, imageHeightPx: f.render_height, loop };

  if (useKeyframes) {
    const keys = f.keyframes ?? [];
    if (keys.length === 0) throw invalidFile(origin, 'has no keyframes; import its camera_path instead.');
    const transition = (i: number): number | null => {
      const k = keys[i];
      if (k.override_transition_enabled && k.override_transition_sec != null) return k.override_transition_sec;
      return f.default_transition_sec ?? null;
    };
    const evenGap = (f.seconds ?? (keys.length - 1) * DEFAULT_KEY_SPACING_SEC) / Math.max(1, loop ? keys.length : keys.length - 1);
    let t = 0;
    const keyframes = keys.map((k, i) => {
      if (i > 0) t += transition(i) ?? evenGap;
      return createKeyframe(matrix4ToPose(k.matrix, k.fov, `keyframes[${i}]`, origin), t, newId());
    });
    assertValidKeyframes(keyframes, 'INVALID_FILE');
    const closing = loop ? transition(0) ?? evenGap : 0;
    return createTrajectory({
      ...base,
      keyframes,
      durationSec: t + closing,
      interpolation: { position: 'kochanekBartels', rotation: 'squad', tension: f.smoothness_value ?? 0, continuity: 0, bias: 0 },
    });
  }

  const frames = f.camera_path;
  if (frames.length === 0) throw invalidFile(origin, 'has an empty camera_path and no keyframes.');
  const seconds = f.seconds ?? (frames.length - 1) / (f.fps ?? NERFSTUDIO_DEFAULT_FPS);
  const step = seconds / Math.max(1, loop ? frames.length : frames.length - 1);
  const keyframes = frames.map((c, i) => createKeyframe(matrix4ToPose(c.camera_to_world, c.fov, `camera_path[${i}]`, origin), i * step, newId()));
  assertValidKeyframes(keyframes, 'INVALID_FILE');
  return createTrajectory({
    ...base,
    keyframes,
    durationSec: loop ? seconds : keyframes[keyframes.length - 1].timeSec,
    interpolation: { position: 'linear', rotation: 'slerp', tension: 0, continuity: 0, bias: 0 },
  });
}
