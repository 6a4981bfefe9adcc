/**
 * Camera maths parity with upstream utils.py (tools/reference/make_math_fixtures.py `cameras`):
 * a forward dolly (5 cameras) and an orbit (8 cameras, 45° steps) resampled to 24 and to the 346
 * preview-video cameras, normalized with return_meta and again with the same ref_w2c / T_norm,
 * raymaps at 30×44, rays with uv offsets, quaternion ⇄ matrix. Upstream ran in float32 on the CPU.
 */
import { describe, expect, it } from 'vitest';
import {
  CAMERA_STRIDE,
  createRaymaps,
  createRays,
  linspaceF32,
  matrixToQuaternion,
  normalizeCameras,
  quaternionToMatrix,
  resampleCameras,
  sampleFromDenseCameras,
  videoCameraCount,
} from '../../src/shared/camera';
import { compareArrays, fixtureExists, loadFixture } from '../helpers/fixtures';

const FIXTURE = 'parity/cameras.safetensors';
const present = fixtureExists(FIXTURE);

const TOL = 1e-5;

function f32(name: string, tensors: ReturnType<typeof loadFixture>['tensors']): Float32Array {
  const t = tensors[name];
  if (!t) throw new Error(`fixture tensor ${name} missing`);
  return t.data as Float32Array;
}

/**
 * Cameras compared value by value, except that a quaternion may come out negated: q and −q are the
 * same rotation, and for 180° relative rotations (w ≈ 0) the sign upstream's standardization picks
 * depends on float32 rounding of w around 0. Everything downstream goes through the rotation matrix.
 */
function cameraError(actual: Float32Array, expected: Float32Array): number {
  expect(actual.length).toBe(expected.length);
  let max = 0;
  for (let o = 0; o < expected.length; o += CAMERA_STRIDE) {
    let same = 0, flipped = 0;
    for (let c = 0; c < 4; c++) {
      same = Math.max(same, Math.abs(actual[o + c] - expected[o + c]));
      flipped = Math.max(flipped, Math.abs(actual[o + c] + expected[o + c]));
    }
    const halfTurn = Math.abs(expected[o]) < 1e-4; // w ≈ 0: either sign is the same rotation
    max = Math.max(max, halfTurn ? Math.min(same, flipped) : same);
    for (let c = 4; c < CAMERA_STRIDE; c++) max = Math.max(max, Math.abs(actual[o + c] - expected[o + c]));
  }
  return max;
}

describe('camera maths equal upstream utils.py', () => {
  const { tensors } = present ? loadFixture(FIXTURE) : { tensors: {} };

  for (const prefix of ['fwd_', 'orbit_']) {
    describe(prefix.slice(0, -1), () => {
      const dense = () => f32(`${prefix}dense`, tensors);

      it('resamples the dense cameras to 24 like sample_from_dense_cameras', () => {
        const err = cameraError(resampleCameras(dense(), 24), f32(`${prefix}sampled`, tensors));
        console.log(`${prefix}sampled max abs error ${err.toExponential(2)}`);
        expect(err).toBeLessThan(TOL);
      });

      it('resamples the 24 cameras to the 346 preview-video cameras', () => {
        expect(videoCameraCount(24, 15)).toBe(346);
        const sampled = f32(`${prefix}sampled`, tensors);
        const err = cameraError(sampleFromDenseCameras(sampled, linspaceF32(0, 1, 346)), f32(`${prefix}video`, tensors));
        console.log(`${prefix}video max abs error ${err.toExponential(2)}`);
        expect(err).toBeLessThan(TOL);
      });

      it('normalizes relative to camera 0 with the same ref_w2c and T_norm', () => {
        const result = normalizeCameras(f32(`${prefix}sampled`, tensors));
        const tNorm = f32(`${prefix}t_norm`, tensors)[0];
        expect(Math.abs(result.tNorm - tNorm)).toBeLessThan(TOL * Math.max(1, tNorm));
        expect(compareArrays(result.refW2c, f32(`${prefix}ref_w2c`, tensors)).maxAbs).toBeLessThan(TOL);
        const err = cameraError(result.cameras, f32(`${prefix}normalized`, tensors));
        console.log(`${prefix}normalized max abs error ${err.toExponential(2)} (T_norm ${result.tNorm} vs ${tNorm})`);
        expect(err).toBeLessThan(TOL);
      });

      it('normalizes the video cameras with the first call’s ref_w2c and T_norm', () => {
        const first = normalizeCameras(f32(`${prefix}sampled`, tensors));
        const video = normalizeCameras(f32(`${prefix}video`, tensors), { refW2c: first.refW2c, tNorm: first.tNorm });
        const err = cameraError(video.cameras, f32(`${prefix}normalized_video`, tensors));
        console.log(`${prefix}normalized_video max abs error ${err.toExponential(2)}`);
        expect(err).toBeLessThan(TOL);
      });

      it('builds the 30×44 raymaps of the normalized cameras', () => {
        const maps = createRaymaps(f32(`${prefix}normalized`, tensors), 30, 44);
        const r = compareArrays(maps, f32(`${prefix}raymaps`, tensors));
        console.log(`${prefix}raymaps max abs error ${r.maxAbs.toExponential(2)}`);
        expect(r.maxAbs).toBeLessThan(TOL);
      });

      it('runs the whole chain (resample → normalize → raymaps) from the dense cameras', () => {
        const { cameras } = normalizeCameras(resampleCameras(dense(), 24));
        const r = compareArrays(createRaymaps(cameras, 30, 44), f32(`${prefix}raymaps`, tensors));
        expect(r.maxAbs).toBeLessThan(TOL);
      });
    });
  }

  it('creates rays with uv offsets like create_rays(uv_offset=...)', () => {
    const { origins, directions } = createRays(f32('uv_cameras', tensors), 8, 12, f32('uv_offset', tensors));
    const o = compareArrays(origins, f32('uv_rays_o', tensors)), d = compareArrays(directions, f32('uv_rays_d', tensors));
    console.log(`uv rays: origins ${o.maxAbs.toExponential(2)}, directions ${d.maxAbs.toExponential(2)}`);
    expect(o.maxAbs).toBeLessThan(TOL);
    expect(d.maxAbs).toBeLessThan(TOL);
  });

  it('converts quaternions (also non-unit) to matrices like quaternion_to_matrix', () => {
    const quats = f32('quats', tensors), expected = f32('quat_mats', tensors);
    const actual = new Float32Array(expected.length);
    for (let i = 0; i < quats.length / 4; i++) actual.set(quaternionToMatrix(quats, i * 4), i * 9);
    expect(compareArrays(actual, expected).maxAbs).toBeLessThan(TOL);
  });

  it('converts matrices to standardized quaternions like matrix_to_quaternion', () => {
    const mats = f32('mats', tensors), expected = f32('mat_quats', tensors);
    const actual = new Float32Array(expected.length);
    for (let i = 0; i < mats.length / 9; i++) actual.set(matrixToQuaternion(mats, i * 9), i * 4);
    expect(compareArrays(actual, expected).maxAbs).toBeLessThan(TOL);
  });
});
