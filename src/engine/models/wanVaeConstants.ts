/**
 * Numbers of the Wan2.2 VAE encoder and of FlashWorld's reconstruction decoder that come from
 * upstream code rather than from the model folder's config.json. Each names the upstream file.
 */

/**
 * upstream models/autoencoder_kl_wan.py `WanRMS_norm.forward`: `F.normalize(x, dim=1)`, whose
 * default eps clamps the channel-vector norm from below at 1e-12.
 */
export const WAN_RMS_NORM_EPS = 1e-12;

/** diffusers models/autoencoders/vae.py `DiagonalGaussianDistribution`: `torch.clamp(self.logvar, -30.0, 20.0)`. */
export const VAE_LOGVAR_MIN = -30;
export const VAE_LOGVAR_MAX = 20;

/** upstream app.py `GenerationSystem.__init__` builds the recon decoder with `PixelAligned3DGS(..., num_points_per_pixel=2)`. */
export const RECON_POINTS_PER_PIXEL = 2;

/** upstream models/reconstruction_model.py `PixelAligned3DGS.__init__` default `sh_degree=2`. */
export const RECON_SH_DEGREE = 2;

/**
 * upstream models/reconstruction_model.py `PixelAligned3DGS.gaussian_channels`: the head's raw
 * channels per point, in this order: sh 3·(deg+1)², uv_offset 2, depth 1, opacity 1, scales 3,
 * rotations 4 (the mask channel is off: `use_mask=False`).
 */
export const RECON_HEAD_CHANNELS = {
  sh: 3 * (RECON_SH_DEGREE + 1) ** 2,
  uvOffset: 2,
  depth: 1,
  opacity: 1,
  scales: 3,
  rotations: 4,
} as const;

/** Raw head channels per point (38 at SH degree 2). */
export const RECON_CHANNELS_PER_POINT = Object.values(RECON_HEAD_CHANNELS).reduce((a, b) => a + b, 0);

/**
 * upstream models/reconstruction_model.py `PixelAligned3DGS.__init__` default `scale_range=(0, 16)`:
 * scale = (sigmoid(raw)·(max − min) + min) · pixel size.
 */
export const RECON_SCALE_RANGE: readonly [number, number] = [0, 16];

/**
 * Per-Gaussian output layout, upstream `PixelAligned3DGS.forward`:
 * `torch.cat([xyz, opacity, scales, rotations, features], dim=-1)` → 3 + 1 + 3 + 4 + 27 = 38.
 */
export const GAUSSIAN_LAYOUT = { xyz: 0, opacity: 3, scales: 4, rotationsWXYZ: 7, sh: 11 } as const;
export const GAUSSIAN_CHANNELS = 11 + RECON_HEAD_CHANNELS.sh;

/** upstream utils.py `create_rays`: pixel centres at index + 0.5. */
export const RAY_PIXEL_CENTER_OFFSET = 0.5;

/** torch `F.normalize` default eps (rays and rotations in upstream `create_rays` / `PixelAligned3DGS`). */
export const NORMALIZE_EPS = 1e-12;
