/**
 * Camera data as the FlashWorld network sees it.
 *
 * One camera is an 11-vector `[qw, qx, qy, qz, tx, ty, tz, fx/W, fy/H, cx/W, cy/H]`: an OpenGL
 * camera-to-world pose (-Z forward, +Y up, as three.js) as a unit quaternion (real part first) and
 * a position, then the pinhole intrinsics divided by the image width/height. A set of N cameras is
 * packed row-major into one Float32Array of length N*11, exactly as upstream's (N, 11) float32
 * tensors, so values are rounded to float32 between stages as they are upstream.
 *
 * Pure TypeScript (no Node APIs): the renderer uses this module too.
 */

/** Floats per camera in a packed camera set. */
export const CAMERA_STRIDE = 11;

/** N cameras, row-major (N, 11) float32. */
export type PackedCameras = Float32Array;

/** A camera in upstream's request JSON (app.py `process_generation_request`): intrinsics in pixels. */
export interface RequestCamera {
  /** [w, x, y, z], camera-to-world rotation, OpenGL convention. */
  quaternion: [number, number, number, number];
  /** camera centre in world units */
  position: [number, number, number];
  fx: number;
  fy: number;
  cx: number;
  cy: number;
}

export function cameraCount(cameras: PackedCameras): number {
  if (cameras.length % CAMERA_STRIDE !== 0) {
    throw new RangeError(`packed cameras length ${cameras.length} is not a multiple of ${CAMERA_STRIDE}`);
  }
  return cameras.length / CAMERA_STRIDE;
}

/** One camera's 11 values (a copy). */
export function cameraAt(cameras: PackedCameras, index: number): Float32Array {
  return cameras.slice(index * CAMERA_STRIDE, (index + 1) * CAMERA_STRIDE);
}

/**
 * Request cameras (pixel intrinsics of a `width`×`height` image) → packed 11-vectors, as upstream
 * builds its float32 tensor: the divisions happen in double precision, then each value is rounded
 * to float32.
 */
export function requestCamerasToPacked(cameras: readonly RequestCamera[], width: number, height: number): PackedCameras {
  const out = new Float32Array(cameras.length * CAMERA_STRIDE);
  cameras.forEach((c, i) => {
    const o = i * CAMERA_STRIDE;
    out[o + 0] = c.quaternion[0];
    out[o + 1] = c.quaternion[1];
    out[o + 2] = c.quaternion[2];
    out[o + 3] = c.quaternion[3];
    out[o + 4] = c.position[0];
    out[o + 5] = c.position[1];
    out[o + 6] = c.position[2];
    out[o + 7] = c.fx / width;
    out[o + 8] = c.fy / height;
    out[o + 9] = c.cx / width;
    out[o + 10] = c.cy / height;
  });
  return out;
}

/** Packed 11-vectors → request cameras with pixel intrinsics for a `width`×`height` image. */
export function packedToRequestCameras(cameras: PackedCameras, width: number, height: number): RequestCamera[] {
  const n = cameraCount(cameras);
  const out: RequestCamera[] = [];
  for (let i = 0; i < n; i++) {
    const o = i * CAMERA_STRIDE;
    out.push({
      quaternion: [cameras[o], cameras[o + 1], cameras[o + 2], cameras[o + 3]],
      position: [cameras[o + 4], cameras[o + 5], cameras[o + 6]],
      fx: cameras[o + 7] * width,
      fy: cameras[o + 8] * height,
      cx: cameras[o + 9] * width,
      cy: cameras[o + 10] * height,
    });
  }
  return out;
}
