"""The tiny FlashWorld used for parity fixtures and as the studio's built-in "test model" (random
weights). Same architecture and key names as the real one; only widths/depths shrink. The real
sizes, for comparison, are in the comments."""

LATENT_DIM = 4  # real: 48 (Wan2.2 VAE z_dim)
FEAT_DIM = 16  # real: 1024 (upstream GenerationSystem.feat_dim)

VAE = dict(
    base_dim=8,  # real 160
    decoder_base_dim=16,  # real 256
    z_dim=LATENT_DIM,
    dim_mult=[1, 2, 2, 2],  # real [1, 2, 4, 4]
    num_res_blocks=2,
    attn_scales=[],
    temperal_downsample=[False, True, True],
    dropout=0.0,
    is_residual=True,
    in_channels=12,
    out_channels=12,
    patch_size=2,
    scale_factor_temporal=4,
    scale_factor_spatial=16,
    clip_output=False,
)

TRANSFORMER = dict(
    patch_size=[1, 2, 2],
    num_attention_heads=2,  # real 24
    attention_head_dim=12,  # real 128
    in_channels=LATENT_DIM,
    out_channels=LATENT_DIM,
    text_dim=16,  # real 4096 (UMT5-XXL d_model)
    freq_dim=256,
    ffn_dim=48,  # real 14336
    num_layers=2,  # real 30
    cross_attn_norm=True,
    qk_norm="rms_norm_across_heads",
    eps=1e-6,
    image_dim=None,
    added_kv_proj_dim=None,
    rope_max_seq_len=1024,
)

UMT5 = dict(
    d_model=16,  # real 4096
    d_kv=8,  # real 64
    d_ff=32,  # real 10240
    num_layers=2,  # real 24
    num_heads=2,  # real 64
    relative_attention_num_buckets=32,
    relative_attention_max_distance=128,
    dropout_rate=0.0,
    layer_norm_epsilon=1e-6,
    feed_forward_proj="gated-gelu",
    is_encoder_decoder=True,
    tie_word_embeddings=False,
    pad_token_id=0,
    eos_token_id=1,
    decoder_start_token_id=0,
)

# Wan2.2-TI2V-5B's scheduler folder holds a UniPC config; upstream loads it into
# FlowMatchEulerDiscreteScheduler with shift=3, which reads only the shared keys.
SCHEDULER = {
    "_class_name": "UniPCMultistepScheduler",
    "num_train_timesteps": 1000,
    "flow_shift": 5.0,
    "prediction_type": "flow_prediction",
    "use_flow_sigmas": True,
    "use_karras_sigmas": False,
    "use_exponential_sigmas": False,
    "use_beta_sigmas": False,
    "use_dynamic_shifting": False,
    "timestep_spacing": "linspace",
    "solver_order": 2,
    "final_sigmas_type": "zero",
}
