#!/usr/bin/env bash
# Issue 6's full-size benchmark on the GPU machine (device tool), in back-to-back calls that keep the
# machine warm. Upstream's PyTorch side runs in the background (setsid) while the Node + ORT CUDA
# bundle (../shared/gpu/ort-cuda-bundle.sh, 7 parts of 29 MiB) arrives, two parts per call when the
# checkout that travels is lean (see "lean checkout" in docs/BENCHMARKS.md).
#   here:     bash tools/reference/lean_checkout.sh   (and git checkout main after the lease)
#   call 1:   bash tools/reference/gpu_bench.sh start   carry [.gpu, .gl, .bench, .ortb/part00, .ortb/part06]
#   calls 2+: bash tools/reference/gpu_bench.sh part    carry [.ortb/partNN, .ortb/partMM]   (prints the pipeline log)
#   then, one memory mode per call (results and logs under $OUT; each waits for the graphs it needs):
#             bash tools/reference/gpu_bench.sh mode gpu 1 --profile /tmp/fb/prof   ONNX Runtime profiles of one run
#             bash tools/reference/gpu_bench.sh mode gpu 3
#             bash tools/reference/gpu_bench.sh mode unload-text-encoder 2
#             bash tools/reference/gpu_bench.sh mode text-encoder-cpu 2        (fp32 UMT5 on the CPU: 22.7 GB more
#             bash tools/reference/gpu_bench.sh mode low-vram 1 --no-warmup     disk, so the nvidia-h200-x2 kind, 128 GB)
#             bash tools/reference/gpu_bench.sh numerics
#             bash tools/reference/gpu_bench.sh wait      until upstream's timing is done too
# OURS_ONLY=1 bash … start: no gsplat and no upstream timing (a lease that re-measures ours; the
# ratios then use an upstream_timing.json carried in .bench/ from an earlier lease on the same kind).
# With two GPUs upstream's PyTorch runs on the second (CUDA_VISIBLE_DEVICES) while ours runs on the
# first, so neither waits for the other and each card's peak memory is its own.
# Issue a call within 30 s of the previous one, or the machine (and /tmp) is gone; a call blocks the caller.
# .bench/ holds gpuBench.mjs (esbuild bundle of test/bench/gpuBench.ts), node_modules/webgpu and dawn.node.xz.
set -uo pipefail
export PYTHONUNBUFFERED=1 HF_HUB_OFFLINE=1 TOKENIZERS_PARALLELISM=false
FB=/tmp/fb; R=/tmp/ref; repo=$(pwd)
mkdir -p $FB /tmp/ortparts
cp .ortb/part* /tmp/ortparts/ 2>/dev/null
if [ ! -x /tmp/ortb/node ] && [ "$(ls /tmp/ortparts | wc -l)" -eq 7 ]; then
  mkdir -p /tmp/ortb /tmp/run/node_modules && cat /tmp/ortparts/part* | xz -d | tar x -C /tmp/ortb && echo "ORT CUDA bundle unpacked"
  ln -sfn /tmp/ortb/ortnode /tmp/run/node_modules/onnxruntime-node
fi
export LD_LIBRARY_PATH=/usr/local/cuda-13.0/targets/x86_64-linux/lib:/usr/lib/x86_64-linux-gnu:${LD_LIBRARY_PATH:-}
export CUDA_DEVICE_ORDER=PCI_BUS_ID
GPUS=$(nvidia-smi -L 2>/dev/null | wc -l)
UP_GPU=$(( GPUS > 1 ? 1 : 0 ))

pipeline() {
  set -x
  df -h /tmp | tail -1
  tar xJf .gpu/diffusers-src.tar.xz -C $R && mv $R/src $R/diffusers-src-tmp && mkdir -p $R/diffusers-src && mv $R/diffusers-src-tmp $R/diffusers-src/src
  cp -r .gpu/src/FlashWorld $R/FlashWorld
  export FW_UPSTREAM=$R/FlashWorld DIFFUSERS_SRC=$R/diffusers-src/src
  local gsplat=
  if [ -z "${OURS_ONLY:-}" ]; then
    ( cp -r .gpu/src/gsplat $R/gsplat && cd $R/gsplat && mkdir -p /tmp/glmdeb && dpkg -x "$repo"/.gpu/libglm-dev_*.deb /tmp/glmdeb \
      && mkdir -p gsplat/cuda/csrc/third_party/glm && cp -r /tmp/glmdeb/usr/include/glm gsplat/cuda/csrc/third_party/glm/ \
      && MAX_JOBS=12 TORCH_CUDA_ARCH_LIST=9.0 python3 setup.py build_ext --inplace > $FB/gsplat_build.log 2>&1 && touch $FB/gsplat.done ) &
    gsplat=$!
  fi
  py="python3 $repo/tools/reference/bench_upstream.py --request $repo/examples/image_text_forward.json"
  export CUDA_VISIBLE_DEVICES=$UP_GPU
  # Our graphs, from the saved model (model_info.json comes after the files) once Node is here (it
  # arrives with the ORT bundle): the fp16 GPU graphs, and beside them the fp32 graphs of the
  # CPU-offloading modes. CPU and disk work, while upstream's numerics run on its GPU.
  ( set +x; while [ ! -f $FB/up/model_info.json ] || [ ! -x /tmp/ortb/node ]; do [ -f $FB/failed ] && exit 1; sleep 2; done
    df -h /tmp | tail -1
    b="/tmp/ortb/node /tmp/run/gpuBench.mjs --model $FB/model --cache $FB/cache --build-only"
    # two processes: the fp32 CPU graphs need no transformer, so neither builds what the other does
    ( $b --networks "text encoder,VAE encoder,recon decoder" --for-mode low-vram > $FB/build32.log 2>&1 && touch $FB/build32.done ) &
    $b > $FB/build.log 2>&1 && touch $FB/build.done
    wait
    df -h /tmp | tail -1 ) &
  local build=$!
  $py --root $FB/model --out $FB/up --stages model,numerics || { echo "UPSTREAM MODEL/NUMERICS FAILED"; [ -f $FB/up/model_info.json ] || { touch $FB/failed; return 1; }; }
  touch $FB/numerics.done
  if [ -n "$gsplat" ]; then
    wait $gsplat; [ -f $FB/gsplat.done ] || { echo "GSPLAT BUILD FAILED"; tail -20 $FB/gsplat_build.log; }
    # one GPU: upstream's timing must not share the card with ours, so it waits for our modes' go
    [ "$GPUS" -gt 1 ] || while [ ! -f $FB/upstream.go ]; do sleep 2; done
    PYTHONPATH=$R/gsplat $py --root $FB/model --out $FB/up --stages timing --runs 3 || echo "UPSTREAM TIMING FAILED"
  fi
  touch $FB/upstream.done
  wait $build
  df -h /tmp | tail -1
  touch $FB/pipeline.done
}

case "${1:-}" in
  start)
    for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
    mkdir -p /tmp/run/node_modules/webgpu/dist/linux-x64 $R
    cp -r .bench/node_modules/webgpu/{index.js,package.json} /tmp/run/node_modules/webgpu/
    xz -dc .bench/dawn.node.xz > /tmp/run/node_modules/webgpu/dist/linux-x64/dawn.node
    cp .bench/gpuBench.mjs /tmp/run/; cp .bench/upstream_timing.json /tmp/run/ 2>/dev/null
    # the repo copy there may change between calls: the pipeline runs from its own snapshot
    rm -rf $FB/repo && mkdir -p $FB/repo/test/fixtures && cp -r tools examples .gpu $FB/repo/ 2>/dev/null && cp -r test/fixtures/tokenizer $FB/repo/test/fixtures/
    cd $FB/repo && setsid nohup bash -c "$(declare -f pipeline); FB=$FB R=$R repo=$FB/repo GPUS=$GPUS UP_GPU=$UP_GPU OURS_ONLY=${OURS_ONLY:-}; pipeline" > $FB/pipeline.log 2>&1 < /dev/null &
    sleep 20; tail -5 $FB/pipeline.log; nvidia-smi --query-gpu=name,memory.used,memory.total --format=csv ;;
  part)
    ls /tmp/ortparts; tail -15 $FB/pipeline.log; ls $FB ;;
  wait)   # until the pipeline is done (or failed); prints its end
    [ "$GPUS" -gt 1 ] || touch $FB/upstream.go
    for i in $(seq 1 ${WAIT_S:-560}); do [ -f $FB/pipeline.done ] || [ -f $FB/failed ] && break; sleep 1; done
    grep -v "activations max" $FB/pipeline.log | tail -40; tail -3 $FB/build.log $FB/build32.log; df -h /tmp | tail -1
    cp $FB/up/upstream_timing.json $FB/up/model_info.json $OUT/ 2>/dev/null
    [ -f $FB/pipeline.done ] ;;
  mode)    # one memory mode: gpu_bench.sh mode MODE [RUNS] [more bench:gpu args, e.g. --frames-per-call 4]
    mode=$2; runs=${3:-3}; shift 3 2>/dev/null || shift $#
    tag=$mode$(echo "$*" | tr -c 'a-z0-9' '_')
    need=build.done; case $mode in text-encoder-cpu|low-vram) need=build32.done ;; esac
    [ "$GPUS" -gt 1 ] || need="$need numerics.done"   # one GPU: upstream's numerics first
    for f in $need; do for i in $(seq 1 ${WAIT_S:-400}); do [ -f $FB/$f ] || [ -f $FB/failed ] && break; sleep 1; done; done
    for f in $need; do [ -f $FB/$f ] || { echo "not ready: $f"; tail -5 $FB/pipeline.log $FB/build*.log; exit 1; }; done
    # upstream's timing from this machine, else one carried in .bench/ (OURS_ONLY leases)
    up=(); for f in $FB/up/upstream_timing.json /tmp/run/upstream_timing.json; do [ -f $f ] && { up=(--upstream $f); break; }; done
    export XDG_RUNTIME_DIR=/tmp VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
    cd /tmp/run && timeout ${T_S:-560} /tmp/ortb/node gpuBench.mjs --model $FB/model --cache $FB/cache --request $repo/examples/image_text_forward.json \
      --modes $mode --runs $runs "${up[@]}" --out $OUT/ours_$tag.json "$@" 2>&1 | tee $OUT/ours_$tag.log | grep -v onnxruntime
    cp $FB/up/upstream_timing.json $FB/up/model_info.json $OUT/ 2>/dev/null ;;
  numerics)
    for i in $(seq 1 ${WAIT_S:-300}); do [ -f $FB/numerics.done ] || [ -f $FB/failed ] && break; sleep 1; done
    cd /tmp/run && timeout ${T_S:-560} /tmp/ortb/node gpuBench.mjs --model $FB/model --cache $FB/cache --numerics $FB/up/numerics --numerics-only \
      --out $OUT/numerics.json 2>&1 | tee $OUT/numerics.log | grep -v onnxruntime
    cp $FB/up/numerics/summary.json $OUT/upstream_numerics_summary.json 2>/dev/null ;;
  *) echo "usage: gpu_bench.sh start|part|wait|mode|numerics"; exit 2 ;;
esac
