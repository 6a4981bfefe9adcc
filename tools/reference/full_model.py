"""A FULL-SIZE FlashWorld with seeded random weights of the official shapes, built by upstream's own classes
directly on the GPU (no Hub files), saved in the official layout our engine reads:
  <root>/Wan-AI/Wan2.2-TI2V-5B-Diffusers/text_encoder/   save_pretrained, bf16, ~5 GB shards + index
                                        tokenizer/      the small SentencePiece stand-in (make_tokenizer.py)
                                        vae/            save_pretrained, fp32, one diffusion_pytorch_model.safetensors
                                        transformer/config.json   (config only: the weights that count are in model.ckpt)
                                        scheduler/scheduler_config.json
  <root>/imlixinyang/FlashWorld/model.ckpt               torch.save {"transformer": sd, "recon_decoder": sd}, bf16
Every weight is rounded to a bf16-representable value, so the bf16 files hold exactly what fp32 upstream computes
with. `tiny=True` builds the same thing at tiny_config's sizes (a one-minute dry run of the same code)."""
import contextlib
import json
import math
import os
import shutil
import time

import make_full_shapes as full
from make_full_shapes import patched
import tiny_config
from make_tiny_model import tiny_generation_system
from upstream import seed_all

WAN = "Wan-AI/Wan2.2-TI2V-5B-Diffusers"
CKPT = "imlixinyang/FlashWorld/model.ckpt"
SEEDS = {"generation_system": 2, "text_encoder": 101, "vae": 102, "transformer": 103, "recon_decoder": 104, "latent_stats": 105}

# Residual-branch output projections. With weights ~ N(0, 1/fan_in) every block adds O(1) to the residual stream;
# scaling these by 1/sqrt(2 * num_layers) (GPT-2's init) keeps the stream O(1) over 24/30 layers, so fp16 graphs stay
# far from 65504 and the network is as well conditioned as a trained one (bf16 vs fp32 differences stay meaningful).
BRANCH_OUTPUTS = {
    "text_encoder": ("SelfAttention.o.weight", "DenseReluDense.wo.weight"),
    "transformer": ("attn1.to_out.0.weight", "attn2.to_out.0.weight", "ffn.net.2.weight"),
}


def log(msg):
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", flush=True)


def configs(tiny):
    """(umt5, vae-without-stats, transformer, latent_dim, feat_dim) for the tiny or the official sizes."""
    if tiny:
        return dict(tiny_config.UMT5), dict(tiny_config.VAE), dict(tiny_config.TRANSFORMER), tiny_config.LATENT_DIM, tiny_config.FEAT_DIM
    return dict(full.FULL_UMT5), dict(full.FULL_VAE), dict(full.FULL_TRANSFORMER), 48, 1024


def system_class(app, tiny):
    return tiny_generation_system(app) if tiny else app.GenerationSystem


def randomize(module, seed, branch_suffixes=(), branch_scale=1.0):
    """Seeded on the GPU: matrices/convs ~ N(0, 1/fan_in) (branch outputs times branch_scale), norm gains
    1 + 0.2·N, biases 0.1·N; every value rounded to bf16 (copy_ from a bf16 tensor). Upstream zero-initialises
    extra_conv_in and the Gaussian head; randomising everything keeps the outputs input-dependent."""
    import torch

    g = torch.Generator(device="cuda").manual_seed(seed)
    scaled = 0
    with torch.no_grad():
        for name, p in module.named_parameters():
            assert p.is_cuda, f"{name} is on {p.device}; randomize runs on the GPU"
            r = torch.randn(p.shape, generator=g, device=p.device, dtype=torch.float32)
            if name.endswith("gamma") or (p.ndim == 1 and name.endswith("weight")):
                r = 1 + 0.2 * r
            elif p.ndim >= 2:
                r /= math.sqrt(math.prod(p.shape[1:]))
                if name.endswith(tuple(branch_suffixes)):
                    r *= branch_scale
                    scaled += 1
            else:
                r *= 0.1
            p.copy_(r.to(torch.bfloat16))
            del r
    return scaled


def count_params(module):
    return sum(p.numel() for p in module.parameters())


def on_cpu(orig):
    """A from_pretrained that loads on the CPU as upstream does, even inside our torch.device('cuda') block."""
    import torch

    def load(cls, *args, **kwargs):
        with torch.device("cpu"):
            return orig(*args, **kwargs)

    return classmethod(load)


@contextlib.contextmanager
def in_root(root):
    """GenerationSystem loads "Wan-AI/Wan2.2-TI2V-5B-Diffusers" relative to the cwd (local folders win offline)."""
    cwd = os.getcwd()
    os.chdir(root)
    try:
        yield
    finally:
        os.chdir(cwd)


def construct_system(app, root, tiny, patches, ckpt_path):
    """Upstream's GenerationSystem.__init__ (widening, recon decoder, time-padding cut, ckpt load), under
    torch.device('cuda') so that new modules and upstream's own torch.randn widening are made on the GPU."""
    import torch

    System = system_class(app, tiny)
    with in_root(root), patched(patches), torch.device("cuda"):
        seed_all(SEEDS["generation_system"])
        return System(ckpt_path=ckpt_path, device="cuda")


def file_sizes(root):
    sizes = {}
    for d, _, names in os.walk(root):
        for n in names:
            p = os.path.join(d, n)
            sizes[os.path.relpath(p, root)] = os.path.getsize(p)
    return dict(sorted(sizes.items()))


def disk_free_gb(path):
    return shutil.disk_usage(path).free / 1e9


def stand_in_tokenizer(root, given=None):
    """The small SentencePiece stand-in: `given`, else the committed test/fixtures/tokenizer/plain, else (a repo copy
    without test/) trained again here exactly as run_all's tokenizer stage does (make_tokenizer, 'plain')."""
    import make_tokenizer

    if given:
        return given
    committed = os.path.join(os.path.dirname(os.path.dirname(make_tokenizer.HERE)), "test/fixtures/tokenizer/plain")
    if os.path.isdir(committed):
        return committed
    work = os.path.join(root, "_tokenizer_work")
    shutil.rmtree(work, ignore_errors=True)
    folder = make_tokenizer.convert(make_tokenizer.train(os.path.join(work, "spm"), False), os.path.join(work, "plain"))
    log(f"trained the stand-in tokenizer in {folder} (no {committed})")
    return folder


def build_and_save(app, root, tokenizer_dir=None, tiny=False, branch_scale=True):
    """Builds, randomises and saves every component; returns (GenerationSystem on the GPU, model_info dict).
    The returned system is upstream's as constructed (FP8 processor as installed by the caller: a no-op)."""
    import torch
    import transformers
    from models import AutoencoderKLWan, WanTransformer3DModel

    umt5_cfg, vae_cfg, tr_cfg, latent_dim, feat_dim = configs(tiny)
    wan = os.path.join(root, WAN)
    os.makedirs(wan, exist_ok=True)
    for sub in ("text_encoder", "tokenizer", "vae", "transformer", "scheduler"):
        shutil.rmtree(os.path.join(wan, sub), ignore_errors=True)  # stale shards of an earlier run must not linger
    t0 = time.time()

    shutil.copytree(stand_in_tokenizer(root, tokenizer_dir), os.path.join(wan, "tokenizer"))
    shutil.rmtree(os.path.join(root, "_tokenizer_work"), ignore_errors=True)
    tok = transformers.T5Tokenizer.from_pretrained(os.path.join(wan, "tokenizer"))
    if tiny:
        umt5_cfg["vocab_size"] = len(tok)
    assert len(tok) <= umt5_cfg["vocab_size"], (len(tok), umt5_cfg["vocab_size"])
    os.makedirs(os.path.join(wan, "scheduler"), exist_ok=True)
    json.dump(tiny_config.SCHEDULER, open(os.path.join(wan, "scheduler", "scheduler_config.json"), "w"), indent=1)

    g = torch.Generator().manual_seed(SEEDS["latent_stats"])
    vae_cfg["latents_mean"] = (0.5 * torch.randn(latent_dim, generator=g)).tolist()
    vae_cfg["latents_std"] = (0.5 + torch.rand(latent_dim, generator=g) * 1.5).tolist()

    with torch.device("cuda"):
        te = transformers.UMT5EncoderModel(transformers.UMT5Config(**umt5_cfg)).eval()
        vae = AutoencoderKLWan(**vae_cfg).eval()
    n_layers_te = umt5_cfg["num_layers"]
    s = randomize(te, SEEDS["text_encoder"], BRANCH_OUTPUTS["text_encoder"], 1 / math.sqrt(2 * n_layers_te) if branch_scale else 1.0)
    log(f"text encoder: {count_params(te) / 1e9:.3f} B params, randomised ({s} branch outputs scaled)")
    randomize(vae, SEEDS["vae"])
    info = {"tiny": tiny, "seeds": SEEDS, "branch_scale": branch_scale, "params": {"text_encoder": count_params(te), "vae": count_params(vae)}}
    log(f"vae: {info['params']['vae'] / 1e6:.1f} M params, randomised")

    # Rough bytes to be written: text encoder bf16 + VAE fp32 + transformer and recon decoder bf16 (about the same as
    # the text encoder at full size). Refuse early rather than fill the disk halfway.
    need_gb = (2 * count_params(te) + 4 * count_params(vae) + 2 * 6.0e9 * (0 if tiny else 1)) / 1e9
    log(f"disk free at {root}: {disk_free_gb(root):.1f} GB, about {need_gb:.1f} GB to write")
    if disk_free_gb(root) < need_gb * 1.05:
        raise RuntimeError(f"not enough disk at {root} for the full-size model ({need_gb:.1f} GB)")

    # Save on the CPU (bf16 for the text encoder, as the official files are), then back to the GPU in fp32.
    te.to(device="cpu", dtype=torch.bfloat16)
    te.save_pretrained(os.path.join(wan, "text_encoder"), max_shard_size="60KB" if tiny else "5GB", safe_serialization=True)
    te.to(device="cuda", dtype=torch.float32)
    vae.to("cpu")
    vae.save_pretrained(os.path.join(wan, "vae"), safe_serialization=True)
    vae.to("cuda")
    log(f"saved text_encoder, tokenizer, vae, scheduler ({time.time() - t0:.0f} s)")

    def make_transformer(cls, *args, **kwargs):
        model = WanTransformer3DModel(**tr_cfg)  # under construct_system's torch.device('cuda')
        model.save_config(os.path.join(wan, "transformer"))  # config.json only
        return model

    patches = [
        (AutoencoderKLWan, "from_pretrained", classmethod(lambda cls, *a, **k: vae)),
        (transformers.UMT5EncoderModel, "from_pretrained", classmethod(lambda cls, *a, **k: te)),
        (WanTransformer3DModel, "from_pretrained", classmethod(make_transformer)),
        (app.MyFlowMatchEulerDiscreteScheduler, "from_pretrained", on_cpu(app.MyFlowMatchEulerDiscreteScheduler.from_pretrained)),
    ]
    gs = construct_system(app, root, tiny, patches, ckpt_path=None)
    log(f"GenerationSystem built on the GPU ({time.time() - t0:.0f} s)")

    s = randomize(gs.transformer, SEEDS["transformer"], BRANCH_OUTPUTS["transformer"],
                  1 / math.sqrt(2 * tr_cfg["num_layers"]) if branch_scale else 1.0)
    randomize(gs.recon_decoder, SEEDS["recon_decoder"])
    info["params"]["transformer"] = count_params(gs.transformer)
    info["params"]["recon_decoder"] = count_params(gs.recon_decoder)
    log(f"transformer {info['params']['transformer'] / 1e9:.3f} B ({s} branch outputs scaled), "
        f"recon decoder {info['params']['recon_decoder'] / 1e6:.1f} M params, randomised")

    ckpt = os.path.join(root, CKPT)
    os.makedirs(os.path.dirname(ckpt), exist_ok=True)
    state = {part: {k: v.detach().to("cpu", torch.bfloat16) for k, v in getattr(gs, part).state_dict().items()}
             for part in ("transformer", "recon_decoder")}
    torch.save(state, ckpt)
    del state
    info["files"] = file_sizes(root)
    info["configs"] = {"text_encoder": umt5_cfg, "vae": vae_cfg, "transformer": tr_cfg, "latent_dim": latent_dim, "feat_dim": feat_dim}
    total = sum(info["files"].values())
    for rel, size in info["files"].items():
        if size > 1e6:
            log(f"  {rel}: {size / 1e9:.3f} GB")
    log(f"model written: {total / 1e9:.2f} GB in {root} ({time.time() - t0:.0f} s); disk free {disk_free_gb(root):.1f} GB")
    return gs, info


def load_saved(app, root, tiny=False):
    """Upstream's own load path, GenerationSystem(ckpt_path=model.ckpt), from the files build_and_save wrote: the
    text encoder, VAE, tokenizer and scheduler by their real from_pretrained; the transformer built from its
    config.json (no weights file: model.ckpt overwrites every weight)."""
    import transformers
    from models import AutoencoderKLWan, WanTransformer3DModel

    t0 = time.time()
    tr_cfg = json.load(open(os.path.join(root, WAN, "transformer", "config.json")))
    tr_cfg = {k: v for k, v in tr_cfg.items() if not k.startswith("_")}
    patches = [
        (AutoencoderKLWan, "from_pretrained", on_cpu(AutoencoderKLWan.from_pretrained)),
        (transformers.UMT5EncoderModel, "from_pretrained", on_cpu(transformers.UMT5EncoderModel.from_pretrained)),
        (WanTransformer3DModel, "from_pretrained", classmethod(lambda cls, *a, **k: WanTransformer3DModel(**tr_cfg))),
        (app.MyFlowMatchEulerDiscreteScheduler, "from_pretrained", on_cpu(app.MyFlowMatchEulerDiscreteScheduler.from_pretrained)),
    ]
    gs = construct_system(app, root, tiny, patches, ckpt_path=os.path.join(root, CKPT))
    log(f"GenerationSystem loaded from {root} ({time.time() - t0:.0f} s)")
    return gs


def load_upstream_quant():
    """Upstream's real quant.py (sys.modules['quant'] is the no-op stand-in), loaded by path under another name."""
    import importlib.util

    from upstream import UPSTREAM

    spec = importlib.util.spec_from_file_location("flashworld_quant", os.path.join(UPSTREAM, "quant.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def fp8_in_place(transformer, tiny=False):
    """upstream quant.FluxFp8GeMMProcessor on this transformer. Tiny widths (24, 48) are not multiples of 16, which
    torch._scaled_mm needs, so at tiny sizes the FP8 linears use upstream's own non-native path (same quantisation,
    GEMM in bf16) to let the dry run exercise the code."""
    load_upstream_quant().FluxFp8GeMMProcessor(transformer)
    if tiny:
        for m in transformer.modules():
            if hasattr(m, "native_fp8_support"):
                m.native_fp8_support = False


def apply_fp8(gs, tiny=False):
    """What GenerationSystem.__init__ does when quant is the real one: FluxFp8GeMMProcessor(self.transformer),
    then self.transformer.to(self.device). Irreversible: the fp32 block linears are replaced."""
    fp8_in_place(gs.transformer, tiny)
    gs.transformer.to(gs.device)
