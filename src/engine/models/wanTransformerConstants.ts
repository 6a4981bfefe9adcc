/**
 * Numbers of FlashWorld's Wan transformer that come from upstream code rather than from the
 * model folder's config.json. Each names the upstream file it comes from.
 */

/**
 * upstream models/transformer_wan.py `WanRotaryPosEmbed.__init__`: `theta: float = 10000.0`
 * (the model never passes another value), handed to diffusers `get_1d_rotary_pos_embed`.
 */
export const WAN_ROPE_THETA = 10000;

/**
 * upstream models/transformer_wan.py `WanTimeTextImageEmbedding`: `Timesteps(num_channels=
 * time_freq_dim, flip_sin_to_cos=True, downscale_freq_shift=0)`; diffusers embeddings.py
 * `get_timestep_embedding` default `max_period=10000`.
 */
export const WAN_TIMESTEP_FLIP_SIN_TO_COS = true;
export const WAN_TIMESTEP_DOWNSCALE_FREQ_SHIFT = 0;
export const WAN_TIMESTEP_MAX_PERIOD = 10000;

/**
 * Raymap channels between the noisy latents and the condition latents in the transformer input
 * (upstream app.py `GenerationSystem.__init__`: `F.pad(patch_embedding.weight, (..., 6 + latent_dim))`
 * and `generate`: `torch.cat([noisy_latents, raymaps, condition_latents], dim=1)`).
 */
export const FLASHWORLD_RAYMAP_CHANNELS = 6;


/** diffusers-style defaults of upstream models/transformer_wan.py `WanTransformer3DModel.__init__` for keys a config may omit. */
export const WAN_DEFAULT_EPS = 1e-6;
export const WAN_DEFAULT_ROPE_MAX_SEQ_LEN = 1024;
