import { describe, expect, it } from 'vitest';
import { parseGenerationRequestText, toRequestJson, validateGenerationRequest, withResolution } from './generationRequest';

const cam = (z: number) => ({ quaternion: [1, 0, 0, 0], position: [0, 0, z], fx: 352, fy: 352, cx: 352, cy: 240 });
const base = { text_prompt: 'a harbor', cameras: [cam(0), cam(-1)], resolution: [24, 480, 704], image_index: 0 };

function errorOf(json: unknown): string {
  try {
    validateGenerationRequest(json, 'req.json');
  } catch (e) {
    expect((e as { code: string }).code).toBe('INVALID_REQUEST');
    return (e as Error).message;
  }
  throw new Error('expected a validation error');
}

describe('generation request validation', () => {
  it('accepts an upstream request and fills defaults', () => {
    const r = validateGenerationRequest({ ...base, image_index: undefined });
    expect(r).toMatchObject({ nFrame: 24, height: 480, width: 704, imageIndex: 0, imagePrompt: null, textPrompt: 'a harbor' });
    expect(toRequestJson(r).resolution).toEqual([24, 480, 704]);
  });

  it('rejects each bad request with one sentence naming the problem', () => {
    expect(errorOf({ ...base, text_prompt: '  ', image_prompt: null })).toMatch(/no prompt/);
    expect(errorOf({ ...base, cameras: [] })).toMatch(/no cameras/);
    expect(errorOf({ ...base, cameras: [cam(0)] })).toMatch(/1 camera but 24 frames/);
    expect(errorOf({ ...base, cameras: [cam(0), { ...cam(1), quaternion: [1, 1, 0, 0] }] })).toMatch(/cameras\[1\]\.quaternion has length 1\.4142/);
    expect(errorOf({ ...base, cameras: [cam(0), { ...cam(1), fx: null }] })).toMatch(/cameras\.1\.fx/);
    expect(errorOf({ ...base, resolution: [24, 480, 700] })).toMatch(/width is 700; it must be a multiple of 32/);
    expect(errorOf({ ...base, resolution: [0, 480, 704] })).toMatch(/frames\) is 0/);
    expect(errorOf({ ...base, resolution: [24, 480] })).toMatch(/resolution/);
    expect(errorOf({ ...base, image_index: 24 })).toMatch(/image_index 24 is outside the 24 frames/);
    expect(errorOf({ ...base, cameras: [cam(0), { ...cam(1), fx: -5 }] })).toMatch(/fx=-5/);
    expect(errorOf('hello')).toMatch(/not a FlashWorld request/);
  });

  it('says malformed JSON is malformed, including NaN', () => {
    expect(() => parseGenerationRequestText('{"cameras": [NaN]}', 'x.json')).toThrow(/x\.json is not valid JSON.*NaN/);
  });
});

describe('withResolution', () => {
  it('scales pixel intrinsics with the frame and keeps everything else', () => {
    const r = withResolution(validateGenerationRequest(base), [4, 64, 96]);
    expect([r.nFrame, r.height, r.width]).toEqual([4, 64, 96]);
    expect(r.cameras[0]).toMatchObject({ fx: 352 * 96 / 704, cx: 48, fy: 352 * 64 / 480, cy: 32 });
    expect(r.textPrompt).toBe('a harbor');
  });

  it('rejects a frame count that leaves image_index outside', () => {
    expect(() => withResolution(validateGenerationRequest({ ...base, image_index: 5 }), [4, 64, 96])).toThrow(/image_index 5 is outside the 4 frames/);
  });
});
