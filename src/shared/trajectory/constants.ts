/**
 * Numbers taken from upstream FlashWorld's web demo, /work/up/index.html (the page served by
 * app.py): its trajectory templates (`generateCameraTrajectory`), default FOV and resolution, and
 * how it turns a FOV into pixel intrinsics (`SaveAllToJson`, the request it sends). Nothing else
 * belongs here; our own choices (guard-rail thresholds, editor defaults) live beside their code.
 */

/** "Move Forward/Backward/Left/Right" move the last camera by this many world units (`stepSize`). */
export const UPSTREAM_MOVE_STEP = 0.5;

/** "Orbit Left/Right 15°" turn by this many degrees (`totalOrbitAngle`): left is −15°, right +15°. */
export const UPSTREAM_ORBIT_ANGLE_DEG = 15;

/** The orbit target is this far in front of the last camera (`radius = 1.0`, target = position + forward). */
export const UPSTREAM_ORBIT_RADIUS = 1;

/** Each upstream template adds exactly one camera (`numCameras = 1`). */
export const UPSTREAM_TEMPLATE_COUNT = 1;

/** The demo's FOV slider starts here (`FOV: 60`); vertical, in degrees, as three.js cameras. */
export const UPSTREAM_DEFAULT_FOV_Y_DEG = 60;

/** The demo's first supported resolution: 24 frames of 480 × 704 (`supportedResolutions[0]`). */
export const UPSTREAM_DEFAULT_N_FRAME = 24;
export const UPSTREAM_DEFAULT_HEIGHT_PX = 480;
export const UPSTREAM_DEFAULT_WIDTH_PX = 704;

/**
 * The demo's request cameras: fx = fy = 0.5 / tan(fov/2) · H (square pixels, the vertical FOV
 * fixes both focal lengths), cx = W/2, cy = H/2; and on load FOV = 2·atan(0.5·H / fy).
 */
export const UPSTREAM_PRINCIPAL_POINT_FRACTION = 0.5;
