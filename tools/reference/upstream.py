"""Imports upstream FlashWorld (app.py, utils.py, models/) on the GPU machine, unchanged.

Upstream's app.py imports its web stack (gradio, fastapi, uvicorn) and plyfile at module level; none of
them matter for the numbers we compare, so they are replaced by inert modules before the import. Nothing
of upstream is copied here: FW_UPSTREAM points at an unpacked upstream checkout, DIFFUSERS_SRC at
diffusers' `src/`.
"""
import contextlib
import json
import os
import sys
import types

UPSTREAM = os.environ.get("FW_UPSTREAM", "/tmp/ref/FlashWorld")
DIFFUSERS_SRC = os.environ.get("DIFFUSERS_SRC", "/tmp/ref/diffusers-src/src")


class _Anything(types.ModuleType):
    """A module whose every attribute is a do-nothing callable/class (for the web-demo imports)."""

    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        return type(name, (), {"__init__": lambda self, *a, **k: None, "__call__": lambda self, *a, **k: None})


class PlyCapture:
    """Stands in for plyfile: keeps what upstream's export_gaussians would write (names + values)."""

    last = None

    class PlyElement:
        @staticmethod
        def describe(elements, name):
            return {"name": name, "elements": elements}

    class PlyData:
        def __init__(self, elements):
            self.elements = elements

        def write(self, path):
            PlyCapture.last = {"path": path, "elements": self.elements}


def install_stubs(with_gsplat: bool):
    for name in ["gradio", "fastapi", "fastapi.staticfiles", "fastapi.responses", "uvicorn"]:
        sys.modules.setdefault(name, _Anything(name))
    try:
        import imageio  # noqa: F401
    except ImportError:
        sys.modules["imageio"] = _Anything("imageio")
    ply = types.ModuleType("plyfile")
    ply.PlyData = PlyCapture.PlyData
    ply.PlyElement = PlyCapture.PlyElement
    sys.modules["plyfile"] = ply
    if not with_gsplat:
        gs = types.ModuleType("gsplat")

        def rasterization(*a, **k):
            raise RuntimeError("gsplat was stubbed for this stage")

        gs.rasterization = rasterization
        sys.modules["gsplat"] = gs
    # The FP8 GeMM processor only changes speed/precision of the transformer's linears; our reference is bf16.
    quant = types.ModuleType("quant")
    quant.FluxFp8GeMMProcessor = lambda module: None
    sys.modules["quant"] = quant
    # transformers 5 merged the slow/fast T5 tokenizers; upstream imports the old name.
    import transformers

    if not hasattr(transformers, "T5TokenizerFast"):
        transformers.T5TokenizerFast = transformers.T5Tokenizer


def import_upstream(with_gsplat: bool = False):
    """Returns upstream's app module (GenerationSystem, process_generation_request, …) and utils."""
    if DIFFUSERS_SRC not in sys.path:
        sys.path.insert(0, DIFFUSERS_SRC)
    if UPSTREAM not in sys.path:
        sys.path.insert(0, UPSTREAM)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    install_stubs(with_gsplat)
    import app  # upstream app.py
    import utils  # upstream utils.py

    return app, utils


class RandomRecorder:
    """Records every torch.randn / torch.randn_like draw in order (upstream draws all its noise that way)."""

    def __init__(self, replay=None):
        self.draws = []
        self.replay = list(replay) if replay is not None else None

    @contextlib.contextmanager
    def active(self):
        import torch

        orig_randn, orig_like = torch.randn, torch.randn_like

        def take(t):
            if self.replay is not None:
                r = self.replay.pop(0)
                assert tuple(r.shape) == tuple(t.shape), (r.shape, t.shape)
                t = r.to(device=t.device, dtype=t.dtype)
            self.draws.append(t.detach().float().cpu().clone())
            return t

        def randn(*args, **kwargs):
            return take(orig_randn(*args, **kwargs))

        def randn_like(x, **kwargs):
            return take(orig_like(x, **kwargs))

        torch.randn, torch.randn_like = randn, randn_like
        try:
            yield self
        finally:
            torch.randn, torch.randn_like = orig_randn, orig_like


def save_fixture(path, tensors: dict, metadata: dict | None = None):
    """Writes tensors as safetensors (fp32 / int64 / uint8 as given) with JSON-string metadata."""
    import torch
    from safetensors.torch import save_file

    out = {}
    for k, v in tensors.items():
        t = v if isinstance(v, torch.Tensor) else torch.as_tensor(v)
        t = t.detach().cpu().contiguous()
        if t.dtype in (torch.bfloat16, torch.float16, torch.float64):
            t = t.float()
        out[k] = t
    meta = {k: (v if isinstance(v, str) else json.dumps(v)) for k, v in (metadata or {}).items()}
    os.makedirs(os.path.dirname(path), exist_ok=True)
    save_file(out, path, metadata=meta)
    print(f"  wrote {path} ({os.path.getsize(path) / 1e6:.2f} MB, {len(out)} tensors)")


def seed_all(seed: int):
    import random

    import numpy as np
    import torch

    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    torch.cuda.manual_seed_all(seed)


def test_images(count: int, h: int, w: int):
    """`count` smooth images in [-1, 1] with some noise (torch.rand: seed first), (count, 3, h, w)."""
    import torch

    yy, xx = torch.meshgrid(torch.linspace(-1, 1, h), torch.linspace(-1, 1, w), indexing="ij")
    base = torch.stack([torch.sin(3 * xx + 1), torch.cos(2 * yy - xx), xx * yy], 0)
    return (0.7 * base + 0.3 * torch.rand(count, 3, h, w) * 2 - 0.3).clamp(-1, 1)


def strict_fp32():
    """No TF32 anywhere: the fp32 references must be true fp32."""
    import torch

    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    torch.backends.cudnn.deterministic = True
