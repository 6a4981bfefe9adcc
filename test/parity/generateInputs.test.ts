/**
 * The inputs upstream's whole `generate` received and derived in the recorded tiny run
 * (tools/reference/make_generate_fixture.py, on the GPU under bf16 autocast): the image and the
 * 11-vectors process_generation_request handed over, and ref_w2c / T_norm after resampling 5 request
 * cameras to 4 frames and normalizing. Our image prep and camera maths must reproduce them.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { prepareImagePrompt } from '../../src/engine/pipeline/imagePrep';
import { normalizeCameras, requestCamerasToPacked, resampleCameras, type RequestCamera } from '../../src/shared/camera';
import { compareArrays, fixtureExists, fixturesDir, loadFixture } from '../helpers/fixtures';

const FIXTURE = 'parity/generate.safetensors';
const present = fixtureExists(FIXTURE);

describe('generate inputs equal upstream’s recorded run', () => {
  const { tensors, metadata } = present ? loadFixture(FIXTURE) : { tensors: {}, metadata: { request: '{}' } };
  const request = JSON.parse(metadata.request) as { image_prompt: string; resolution: [number, number, number]; cameras: RequestCamera[] };
  const [nFrame, height, width] = request.resolution;
  // the fixture recorded the GPU machine's path; the same file is in test/fixtures/images
  const imagePath = join(fixturesDir, 'images', request.image_prompt.split('/').pop() as string);
  const prepared = prepareImagePrompt(imagePath, request.cameras, width, height);
  const packed = requestCamerasToPacked(prepared.cameras, width, height);

  it('prepares the same image and request cameras', () => {
    expect(Array.from(prepared.image)).toEqual(Array.from(tensors.image.data as Float32Array));
    expect(Array.from(packed)).toEqual(Array.from(tensors.request_cameras.data as Float32Array));
  });

  it('resamples to n_frame and normalizes to the same ref_w2c and T_norm', () => {
    const { refW2c, tNorm } = normalizeCameras(resampleCameras(packed, nFrame));
    const r = compareArrays(refW2c, tensors.ref_w2c.data as Float32Array);
    const expectedTNorm = (tensors.t_norm.data as Float32Array)[0];
    console.log(`generate ref_w2c max abs error ${r.maxAbs.toExponential(2)}; T_norm ${tNorm} vs ${expectedTNorm}`);
    expect(r.maxAbs).toBeLessThan(1e-5);
    expect(Math.abs(tNorm - expectedTNorm)).toBeLessThan(1e-5);
  });
});
