/**
 * Numbers of the splat export path. Those marked "upstream" come from FlashWorld's own code and
 * must stay equal to it; the SPZ ones come from the SPZ reference implementation
 * (github nianticlabs/spz, src/cc/load-spz.cc, load-spz.h, splat-utils.h).
 */

/** upstream app.py: `export_gaussians(..., opacity_threshold=0.00025, ...)`; keeps opacity >= this. */
export const UPSTREAM_EXPORT_OPACITY_THRESHOLD = 0.00025;

/** upstream utils.py `export_gaussians`: `torch.log(scales + 1e-8)`. */
export const UPSTREAM_EXPORT_SCALE_LOG_EPS = 1e-8;

/**
 * upstream utils.py `normalize_cameras`: camera translations are divided by `T_norm + 1e-2`,
 * while `export_gaussians` multiplies by `T_norm` alone. Exporting in the authored world frame
 * undoes the normalisation exactly, so it uses `T_norm + 1e-2`.
 */
export const UPSTREAM_CAMERA_NORM_EPS = 1e-2;

/** Per-Gaussian layout of upstream's `scene_params`: xyz(3) opacity(1) scale(3) rotation wxyz(4) SH. */
export const GAUSSIAN_XYZ_OFFSET = 0;
export const GAUSSIAN_OPACITY_OFFSET = 3;
export const GAUSSIAN_SCALE_OFFSET = 4;
export const GAUSSIAN_ROTATION_OFFSET = 7;
export const GAUSSIAN_SH_OFFSET = 11;
/** upstream reconstruction_model.py: SH degree 2 (27 coefficients, coefficient-major (9, 3)). */
export const UPSTREAM_SH_DEGREE = 2;

/** Degree-0 real spherical-harmonic constant, 1 / (2 sqrt(pi)), as in every 3DGS renderer. */
export const SH_C0 = 0.28209479177387814;

// --- SPZ (nianticlabs/spz) ---
/** "NGSP" read as a little-endian uint32. */
export const SPZ_MAGIC = 0x5053474e;
/** Versions 1-3: gzip of [16-byte header][streams]. Version 4: 32-byte header + TOC + ZSTD streams. */
export const SPZ_LEGACY_HEADER_BYTES = 16;
export const SPZ_V4_HEADER_BYTES = 32;
export const SPZ_FLAG_ANTIALIASED = 0x1;
export const SPZ_FLAG_HAS_EXTENSIONS = 0x2;
/** load-spz.cc packGaussians: 12 fractional bits (~0.25 mm) for 24-bit fixed-point positions. */
export const SPZ_DEFAULT_FRACTIONAL_BITS = 12;
/** splat-utils.h colorScale: DC colours are stored as colour * 0.15 * 255 + 127.5. */
export const SPZ_COLOR_SCALE = 0.15;
/** load-spz.h DEFAULT_SH1_BITS / DEFAULT_SH_REST_BITS. */
export const SPZ_DEFAULT_SH1_BITS = 5;
export const SPZ_DEFAULT_SH_REST_BITS = 4;
/** load-spz.h MIN_SMALLEST_THREE_QUATERNIONS_VERSION. */
export const SPZ_SMALLEST_THREE_MIN_VERSION = 3;
/** The highest SH degree SPZ stores (load-spz.h SH_MAX_DEGREE). */
export const SPZ_MAX_SH_DEGREE = 4;
