"""Reference renders by upstream's gaussian_render (gsplat 1.5.2, classic mode, SH degree 2, white
background): test/fixtures/parity/raster_<scene>.safetensors."""
import math
import os

from upstream import save_fixture, seed_all


def quat_yaw_pitch(yaw, pitch):
    import torch

    cy, sy, cp, sp = math.cos(yaw / 2), math.sin(yaw / 2), math.cos(pitch / 2), math.sin(pitch / 2)
    # q = q_yaw(about +Y) * q_pitch(about +X), [w, x, y, z]
    return torch.tensor([cy * cp, cy * sp, sy * cp, -sy * sp])


def scene(n, seed, spread, special):
    import torch
    import torch.nn.functional as F

    seed_all(seed)
    xyz = torch.randn(n, 3) * torch.tensor(spread) + torch.tensor([0.0, 0.0, -3.0])
    opacity = torch.rand(n, 1) * 0.9 + 0.05
    scale = torch.exp(torch.randn(n, 3) * 0.5 - 3.5)
    rot = F.normalize(torch.randn(n, 4), dim=-1)
    sh = torch.randn(n, 27) * 0.3
    sh[:, :3] = torch.randn(n, 3) * 1.2  # DC dominates
    if special:
        xyz[0] = torch.tensor([0.0, 0.0, 1.0])  # behind camera 0
        xyz[1] = torch.tensor([0.0, 0.0, -0.005])  # closer than the near plane
        scale[2] = torch.tensor([1.5, 1.2, 0.8])  # huge
        xyz[2] = torch.tensor([0.3, -0.2, -4.0])
        scale[3:40] = 1e-4  # sub-pixel: only the 0.3 px dilation makes them visible
        opacity[40:60] = 0.002  # below 1/255 after the Gaussian falloff
        opacity[60:80] = 0.999
    return torch.cat([xyz, opacity, scale, rot, sh], dim=-1)


def cameras(v, w, h):
    import torch

    import utils

    c2ws, intr = [], []
    for i in range(v):
        c2w = torch.eye(4)
        c2w[:3, :3] = utils.quaternion_to_matrix(quat_yaw_pitch(0.25 * i, -0.08 * i)[None])[0]
        c2w[:3, 3] = torch.tensor([0.4 * i, 0.1 * i, 0.3 * i])
        c2ws.append(c2w)
        intr.append(torch.tensor([0.9 * w + 13 * i, 0.9 * w + 7 * i, w / 2 + 3 * i, h / 2 - 2 * i]))
    return torch.stack(c2ws), torch.stack(intr)


def main(out):
    import torch
    from models.render import gaussian_render

    for name, n, v, h, w, spread, special in (("cluster", 2000, 3, 128, 192, [0.8, 0.6, 0.8], True),
                                               ("dense", 10000, 2, 240, 352, [1.2, 0.9, 1.0], False)):
        g = scene(n, 90 + n % 7, spread, special)
        c2ws, intr = cameras(v, w, h)
        with torch.no_grad():
            rgb, _ = gaussian_render(g[None].cuda(), c2ws[None].clone().cuda(), intr[None].cuda(), w, h,
                                     sh_degree=2, bg_mode="white")
        save_fixture(os.path.join(out, f"test/fixtures/parity/raster_{name}.safetensors"),
                     {"gaussians": g, "c2ws_gl": c2ws, "intrinsics_px": intr, "rgb": rgb[0],
                      "image_hw": torch.tensor([h, w], dtype=torch.int64)})
