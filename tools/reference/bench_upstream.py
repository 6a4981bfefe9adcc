"""Full-size upstream FlashWorld on the GPU machine, random weights of the official shapes (issue 6):
  model     build + save the model in the official layout (full_model.py), or load it back when skipped
  numerics  per-network references at full size, same layout/keys as make_network_fixtures.py: OUT/numerics/
  timing    upstream's process_generation_request on a request file, bf16 then FP8: OUT/upstream_timing.json
usage: python3 tools/reference/bench_upstream.py --root ROOT --out OUT --request examples/image_text_forward.json
         [--tiny] [--stages model,numerics,timing] [--runs 3]"""
import argparse
import copy
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import time
import traceback
import types

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
REPO = os.path.dirname(os.path.dirname(HERE))

from full_model import apply_fp8, build_and_save, fp8_in_place, load_saved, log  # noqa: E402
from make_network_fixtures import PROMPTS, no_bf16_casts  # noqa: E402
from upstream import RandomRecorder, import_upstream, save_fixture, seed_all, strict_fp32, test_images  # noqa: E402

FP16_MAX = 65504.0


# ---------------------------------------------------------------------------------------------- numerics helpers
def rel_errors(test, ref):
    """max|a-b|/max|b| and rms(a-b)/rms(b), plus finiteness of both."""
    import torch

    a, b = test.detach().float(), ref.detach().to(test.device).float()
    d = a - b
    return {"max_rel": (d.abs().max() / b.abs().max()).item(), "rms_rel": (d.pow(2).mean().sqrt() / b.pow(2).mean().sqrt()).item(),
            "ref_max_abs": b.abs().max().item(), "finite": bool(torch.isfinite(a).all().item() and torch.isfinite(b).all().item())}


def report(summary, label, test, ref):
    e = rel_errors(test, ref)
    summary.setdefault("errors", {})[label] = e
    loud = "" if e["finite"] else "   <<<<<<<<<< NaN/Inf PRESENT"
    log(f"  {label}: max|a-b|/max|b| {e['max_rel']:.3e}, rms ratio {e['rms_rel']:.3e} (ref max {e['ref_max_abs']:.3g}){loud}")


class ActivationRange:
    """Forward hooks on every submodule: max |output| per module (an fp16 graph must stay below 65504)."""

    def __init__(self, module, label, summary):
        self.module, self.label, self.summary, self.max, self.handles = module, label, summary, {}, []

    def __enter__(self):
        import torch

        def hook(name):
            def record(mod, inputs, output):
                outs = output.to_tuple() if hasattr(output, "to_tuple") else output
                outs = outs if isinstance(outs, (tuple, list)) else (outs,)
                for t in outs:
                    if isinstance(t, torch.Tensor) and t.is_floating_point() and t.numel():
                        m = t.detach().abs().amax().float()
                        self.max[name] = m if name not in self.max else torch.maximum(self.max[name], m)
            return record

        self.handles = [m.register_forward_hook(hook(n or "<root>")) for n, m in self.module.named_modules()]
        return self

    def __exit__(self, *exc):
        for h in self.handles:
            h.remove()
        values = {n: v.item() for n, v in self.max.items()}
        bad = sorted(n for n, v in values.items() if v != v or v == float("inf"))
        finite = {n: v for n, v in values.items() if n not in bad}
        top = sorted(finite.items(), key=lambda kv: -kv[1])[:5]
        peak = top[0][1] if top else 0.0
        self.summary.setdefault("activation_max_abs", {})[self.label] = {"max": peak, "top": top, "nonfinite_modules": bad}
        flag = "   <<<<<<<<<< ABOVE FP16 RANGE" if peak > FP16_MAX else ""
        log(f"  {self.label}: activations max |x| {peak:.4g} over {len(values)} modules; top {[(n, round(v, 2)) for n, v in top[:3]]}{flag}")
        if bad:
            log(f"  <<<<<<<<<< {self.label}: NaN/Inf in {len(bad)} module outputs, first {bad[:5]}")
        return False


def umt5(gs, out, summary):
    import torch

    rows = {}
    for i, text in enumerate(PROMPTS):
        full = "[Static] " + text
        enc = gs.tokenizer([full], padding="max_length", max_length=512, truncation=True, add_special_tokens=True,
                           return_attention_mask=True, return_tensors="pt")
        ids, mask = enc.input_ids.to(gs.device), enc.attention_mask.to(gs.device)
        with torch.no_grad(), ActivationRange(gs.text_encoder, f"umt5 p{i} fp32", summary):
            hidden = gs.text_encoder(ids, mask).last_hidden_state
            embeds = gs.encode_text([full])  # upstream's own function (zeroes rows past the real length)
        with torch.no_grad(), torch.amp.autocast(dtype=torch.bfloat16, device_type="cuda"):  # as inside generate
            hidden16 = gs.text_encoder(ids, mask).last_hidden_state
            embeds16 = gs.encode_text([full])
        report(summary, f"umt5 p{i} last_hidden_state bf16 vs fp32", hidden16, hidden)
        report(summary, f"umt5 p{i} text_embeds bf16 vs fp32", embeds16, embeds)
        rows.update({f"p{i}_input_ids": enc.input_ids, f"p{i}_attention_mask": enc.attention_mask,
                     f"p{i}_last_hidden_state": hidden, f"p{i}_text_embeds": embeds,
                     f"p{i}_last_hidden_state_bf16": hidden16, f"p{i}_text_embeds_bf16": embeds16})
    save_fixture(os.path.join(out, "umt5.safetensors"), rows, {"prompts": json.dumps(["[Static] " + p for p in PROMPTS])})
    return rows["p0_text_embeds"]


def vae_encoder(gs, out, summary):
    import torch

    seed_all(40)
    h, w = 480, 704
    image = test_images(2, h, w)  # 2 images: batch dim
    x = image.unsqueeze(2).to(gs.device)  # (B, 3, 1, H, W) as upstream feeds single frames
    tensors = {"image": image}
    vae32 = copy.deepcopy(gs.vae).float()  # weights are bf16-representable: the fp32 copy holds the same values
    with torch.no_grad(), ActivationRange(vae32, "vae encoder fp32", summary):
        dist = vae32.encode(x).latent_dist
        rec = RandomRecorder()
        with rec.active():
            sample = dist.sample()
        tensors.update(mean_fp32=dist.mean, logvar_fp32=dist.logvar, noise=rec.draws[0], sample_fp32=sample,
                       normalized_fp32=gs.latent_scale_fn(sample))
    del vae32, dist
    torch.cuda.empty_cache()
    with torch.no_grad(), torch.amp.autocast(dtype=torch.bfloat16, device_type="cuda"):
        dist = gs.vae.encode(x.to(torch.bfloat16)).latent_dist
        tensors["mean_bf16"] = dist.mean
        rec = RandomRecorder(replay=[tensors["noise"]])
        with rec.active():
            tensors["sample_bf16"] = dist.sample()
    report(summary, "vae mean bf16 vs fp32", tensors["mean_bf16"], tensors["mean_fp32"])
    report(summary, "vae sample bf16 vs fp32", tensors["sample_bf16"], tensors["sample_fp32"])
    tensors["latents_mean"] = gs.latents_mean.flatten()
    tensors["latents_std"] = gs.latents_std.flatten()
    save_fixture(os.path.join(out, "vae_encoder.safetensors"), tensors)


def transformer(gs, out, text_embeds, latent_dim, feat_dim, tr_cfg, summary, tiny):
    import torch
    import models.transformer_wan as tw

    seed_all(50)
    n_frame, h, w = 24, 30, 44  # latent grid of 24 frames at 480×704
    c_in = latent_dim + 6 + latent_dim + feat_dim + latent_dim
    hidden = torch.randn(1, c_in, n_frame, h, w)
    t = gs.timesteps[torch.tensor([250])].float().cpu()
    tensors = {"hidden_states": hidden, "timestep": t, "encoder_hidden_states": text_embeds}
    kw = dict(hidden_states=hidden.to(gs.device), timestep=t.to(gs.device), encoder_hidden_states=text_embeds.to(gs.device),
              return_dict=False)
    with torch.no_grad(), no_bf16_casts(tw), ActivationRange(gs.transformer, "transformer fp32", summary):
        tensors["out_fp32"] = gs.transformer(**kw)[0]
    with torch.no_grad(), torch.amp.autocast(dtype=torch.bfloat16, device_type="cuda"):
        tensors["out_bf16"] = gs.transformer(**kw)[0]
    report(summary, "transformer bf16 vs fp32", tensors["out_bf16"], tensors["out_fp32"])
    try:  # upstream as shipped (FP8 GeMMs) on a copy: how far upstream's own default is from fp32
        tr8 = copy.deepcopy(gs.transformer)
        fp8_in_place(tr8, tiny)
        with torch.no_grad(), torch.amp.autocast(dtype=torch.bfloat16, device_type="cuda"):
            tensors["out_fp8"] = tr8(**kw)[0]
        del tr8
        torch.cuda.empty_cache()
        report(summary, "transformer fp8 (upstream default) vs fp32", tensors["out_fp8"], tensors["out_fp32"])
    except Exception:
        traceback.print_exc()
        log("  <<<<<<<<<< FP8 transformer reference failed (out_fp8 left out)")
    save_fixture(os.path.join(out, "transformer.safetensors"), tensors, {"config": json.dumps(tr_cfg), "timestep_index": "250"})


def plausible_cameras(n):
    """n normalised cameras as generate passes them: camera 0 at the origin looking down -Z, then a gentle
    forward dolly with a yaw to the left; max |t| just under 1 (normalize_cameras divides by T_norm + 0.01)."""
    import math

    import torch

    rows = []
    for i in range(n):
        s = i / max(n - 1, 1)
        yaw = 0.35 * s
        t = torch.tensor([0.3 * s, 0.05 * s, -s])
        t = t / (t.norm() + 0.01) * s if i else t
        rows.append([math.cos(yaw / 2), 0.0, math.sin(yaw / 2), 0.0, *t.tolist(), 0.5, 352 / 480, 0.5, 0.5])
    return torch.tensor([rows], dtype=torch.float32)


def recon_decoder(gs, out, latent_dim, feat_dim, n, summary):
    import torch

    seed_all(60)
    h, w = 30, 44
    feats = torch.randn(n, feat_dim, 1, h, w)
    z = torch.randn(n, latent_dim, 1, h, w)
    cams = plausible_cameras(n)
    tensors = {"feats": feats, "z": z, "cameras": cams}
    dev = gs.device
    rec32 = copy.deepcopy(gs.recon_decoder).float()
    with torch.no_grad(), ActivationRange(rec32, "recon decoder fp32", summary):
        tensors["gaussians_fp32"] = rec32(feats.to(dev), z.to(dev), cams.to(dev))
    del rec32
    torch.cuda.empty_cache()
    with torch.no_grad(), torch.amp.autocast(dtype=torch.bfloat16, device_type="cuda"):
        tensors["gaussians_bf16"] = gs.recon_decoder(feats.to(dev).to(torch.bfloat16), z.to(dev).to(torch.bfloat16), cams.to(dev)).float()
    sh = 3 * (gs.recon_decoder.gs_head.sh_degree + 1) ** 2
    parts = zip(("xyz", "opacity", "scales", "rotations", "sh"), tensors["gaussians_fp32"].split([3, 1, 3, 4, sh], -1),
                tensors["gaussians_bf16"].split([3, 1, 3, 4, sh], -1))
    for name, ref, test in parts:
        report(summary, f"recon decoder {name} bf16 vs fp32", test, ref)
    save_fixture(os.path.join(out, "recon_decoder.safetensors"), tensors)


def run_numerics(gs, out, tiny, recon_frames):
    import torch

    latent_dim, feat_dim = gs.latent_dim, gs.feat_dim  # 48 / 1024, or the tiny sizes (TinyGenerationSystem)
    tr_cfg = {k: v for k, v in gs.transformer.config.items() if not k.startswith("_")}
    out = os.path.join(out, "numerics")
    os.makedirs(out, exist_ok=True)
    b = torch.backends
    flags = (b.cuda.matmul.allow_tf32, b.cudnn.allow_tf32, b.cudnn.deterministic)
    strict_fp32()
    summary = {}
    try:
        embeds = umt5(gs, out, summary)
        vae_encoder(gs, out, summary)
        transformer(gs, out, embeds, latent_dim, feat_dim, tr_cfg, summary, tiny)
        recon_decoder(gs, out, latent_dim, feat_dim, recon_frames, summary)
    finally:
        b.cuda.matmul.allow_tf32, b.cudnn.allow_tf32, b.cudnn.deterministic = flags  # timing runs with torch's defaults
        json.dump(summary, open(os.path.join(out, "summary.json"), "w"), indent=1)
        torch.cuda.empty_cache()
    bad = [k for k, e in summary.get("errors", {}).items() if not e["finite"]]
    bad += [k for k, a in summary.get("activation_max_abs", {}).items() if a["nonfinite_modules"]]
    if bad:
        raise RuntimeError(f"NaN/Inf in: {bad}")


# ------------------------------------------------------------------------------------------------ timing helpers
class SmiSampler:
    """Device memory as nvidia-smi sees it (whole process: context, allocator cache, workspaces), every 20 ms."""

    def __init__(self, path):
        self.path, self.exe, self.proc = path, shutil.which("nvidia-smi"), None
        visible = os.environ.get("CUDA_VISIBLE_DEVICES", "0").split(",")[0].strip()
        self.index = visible if visible.isdigit() else "0"
        self.args = ["--query-gpu=memory.used", "--format=csv,noheader,nounits", "-i", self.index]

    def once(self):
        if not self.exe:
            return None
        r = subprocess.run([self.exe, *self.args], capture_output=True, text=True)
        return int(r.stdout.split()[0]) if r.returncode == 0 and r.stdout.strip() else None

    def start(self):
        if self.exe:
            if os.path.exists(self.path):
                os.remove(self.path)
            self.proc = subprocess.Popen([self.exe, *self.args, "-lms", "20", "-f", self.path])
            time.sleep(0.2)

    def stop(self):
        if not self.proc:
            return None
        self.proc.send_signal(signal.SIGINT)
        try:
            self.proc.wait(5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.proc = None
        values = [int(x) for x in open(self.path).read().split() if x.strip().isdigit()] if os.path.exists(self.path) else []
        return max(values) if values else None


class StageTimer:
    """Times upstream's calls with torch.cuda.synchronize() on both sides: forward pre/post hooks on the networks,
    instance-attribute wrappers on methods, and models/render.py's module-level `rasterization` (gsplat, one call
    per view). remove() undoes all of it."""

    def __init__(self, gs, stages=True):
        import models.render as render

        self.gs, self.render, self.stages, self.undo = gs, render, stages, []
        self.ms, self.calls = {}, {}

    def _record(self, label, t0):
        self.ms.setdefault(label, []).append((time.perf_counter() - t0) * 1e3)
        self.calls[label] = self.calls.get(label, 0) + 1

    def _timed(self, label_of, orig):
        import torch

        def call(*args, **kwargs):
            label = label_of()
            torch.cuda.synchronize()
            t0 = time.perf_counter()
            try:
                return orig(*args, **kwargs)
            except Exception:
                if label == "generate":
                    traceback.print_exc()  # process_generation_request swallows exceptions into {'error': ...}
                raise
            finally:
                torch.cuda.synchronize()
                self._record(label, t0)
        return call

    def _wrap(self, obj, attr, label_of):
        setattr(obj, attr, self._timed(label_of, getattr(obj, attr)))
        self.undo.append(lambda: delattr(obj, attr))

    def _hook(self, module, label):
        import torch

        starts = []

        def pre(mod, args):
            torch.cuda.synchronize()
            starts.append(time.perf_counter())

        def post(mod, args, output):
            torch.cuda.synchronize()
            self._record(label, starts.pop())

        self.undo += [module.register_forward_pre_hook(pre).remove, module.register_forward_hook(post).remove]

    def install(self):
        gs = self.gs
        self._wrap(gs, "generate", lambda: "generate")
        if self.stages:
            self._wrap(gs, "encode_text", lambda: "encode_text")
            self._hook(gs.text_encoder, "text_encoder")
            # upstream encodes the image before the first transformer pass, the renders after each 3D step
            self._wrap(gs.vae, "encode", lambda: "vae_encode_renders" if self.calls.get("transformer") else "vae_encode_image")
            self._hook(gs.transformer, "transformer")
            self._hook(gs.recon_decoder, "recon_decoder")
            self._wrap(gs.recon_decoder, "render", lambda: "render")
            orig = self.render.rasterization  # models/render.py: `from gsplat import rasterization`
            self.render.rasterization = self._timed(lambda: "gsplat_rasterization", orig)
            self.undo.append(lambda: setattr(self.render, "rasterization", orig))
        return self

    def remove(self):
        while self.undo:
            self.undo.pop()()

    def reset(self):
        self.ms, self.calls = {}, {}


def install_spz_stand_in():
    """export_gaussians (utils.py) saves SPZ through the `spz` package, absent on the GPU machine. The stand-in
    writes the same arrays raw, so the request completes and its time includes the export up to the file write."""
    try:
        import spz  # noqa: F401  (the real package, if this machine has it)
        return "spz package"
    except ImportError:
        import numpy as np

        mod = types.ModuleType("spz")
        mod.GaussianCloud = type("GaussianCloud", (), {})
        mod.PackOptions = lambda: None

        def save_spz(cloud, options, path):
            with open(path, "wb") as f:
                for name in ("positions", "scales", "rotations", "alphas", "colors", "sh"):
                    np.asarray(getattr(cloud, name), dtype=np.float32).tofile(f)

        mod.save_spz = save_spz
        sys.modules["spz"] = mod
        return "stand-in (raw float32 write instead of SPZ packing)"


def one_run(app, gs, request, cache_dir, timer, smi):
    import torch

    data = json.loads(json.dumps(request))  # process_generation_request rescales the cameras in place
    os.makedirs(cache_dir, exist_ok=True)
    seed_all(100)
    torch.cuda.reset_peak_memory_stats()
    smi.start()
    timer.reset()
    torch.cuda.synchronize()
    t = time.perf_counter()
    response = app.process_generation_request(data, gs, cache_dir)
    torch.cuda.synchronize()
    request_ms = (time.perf_counter() - t) * 1e3
    smi_max = smi.stop()
    shutil.rmtree(cache_dir, ignore_errors=True)
    if "error" in response:
        raise RuntimeError(f"upstream request failed: {response['error']}")
    stages = {k: sum(v) for k, v in timer.ms.items() if k != "generate"}
    run = {"generate_ms": timer.ms["generate"][0], "request_ms": request_ms,
           "upstream_generation_time_ms": response["generation_time"] * 1e3,
           "peak": {"allocated_mib": torch.cuda.max_memory_allocated() / 2**20, "reserved_mib": torch.cuda.max_memory_reserved() / 2**20,
                    "nvidia_smi_used_mib": smi_max}}
    if timer.stages:
        top = ("encode_text", "vae_encode_image", "transformer", "recon_decoder", "render", "vae_encode_renders")
        stages["generate_other"] = run["generate_ms"] - sum(stages.get(k, 0.0) for k in top)
        run.update(stages_ms=stages, calls=dict(timer.calls), calls_ms={k: [round(x, 3) for x in v] for k, v in timer.ms.items()})
    return run


def median_of(runs, key):
    keys = sorted({k for r in runs for k in r.get(key, {})})
    return {k: statistics.median(r[key][k] for r in runs if k in r[key]) for k in keys}


def time_variant(app, gs, request, runs, cache_dir, smi, baseline):
    import torch

    torch.cuda.empty_cache()
    resident = torch.cuda.memory_allocated() / 2**20
    timer = StageTimer(gs).install()
    try:
        log("  warm-up")
        one_run(app, gs, request, cache_dir, timer, smi)
        timed = []
        for i in range(runs):
            timed.append(one_run(app, gs, request, cache_dir, timer, smi))
            log(f"  run {i + 1}: generate {timed[-1]['generate_ms']:.0f} ms, request {timed[-1]['request_ms']:.0f} ms (stage hooks on)")
    finally:
        timer.remove()
    clean_timer = StageTimer(gs, stages=False).install()  # generate/request totals without the per-stage syncs
    try:
        clean = [one_run(app, gs, request, cache_dir, clean_timer, smi) for _ in range(runs)]
    finally:
        clean_timer.remove()
    log(f"  without stage hooks: generate {[round(r['generate_ms']) for r in clean]} ms")
    peaks = [r["peak"] for r in timed + clean]
    smi_values = [p["nvidia_smi_used_mib"] for p in peaks if p["nvidia_smi_used_mib"] is not None]
    smi_max = max(smi_values) if smi_values else None
    return {
        "runs": timed, "clean_runs": clean, "resident_allocated_mib": resident,
        "median": {"stages_ms": median_of(timed, "stages_ms"), "generate_ms": statistics.median(r["generate_ms"] for r in timed),
                   "request_ms": statistics.median(r["request_ms"] for r in timed),
                   "clean_generate_ms": statistics.median(r["generate_ms"] for r in clean),
                   "clean_request_ms": statistics.median(r["request_ms"] for r in clean)},
        "peak": {"allocated_mib": max(p["allocated_mib"] for p in peaks), "reserved_mib": max(p["reserved_mib"] for p in peaks),
                 "nvidia_smi_used_mib": smi_max, "nvidia_smi_baseline_mib": baseline,
                 "nvidia_smi_used_minus_baseline_mib": (smi_max - baseline) if smi_max is not None and baseline is not None else None},
    }


def print_table(variants):
    names = list(variants)
    rows = sorted({k for v in variants.values() for k in v["median"]["stages_ms"]})
    log("median ms      " + "".join(f"{n:>12}" for n in names))
    cell = lambda v: f"{v:12.1f}" if isinstance(v, (int, float)) else f"{'-':>12}"  # noqa: E731
    for k in rows + ["generate_ms", "request_ms", "clean_generate_ms", "clean_request_ms"]:
        vals = [variants[n]["median"]["stages_ms"].get(k) if k in rows else variants[n]["median"][k] for n in names]
        log(f"{k:<24}" + "".join(cell(v) for v in vals))
    for key in ("allocated_mib", "reserved_mib", "nvidia_smi_used_mib", "nvidia_smi_used_minus_baseline_mib"):
        log(f"peak {key:<34}" + "".join(cell(variants[n]["peak"][key]) for n in names))


def run_timing(app, gs, request, runs, out, smi, baseline, tiny):
    import torch

    result = {"machine": torch.cuda.get_device_name(), "torch": torch.__version__, "cuda": torch.version.cuda,
              "request": request, "runs_per_variant": runs, "spz": install_spz_stand_in(), "variants": {}, "errors": {}}
    path = os.path.join(out, "upstream_timing.json")
    cache_dir = os.path.join(out, "_request_cache")
    for variant in ("bf16", "fp8"):
        log(f"timing variant {variant}")
        try:
            if variant == "fp8":
                apply_fp8(gs, tiny)  # as GenerationSystem.__init__ with the real quant module
            result["variants"][variant] = time_variant(app, gs, request, runs, cache_dir, smi, baseline)
        except Exception as e:
            traceback.print_exc()
            result["errors"][variant] = repr(e)
            log(f"<<<<<<<<<< timing variant {variant} FAILED: {e!r}")
        json.dump(result, open(path, "w"), indent=1)
    if result["variants"]:
        print_table(result["variants"])
    log(f"wrote {path}")
    if result["errors"]:
        raise RuntimeError(f"timing failed for {list(result['errors'])}")


# -------------------------------------------------------------------------------------------------------- main
def load_request(path):
    request = json.load(open(path))
    image = request.get("image_prompt")
    if image and not image.startswith("data:") and not os.path.isabs(image):
        candidate = os.path.join(os.path.dirname(os.path.abspath(path)), image)  # relative to the JSON's folder
        if os.path.exists(candidate):
            request["image_prompt"] = candidate
    return request


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--root", required=True, help="model folder (written by stage model, read otherwise)")
    p.add_argument("--out", required=True, help="results: model_info.json, numerics/, upstream_timing.json")
    p.add_argument("--request", default=os.path.join(REPO, "examples/image_text_forward.json"))
    p.add_argument("--tiny", action="store_true", help="tiny_config sizes: a one-minute dry run of the same code")
    p.add_argument("--stages", default="model,numerics,timing")
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--tokenizer", help="tokenizer folder (default: test/fixtures/tokenizer/plain, else trained anew)")
    p.add_argument("--recon-frames", type=int, default=24, help="views in the recon decoder reference (616 MB per output at 24)")
    p.add_argument("--no-branch-scale", action="store_true", help="do not scale residual-branch output projections")
    args = p.parse_args()
    stages = [s.strip() for s in args.stages.split(",") if s.strip()]
    unknown = set(stages) - {"model", "numerics", "timing"}
    if unknown:
        p.error(f"unknown stages {sorted(unknown)}")
    if args.runs < 1:
        p.error("--runs must be at least 1")
    root, out = os.path.abspath(args.root), os.path.abspath(args.out)
    if os.path.commonpath([root, os.path.join(REPO, "resources")]) == os.path.join(REPO, "resources"):
        p.error("--root must not be inside resources/ (the committed test model)")
    os.makedirs(root, exist_ok=True)
    os.makedirs(out, exist_ok=True)
    smi = SmiSampler(os.path.join(out, "_nvidia_smi.csv"))
    baseline = smi.once()  # before anything touches the GPU
    log(f"stages {stages}, tiny={args.tiny}, root {root}, out {out}, nvidia-smi idle baseline {baseline} MiB")

    app, _ = import_upstream(with_gsplat="timing" in stages)
    import torch

    ok = True
    t = time.time()
    log("== stage model" if "model" in stages else "== loading the saved model")
    if "model" in stages:
        gs, info = build_and_save(app, root, args.tokenizer, tiny=args.tiny, branch_scale=not args.no_branch_scale)
        info.update(machine=torch.cuda.get_device_name(), torch=torch.__version__, seconds=round(time.time() - t, 1),
                    gpu_allocated_mib=torch.cuda.memory_allocated() / 2**20)
        json.dump(info, open(os.path.join(out, "model_info.json"), "w"), indent=1)
    else:
        gs = load_saved(app, root, tiny=args.tiny)
    log(f"model ready ({time.time() - t:.0f} s), GPU allocated {torch.cuda.memory_allocated() / 2**30:.1f} GiB")

    for name, fn in (("numerics", lambda: run_numerics(gs, out, args.tiny, args.recon_frames)),
                     ("timing", lambda: run_timing(app, gs, load_request(args.request), args.runs, out, smi, baseline, args.tiny))):
        if name not in stages:
            continue
        t = time.time()
        log(f"== stage {name}")
        try:
            fn()
            log(f"== stage {name} ok ({time.time() - t:.0f} s)")
        except Exception:
            traceback.print_exc()
            log(f"== stage {name} FAILED")
            ok = False
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
