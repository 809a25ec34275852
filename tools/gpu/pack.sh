#!/usr/bin/env bash
# Packs what tools/gpu/run.sh needs on a GPU machine that has no Deno and no network, into
# .gpu/ (git-ignored): this Deno binary xz-compressed, the benchmark and the read-back timer
# (tools/gpu_readback.ts) bundled into one file each, and the Vulkan loader's Debian packages
# for machines that lack it.
#   tools/gpu/pack.sh        then carry .gpu/ with the repository and run tools/gpu/run.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
mkdir -p .gpu/debs
deno bundle --quiet --platform deno --minify -o .gpu/bench.js cli/bench.ts
deno bundle --quiet --platform deno --minify -o .gpu/readback.js tools/gpu_readback.ts
xz -T0 -6 -c "$(command -v deno)" >.gpu/deno.xz
lists=$(mktemp -d)
apt_opts=(-oAPT::Architecture=amd64 -oAPT::Architectures=amd64 "-oDir::State::Lists=$lists")
mkdir -p "$lists/partial"
apt-get "${apt_opts[@]}" update -qq
(cd .gpu/debs && apt-get "${apt_opts[@]}" download -qq libvulkan1 libegl1 libglvnd0 \
  libopengl0 libgl1 libglx0 libgles2 2>/dev/null)
rm -rf "$lists"
du -sh .gpu/* | sed 's/^/packed: /'
