/**
 * Image prompt parity with upstream app.py `process_generation_request` (tools/reference/
 * make_math_fixtures.py `image_prep`): five images (landscape PNG 1000×600, JPEG 300×500 saved by
 * PIL at quality 90, exact-aspect PNG 704×480 taken to 96×64, RGBA PNG 50×40 upscaled, grayscale PNG
 * 257×129) decoded, cropped, resized by PIL and their request cameras turned into 11-vectors.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeImage } from '../../src/engine/pipeline/imageDecode';
import { prepareDecodedImage, prepareImagePrompt } from '../../src/engine/pipeline/imagePrep';
import { requestCamerasToPacked, type RequestCamera } from '../../src/shared/camera';
import { fixtureExists, fixturesDir, loadFixture } from '../helpers/fixtures';

const FIXTURE = 'parity/image_prep.safetensors';
const present = fixtureExists(FIXTURE);

interface Case {
  file: string;
  resolution: [number, number, number];
  cameras: RequestCamera[];
}

describe('image prompt preparation equals upstream', () => {
  const { tensors, metadata } = present ? loadFixture(FIXTURE) : { tensors: {}, metadata: { cases: '[]' } };
  const cases = JSON.parse(metadata.cases) as Case[];

  it('has the five cases', () => {
    expect(cases.map((c) => c.file)).toEqual(['case0.png', 'case1.jpg', 'case2.png', 'case3.png', 'case4.png']);
  });

  cases.forEach((c, i) => {
    const [, height, width] = c.resolution;
    const path = join(fixturesDir, 'images', c.file);

    it(`${c.file} → ${width}×${height}: same pixels, image tensor and cameras`, () => {
      const prepared = prepareImagePrompt(path, c.cameras, width, height);

      const decoded = tensors[`case${i}_decoded`];
      if (decoded) {
        // PIL's decode is kept for the lossy format only: ours must equal it exactly (libjpeg-turbo maths)
        const ours = decodeImage(new Uint8Array(readFileSync(path)));
        expect([ours.height, ours.width, 3]).toEqual(decoded.shape);
        let mismatches = 0, maxDiff = 0;
        for (let k = 0; k < ours.data.length; k++) {
          const d = Math.abs(ours.data[k] - (decoded.data as Uint8Array)[k]);
          if (d) mismatches++;
          maxDiff = Math.max(maxDiff, d);
        }
        console.log(`${c.file} decode: ${mismatches} of ${ours.data.length} values differ from PIL, max ${maxDiff}/255`);
        expect(maxDiff).toBe(0);
      }

      // resized uint8 image (upstream's float image is exactly v/255·2−1 of it)
      const resized = tensors[`case${i}_resized`];
      expect(resized.shape).toEqual([height, width, 3]);
      const plane = width * height;
      let maxErr = 0, mismatches = 0;
      for (let p = 0; p < plane; p++) {
        for (let ch = 0; ch < 3; ch++) {
          const expected = (resized.data as Uint8Array)[p * 3 + ch];
          const ours = Math.round(((prepared.image[ch * plane + p] + 1) / 2) * 255);
          if (ours !== expected) mismatches++;
          maxErr = Math.max(maxErr, Math.abs(prepared.image[ch * plane + p] - (expected / 255) * 2 + 1));
        }
      }
      console.log(`${c.file} resize: ${mismatches} of ${plane * 3} pixels differ from PIL; max abs error in [-1,1] ${maxErr.toExponential(2)}`);
      expect(mismatches).toBe(0);
      expect(maxErr).toBeLessThan(1e-6);

      const image = tensors[`case${i}_image`];
      if (image) expect(Array.from(prepared.image)).toEqual(Array.from(image.data as Float32Array));

      const cams = requestCamerasToPacked(prepared.cameras, width, height);
      expect(Array.from(cams)).toEqual(Array.from(tensors[`case${i}_cameras`].data as Float32Array));
    });
  });

  it('gives the same result from bytes as from the path (decode once, prepare many)', () => {
    const c = cases[3];
    const bytes = new Uint8Array(readFileSync(join(fixturesDir, 'images', c.file)));
    const a = prepareImagePrompt(bytes, c.cameras, c.resolution[2], c.resolution[1]);
    const b = prepareDecodedImage(decodeImage(bytes), c.cameras, c.resolution[2], c.resolution[1]);
    expect(Array.from(a.image)).toEqual(Array.from(b.image));
  });
});
