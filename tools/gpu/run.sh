#!/usr/bin/env bash
# On a Linux machine with an NVIDIA GPU (Vulkan through the driver, PyTorch with CUDA, no
# Deno, no network): trains ResNet-20 and ResNet-56 through Deno's WebGPU and PyTorch on
# the same GPU in the same run, and prints images/s and the ratio; then times dense against
# compact latency of ResNet-56 and CifarNet on WebGPU (issue 6's goal 3). Needs .gpu/ from
# tools/gpu/pack.sh. Takes about three minutes.
#   bash tools/gpu/run.sh [models] [seconds]      (default: resnet20,resnet56 4)
set -uo pipefail
cd "$(dirname "$0")/../.."
models=${1:-resnet20,resnet56}
seconds=${2:-4}
out=${OUT:-$(mktemp -d)}

# The Vulkan loader and the GL vendor libraries NVIDIA's Vulkan driver links against.
for deb in .gpu/debs/*.deb; do dpkg -x "$deb" /; done
ldconfig
icd=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
if [ -z "${VK_DRIVER_FILES:-}" ] && [ -f "$icd" ]; then export VK_DRIVER_FILES=$icd; fi
deno=/tmp/oicsr-deno
xz -dc .gpu/deno.xz >"$deno" && chmod +x "$deno"
nvidia-smi --query-gpu=name,driver_version --format=csv,noheader 2>/dev/null | sed 's/^/gpu: /'

IFS=, read -ra names <<<"$models"
for model in "${names[@]}"; do
  "$deno" run -A .gpu/bench.js --backend webgpu --model "$model" --batch 64 \
    --seconds "$seconds" --no-peer --json | tee -a "$out/webgpu.jsonl"
done
PYTHONUNBUFFERED=1 python3 tools/gpu/pytorch_cuda_bench.py --model "$models" --batch 64 \
  --seconds "$seconds" | tee "$out/pytorch.jsonl"

python3 - "$out/webgpu.jsonl" "$out/pytorch.jsonl" <<'PY'
import json, sys
ours = {r["model"]: r for r in map(json.loads, open(sys.argv[1])) if "model" in r}
peer = {r["model"]: r for r in map(json.loads, open(sys.argv[2]))}
print("model      WebGPU train  PyTorch train  ratio   WebGPU infer  PyTorch infer  ratio")
for m, o in ours.items():
    p = peer.get(m)
    if p is None:
        continue
    t, i = o["train_img_s"] / p["train_img_s"], o["infer_img_s"] / p["infer_img_s"]
    print(f"{m:<10} {o['train_img_s']:>12} {p['train_img_s']:>14} {t:>6.3f}x "
          f"{o['infer_img_s']:>13} {p['infer_img_s']:>14} {i:>6.3f}x")
PY

# Goal 3 on WebGPU: dense against compact (half the MACs) latency, batch norms kept and folded.
"$deno" run -A .gpu/bench.js --compact --backend webgpu --model resnet56,cifarnet \
  --seconds 2 | tee "$out/compact.txt"
