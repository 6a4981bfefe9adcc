"""Shapes and dtypes of every tensor in the official FlashWorld files, at full size, from upstream's own
classes built on the meta device (no memory, no weights): test/bench/full_shapes.json. The full-size
benchmark streams random weights of exactly these shapes to disk.

Configs are those of Wan-AI/Wan2.2-TI2V-5B-Diffusers (text_encoder, vae, transformer); FlashWorld's
widening (patch embedding, proj_out, recon decoder) is done by upstream's GenerationSystem.__init__ itself."""
import contextlib
import json
import os

FULL_UMT5 = dict(vocab_size=256384, d_model=4096, d_kv=64, d_ff=10240, num_layers=24, num_heads=64,
                 relative_attention_num_buckets=32, relative_attention_max_distance=128, dropout_rate=0.1,
                 layer_norm_epsilon=1e-6, feed_forward_proj="gated-gelu", tie_word_embeddings=False)
FULL_VAE = dict(base_dim=160, decoder_base_dim=256, z_dim=48, dim_mult=[1, 2, 4, 4], num_res_blocks=2, attn_scales=[],
                temperal_downsample=[False, True, True], dropout=0.0, is_residual=True, in_channels=12, out_channels=12,
                patch_size=2, scale_factor_temporal=4, scale_factor_spatial=16, clip_output=False)
FULL_TRANSFORMER = dict(patch_size=[1, 2, 2], num_attention_heads=24, attention_head_dim=128, in_channels=48, out_channels=48,
                        text_dim=4096, freq_dim=256, ffn_dim=14336, num_layers=30, cross_attn_norm=True,
                        qk_norm="rms_norm_across_heads", eps=1e-6, image_dim=None, added_kv_proj_dim=None, rope_max_seq_len=1024)


@contextlib.contextmanager
def patched(patches):
    """Sets class attributes (from_pretrained replacements) and restores them, inherited ones by deletion."""
    saved = [(c, n, c.__dict__.get(n)) for c, n, _ in patches]
    for c, n, f in patches:
        setattr(c, n, f)
    try:
        yield
    finally:
        for c, n, f in saved:
            if f is None:
                delattr(c, n)
            else:
                setattr(c, n, f)


def main(app, out, tokenizer_folder):
    import torch
    import transformers
    from models import AutoencoderKLWan, WanTransformer3DModel

    vae_cfg = dict(FULL_VAE, latents_mean=[0.0] * 48, latents_std=[1.0] * 48)
    with torch.device("meta"):
        te = transformers.UMT5EncoderModel(transformers.UMT5Config(**FULL_UMT5))
        vae_file = AutoencoderKLWan(**vae_cfg)

    orig_tokenizer = app.T5TokenizerFast.from_pretrained  # bound before patching
    # Build GenerationSystem at full size on the meta device, its from_pretrained calls answered from configs.
    patches = [
        (AutoencoderKLWan, "from_pretrained", classmethod(lambda cls, *a, **k: AutoencoderKLWan(**vae_cfg))),
        (transformers.UMT5EncoderModel, "from_pretrained",
         classmethod(lambda cls, *a, **k: transformers.UMT5EncoderModel(transformers.UMT5Config(**FULL_UMT5)))),
        (WanTransformer3DModel, "from_pretrained", classmethod(lambda cls, *a, **k: WanTransformer3DModel(**FULL_TRANSFORMER))),
        (app.T5TokenizerFast, "from_pretrained", classmethod(lambda cls, *a, **k: orig_tokenizer(tokenizer_folder))),
        (app.MyFlowMatchEulerDiscreteScheduler, "from_pretrained", classmethod(lambda cls, *a, **k: cls(shift=3))),
    ]
    with patched(patches), torch.device("meta"):
        gs = app.GenerationSystem(ckpt_path=None, device="meta")

    def shapes(module, dtype):
        return {k: {"shape": list(v.shape), "dtype": dtype} for k, v in module.state_dict().items()}

    manifest = {
        "_about": "Tensor shapes of the official files (upstream classes on the meta device). dtypes as the files store them.",
        "text_encoder": {"config": FULL_UMT5, "tensors": shapes(te, "BF16")},
        "vae": {"config": vae_cfg, "tensors": shapes(vae_file, "F32")},
        "transformer_config": FULL_TRANSFORMER,
        "model_ckpt": {"transformer": shapes(gs.transformer, "F32"), "recon_decoder": shapes(gs.recon_decoder, "F32")},
    }
    path = os.path.join(out, "test/bench/full_shapes.json")
    os.makedirs(os.path.dirname(path), exist_ok=True)
    json.dump(manifest, open(path, "w"), indent=0)
    total = {k: sum(int(torch.tensor(t["shape"]).prod()) for t in v["tensors"].values()) for k, v in manifest.items() if isinstance(v, dict) and "tensors" in v}
    total["model_ckpt"] = sum(int(torch.tensor(t["shape"]).prod()) for part in manifest["model_ckpt"].values() for t in part.values())
    print("  parameters:", {k: f"{v / 1e9:.3f} B" for k, v in total.items()})
    print(f"  wrote {path}")
