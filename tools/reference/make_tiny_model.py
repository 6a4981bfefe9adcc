"""Builds the tiny FlashWorld with upstream's own classes and saves it in the official layout:
  <root>/Wan-AI/Wan2.2-TI2V-5B-Diffusers/{text_encoder (sharded safetensors + index), tokenizer, vae,
                                         transformer (config), scheduler}
  <root>/imlixinyang/FlashWorld/model.ckpt   (torch.save {"transformer": sd, "recon_decoder": sd})
Every parameter is randomised with a fixed seed (upstream zero-initialises extra_conv_in and the Gaussian
head, which would make outputs constant and prove nothing)."""
import contextlib
import json
import math
import os
import shutil

import tiny_config as cfg
from upstream import import_upstream, seed_all

WAN = "Wan-AI/Wan2.2-TI2V-5B-Diffusers"


def randomize(module, seed):
    import torch

    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, p in module.named_parameters():
            if p.ndim >= 2:
                fan_in = math.prod(p.shape[1:])
                p.copy_(torch.randn(p.shape, generator=g) / math.sqrt(fan_in))
            elif name.endswith("weight") or "norm" in name:
                p.copy_(1 + 0.2 * torch.randn(p.shape, generator=g))
            else:
                p.copy_(0.1 * torch.randn(p.shape, generator=g))


def build_components(root, tokenizer_folder):
    import torch
    import transformers

    app, _ = import_upstream()
    from models import AutoencoderKLWan, WanTransformer3DModel

    wan = os.path.join(root, WAN)
    seed_all(1)
    # tokenizer: the 'plain' converted folder
    shutil.copytree(tokenizer_folder, os.path.join(wan, "tokenizer"), dirs_exist_ok=True)
    tok = transformers.T5Tokenizer.from_pretrained(os.path.join(wan, "tokenizer"))

    # text encoder: UMT5 encoder, saved sharded like the real one (model-0000x-of-0000y + index)
    t5cfg = transformers.UMT5Config(vocab_size=len(tok), **cfg.UMT5)
    te = transformers.UMT5EncoderModel(t5cfg).eval()
    randomize(te, 11)
    te.save_pretrained(os.path.join(wan, "text_encoder"), max_shard_size="60KB", safe_serialization=True)

    # VAE (upstream's copy of AutoencoderKLWan), with random latents_mean/std of the right length
    g = torch.Generator().manual_seed(12)
    vae_cfg = dict(cfg.VAE)
    vae_cfg["latents_mean"] = (0.5 * torch.randn(cfg.LATENT_DIM, generator=g)).tolist()
    vae_cfg["latents_std"] = (0.5 + torch.rand(cfg.LATENT_DIM, generator=g) * 1.5).tolist()
    vae = AutoencoderKLWan(**vae_cfg).eval()
    randomize(vae, 13)
    vae.save_pretrained(os.path.join(wan, "vae"), safe_serialization=True)

    # transformer: saved only so upstream's GenerationSystem can build itself; the weights that count come
    # from model.ckpt (as with the real model)
    tr = WanTransformer3DModel(**cfg.TRANSFORMER)
    tr.save_pretrained(os.path.join(wan, "transformer"), safe_serialization=True)

    os.makedirs(os.path.join(wan, "scheduler"), exist_ok=True)
    json.dump(cfg.SCHEDULER, open(os.path.join(wan, "scheduler", "scheduler_config.json"), "w"), indent=1)
    return app


def tiny_generation_system(app):
    """Upstream's GenerationSystem with latent_dim/feat_dim shrunk to the tiny config (it hard-codes 48/1024)."""

    class TinyGenerationSystem(app.GenerationSystem):
        def __setattr__(self, name, value):
            if name == "latent_dim":
                value = cfg.LATENT_DIM
            elif name == "feat_dim":
                value = cfg.FEAT_DIM
            super().__setattr__(name, value)

    return TinyGenerationSystem


def build_checkpoint(root, app, device):
    """Runs upstream's own widening code, randomises transformer + recon decoder, saves model.ckpt."""
    import torch

    System = tiny_generation_system(app)
    cwd = os.getcwd()
    os.chdir(root)  # GenerationSystem loads "Wan-AI/Wan2.2-TI2V-5B-Diffusers" relative to the cwd
    try:
        seed_all(2)
        gs = System(ckpt_path=None, device=device)
    finally:
        os.chdir(cwd)
    randomize(gs.transformer, 21)
    randomize(gs.recon_decoder, 22)
    ckpt = os.path.join(root, "imlixinyang/FlashWorld/model.ckpt")
    os.makedirs(os.path.dirname(ckpt), exist_ok=True)
    state = {
        "transformer": {k: v.detach().float().cpu() for k, v in gs.transformer.state_dict().items()},
        "recon_decoder": {k: v.detach().float().cpu() for k, v in gs.recon_decoder.state_dict().items()},
    }
    torch.save(state, ckpt)
    print(f"  wrote {ckpt} ({os.path.getsize(ckpt) / 1e6:.2f} MB)")
    return ckpt


@contextlib.contextmanager
def keep_fp32():
    """GenerationSystem.__init__ ends by casting the VAE and recon decoder to bf16; for the fp32 references
    every Module.to(bfloat16) becomes .to(float32) while it runs (nothing else changes)."""
    import torch

    orig = torch.nn.Module.to

    def to(self, *args, **kwargs):
        args = tuple(torch.float32 if a is torch.bfloat16 else a for a in args)
        if kwargs.get("dtype") is torch.bfloat16:
            kwargs["dtype"] = torch.float32
        return orig(self, *args, **kwargs)

    torch.nn.Module.to = to
    try:
        yield
    finally:
        torch.nn.Module.to = orig


def load_generation_system(root, app, device, fp32=False):
    """Upstream's own load path: GenerationSystem(ckpt_path=model.ckpt); fp32=True keeps every weight fp32."""
    System = tiny_generation_system(app)
    cwd = os.getcwd()
    os.chdir(root)
    try:
        seed_all(3)
        with keep_fp32() if fp32 else contextlib.nullcontext():
            return System(ckpt_path=os.path.join(root, "imlixinyang/FlashWorld/model.ckpt"), device=device)
    finally:
        os.chdir(cwd)


def main(root, tokenizer_folder, device="cuda"):
    app = build_components(root, tokenizer_folder)
    build_checkpoint(root, app, device)
    return app
