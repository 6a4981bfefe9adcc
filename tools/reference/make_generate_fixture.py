"""One whole tiny generation through upstream's process_generation_request → GenerationSystem.generate,
image + text, 5 request cameras resampled to 4 views at 64×96, with every random draw recorded:
  test/fixtures/parity/generate.safetensors and test/fixtures/parity/generate_request.json
plus upstream's export_gaussians output of that scene (test/fixtures/parity/export_upstream.safetensors;
its input is `gaussians` and `t_norm` of generate.safetensors)."""
import contextlib
import json
import os
import types

from upstream import PlyCapture, RandomRecorder, save_fixture, seed_all, strict_fp32


@contextlib.contextmanager
def fp32_everywhere(app):
    """Upstream's generate hard-codes bf16 autocast and bf16 casts (app.py, models/transformer_wan.py); for the
    fp32 reference those modules see a torch whose bfloat16 is float32 and whose autocast does nothing."""
    import torch
    import models.transformer_wan as tw

    amp = types.ModuleType("amp_fp32_proxy")
    amp.__dict__.update(torch.amp.__dict__)
    amp.autocast = lambda *a, **k: contextlib.nullcontext()
    proxy = types.ModuleType("torch_fp32_proxy")
    proxy.__dict__.update(torch.__dict__)
    proxy.bfloat16 = torch.float32
    proxy.amp = amp
    real_app, real_tw = app.torch, tw.torch
    app.torch, tw.torch = proxy, proxy
    try:
        yield
    finally:
        app.torch, tw.torch = real_app, real_tw


def main(app, utils, gs, out, image_path, gs32=None):
    """gs: upstream as is (bf16); gs32 (optional): the same weights kept fp32, run with the same noise."""
    import torch

    strict_fp32()
    request = {
        "image_prompt": image_path,
        "text_prompt": "A quiet harbor town at dusk",
        "resolution": [4, 64, 96],
        "image_index": 1,
        "cameras": [
            {"quaternion": [1, 0, 0, 0], "position": [0, 0, 0], "fx": 48.0, "fy": 48.0, "cx": 48.0, "cy": 32.0},
            {"quaternion": [0.9990, 0, 0.0436, 0], "position": [0.05, 0, -0.2], "fx": 48.0, "fy": 48.0, "cx": 48.0, "cy": 32.0},
            {"quaternion": [0.9962, 0, 0.0872, 0], "position": [0.1, 0.02, -0.4], "fx": 50.0, "fy": 50.0, "cx": 47.0, "cy": 33.0},
            {"quaternion": [0.9914, 0.0100, 0.1305, 0], "position": [0.15, 0.03, -0.6], "fx": 50.0, "fy": 50.0, "cx": 48.0, "cy": 32.0},
            {"quaternion": [0.9848, 0.0200, 0.1736, 0], "position": [0.2, 0.05, -0.8], "fx": 52.0, "fy": 52.0, "cx": 48.0, "cy": 32.0},
        ],
    }
    captured = {}
    steps = []
    real_generate, real_forward = gs.generate, gs.forward_generator

    def generate(cameras, n_frame, image=None, text="", image_index=0, image_height=480, image_width=704, **kw):
        captured.update(cameras=cameras.clone(), image=image.clone() if image is not None else None)
        result = real_generate(cameras, n_frame, image, text, image_index, image_height, image_width, **kw)
        captured["result"] = result
        return result

    def forward_generator(*args, **kwargs):
        o = real_forward(*args, **kwargs)
        steps.append({k: o[k].detach().float().cpu() for k in ("2d", "3d", "rgb_3d") if o[k] is not None})
        return o

    gs.generate, gs.forward_generator = generate, forward_generator
    rec = RandomRecorder()
    seed_all(100)
    with rec.active():
        response = app.process_generation_request(json.loads(json.dumps(request)), gs, "/tmp/ref/cache")
    gs.generate, gs.forward_generator = real_generate, real_forward
    print("  upstream response:", {k: v for k, v in response.items() if k != "file_path"})
    scene, ref_w2c, t_norm = captured["result"]
    tensors = {"request_cameras": captured["cameras"], "image": captured["image"], "gaussians": scene,
               "ref_w2c": ref_w2c.reshape(4, 4), "t_norm": t_norm.flatten()}
    for i, d in enumerate(rec.draws):
        tensors[f"noise_{i:02d}"] = d
    for i, s in enumerate(steps):
        for k, v in s.items():
            tensors[f"step{i}_{k}"] = v
    meta = {"request": json.dumps(request), "noise_shapes": json.dumps([list(d.shape) for d in rec.draws])}
    if gs32 is not None:
        # Same request, same noise (replayed), fp32 throughout: what our fp32 graphs must match tightly.
        steps.clear()
        captured.clear()
        real_generate, real_forward = gs32.generate, gs32.forward_generator  # the wrappers above now call these
        gs32.generate, gs32.forward_generator = generate, forward_generator
        replay = RandomRecorder(replay=rec.draws)
        with replay.active(), fp32_everywhere(app):
            app.process_generation_request(json.loads(json.dumps(request)), gs32, "/tmp/ref/cache")
        gs32.generate, gs32.forward_generator = real_generate, real_forward
        tensors["gaussians_fp32"] = captured["result"][0]
        for i, s in enumerate(steps):
            for k, v in s.items():
                tensors[f"fp32_step{i}_{k}"] = v
    save_fixture(os.path.join(out, "test/fixtures/parity/generate.safetensors"), tensors, meta)
    json.dump(request, open(os.path.join(out, "test/fixtures/parity/generate_request.json"), "w"), indent=1)

    # upstream's own PLY export of this scene (plyfile is captured, see upstream.py)
    utils.export_gaussians(scene.detach().cpu(), opacity_threshold=0.00025, T_norm=t_norm.cpu(), ply_path="/tmp/ref/x.ply")
    el = PlyCapture.last["elements"][0]["elements"]
    names = list(el.dtype.names)
    import numpy as np

    values = np.stack([el[n] for n in names], axis=1).astype(np.float32)
    save_fixture(os.path.join(out, "test/fixtures/parity/export_upstream.safetensors"),
                 {"attributes": torch.from_numpy(values), "t_norm": t_norm.flatten()},
                 {"names": json.dumps(names)})
