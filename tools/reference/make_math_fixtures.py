"""Camera maths, scheduler and image preparation, computed by upstream's own functions:
  test/fixtures/parity/{cameras,scheduler,image_prep}.safetensors  and  test/fixtures/images/*"""
import json
import math
import os

from upstream import save_fixture, seed_all, strict_fp32


def look_at_quat(utils, eye, target):
    """OpenGL camera (−Z forward, +Y up) at `eye` looking at `target`, as upstream's [w,x,y,z]."""
    import torch

    eye, target = torch.tensor(eye, dtype=torch.float64), torch.tensor(target, dtype=torch.float64)
    fwd = target - eye
    fwd = fwd / fwd.norm()
    up = torch.tensor([0.0, 1.0, 0.0], dtype=torch.float64)
    right = torch.linalg.cross(fwd, up)
    right = right / right.norm()
    true_up = torch.linalg.cross(right, fwd)
    rot = torch.stack([right, true_up, -fwd], dim=1)  # columns: camera x, y, z axes in world
    return utils.matrix_to_quaternion(rot.float()[None])[0]


def trajectories(utils):
    import torch

    intr = [352 / 704, 352 / 480, 0.5, 0.5]
    fwd = []
    for i in range(5):
        q = look_at_quat(utils, [0.02 * i, 0.0, -0.25 * i], [0.05 * i + 0.1, -0.02, -0.25 * i - 1.0])
        fwd.append(torch.cat([q, torch.tensor([0.02 * i, 0.0, -0.25 * i]), torch.tensor(intr)]))
    orbit = []
    for i in range(8):
        a = 2 * math.pi * i / 8
        eye = [2.0 * math.sin(a), 0.4 + 0.1 * i, 2.0 * math.cos(a)]
        q = look_at_quat(utils, eye, [0.0, 0.2, 0.0])
        orbit.append(torch.cat([q, torch.tensor(eye), torch.tensor([0.55, 0.8, 0.48, 0.52])]))
    return {"fwd_": torch.stack(fwd).float(), "orbit_": torch.stack(orbit).float()}


def cameras(utils, out):
    import torch

    tensors = {}
    for prefix, dense in trajectories(utils).items():
        sampled = utils.sample_from_dense_cameras(dense, torch.linspace(0, 1, 24))
        video = utils.sample_from_dense_cameras(sampled, torch.linspace(0, 1, (24 - 1) * 15 + 1))
        normalized, ref_w2c, t_norm = utils.normalize_cameras(sampled[None], return_meta=True, n_frame=None)
        normalized_video = utils.normalize_cameras(video[None], ref_w2c=ref_w2c, T_norm=t_norm, n_frame=None)
        raymaps = utils.create_raymaps(normalized, 480 // 16, 704 // 16)
        tensors.update({
            prefix + "dense": dense, prefix + "sampled": sampled, prefix + "video": video,
            prefix + "normalized": normalized[0], prefix + "ref_w2c": ref_w2c[0, 0] if ref_w2c.ndim == 4 else ref_w2c[0],
            prefix + "t_norm": t_norm.flatten(), prefix + "normalized_video": normalized_video[0],
            prefix + "raymaps": raymaps[0],
        })
    seed_all(70)
    uv_cams = tensors["orbit_normalized"][:2].clone()
    uv_offset = 0.05 * torch.randn(2, 8, 12, 2)
    rays_o, rays_d = utils.create_rays(uv_cams, 8, 12, uv_offset=uv_offset)
    quats = torch.randn(16, 4)
    mats = utils.quaternion_to_matrix(quats)  # unnormalised quaternions too (upstream divides by |q|²)
    rand_rot = utils.quaternion_to_matrix(torch.nn.functional.normalize(torch.randn(16, 4), dim=-1))
    tensors.update(uv_cameras=uv_cams, uv_offset=uv_offset, uv_rays_o=rays_o, uv_rays_d=rays_d, quats=quats,
                   quat_mats=mats, mats=rand_rot, mat_quats=utils.matrix_to_quaternion(rand_rot))
    save_fixture(os.path.join(out, "test/fixtures/parity/cameras.safetensors"), tensors)


def scheduler(gs, out):
    import torch

    sch = gs.scheduler
    steps = torch.tensor([0, 250, 500, 750])
    step_t = gs.timesteps[steps.to(gs.timesteps.device)].cpu()
    step_sigmas = torch.stack([sch.sigmas[sch.index_for_timestep(t)] for t in step_t])
    seed_all(71)
    x0, noise = torch.randn(2, 3, 4), torch.randn(2, 3, 4)
    tensors = {"timesteps": sch.timesteps, "sigmas": sch.sigmas, "step_timesteps": step_t, "step_sigmas": step_sigmas,
               "x0": x0, "noise": noise}
    for s in (250, 500, 750):
        tensors[f"scaled_{s}"] = sch.scale_noise(x0, gs.timesteps[torch.tensor([s]).to(gs.timesteps.device)].cpu(), noise)
    save_fixture(os.path.join(out, "test/fixtures/parity/scheduler.safetensors"), tensors,
                 {"config": json.dumps({k: v for k, v in sch.config.items()}, default=str)})


def make_images(out):
    import numpy as np
    from PIL import Image

    d = os.path.join(out, "test/fixtures/images")
    os.makedirs(d, exist_ok=True)
    rng = np.random.default_rng(72)

    def pattern(w, h, c):
        y, x = np.mgrid[0:h, 0:w]
        base = np.stack([(x * 255 // max(w - 1, 1)), (y * 255 // max(h - 1, 1)), ((x ^ y) * 7) % 256], -1)
        noise = rng.integers(0, 9, size=(h, w, 3))
        img = np.clip(base + noise, 0, 255).astype(np.uint8)
        return img[..., :c] if c < 3 else img

    Image.fromarray(pattern(1000, 600, 3)).save(os.path.join(d, "case0.png"))
    Image.fromarray(pattern(300, 500, 3)).save(os.path.join(d, "case1.jpg"), quality=90)
    Image.fromarray(pattern(704, 480, 3)).save(os.path.join(d, "case2.png"))
    rgba = np.concatenate([pattern(50, 40, 3), rng.integers(0, 256, size=(40, 50, 1)).astype(np.uint8)], -1)
    Image.fromarray(rgba, "RGBA").save(os.path.join(d, "case3.png"))
    Image.fromarray(pattern(257, 129, 3)[..., 0], "L").save(os.path.join(d, "case4.png"))
    return d, ["case0.png", "case1.jpg", "case2.png", "case3.png", "case4.png"]


def image_prep(app, out):
    """Runs upstream's process_generation_request with a generation system that only records its inputs."""
    import numpy as np
    import torch
    from PIL import Image

    img_dir, files = make_images(out)
    resolutions = [[24, 480, 704], [16, 480, 704], [4, 64, 96], [24, 480, 704], [4, 128, 192]]

    class Capture:
        def generate(self, cameras, n_frame, image, text, image_index, image_height, image_width):
            self.args = (cameras, image)
            raise RuntimeError("captured")

    tensors, cases = {}, []
    for i, (f, res) in enumerate(zip(files, resolutions)):
        req_cams = [
            {"quaternion": [1, 0, 0, 0], "position": [0, 0, 0], "fx": 352.0, "fy": 352.0, "cx": 352.0, "cy": 240.0},
            {"quaternion": [0.9962, 0, 0.0872, 0], "position": [0.1, 0, -0.3], "fx": 300.0, "fy": 310.0, "cx": 340.0, "cy": 250.0},
        ]
        cap = Capture()
        data = {"image_prompt": os.path.join(img_dir, f), "text_prompt": "", "cameras": json.loads(json.dumps(req_cams)),
                "resolution": res, "image_index": 0}
        app.process_generation_request(data, cap, "/tmp/ref/cache")
        cams, image = cap.args
        # The [-1, 1] image is uint8/255*2-1 of the resized image: keep the uint8 (exactly invertible, 4× smaller),
        # the float image for one small case, and PIL's decode only where it is lossy (JPEG).
        tensors[f"case{i}_resized"] = ((image.permute(1, 2, 0) + 1) / 2 * 255).round().to(torch.uint8)
        if res[1] * res[2] <= 128 * 192:
            tensors[f"case{i}_image"] = image
        if f.endswith(".jpg"):
            tensors[f"case{i}_decoded"] = np.array(Image.open(os.path.join(img_dir, f)).convert("RGB"))
        tensors[f"case{i}_cameras"] = cams
        cases.append({"file": f, "resolution": res, "cameras": req_cams})
    save_fixture(os.path.join(out, "test/fixtures/parity/image_prep.safetensors"), tensors, {"cases": json.dumps(cases)})


def main(app, utils, gs, out):
    strict_fp32()
    cameras(utils, out)
    scheduler(gs, out)
    image_prep(app, out)
