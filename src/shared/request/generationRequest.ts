/**
 * Upstream FlashWorld's request JSON (app.py `process_generation_request`, cli.py, examples/*.json),
 * validated once at every boundary (CLI, IPC, WebSocket, files). The zod schema gives the type; the
 * extra checks give one clear sentence per problem, naming the field and what to do.
 *
 * Pure TypeScript: the renderer validates with the same code.
 */
import { z } from 'zod';
import { StudioError } from '../errors';
import type { RequestCamera } from '../camera/types';

const finite = z.number().refine(Number.isFinite, { message: 'must be a finite number' });

export const requestCameraSchema = z.object({
  quaternion: z.tuple([finite, finite, finite, finite]),
  position: z.tuple([finite, finite, finite]),
  fx: finite,
  fy: finite,
  cx: finite,
  cy: finite,
});

export const generationRequestSchema = z.object({
  /** A file path (relative to the JSON's folder) or a data URL / bare base64 string; null or "" for none. */
  image_prompt: z.string().nullable().optional(),
  text_prompt: z.string().optional(),
  cameras: z.array(requestCameraSchema),
  /** [n_frame, height, width] */
  resolution: z.tuple([z.number().int(), z.number().int(), z.number().int()]),
  image_index: z.number().int().optional(),
});

export type GenerationRequestJson = z.infer<typeof generationRequestSchema>;

/** A request after validation, with defaults filled in and names in our style. */
export interface GenerationRequest {
  imagePrompt: string | null;
  textPrompt: string;
  cameras: RequestCamera[];
  nFrame: number;
  height: number;
  width: number;
  imageIndex: number;
}

/** Quaternions further than this from unit length are rejected rather than silently normalised. */
export const QUATERNION_NORM_TOLERANCE = 1e-3;
/** H and W must be multiples of 32: the VAE divides by 16 and the transformer's 2×2 patches by 2 more. */
export const RESOLUTION_MULTIPLE = 32;
export const MAX_FRAMES = 128;
export const MAX_SIDE_PX = 2048;

function invalid(message: string): StudioError {
  return new StudioError('INVALID_REQUEST', message);
}

function describeZodIssue(issue: z.core.$ZodIssue): string {
  const path = issue.path.length ? issue.path.join('.') : 'request';
  return `${path}: ${issue.message}`;
}

/** Parses JSON text (file contents, a message) and validates it; errors say what is wrong and where. */
export function parseGenerationRequestText(text: string, origin = 'request'): GenerationRequest {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (cause) {
    throw new StudioError(
      'INVALID_REQUEST',
      `${origin} is not valid JSON (${(cause as Error).message}). Check the file; NaN and Infinity are not JSON.`,
      { cause },
    );
  }
  return validateGenerationRequest(json, origin);
}

export function validateGenerationRequest(json: unknown, origin = 'request'): GenerationRequest {
  const parsed = generationRequestSchema.safeParse(json);
  if (!parsed.success) {
    throw invalid(`${origin} is not a FlashWorld request: ${describeZodIssue(parsed.error.issues[0])}.`);
  }
  const r = parsed.data;
  const [nFrame, height, width] = r.resolution;
  const imagePrompt = r.image_prompt ? r.image_prompt : null;
  const textPrompt = r.text_prompt ?? '';
  const imageIndex = r.image_index ?? 0;

  if (!imagePrompt && textPrompt.trim() === '') {
    throw invalid(`${origin} has no prompt: give an image_prompt, a text_prompt, or both.`);
  }
  if (nFrame < 1 || nFrame > MAX_FRAMES) {
    throw invalid(`${origin}: resolution[0] (frames) is ${nFrame}; use 1 to ${MAX_FRAMES} (upstream uses 16 or 24).`);
  }
  for (const [name, v] of [['height', height], ['width', width]] as const) {
    if (v < RESOLUTION_MULTIPLE || v > MAX_SIDE_PX || v % RESOLUTION_MULTIPLE !== 0) {
      throw invalid(
        `${origin}: resolution ${name} is ${v}; it must be a multiple of ${RESOLUTION_MULTIPLE} between ` +
          `${RESOLUTION_MULTIPLE} and ${MAX_SIDE_PX} (upstream uses 480×704).`,
      );
    }
  }
  if (r.cameras.length === 0) {
    throw invalid(`${origin} has no cameras: add at least 2 (they are resampled to ${nFrame} frames).`);
  }
  if (r.cameras.length === 1 && nFrame !== 1) {
    throw invalid(`${origin} has 1 camera but ${nFrame} frames: add a second camera so the path can be resampled.`);
  }
  r.cameras.forEach((c, i) => {
    const norm = Math.hypot(...c.quaternion);
    if (Math.abs(norm - 1) > QUATERNION_NORM_TOLERANCE) {
      throw invalid(
        `${origin}: cameras[${i}].quaternion has length ${norm.toFixed(4)}, not 1. Normalise it ([w, x, y, z]).`,
      );
    }
    if (!(c.fx > 0 && c.fy > 0)) {
      throw invalid(`${origin}: cameras[${i}] has focal length fx=${c.fx}, fy=${c.fy}; both must be positive pixels.`);
    }
  });
  if (imageIndex < 0 || imageIndex >= nFrame) {
    throw invalid(`${origin}: image_index ${imageIndex} is outside the ${nFrame} frames (0 to ${nFrame - 1}).`);
  }
  return {
    imagePrompt,
    textPrompt,
    cameras: r.cameras.map((c) => ({ ...c, quaternion: [...c.quaternion], position: [...c.position] })),
    nFrame,
    height,
    width,
    imageIndex,
  };
}

/** Back to upstream's JSON (for export, and for the request the engine logs). */
export function toRequestJson(r: GenerationRequest): GenerationRequestJson {
  return {
    image_prompt: r.imagePrompt,
    text_prompt: r.textPrompt,
    cameras: r.cameras.map((c) => ({ ...c })),
    resolution: [r.nFrame, r.height, r.width],
    image_index: r.imageIndex,
  };
}

/**
 * The same request at another resolution: pixel intrinsics scale with the frame (fx, cx by the width
 * ratio; fy, cy by the height ratio), so the cameras see the same view. For quick previews and tests.
 */
export function withResolution(r: GenerationRequest, [nFrame, height, width]: [number, number, number]): GenerationRequest {
  const sx = width / r.width, sy = height / r.height;
  return validateGenerationRequest(
    {
      ...toRequestJson(r),
      resolution: [nFrame, height, width],
      cameras: r.cameras.map((c) => ({ ...c, fx: c.fx * sx, cx: c.cx * sx, fy: c.fy * sy, cy: c.cy * sy })),
    },
    `the request at ${nFrame}×${height}×${width}`,
  );
}
