#!/usr/bin/env bash
# Builds .gpu-kit/ (git-ignored, about 30 MB): what a GPU machine with no Node.js and no registry
# needs to run Torsion's benchmarks, for scripts/gpu/device-bench.sh to run there.
#   cli/main.mjs               the CLI, every package bundled but webgpu (scripts/gpu/bundle.ts)
#   node_modules/webgpu/       webgpu's index.js and package.json; dist/linux-x64/dawn.node.xz
#   node.xz                    this machine's node binary
#   lib/libvulkan.so.1         Debian's Vulkan loader: Dawn reaches the NVIDIA driver through it
# Carry it to the device: run's `carry: [".gpu-kit"]`.
#
#   bash scripts/gpu/build-kit.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
kit=.gpu-kit
rm -rf "$kit"
mkdir -p "$kit/node_modules/webgpu/dist/linux-x64" "$kit/lib"
npx vite-node scripts/gpu/bundle.ts "$kit/cli"
cp node_modules/webgpu/package.json node_modules/webgpu/index.js "$kit/node_modules/webgpu/"
xz -6 -T2 -c node_modules/webgpu/dist/linux-x64/dawn.node > "$kit/node_modules/webgpu/dist/linux-x64/dawn.node.xz"
xz -6 -T2 -c "$(command -v node)" > "$kit/node.xz"
loader=$(ldconfig -p | awk '/libvulkan\.so\.1 .*x86-64/ { print $NF; exit }')
[ -n "$loader" ] || { echo "build-kit.sh: no libvulkan.so.1 here (apt-get install libvulkan1)" >&2; exit 1; }
cp -L "$loader" "$kit/lib/libvulkan.so.1"
du -sh "$kit"
