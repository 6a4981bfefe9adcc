"""Regenerates every parity fixture and the tiny test model. Stages run in order; a failing stage is
reported and the others still run. Usage: python run_all.py OUT_ROOT [stage ...]
Stages without gsplat: tokenizer, model, weights, networks, maths, shapes.  With gsplat: render, generate."""
import os
import sys
import time
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)


def main():
    out = os.path.abspath(sys.argv[1])
    stages = sys.argv[2:] or ["tokenizer", "model", "weights", "networks", "maths"]
    with_gsplat = any(s in ("render", "generate") for s in stages)
    from upstream import import_upstream

    app, utils = import_upstream(with_gsplat=with_gsplat)
    import make_tiny_model

    model_root = os.path.join(out, "resources/test-model")
    os.makedirs("/tmp/ref/cache", exist_ok=True)
    state = {}

    def gs():
        if "gs" not in state:
            state["gs"] = make_tiny_model.load_generation_system(model_root, app, "cuda")
        return state["gs"]

    def gs32():
        if "gs32" not in state:
            state["gs32"] = make_tiny_model.load_generation_system(model_root, app, "cpu", fp32=True)
        return state["gs32"]

    def run(name, fn):
        t = time.time()
        print(f"== stage {name}", flush=True)
        try:
            fn()
            print(f"== stage {name} ok ({time.time() - t:.1f} s)", flush=True)
            return True
        except Exception:
            traceback.print_exc()
            print(f"== stage {name} FAILED", flush=True)
            return False

    ok = True
    for stage in stages:
        if stage == "tokenizer":
            import make_tokenizer

            ok &= run(stage, lambda: make_tokenizer.main(out))
        elif stage == "model":
            ok &= run(stage, lambda: make_tiny_model.main(model_root, os.path.join(out, "test/fixtures/tokenizer/plain")))
        elif stage == "weights":
            import make_weight_fixtures

            ok &= run(stage, lambda: make_weight_fixtures.main(out))
        elif stage == "networks":
            import make_network_fixtures

            ok &= run(stage, lambda: make_network_fixtures.main(gs(), gs32(), os.path.join(out, "test/fixtures/parity")))
        elif stage == "maths":
            import make_math_fixtures

            ok &= run(stage, lambda: make_math_fixtures.main(app, utils, gs(), out))
        elif stage == "shapes":
            import make_full_shapes

            ok &= run(stage, lambda: make_full_shapes.main(app, out, os.path.join(out, "test/fixtures/tokenizer/plain")))
        elif stage == "render":
            import make_render_fixtures

            ok &= run(stage, lambda: make_render_fixtures.main(out))
        elif stage == "generate":
            import make_generate_fixture

            ok &= run(stage, lambda: make_generate_fixture.main(
                app, utils, gs(), out, os.path.join(out, "test/fixtures/images/case0.png"),
                gs32=make_tiny_model.load_generation_system(model_root, app, "cuda", fp32=True)))
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
