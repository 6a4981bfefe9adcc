/**
 * Camera trajectory resampling, as upstream FlashWorld's utils.py `sample_from_dense_cameras` /
 * `sample_from_two_pose`: each sample time t ∈ [0, 1] falls between two neighbouring cameras;
 * rotation is slerped (shortest path), position and intrinsics are lerped.
 *
 * Upstream adds Gaussian jitter scaled by `noise_strengths`; `generate` passes zero strengths, so
 * the jitter vanishes (it still consumes two `randn` draws upstream; our random streams are our
 * own, so nothing here draws). Evaluated in float32 like upstream so that the segment choice and
 * the slerp threshold decide the same way.
 */
import { StudioError } from '../errors';
import { normalizeQuaternionF32, quaternionSlerp } from './quaternion';
import { CAMERA_STRIDE, cameraCount, type PackedCameras } from './types';

const f32 = Math.fround;

/**
 * `torch.linspace(start, end, steps)` in float32, with torch's two-sided formula (the first half
 * counts up from `start`, the second half down from `end`, so both ends are exact).
 */
export function linspaceF32(start: number, end: number, steps: number): Float32Array {
  const out = new Float32Array(steps);
  if (steps === 1) {
    out[0] = start;
    return out;
  }
  const s = f32(start), e = f32(end);
  const step = f32(f32(e - s) / (steps - 1));
  const halfway = Math.floor(steps / 2);
  for (let i = 0; i < steps; i++) {
    out[i] = i < halfway ? f32(s + f32(step * i)) : f32(e - f32(step * (steps - i - 1)));
  }
  return out;
}

/** Number of cameras upstream renders for a preview video: `(n_frame - 1) * video_fps + 1`. */
export function videoCameraCount(nFrame: number, videoFps: number): number {
  return (nFrame - 1) * videoFps + 1;
}

/** Cameras at times `t` (each in [0, 1]) along the dense trajectory. */
export function sampleFromDenseCameras(dense: PackedCameras, t: ArrayLike<number>): PackedCameras {
  const n = cameraCount(dense);
  if (n < 2) {
    throw new StudioError(
      'INVALID_REQUEST',
      `A camera trajectory needs at least 2 cameras to be resampled, but it has ${n}. Add a camera or set the frame count to ${n}.`,
    );
  }
  const out = new Float32Array(t.length * CAMERA_STRIDE);
  const flippedB = new Float64Array(4);
  for (let m = 0; m < t.length; m++) {
    const scaled = f32(f32(t[m]) * (n - 1));
    const left = Math.min(Math.max(Math.floor(scaled), 0), n - 2);
    const fraction = f32(scaled - left);
    const a = left * CAMERA_STRIDE, b = (left + 1) * CAMERA_STRIDE, o = m * CAMERA_STRIDE;

    // shortest path: flip b's quaternion when the dot product is negative (float32 like upstream)
    const dot = f32(f32(f32(dense[a] * dense[b]) + f32(dense[a + 1] * dense[b + 1])) + f32(f32(dense[a + 2] * dense[b + 2]) + f32(dense[a + 3] * dense[b + 3])));
    const sign = dot < 0 ? -1 : 1;
    for (let c = 0; c < 4; c++) flippedB[c] = sign * dense[b + c];
    const q = normalizeQuaternionF32(quaternionSlerp(dense, flippedB, fraction, a, 0));
    out.set(q, o);

    // position and intrinsics: (1 - f)·a + f·b
    const oneMinus = f32(1 - fraction);
    for (let c = 4; c < CAMERA_STRIDE; c++) {
      out[o + c] = f32(f32(oneMinus * dense[a + c]) + f32(fraction * dense[b + c]));
    }
  }
  return out;
}

/** Resamples a trajectory to `count` cameras evenly spaced in t, as upstream `generate` does. */
export function resampleCameras(dense: PackedCameras, count: number): PackedCameras {
  return sampleFromDenseCameras(dense, linspaceF32(0, 1, count));
}
