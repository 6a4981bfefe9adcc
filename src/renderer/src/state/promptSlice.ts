/**
 * The prompt panel's draft: image, text, frames × H × W, image index, seed, model and the
 * cameras. `promptProblems` says, per control, why Generate is disabled.
 */
import type { StateCreator } from 'zustand';
import type { PromptDraft } from '../../../shared/api/projectSchemas';
import type { JobSettings } from '../../../shared/api/jobSchemas';
import type { GenerationRequestJson } from '../../../shared/request/generationRequest';
import { MAX_FRAMES, MAX_SIDE_PX, RESOLUTION_MULTIPLE } from '../../../shared/request/generationRequest';
import type { StudioState } from './store';

/** upstream app.py offers these two: 24 frames (quality) and 16 frames (speed) at 480×704. */
export const RESOLUTION_PRESETS = [
  { id: '24x480x704', label: '24 × 480 × 704', frames: 24, height: 480, width: 704 },
  { id: '16x480x704', label: '16 × 480 × 704', frames: 16, height: 480, width: 704 },
] as const;

export const emptyDraft = (): PromptDraft => ({
  imageDataUrl: null,
  imageName: null,
  text: '',
  imageIndex: 0,
  frames: 24,
  height: 480,
  width: 704,
  seed: 0,
  model: 'test',
  cameras: [],
});

export interface PromptSlice {
  draft: PromptDraft;
  setDraft(patch: Partial<PromptDraft>): void;
  loadRequest(request: GenerationRequestJson, name: string): void;
}

export const createPromptSlice: StateCreator<StudioState, [], [], PromptSlice> = (set) => ({
  draft: emptyDraft(),
  setDraft: (patch) => set((s) => ({ draft: { ...s.draft, ...patch }, dirty: true })),
  loadRequest: (request, name) =>
    set((s) => ({
      dirty: true,
      draft: {
        ...s.draft,
        imageDataUrl: request.image_prompt?.startsWith('data:') ? request.image_prompt : null,
        imageName: request.image_prompt ? name : null,
        text: request.text_prompt ?? '',
        imageIndex: request.image_index ?? 0,
        frames: request.resolution[0],
        height: request.resolution[1],
        width: request.resolution[2],
        cameras: request.cameras,
      },
    })),
});

export type PromptField = 'prompt' | 'frames' | 'height' | 'width' | 'imageIndex' | 'cameras' | 'model' | 'seed';

/** Every reason the current draft can't be queued, by control. Empty = ready. */
export function promptProblems(draft: PromptDraft, models: { id: string; available: boolean; reason: string | null }[]): Partial<Record<PromptField, string>> {
  const p: Partial<Record<PromptField, string>> = {};
  if (!draft.imageDataUrl && draft.text.trim() === '') p.prompt = 'Add an image, a text prompt, or both.';
  if (!Number.isInteger(draft.frames) || draft.frames < 1 || draft.frames > MAX_FRAMES) p.frames = `Frames must be 1 to ${MAX_FRAMES}.`;
  for (const side of ['height', 'width'] as const) {
    const v = draft[side];
    if (!Number.isInteger(v) || v % RESOLUTION_MULTIPLE !== 0 || v < RESOLUTION_MULTIPLE || v > MAX_SIDE_PX) {
      p[side] = `${side === 'height' ? 'Height' : 'Width'} must be a multiple of ${RESOLUTION_MULTIPLE} from ${RESOLUTION_MULTIPLE} to ${MAX_SIDE_PX} (the network works on 32-pixel blocks).`;
    }
  }
  if (draft.imageIndex < 0 || draft.imageIndex >= draft.frames) p.imageIndex = `Image index must be 0 to ${draft.frames - 1}.`;
  if (draft.cameras.length < 2) p.cameras = 'Add a camera trajectory (import a request JSON or pick an example): at least 2 cameras.';
  const model = models.find((m) => m.id === draft.model);
  if (!model) p.model = 'Choose a model.';
  else if (!model.available) p.model = model.reason ?? 'This model is not available.';
  if (!Number.isInteger(draft.seed) || draft.seed < 0 || draft.seed >= 2 ** 32) p.seed = 'Seed must be a whole number from 0 to 4294967295.';
  return p;
}

export function draftToRequest(draft: PromptDraft): GenerationRequestJson {
  return {
    image_prompt: draft.imageDataUrl,
    text_prompt: draft.text,
    cameras: draft.cameras,
    resolution: [draft.frames, draft.height, draft.width],
    image_index: draft.imageIndex,
  };
}

export function draftToSettings(draft: PromptDraft, label: string): JobSettings {
  return { request: draftToRequest(draft), seed: draft.seed, model: draft.model, label };
}

/** The settings of a finished job back into the panel ("duplicate"). */
export function settingsToDraft(settings: JobSettings, previous: PromptDraft): PromptDraft {
  const r = settings.request;
  return {
    ...previous,
    imageDataUrl: r.image_prompt ?? null,
    imageName: r.image_prompt ? (previous.imageName ?? 'image') : null,
    text: r.text_prompt ?? '',
    imageIndex: r.image_index ?? 0,
    frames: r.resolution[0],
    height: r.resolution[1],
    width: r.resolution[2],
    cameras: r.cameras,
    seed: settings.seed,
    model: settings.model,
  };
}
