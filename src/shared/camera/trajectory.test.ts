import { describe, expect, it } from 'vitest';
import { StudioError } from '../errors';
import { normalizeCameras } from './normalize';
import { quaternionToMatrix } from './quaternion';
import { createRaymaps, createRays, raymapsToChannelsFirst } from './rays';
import { linspaceF32, resampleCameras, sampleFromDenseCameras, videoCameraCount } from './resample';
import { CAMERA_STRIDE, packedToRequestCameras, requestCamerasToPacked, type RequestCamera } from './types';

const W = 704, H = 480;

/** An orbit of `n` cameras looking at the origin from radius 3, quarter-turn steps of `stepRad`. */
function orbit(n: number, stepRad: number): RequestCamera[] {
  const cams: RequestCamera[] = [];
  for (let i = 0; i < n; i++) {
    const a = i * stepRad;
    cams.push({
      // rotation about +Y by a: camera at (3 sin a, 0.5, 3 cos a) looks at the origin's height line
      quaternion: [Math.cos(a / 2), 0, Math.sin(a / 2), 0],
      position: [3 * Math.sin(a), 0.5, 3 * Math.cos(a)],
      fx: 500 + i, fy: 510 + i, cx: W / 2, cy: H / 2 + i,
    });
  }
  return cams;
}

describe('request cameras ⇄ 11-vectors', () => {
  it('divides intrinsics by the image size and back', () => {
    const req = orbit(3, 0.4);
    const packed = requestCamerasToPacked(req, W, H);
    expect(packed.length).toBe(33);
    expect(packed[7]).toBeCloseTo(500 / W, 7);
    expect(packed[CAMERA_STRIDE + 10]).toBeCloseTo((H / 2 + 1) / H, 7);
    const back = packedToRequestCameras(packed, W, H);
    expect(back[2].fx).toBeCloseTo(502, 3);
    expect(back[1].position[0]).toBeCloseTo(3 * Math.sin(0.4), 6);
  });
});

describe('linspace and resampling', () => {
  it('makes torch-like float32 linspaces with exact ends', () => {
    const t = linspaceF32(0, 1, 24);
    expect(t[0]).toBe(0);
    expect(t[23]).toBe(1);
    for (let i = 1; i < 24; i++) expect(t[i]).toBeCloseTo(i / 23, 7);
  });

  it('counts upstream video cameras as (n_frame-1)*fps+1', () => {
    expect(videoCameraCount(24, 15)).toBe(346);
  });

  it('hits the dense cameras exactly at their own times', () => {
    const dense = requestCamerasToPacked(orbit(5, 0.3), W, H);
    const out = sampleFromDenseCameras(dense, [0, 0.25, 0.5, 0.75, 1]);
    for (let i = 0; i < out.length; i++) expect(out[i]).toBeCloseTo(dense[i], 6);
  });

  it('interpolates rotation by angle and position linearly at midpoints', () => {
    const dense = requestCamerasToPacked(orbit(2, 0.8), W, H);
    const [mid] = [sampleFromDenseCameras(dense, [0.5])];
    expect(mid[0]).toBeCloseTo(Math.cos(0.2), 6); // half of the 0.8 rad turn
    expect(mid[2]).toBeCloseTo(Math.sin(0.2), 6);
    expect(mid[4]).toBeCloseTo((0 + 3 * Math.sin(0.8)) / 2, 6); // lerp, not on the circle
    expect(mid[7]).toBeCloseTo(500.5 / W, 6);
  });

  it('takes the short way when the stored quaternions have opposite signs', () => {
    const dense = requestCamerasToPacked(orbit(2, 0.8), W, H);
    for (let c = 0; c < 4; c++) dense[CAMERA_STRIDE + c] *= -1; // same rotation, negated quaternion
    const mid = sampleFromDenseCameras(dense, [0.5]);
    expect(Math.abs(mid[0])).toBeCloseTo(Math.cos(0.2), 6);
  });

  it('resamples 5 cameras to 24 unit-quaternion cameras', () => {
    const out = resampleCameras(requestCamerasToPacked(orbit(5, 0.5), W, H), 24);
    expect(out.length).toBe(24 * CAMERA_STRIDE);
    for (let i = 0; i < 24; i++) {
      const o = i * CAMERA_STRIDE;
      expect(Math.hypot(out[o], out[o + 1], out[o + 2], out[o + 3])).toBeCloseTo(1, 6);
    }
  });

  it('refuses to resample a single camera with INVALID_REQUEST', () => {
    const one = requestCamerasToPacked(orbit(1, 0), W, H);
    expect(() => resampleCameras(one, 24)).toThrow(StudioError);
    try {
      resampleCameras(one, 24);
    } catch (e) {
      expect((e as StudioError).code).toBe('INVALID_REQUEST');
    }
  });
});

describe('normalizeCameras', () => {
  it('makes camera 0 the identity at the origin and the farthest camera ~unit distance', () => {
    const cams = requestCamerasToPacked(orbit(6, 0.5), W, H);
    const { cameras, tNorm } = normalizeCameras(cams);
    expect(Array.from(cameras.slice(0, 7)).map((v) => Math.abs(v) < 1e-6 ? 0 : v)).toEqual([1, 0, 0, 0, 0, 0, 0]);
    let farthest = 0;
    for (let i = 0; i < 6; i++) {
      const o = i * CAMERA_STRIDE;
      farthest = Math.max(farthest, Math.hypot(cameras[o + 4], cameras[o + 5], cameras[o + 6]));
    }
    expect(farthest).toBeCloseTo(tNorm / (tNorm + 0.01), 6);
    // intrinsics are untouched
    expect(cameras[5 * CAMERA_STRIDE + 8]).toBe(cams[5 * CAMERA_STRIDE + 8]);
  });

  it('keeps relative poses: normalized camera i equals ref_w2c · c2w_i scaled', () => {
    const cams = requestCamerasToPacked(orbit(4, 0.7), W, H);
    const { cameras, refW2c, tNorm } = normalizeCameras(cams);
    // camera 0's world position maps to the origin; camera 2's relative rotation is 2×0.7 about Y
    const o = 2 * CAMERA_STRIDE;
    expect(cameras[o]).toBeCloseTo(Math.cos(0.7), 6);
    expect(cameras[o + 2]).toBeCloseTo(Math.sin(0.7), 6);
    const p = [cams[o + 4], cams[o + 5], cams[o + 6], 1];
    const rel = [0, 1, 2].map((r) => refW2c[r * 4] * p[0] + refW2c[r * 4 + 1] * p[1] + refW2c[r * 4 + 2] * p[2] + refW2c[r * 4 + 3]);
    for (let c = 0; c < 3; c++) expect(cameras[o + 4 + c]).toBeCloseTo(rel[c] / (tNorm + 0.01), 6);
  });

  it('reuses ref_w2c and T_norm for the video cameras', () => {
    const cams = requestCamerasToPacked(orbit(4, 0.7), W, H);
    const first = normalizeCameras(cams);
    const video = resampleCameras(cams, 7);
    const again = normalizeCameras(video, { refW2c: first.refW2c, tNorm: first.tNorm });
    expect(again.tNorm).toBe(first.tNorm);
    // video camera 0 is the original camera 0 → identity; video camera 6 is the original camera 3
    expect(again.cameras[0]).toBeCloseTo(1, 6);
    for (let c = 0; c < CAMERA_STRIDE; c++) expect(again.cameras[6 * CAMERA_STRIDE + c]).toBeCloseTo(first.cameras[3 * CAMERA_STRIDE + c], 5);
  });

  it('divides by 0.01 when all cameras sit at camera 0 (no division by zero)', () => {
    const cams = requestCamerasToPacked(orbit(3, 0.2).map((c) => ({ ...c, position: [1, 2, 3] as [number, number, number] })), W, H);
    const { cameras, tNorm } = normalizeCameras(cams);
    expect(tNorm).toBeCloseTo(0, 6);
    expect(cameras.every(Number.isFinite)).toBe(true);
  });
});

describe('rays and raymaps', () => {
  it('points the centre pixel of an identity camera down -Z from its position', () => {
    const cam = requestCamerasToPacked([{ quaternion: [1, 0, 0, 0], position: [1, 2, 3], fx: 4, fy: 4, cx: 2, cy: 2 }], 4, 4);
    const { origins, directions } = createRays(cam, 4, 4);
    // pixel centres at 0.5..3.5; cx = 2 sits between pixels 1 and 2: average their directions
    const p1 = (1 * 4 + 1) * 3, p2 = (2 * 4 + 2) * 3;
    expect((directions[p1] + directions[p2]) / 2).toBeCloseTo(0, 7);
    expect(directions[p1 + 2]).toBeLessThan(-0.9);
    expect(directions[p1]).toBeLessThan(0); // left column → -x
    expect(directions[p1 + 1]).toBeGreaterThan(0); // top row → +y (OpenGL)
    expect(Array.from(origins.slice(0, 3))).toEqual([1, 2, 3]);
  });

  it('makes unit directions through the pinhole model at any grid size', () => {
    const cams = requestCamerasToPacked(orbit(2, 0.9), W, H);
    for (const [h, w] of [[30, 44], [8, 12]]) {
      const { directions } = createRays(cams, h, w);
      for (let i = 0; i < directions.length; i += 3) {
        expect(Math.hypot(directions[i], directions[i + 1], directions[i + 2])).toBeCloseTo(1, 6);
      }
      // camera 1, pixel (col 3, row 5): camera-space direction ∝ ((col+.5-cx)/fx, -(row+.5-cy)/fy, -1)
      const fx = (501 / W) * w, fy = (511 / H) * h, cx = (W / 2 / W) * w, cy = ((H / 2 + 1) / H) * h;
      const local = [(3.5 - cx) / fx, -(5.5 - cy) / fy, -1];
      const r = quaternionToMatrix(cams, CAMERA_STRIDE);
      const world = [0, 1, 2].map((k) => r[k * 3] * local[0] + r[k * 3 + 1] * local[1] + r[k * 3 + 2] * local[2]);
      const len = Math.hypot(...world);
      const base = (1 * h * w + 5 * w + 3) * 3;
      for (let k = 0; k < 3; k++) expect(directions[base + k]).toBeCloseTo(world[k] / len, 6);
    }
  });

  it('shifts rays by the uv offset in units of the principal point', () => {
    const cam = requestCamerasToPacked([{ quaternion: [1, 0, 0, 0], position: [0, 0, 0], fx: 8, fy: 8, cx: 4, cy: 4 }], 8, 8);
    const offset = new Float32Array(8 * 8 * 2);
    offset[0] = 0.25; // pixel (0, 0): du = 0.25 ⇒ x moves by 0.25·cx/fx = 0.125 at z = -1
    const plain = createRays(cam, 8, 8).directions, shifted = createRays(cam, 8, 8, offset).directions;
    expect(shifted[0] / -shifted[2] - plain[0] / -plain[2]).toBeCloseTo(0.125, 6);
    expect(shifted[3]).toBe(plain[3]);
  });

  it('builds raymaps [d, o − (o·d)d] whose moment part is orthogonal to d', () => {
    const cams = requestCamerasToPacked(orbit(3, 0.6), W, H);
    const maps = createRaymaps(cams, 6, 9);
    expect(maps.length).toBe(3 * 6 * 9 * 6);
    for (let i = 0; i < maps.length; i += 6) {
      const dot = maps[i] * maps[i + 3] + maps[i + 1] * maps[i + 4] + maps[i + 2] * maps[i + 5];
      expect(Math.abs(dot)).toBeLessThan(1e-5);
    }
    const cf = raymapsToChannelsFirst(maps, 3, 6, 9);
    const plane = 3 * 6 * 9;
    expect(cf[4 * plane + 17]).toBe(maps[17 * 6 + 4]);
  });

  it('bf16 autocast emulation stays within bf16 precision of the float32 raymaps', () => {
    const cams = normalizeCameras(requestCamerasToPacked(orbit(3, 0.6), W, H)).cameras;
    const exact = createRaymaps(cams, 30, 44), bf16 = createRaymaps(cams, 30, 44, { autocastBf16: true });
    let maxDiff = 0, anyDiff = false;
    for (let i = 0; i < exact.length; i++) {
      maxDiff = Math.max(maxDiff, Math.abs(exact[i] - bf16[i]));
      if (exact[i] !== bf16[i]) anyDiff = true;
    }
    expect(anyDiff).toBe(true);
    expect(maxDiff).toBeLessThan(2 ** -7);
  });
});
