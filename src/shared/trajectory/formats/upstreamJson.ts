/**
 * Upstream FlashWorld's JSON files, both ways (formats written by its demo, /work/up/index.html):
 * - trajectory JSON (`saveTrajectoryToJson`): `{ cameras: [{ position, quaternion }] }`; we also
 *   write fx, fy, cx, cy in pixels, which upstream's loader ignores and request readers need;
 * - all-in-one JSON (`SaveAllToJson`, also cli.py's input): the whole generation request
 *   `{ image_prompt, text_prompt, image_index, resolution: [n_frame, H, W], cameras }`.
 * Cameras are OpenGL camera-to-world, quaternion [w, x, y, z], intrinsics in pixels.
 *
 * Imported cameras become keyframes one spacing apart with linear + slerp interpolation, which is
 * upstream's own interpolation (`interpolateCameras`), so the generation cameras match what
 * upstream would have made from the same file. The FOV comes from fy and the image height, as
 * upstream reads it; fx, cx, cy are not kept (keyframes have square pixels and a centred
 * principal point, as upstream's demo writes them).
 */
import { z } from 'zod';
import { StudioError } from '../../errors';
import type { RequestCamera } from '../../camera/types';
import { generationRequestSchema, toRequestJson, type GenerationRequestJson } from '../../request/generationRequest';
import { UPSTREAM_DEFAULT_FOV_Y_DEG, UPSTREAM_DEFAULT_HEIGHT_PX, UPSTREAM_DEFAULT_WIDTH_PX } from '../constants';
import {
  DEFAULT_KEY_SPACING_SEC, assertValidKeyframes, createKeyframe, createTrajectory, newKeyframeId, type CameraPose,
  type InterpolationSettings, type Trajectory,
} from '../document';
import { quatCanonical } from '../rotation';
import { focalPxToFovYDeg, poseToRequestCamera, sampleGenerationCameras } from '../sampling';
import { invalidFile, parseJsonText } from './jsonText';

/** Upstream's interpolation between recorded cameras: lerp positions, slerp rotations. */
export const UPSTREAM_INTERPOLATION: Readonly<InterpolationSettings> = { position: 'linear', rotation: 'slerp', tension: 0, continuity: 0, bias: 0 };

export interface UpstreamImportOptions {
  /** image size for a trajectory JSON (it has no resolution); default 704 × 480 */
  widthPx?: number;
  heightPx?: number;
  /** FOV for cameras without fy; default upstream's 60° */
  defaultFovYDeg?: number;
  keySpacingSec?: number;
  newId?: () => string;
}

const finite = z.number().refine(Number.isFinite, { message: 'must be a finite number' });
const trajectoryCameraSchema = z.object({
  position: z.tuple([finite, finite, finite]),
  quaternion: z.tuple([finite, finite, finite, finite]),
  fx: finite.optional(),
  fy: finite.optional(),
  cx: finite.optional(),
  cy: finite.optional(),
});
const trajectoryJsonSchema = z.object({ cameras: z.array(trajectoryCameraSchema) });

export type UpstreamTrajectoryCamera = z.infer<typeof trajectoryCameraSchema>;
export interface UpstreamTrajectoryJson {
  cameras: UpstreamTrajectoryCamera[];
}

function issueText(error: z.ZodError): string {
  const issue = error.issues[0];
  return `${issue.path.length ? issue.path.join('.') : 'file'}: ${issue.message}`;
}

function camerasToTrajectory(
  cameras: readonly UpstreamTrajectoryCamera[], widthPx: number, heightPx: number, options: UpstreamImportOptions, origin: string,
): Trajectory {
  if (cameras.length === 0) throw invalidFile(origin, 'has no cameras; a trajectory needs at least one.');
  const spacing = options.keySpacingSec ?? DEFAULT_KEY_SPACING_SEC;
  const newId = options.newId ?? newKeyframeId;
  const keyframes = cameras.map((c, i) => {
    const norm = Math.hypot(...c.quaternion);
    if (!(norm > 1e-6)) throw invalidFile(origin, `cameras[${i}].quaternion is zero; give a unit quaternion [w, x, y, z].`);
    const pose: CameraPose = {
      position: [...c.position],
      quaternionWXYZ: quatCanonical(c.quaternion),
      fovYDeg: c.fy !== undefined && c.fy > 0 ? focalPxToFovYDeg(c.fy, heightPx) : options.defaultFovYDeg ?? UPSTREAM_DEFAULT_FOV_Y_DEG,
    };
    return createKeyframe(pose, i * spacing, newId());
  });
  assertValidKeyframes(keyframes, 'INVALID_FILE');
  return createTrajectory({
    keyframes,
    interpolation: { ...UPSTREAM_INTERPOLATION },
    durationSec: (cameras.length - 1) * spacing,
    imageWidthPx: widthPx,
    imageHeightPx: heightPx,
  });
}

/** Reads upstream's trajectory JSON (text or parsed value). */
export function parseUpstreamTrajectoryJson(input: unknown, options: UpstreamImportOptions = {}, origin = 'The trajectory JSON'): Trajectory {
  const parsed = trajectoryJsonSchema.safeParse(parseJsonText(input, origin));
  if (!parsed.success) throw invalidFile(origin, `is not an upstream trajectory JSON (${issueText(parsed.error)}).`);
  return camerasToTrajectory(parsed.data.cameras, options.widthPx ?? UPSTREAM_DEFAULT_WIDTH_PX, options.heightPx ?? UPSTREAM_DEFAULT_HEIGHT_PX, options, origin);
}

export interface CameraExportOptions {
  /** 'keyframes': the keys, as upstream's demo saves its recorded cameras; 'sampled': the generation cameras */
  cameras?: 'keyframes' | 'sampled';
  /** frames for 'sampled' */
  nFrame?: number;
}

function exportCameras(t: Trajectory, options: CameraExportOptions): RequestCamera[] {
  if ((options.cameras ?? 'keyframes') === 'sampled') {
    if (options.nFrame === undefined) throw new StudioError('INVALID_REQUEST', 'Exporting the sampled cameras needs a frame count (n_frame); pass nFrame.');
    return sampleGenerationCameras(t, options.nFrame);
  }
  return t.keyframes.map((k) => poseToRequestCamera(k, t.imageWidthPx, t.imageHeightPx));
}

/** Upstream trajectory JSON of the keyframes (default) or of the sampled generation cameras. */
export function toUpstreamTrajectoryJson(t: Trajectory, options: CameraExportOptions = {}): UpstreamTrajectoryJson {
  return { cameras: exportCameras(t, options).map((c) => ({ position: c.position, quaternion: c.quaternion, fx: c.fx, fy: c.fy, cx: c.cx, cy: c.cy })) };
}

export interface UpstreamAllInOne {
  trajectory: Trajectory;
  imagePrompt: string | null;
  textPrompt: string;
  imageIndex: number;
  nFrame: number;
}

/**
 * Reads upstream's all-in-one JSON. Prompts are returned as they are (a file may have neither; the
 * request validator insists on one when the user generates).
 */
export function parseUpstreamAllInOneJson(input: unknown, options: UpstreamImportOptions = {}, origin = 'The JSON file'): UpstreamAllInOne {
  const parsed = generationRequestSchema.safeParse(parseJsonText(input, origin));
  if (!parsed.success) throw invalidFile(origin, `is not an upstream all-in-one JSON (${issueText(parsed.error)}).`);
  const r = parsed.data;
  const [nFrame, heightPx, widthPx] = r.resolution;
  if (!(heightPx > 0 && widthPx > 0)) throw invalidFile(origin, `has resolution ${r.resolution.join('×')}; height and width must be positive.`);
  return {
    trajectory: camerasToTrajectory(r.cameras, widthPx, heightPx, options, origin),
    imagePrompt: r.image_prompt ? r.image_prompt : null,
    textPrompt: r.text_prompt ?? '',
    imageIndex: r.image_index ?? 0,
    nFrame,
  };
}

export interface AllInOneExportOptions extends CameraExportOptions {
  nFrame: number;
  imagePrompt?: string | null;
  textPrompt?: string;
  imageIndex?: number;
}

/**
 * Upstream all-in-one JSON. By default it carries the sampled generation cameras (exactly n_frame,
 * so upstream runs our spline path as is); `cameras: 'keyframes'` writes the keys instead, which
 * upstream then interpolates linearly.
 */
export function toUpstreamAllInOneJson(t: Trajectory, options: AllInOneExportOptions): GenerationRequestJson {
  return toRequestJson({
    imagePrompt: options.imagePrompt ?? null,
    textPrompt: options.textPrompt ?? '',
    imageIndex: options.imageIndex ?? 0,
    nFrame: options.nFrame,
    height: t.imageHeightPx,
    width: t.imageWidthPx,
    cameras: exportCameras(t, { cameras: options.cameras ?? 'sampled', nFrame: options.nFrame }),
  });
}
