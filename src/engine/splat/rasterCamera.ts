/**
 * Camera conversion exactly as upstream hands cameras to gsplat (models/render.py): the OpenGL
 * camera-to-world matrix gets its y and z axes flipped (`test_c2ws[:, :, :3, 1:3] *= -1`, OpenGL →
 * COLMAP/OpenCV: +y down, +z forward), then gsplat receives its inverse as the view matrix and
 * K = [[fx, 0, cx], [0, fy, cy], [0, 0, 1]] in pixels. SH directions use the camera centre, which
 * gsplat takes as `inverse(viewmat)[:3, 3]`, i.e. the camera-to-world translation.
 */
import { StudioError } from '../../shared/errors';

export interface RasterCamera {
  /** OpenGL camera-to-world (-z forward, +y up), 16 numbers row-major: `c2wGL[4 * row + col]`. */
  c2wGL: ArrayLike<number>;
  fxPx: number;
  fyPx: number;
  cxPx: number;
  cyPx: number;
}

export interface ViewTransform {
  /** World-to-camera (OpenCV axes), row-major 3×3 rotation part and translation. */
  w2cRotation: Float64Array;
  w2cTranslation: Float64Array;
  /** Camera centre in world space. */
  centre: Float64Array;
}

export function viewTransformOf(camera: RasterCamera, index: number): ViewTransform {
  const m = camera.c2wGL;
  if (!m || m.length !== 16) {
    throw new StudioError('INVALID_REQUEST', `Camera ${index} has ${m ? m.length : 0} numbers in c2wGL; give 16 (a row-major 4×4 OpenGL camera-to-world matrix).`);
  }
  for (const [name, v] of [['fxPx', camera.fxPx], ['fyPx', camera.fyPx], ['cxPx', camera.cxPx], ['cyPx', camera.cyPx]] as const) {
    if (!Number.isFinite(v)) throw new StudioError('INVALID_REQUEST', `Camera ${index} has ${name} = ${v}; give a finite number of pixels.`);
  }
  const c2w = Float64Array.from(m as ArrayLike<number>);
  for (let r = 0; r < 3; r++) {
    c2w[4 * r + 1] *= -1;
    c2w[4 * r + 2] *= -1;
  }
  const w2c = invert4x4(c2w);
  if (!w2c) throw new StudioError('INVALID_REQUEST', `Camera ${index}'s c2wGL matrix is singular; give an invertible camera-to-world matrix.`);
  return {
    w2cRotation: Float64Array.of(w2c[0], w2c[1], w2c[2], w2c[4], w2c[5], w2c[6], w2c[8], w2c[9], w2c[10]),
    w2cTranslation: Float64Array.of(w2c[3], w2c[7], w2c[11]),
    centre: Float64Array.of(c2w[3], c2w[7], c2w[11]),
  };
}

/** General 4×4 inverse (as torch.inverse: upstream does not assume a rigid matrix); null if singular. */
export function invert4x4(a: ArrayLike<number>): Float64Array | null {
  const n = 4;
  const m = new Float64Array(32); // [a | I], Gauss-Jordan with partial pivoting
  for (let r = 0; r < n; r++) {
    for (let c = 0; c < n; c++) m[r * 8 + c] = a[r * 4 + c];
    m[r * 8 + 4 + r] = 1;
  }
  for (let col = 0; col < n; col++) {
    let pivot = col;
    for (let r = col + 1; r < n; r++) if (Math.abs(m[r * 8 + col]) > Math.abs(m[pivot * 8 + col])) pivot = r;
    const p = m[pivot * 8 + col];
    if (!Number.isFinite(p) || Math.abs(p) < 1e-300) return null;
    if (pivot !== col) {
      for (let c = 0; c < 8; c++) {
        const t = m[col * 8 + c];
        m[col * 8 + c] = m[pivot * 8 + c];
        m[pivot * 8 + c] = t;
      }
    }
    for (let c = 0; c < 8; c++) m[col * 8 + c] /= p;
    for (let r = 0; r < n; r++) {
      if (r === col) continue;
      const f = m[r * 8 + col];
      if (f === 0) continue;
      for (let c = 0; c < 8; c++) m[r * 8 + c] -= f * m[col * 8 + c];
    }
  }
  const out = new Float64Array(16);
  for (let r = 0; r < n; r++) for (let c = 0; c < n; c++) out[r * 4 + c] = m[r * 8 + 4 + c];
  return out;
}
