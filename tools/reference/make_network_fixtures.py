"""Runs each upstream network of the tiny model on fixed inputs and saves inputs + outputs:
  test/fixtures/parity/{umt5,vae_encoder,transformer,recon_decoder}.safetensors
Two references where upstream computes in bf16: `*_fp32` (same code, fp32 on the CPU: proves our graph
structure tightly) and `*_bf16` (upstream's own dtype path on the GPU: what users actually get)."""
import contextlib
import json
import os
import types

import tiny_config as cfg
from upstream import RandomRecorder, save_fixture, seed_all, strict_fp32, test_images

PROMPTS = ["A quiet harbor town at dusk, boats bobbing on calm water.", "東京の夜景 🌃 with   odd   spacing"]


@contextlib.contextmanager
def no_bf16_casts(module):
    """Upstream's transformer forces bf16 with `x.to(torch.bfloat16)`; for the fp32 reference, let that
    module see a torch whose bfloat16 is float32 (nothing else changes)."""
    import torch

    real = module.torch
    proxy = types.ModuleType("torch_fp32_proxy")
    proxy.__dict__.update(real.__dict__)
    proxy.bfloat16 = torch.float32
    module.torch = proxy
    try:
        yield
    finally:
        module.torch = real


def umt5(gs32, out):
    import torch

    rows = {}
    for i, text in enumerate(PROMPTS):
        full = "[Static] " + text
        enc = gs32.tokenizer([full], padding="max_length", max_length=512, truncation=True, add_special_tokens=True,
                             return_attention_mask=True, return_tensors="pt")
        with torch.no_grad():
            hidden = gs32.text_encoder(enc.input_ids, enc.attention_mask).last_hidden_state
            embeds = gs32.encode_text([full])  # upstream's own function (zeroes rows past the real length)
        rows[f"p{i}_input_ids"] = enc.input_ids
        rows[f"p{i}_attention_mask"] = enc.attention_mask
        rows[f"p{i}_last_hidden_state"] = hidden
        rows[f"p{i}_text_embeds"] = embeds
    save_fixture(os.path.join(out, "umt5.safetensors"), rows, {"prompts": json.dumps(["[Static] " + p for p in PROMPTS])})
    return rows["p0_text_embeds"]


def vae_encoder(gs, gs32, out):
    import torch

    seed_all(40)
    h, w = 128, 192
    image = test_images(2, h, w)  # 2 images: batch dim
    x = image.unsqueeze(2)  # (B, 3, 1, H, W) as upstream feeds single frames
    tensors = {"image": image}
    vae32 = gs32.vae
    with torch.no_grad():
        dist = vae32.encode(x).latent_dist
        rec = RandomRecorder()
        with rec.active():
            sample = dist.sample()
        tensors.update(mean_fp32=dist.mean, logvar_fp32=dist.logvar, noise=rec.draws[0], sample_fp32=sample,
                       normalized_fp32=gs32.latent_scale_fn(sample))
    with torch.no_grad(), torch.amp.autocast(dtype=torch.bfloat16, device_type="cuda"):
        dist = gs.vae.encode(x.to(gs.device).to(torch.bfloat16)).latent_dist
        tensors["mean_bf16"] = dist.mean
        rec = RandomRecorder(replay=[tensors["noise"]])
        with rec.active():
            tensors["sample_bf16"] = dist.sample()
    tensors["latents_mean"] = gs.latents_mean.flatten()
    tensors["latents_std"] = gs.latents_std.flatten()
    save_fixture(os.path.join(out, "vae_encoder.safetensors"), tensors)


def transformer(gs, gs32, out, text_embeds):
    import torch
    import models.transformer_wan as tw

    seed_all(50)
    n_frame, h, w = 3, 8, 12  # latent grid of 3 frames at 128×192
    c_in = cfg.LATENT_DIM + 6 + cfg.LATENT_DIM + cfg.FEAT_DIM + cfg.LATENT_DIM
    hidden = torch.randn(1, c_in, n_frame, h, w)
    t = gs.timesteps[torch.tensor([250])].float().cpu()
    tensors = {"hidden_states": hidden, "timestep": t, "encoder_hidden_states": text_embeds.cpu()}
    with torch.no_grad(), no_bf16_casts(tw):
        tensors["out_fp32"] = gs32.transformer(hidden_states=hidden, timestep=t, encoder_hidden_states=text_embeds.cpu(),
                                               return_dict=False)[0]
    model = gs.transformer
    with torch.no_grad(), torch.amp.autocast(dtype=torch.bfloat16, device_type="cuda"):
        tensors["out_bf16"] = model(hidden_states=hidden.to(gs.device), timestep=t.to(gs.device),
                                    encoder_hidden_states=text_embeds.to(gs.device), return_dict=False)[0]
    save_fixture(os.path.join(out, "transformer.safetensors"), tensors,
                 {"config": json.dumps(cfg.TRANSFORMER), "timestep_index": "250"})


def recon_decoder(gs, gs32, out):
    import torch

    seed_all(60)
    n, h, w = 2, 4, 6
    feats = torch.randn(n, cfg.FEAT_DIM, 1, h, w)
    z = torch.randn(n, cfg.LATENT_DIM, 1, h, w)
    # cameras as generate passes them: normalised, camera 0 at the origin looking down -Z
    cams = torch.tensor([[[1, 0, 0, 0, 0, 0, 0, 0.5, 0.75, 0.5, 0.5],
                          [0.9962, 0.0, 0.0872, 0.0, 0.3, -0.1, -0.5, 0.55, 0.8, 0.48, 0.52]]], dtype=torch.float32)
    tensors = {"feats": feats, "z": z, "cameras": cams}
    with torch.no_grad():
        tensors["gaussians_fp32"] = gs32.recon_decoder(feats, z, cams)
    with torch.no_grad(), torch.amp.autocast(dtype=torch.bfloat16, device_type="cuda"):
        tensors["gaussians_bf16"] = gs.recon_decoder(feats.to(gs.device).to(torch.bfloat16), z.to(gs.device).to(torch.bfloat16),
                                        cams.to(gs.device)).float()
    save_fixture(os.path.join(out, "recon_decoder.safetensors"), tensors)


def main(gs, gs32, out):
    """gs: upstream's GenerationSystem on the GPU (bf16 as upstream); gs32: the same with fp32 weights on the CPU."""
    strict_fp32()
    embeds = umt5(gs32, out)
    vae_encoder(gs, gs32, out)
    transformer(gs, gs32, out, embeds)
    recon_decoder(gs, gs32, out)
