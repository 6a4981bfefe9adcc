/**
 * Numbers of the FlashWorld pipeline that come from upstream and must stay equal to it. Each names
 * the upstream file it comes from.
 */

/**
 * diffusers FlowMatchEulerDiscreteScheduler `num_train_timesteps` as loaded from the Wan2.2 TI2V
 * scheduler config (upstream app.py `GenerationSystem.__init__`: `from_pretrained(model_id,
 * subfolder="scheduler", shift=3)`; the config's value is the default 1000).
 */
export const SCHEDULER_NUM_TRAIN_TIMESTEPS = 1000;

/** upstream app.py `GenerationSystem.__init__`: `MyFlowMatchEulerDiscreteScheduler...(shift=3)`. */
export const SCHEDULER_SHIFT = 3;

/**
 * upstream app.py `GenerationSystem.__init__`: `self.denoising_steps = [0, 250, 500, 750]` —
 * indices into the 1000-entry timestep table, one transformer pass each.
 */
export const DENOISING_STEP_INDICES: readonly number[] = [0, 250, 500, 750];

/** upstream app.py `generate` default `video_fps=15`: preview video cameras are (n_frame−1)·fps+1. */
export const PREVIEW_VIDEO_FPS = 15;

/** upstream app.py `GenerationSystem.__init__`: `spatial_downsample_factor = 16` (latent and raymap grid). */
export const SPATIAL_DOWNSAMPLE_FACTOR = 16;

/** upstream index.html: first of its supported resolutions, `{ frame: 24, width: 704, height: 480 }`, as [n_frame, H, W]. */
export const DEFAULT_RESOLUTION: readonly [number, number, number] = [24, 480, 704];
