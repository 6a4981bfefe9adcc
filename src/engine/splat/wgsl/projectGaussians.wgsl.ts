/**
 * Per view and Gaussian: gsplat's packed EWA projection (ProjectionEWA3DGSPacked.cu with
 * Utils.cuh's quat_scale_to_covar_preci, persp_proj, add_blur) plus its degree-2 SH colour
 * (SphericalHarmonicsCUDA.cu, then rendering.py's clamp_min(colour + 0.5, 0)). Classic mode: no
 * compensation. Writes, indexed by Gaussian:
 *   projMeanConic         (x, y, conic.xx, conic.xy)        pixels, inverse 2D covariance
 *   projConicOpacityDepth (conic.yy, opacity, depth, 0)
 *   projColor             (r, g, b, 0)
 *   projTileRect          (x0 | y0 << 16, x1 | y1 << 16)    tiles, [x0, x1) × [y0, y1)
 *   visibleFlags          1 if gsplat keeps the Gaussian for this view, else 0
 * Gaussians arrive in chunks (one storage binding each, under maxStorageBufferBindingSize), as
 * f32 rows or as fp16 bits (two to a u32; rows of 38 halves are 19 whole words). Either way every
 * parameter is an f32 by the time the maths sees it, so a scene gives the same image in both forms
 * when its f32 values are its fp16 values widened.
 */
import { COMMON_WGSL } from './common.wgsl';
import { HALF_FLOAT_WGSL } from './halfFloat.wgsl';
import {
  RASTER_ALPHA_THRESHOLD,
  RASTER_EXTENT_SIGMAS,
  RASTER_FLOATS_PER_GAUSSIAN,
  RASTER_FRUSTUM_MARGIN,
  RASTER_SH_COLOR_OFFSET,
  RASTER_TILE_SIZE,
} from '../rasterizerConstants';

/** How the kernel reads parameter k of the row at `base` (an index in values, not bytes). */
const GAUSSIAN_READERS = {
  float32: /* wgsl */ `
@group(0) @binding(1) var<storage, read> gaussians: array<f32>;

fn param(base: u32, k: u32) -> f32 {
  return gaussians[base + k];
}
`,
  float16: /* wgsl */ `
${HALF_FLOAT_WGSL}
@group(0) @binding(1) var<storage, read> gaussians: array<u32>;

fn param(base: u32, k: u32) -> f32 {
  let i = base + k;
  return halfBitsToF32((gaussians[i >> 1u] >> ((i & 1u) * 16u)) & 0xffffu);
}
`,
} as const;

/** The projection kernel for Gaussians stored as f32 values or as fp16 bits. */
export function projectGaussiansWgsl(input: keyof typeof GAUSSIAN_READERS): string {
  return PROJECT_GAUSSIANS_BODY.replace('/*GAUSSIAN_READER*/', () => GAUSSIAN_READERS[input]);
}

const PROJECT_GAUSSIANS_BODY = /* wgsl */ `
${COMMON_WGSL}

const FLOATS_PER_GAUSSIAN: u32 = ${RASTER_FLOATS_PER_GAUSSIAN}u;
const SH_OFFSET: u32 = 11u;
const ALPHA_THRESHOLD: f32 = ${RASTER_ALPHA_THRESHOLD};
const EXTENT_SIGMAS: f32 = ${RASTER_EXTENT_SIGMAS};
const FRUSTUM_MARGIN: f32 = ${RASTER_FRUSTUM_MARGIN};
const SH_COLOR_OFFSET: f32 = ${RASTER_SH_COLOR_OFFSET};
const TILE_SIZE: f32 = ${RASTER_TILE_SIZE}.0;

struct ViewParams {
  w2cRow0: vec4f,       // world-to-camera rotation rows (OpenCV axes) ...
  w2cRow1: vec4f,
  w2cRow2: vec4f,
  w2cTranslation: vec4f,
  cameraCentre: vec4f,  // world position, for SH directions
  intrinsics: vec4f,    // fx, fy, cx, cy (pixels)
  clip: vec4f,          // near, far, eps2d, _
  image: vec4u,         // width, height, tilesX, tilesY
  chunk: vec4u,         // first Gaussian of this chunk, Gaussians in it, _, _
}

@group(0) @binding(0) var<uniform> view: ViewParams;
/*GAUSSIAN_READER*/
@group(0) @binding(2) var<storage, read_write> projMeanConic: array<vec4f>;
@group(0) @binding(3) var<storage, read_write> projConicOpacityDepth: array<vec4f>;
@group(0) @binding(4) var<storage, read_write> projColor: array<vec4f>;
@group(0) @binding(5) var<storage, read_write> projTileRect: array<vec2u>;
@group(0) @binding(6) var<storage, read_write> visibleFlags: array<u32>;

// Rotation matrix of a wxyz quaternion (normalised here, as gsplat does), as columns.
fn quatToRotation(q: vec4f) -> mat3x3f {
  let inv = inverseSqrt(q.y * q.y + q.z * q.z + q.w * q.w + q.x * q.x);
  let w = q.x * inv;
  let x = q.y * inv;
  let y = q.z * inv;
  let z = q.w * inv;
  let x2 = x * x; let y2 = y * y; let z2 = z * z;
  let xy = x * y; let xz = x * z; let yz = y * z;
  let wx = w * x; let wy = w * y; let wz = w * z;
  return mat3x3f(
    vec3f(1.0 - 2.0 * (y2 + z2), 2.0 * (xy + wz), 2.0 * (xz - wy)),
    vec3f(2.0 * (xy - wz), 1.0 - 2.0 * (x2 + z2), 2.0 * (yz + wx)),
    vec3f(2.0 * (xz + wy), 2.0 * (yz - wx), 1.0 - 2.0 * (x2 + y2)));
}

// Degree-2 SH, coefficients coefficient-major (k * 3 + channel), as SphericalHarmonicsCUDA.cu.
fn shColor(base: u32, dir: vec3f) -> vec3f {
  let inorm = inverseSqrt(dir.x * dir.x + dir.y * dir.y + dir.z * dir.z);
  let x = dir.x * inorm;
  let y = dir.y * inorm;
  let z = dir.z * inorm;
  let z2 = z * z;
  let fTmp0B = -1.092548430592079 * z;
  let fC1 = x * x - y * y;
  let fS1 = 2.0 * x * y;
  let pSH6 = 0.9461746957575601 * z2 - 0.3153915652525201;
  let pSH7 = fTmp0B * x;
  let pSH5 = fTmp0B * y;
  let pSH8 = 0.5462742152960395 * fC1;
  let pSH4 = 0.5462742152960395 * fS1;
  var rgb: vec3f;
  for (var c = 0u; c < 3u; c++) {
    let s = SH_OFFSET + c;
    var result = 0.2820947917738781 * param(base, s);
    result += 0.48860251190292 * (-y * param(base, s + 3u) + z * param(base, s + 6u) - x * param(base, s + 9u));
    result += pSH4 * param(base, s + 12u) + pSH5 * param(base, s + 15u) + pSH6 * param(base, s + 18u) +
              pSH7 * param(base, s + 21u) + pSH8 * param(base, s + 24u);
    rgb[c] = max(result + SH_COLOR_OFFSET, 0.0);
  }
  return rgb;
}

fn markInvisible(g: u32) {
  visibleFlags[g] = 0u;
  projTileRect[g] = vec2u(0u, 0u);
}

@compute @workgroup_size(THREADS)
fn projectGaussians(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
                    @builtin(local_invocation_index) lid: u32) {
  let local = flatWorkgroup(wid, nwg) * THREADS + lid;
  if (local >= view.chunk.y) {
    return;
  }
  let g = view.chunk.x + local;
  let base = local * FLOATS_PER_GAUSSIAN;
  let mean = vec3f(param(base, 0u), param(base, 1u), param(base, 2u));

  // World → camera.
  let w2c = transpose(mat3x3f(view.w2cRow0.xyz, view.w2cRow1.xyz, view.w2cRow2.xyz));
  let meanCam = w2c * mean + view.w2cTranslation.xyz;
  let near = view.clip.x;
  let far = view.clip.y;
  if (meanCam.z < near || meanCam.z > far) {
    markInvisible(g);
    return;
  }

  // 3D covariance R S S^T R^T, then into the camera frame.
  let rot = quatToRotation(vec4f(param(base, 7u), param(base, 8u), param(base, 9u), param(base, 10u)));
  let m = mat3x3f(rot[0] * param(base, 4u), rot[1] * param(base, 5u), rot[2] * param(base, 6u));
  let covWorld = m * transpose(m);
  let covCam = w2c * covWorld * transpose(w2c);

  // Perspective Jacobian with the frustum-clamped tx, ty of persp_proj.
  let fx = view.intrinsics.x;
  let fy = view.intrinsics.y;
  let cx = view.intrinsics.z;
  let cy = view.intrinsics.w;
  let width = f32(view.image.x);
  let height = f32(view.image.y);
  let tanFovX = 0.5 * width / fx;
  let tanFovY = 0.5 * height / fy;
  let limXPos = (width - cx) / fx + FRUSTUM_MARGIN * tanFovX;
  let limXNeg = cx / fx + FRUSTUM_MARGIN * tanFovX;
  let limYPos = (height - cy) / fy + FRUSTUM_MARGIN * tanFovY;
  let limYNeg = cy / fy + FRUSTUM_MARGIN * tanFovY;
  let rz = 1.0 / meanCam.z;
  let rz2 = rz * rz;
  let tx = meanCam.z * min(limXPos, max(-limXNeg, meanCam.x * rz));
  let ty = meanCam.z * min(limYPos, max(-limYNeg, meanCam.y * rz));
  let j0 = vec3f(fx * rz, 0.0, -fx * tx * rz2);
  let j1 = vec3f(0.0, fy * rz, -fy * ty * rz2);
  let cj0 = covCam * j0;
  let cj1 = covCam * j1;
  let eps2d = view.clip.z;
  let c00 = dot(j0, cj0) + eps2d;
  let c01 = dot(j0, cj1);
  let c10 = dot(j1, cj0);
  let c11 = dot(j1, cj1) + eps2d;
  let mean2d = vec2f(fx * meanCam.x * rz + cx, fy * meanCam.y * rz + cy);

  let det = c00 * c11 - c01 * c10;
  if (!(det > 0.0)) {
    markInvisible(g);
    return;
  }
  let invDet = 1.0 / det;
  let conic = vec3f(c11 * invDet, -c01 * invDet, c00 * invDet);

  // Opacity cull and opacity-aware extent; radii are whole pixels.
  let opacity = param(base, 3u);
  if (!(opacity >= ALPHA_THRESHOLD)) {
    markInvisible(g);
    return;
  }
  let extent = min(EXTENT_SIGMAS, sqrt(2.0 * log(opacity / ALPHA_THRESHOLD)));
  let radiusX = ceil(extent * sqrt(c00));
  let radiusY = ceil(extent * sqrt(c11));
  if (!(radiusX > 0.0 || radiusY > 0.0) ||
      mean2d.x + radiusX <= 0.0 || mean2d.x - radiusX >= width ||
      mean2d.y + radiusY <= 0.0 || mean2d.y - radiusY >= height) {
    markInvisible(g);
    return;
  }

  // Tiles as IntersectTile.cu: [floor(c - r), ceil(c + r)) in tile units, clamped to the image;
  // a zero radius on either axis touches no tile.
  var rect = vec4u(0u);
  if (radiusX > 0.0 && radiusY > 0.0) {
    let tilesX = f32(view.image.z);
    let tilesY = f32(view.image.w);
    let tileX = mean2d.x / TILE_SIZE;
    let tileY = mean2d.y / TILE_SIZE;
    let tileRadiusX = radiusX / TILE_SIZE;
    let tileRadiusY = radiusY / TILE_SIZE;
    rect = vec4u(
      u32(clamp(floor(tileX - tileRadiusX), 0.0, tilesX)),
      u32(clamp(floor(tileY - tileRadiusY), 0.0, tilesY)),
      u32(clamp(ceil(tileX + tileRadiusX), 0.0, tilesX)),
      u32(clamp(ceil(tileY + tileRadiusY), 0.0, tilesY)));
  }

  let dir = mean - view.cameraCentre.xyz;
  projMeanConic[g] = vec4f(mean2d, conic.x, conic.y);
  projConicOpacityDepth[g] = vec4f(conic.z, opacity, meanCam.z, 0.0);
  projColor[g] = vec4f(shColor(base, dir), 0.0);
  projTileRect[g] = vec2u(rect.x | (rect.y << 16u), rect.z | (rect.w << 16u));
  visibleFlags[g] = 1u;
}
`;
