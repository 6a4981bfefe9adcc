#!/usr/bin/env bash
# Runs on the GPU machine (device tool) from the repo root, with .gpu/ carried (see README.md):
#   .gpu/src/FlashWorld (upstream checkout), .gpu/diffusers-src.tar.xz, .gpu/src/gsplat (32f2a54),
#   .gpu/libglm-dev_*.deb. Writes $OUT/fixtures.tgz.part* (a split tar.gz of (test/fixtures + resources/test-model) and logs.
#   usage: bash tools/reference/gpu_run.sh [stages-without-gsplat...] [-- stages-with-gsplat...]
set -uo pipefail
export PYTHONUNBUFFERED=1 HF_HUB_OFFLINE=1 TOKENIZERS_PARALLELISM=false
R=/tmp/ref; mkdir -p $R/work $R/cache
repo=$(pwd)
tar xJf .gpu/diffusers-src.tar.xz -C $R && mv $R/src $R/diffusers-src-tmp && mkdir -p $R/diffusers-src && mv $R/diffusers-src-tmp $R/diffusers-src/src
cp -r .gpu/src/FlashWorld $R/FlashWorld
export FW_UPSTREAM=$R/FlashWorld DIFFUSERS_SRC=$R/diffusers-src/src
pre=(); post=(); side=pre
for a in "$@"; do if [ "$a" = "--" ]; then side=post; elif [ $side = pre ]; then pre+=("$a"); else post+=("$a"); fi; done
[ $# -eq 0 ] && pre=(tokenizer model weights networks maths) && post=(render generate)

if [ ${#post[@]} -gt 0 ]; then
  ( cp -r .gpu/src/gsplat $R/gsplat && cd $R/gsplat && mkdir -p /tmp/glmdeb && dpkg -x "$repo"/.gpu/libglm-dev_*.deb /tmp/glmdeb \
    && mkdir -p gsplat/cuda/csrc/third_party/glm && cp -r /tmp/glmdeb/usr/include/glm gsplat/cuda/csrc/third_party/glm/ \
    && MAX_JOBS=16 TORCH_CUDA_ARCH_LIST=9.0 python3 setup.py build_ext --inplace > $OUT/gsplat_build.log 2>&1 \
    && echo "gsplat built" ) &
  build=$!
fi
cp -r test resources $R/work/ 2>/dev/null  # earlier fixtures, for a run of later stages only
cd $R/work
t0=$(date +%s)
python3 "$repo/tools/reference/run_all.py" $R/work "${pre[@]}" 2>&1 | tee $OUT/stage1.log
echo "stage 1 took $(( $(date +%s) - t0 )) s"
if [ ${#post[@]} -gt 0 ]; then
  wait $build; echo "gsplat build exit $?"; tail -5 $OUT/gsplat_build.log
  PYTHONPATH=$R/gsplat python3 "$repo/tools/reference/run_all.py" $R/work "${post[@]}" 2>&1 | tee $OUT/stage2.log
fi
cd $R/work && tar czf - test resources | split -b 15M -d - $OUT/fixtures.tgz.part; ls -la $OUT; du -sh $R/work/*; du -sh $R/work/test/fixtures/*
