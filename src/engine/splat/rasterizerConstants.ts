/**
 * Numbers of the Gaussian rasterizer. It must match gsplat's `rasterization(...,
 * rasterize_mode='classic')` exactly as upstream FlashWorld calls it, so every number here names
 * where it comes from: upstream `models/render.py` (`gaussian_render`,
 * `GaussianRendererWithCheckpoint.render`) and gsplat at upstream's pin 32f2a54 (v1.5.2):
 * `gsplat/rendering.py`, `gsplat/cuda/include/Common.h`, `gsplat/cuda/include/Utils.cuh`,
 * `gsplat/cuda/csrc/ProjectionEWA3DGSPacked.cu`, `IntersectTile.cu`, `RasterizeToPixels3DGSFwd.cu`,
 * `SphericalHarmonicsCUDA.cu`.
 */

/** upstream render.py `gaussian_render(..., near_plane=0.01, far_plane=1000)`. */
export const RASTER_NEAR_PLANE = 0.01;
export const RASTER_FAR_PLANE = 1000;

/** gsplat rendering.py `rasterization(eps2d=0.3)`: added to the 2D covariance diagonal (low-pass). */
export const RASTER_EPS2D = 0.3;

/** gsplat rendering.py `rasterization(tile_size=16)`. */
export const RASTER_TILE_SIZE = 16;

/** gsplat Common.h `ALPHA_THRESHOLD (1.f / 255.f)`: skipped splats and the opacity cull. */
export const RASTER_ALPHA_THRESHOLD = 1 / 255;

/** gsplat RasterizeToPixels3DGSFwd.cu: alpha is capped at 0.999. */
export const RASTER_MAX_ALPHA = 0.999;

/** gsplat RasterizeToPixels3DGSFwd.cu: a pixel stops when the next transmittance is ≤ 1e-4. */
export const RASTER_TRANSMITTANCE_STOP = 1e-4;

/** gsplat ProjectionEWA3DGSPacked.cu: `extend = 3.33f`, tightened by opacity (arXiv 2402.00525). */
export const RASTER_EXTENT_SIGMAS = 3.33;

/** gsplat Utils.cuh `persp_proj`: the Jacobian clamps x/z, y/z to the frustum widened by 0.3·tan(fov/2). */
export const RASTER_FRUSTUM_MARGIN = 0.3;

/** gsplat rendering.py: SH colours are `clamp_min(colors + 0.5, 0)`. */
export const RASTER_SH_COLOR_OFFSET = 0.5;

/** upstream reconstruction_model.py: `gs_head.sh_degree` = 2, i.e. 9 coefficients per channel. */
export const RASTER_SH_DEGREE = 2;
export const RASTER_SH_COEFFS = (RASTER_SH_DEGREE + 1) ** 2;

/**
 * upstream render.py splits each Gaussian as `[3, 1, 3, 4, (sh_degree + 1)**2 * 3]`: xyz, opacity
 * (activated), scale (activated), rotation wxyz, then SH reshaped `(-1, 9, 3)` (coefficient-major).
 */
export const RASTER_FLOATS_PER_GAUSSIAN = 3 + 1 + 3 + 4 + RASTER_SH_COEFFS * 3;
