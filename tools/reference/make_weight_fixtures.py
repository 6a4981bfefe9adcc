"""Checkpoints written by real torch.save / safetensors, for the TypeScript readers' tests:
  test/fixtures/weights/torch_mixed.ckpt               bf16/fp16/fp32, non-contiguous, shared storage, nested
  test/fixtures/weights/torch_mixed_expected.safetensors  the same tensors as fp32 ("<top>.<name>")"""
import os

from upstream import save_fixture, seed_all


def main(out):
    import torch

    seed_all(80)
    base = torch.randn(4, 6)
    shared = torch.randn(10)
    state = {
        "transformer": {
            "a.weight": torch.randn(3, 4).to(torch.bfloat16),
            "b.bias": torch.randn(5).to(torch.float16),
            "c.transposed": base.t(),  # non-contiguous (stride (1, 6))
            "d.view0": shared[2:6],  # two views sharing one storage, with offsets
            "d.view1": shared[5:].view(5, 1),
            "e.scalar": torch.tensor(3.5),
            "f.big": torch.randn(64, 33),
        },
        "recon_decoder": {"gs_head.gs_proj.weight": torch.randn(2, 3, 3, 3), "lrs_mul": torch.rand(7)},
        "meta": {"step": 1000, "name": "tiny", "lr": 2.5e-4, "list": [1, 2.5, "s", None, True], "tuple": (1, 2)},
    }
    d = os.path.join(out, "test/fixtures/weights")
    os.makedirs(d, exist_ok=True)
    torch.save(state, os.path.join(d, "torch_mixed.ckpt"))
    expected = {}
    for top in ("transformer", "recon_decoder"):
        for k, v in state[top].items():
            expected[f"{top}.{k}"] = v.float().contiguous().clone()
    save_fixture(os.path.join(d, "torch_mixed_expected.safetensors"), expected)
    print(f"  wrote {d}/torch_mixed.ckpt")
