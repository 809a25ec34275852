#!/usr/bin/env bash
# On a Linux machine with an NVIDIA GPU (Vulkan through the driver, PyTorch with CUDA, no
# Deno, no network): trains ResNet-20 and ResNet-56 through Deno's WebGPU (our kernels, then
# tfjs as published) and PyTorch on the same GPU in the same run, and prints images/s and the
# ratios; first how long one read from the GPU takes there, last where one ResNet-20 training
# step's time goes and dense against compact latency of ResNet-56 and CifarNet on WebGPU (issue
# 6's goal 3), then the same and ResNet-20's training with our forward convolution shader for
# every layer. Needs .gpu/ from tools/gpu/pack.sh.
# About four minutes; every step is bounded, so one that hangs does not take the others.
#   bash tools/gpu/run.sh [models] [seconds]      (default: resnet20,resnet56 4)
#   OICSR_GPU_SKIP=compact,conv,profile,stock leaves those steps out.
set -uo pipefail
cd "$(dirname "$0")/../.."
models=${1:-resnet20,resnet56}
seconds=${2:-4}
out=${OUT:-$(mktemp -d)}
skip=${OICSR_GPU_SKIP:-}
step() { echo "## $1 ($(date +%T))"; }

# The Vulkan loader and the GL vendor libraries NVIDIA's Vulkan driver links against.
for deb in .gpu/debs/*.deb; do dpkg -x "$deb" /; done
ldconfig
icd=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
if [ -z "${VK_DRIVER_FILES:-}" ] && [ -f "$icd" ]; then export VK_DRIVER_FILES=$icd; fi
deno=/tmp/oicsr-deno
xz -dc .gpu/deno.xz >"$deno" && chmod +x "$deno"
nvidia-smi --query-gpu=name,driver_version --format=csv,noheader 2>/dev/null | sed 's/^/gpu: /'
bench() { timeout 150 "$deno" run -A .gpu/bench.js --backend webgpu "$@"; }
step "one read from the GPU (Deno's mapAsync)"
timeout 60 "$deno" run -A .gpu/readback.js | tee "$out/readback.txt"

IFS=, read -ra names <<<"$models"
step "WebGPU, our kernels"
for model in "${names[@]}"; do
  bench --model "$model" --batch 64 --seconds "$seconds" --no-peer --json | tee -a "$out/webgpu.jsonl"
done
step "PyTorch CUDA"
PYTHONUNBUFFERED=1 timeout 150 python3 tools/gpu/pytorch_cuda_bench.py --model "$models" \
  --batch 64 --seconds "$seconds" | tee "$out/pytorch.jsonl"
if [[ $skip != *stock* ]]; then
  step "WebGPU, tfjs as published (--stock all)"
  for model in "${names[@]}"; do
    bench --model "$model" --batch 64 --seconds "$seconds" --no-peer --json --stock all |
      tee -a "$out/stock.jsonl"
  done
fi

python3 - "$out" <<'PY'
import json, os, sys
def rows(name):
    path = os.path.join(sys.argv[1], name)
    if not os.path.exists(path):
        return {}
    return {r["model"]: r for r in map(json.loads, filter(str.strip, open(path))) if "model" in r}
ours, peer, stock = rows("webgpu.jsonl"), rows("pytorch.jsonl"), rows("stock.jsonl")
print("model      WebGPU train  PyTorch train  ratio   WebGPU infer  PyTorch infer  ratio   stock tfjs train / infer")
for m, o in ours.items():
    p = peer.get(m)
    if p is None:
        continue
    t, i = o["train_img_s"] / p["train_img_s"], o["infer_img_s"] / p["infer_img_s"]
    s = stock.get(m)
    s = f"{s['train_img_s']} / {s['infer_img_s']}" if s else "-"
    print(f"{m:<10} {o['train_img_s']:>12} {p['train_img_s']:>14} {t:>6.3f}x "
          f"{o['infer_img_s']:>13} {p['infer_img_s']:>14} {i:>6.3f}x   {s}")
PY

if [[ $skip != *profile* ]]; then
  step "profile of one ResNet-20 training step, our kernels"
  bench --profile --model resnet20 --batch 64 | tee "$out/profile.txt"
fi
if [[ $skip != *compact* ]]; then
  # Goal 3 on WebGPU: dense against compact (half the MACs) latency, batch norms kept and folded.
  step "compact"
  bench --compact --model resnet56,cifarnet --seconds 2 | tee "$out/compact.txt"
fi
if [[ $skip != *conv* ]]; then
  # Our forward convolution shader for every layer (OICSR_GPU_CONV=wgsl) against the default
  # (tfjs's vec4 shader where it applies): whether ours should become the default on a GPU.
  step "compact and ResNet-20 training, our forward convolution everywhere"
  OICSR_GPU_CONV=wgsl bench --compact --model resnet56,cifarnet --seconds 2 |
    tee "$out/compact_wgsl.txt"
  OICSR_GPU_CONV=wgsl bench --model resnet20 --batch 64 --seconds "$seconds" --no-peer --json |
    tee "$out/webgpu_conv_wgsl.jsonl"
fi
step "done"
