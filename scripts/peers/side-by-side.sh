#!/usr/bin/env bash
# Runs every MPM peer that is present against Torsion in one sitting (issue: "measure what users
# get"), one after another, each script interleaving its own rounds with Torsion's. Peers live
# outside the repository; point at them with these variables (a missing one is skipped, said so):
#
#   TAICHI_MPM=/tmp/taichi_mpm   a checkout of github.com/yuanming-hu/taichi_mpm (mls-mpm88.cpp)
#   OCEAN=/tmp/ocean             a checkout of github.com/matsuoka-601/WebGPU-Ocean
#   TAICHI_PY=/tmp/ti/bin/python a Python with `pip install taichi==1.7.4` (its mpm88/mpm3d examples)
#
#   bash scripts/peers/side-by-side.sh [--steps 1000] [--rounds 3]
set -euo pipefail
cd "$(dirname "$0")/../.."
steps=1000 rounds=3
while [ $# -gt 0 ]; do
  case "$1" in
    --steps) steps="$2"; shift 2 ;;
    --rounds) rounds="$2"; shift 2 ;;
    *) echo "side-by-side.sh: unknown option $1 (--steps N, --rounds N)" >&2; exit 2 ;;
  esac
done
echo "# $(date -u +%FT%TZ), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg), $steps steps, $rounds rounds"
if [ -n "${TAICHI_MPM:-}" ]; then
  echo "## mpm88 (C++, one thread) against Torsion's 2D rows"
  npx vite-node scripts/peers/mpm88.ts -- --dir "$TAICHI_MPM" --steps "$steps" --rounds "$rounds" 2>&1 | grep -v '^Warning'
else echo "## mpm88: skipped (set TAICHI_MPM)"; fi
if [ -n "${OCEAN:-}" ]; then
  echo "## WebGPU-Ocean (WGSL on the same Dawn) against Torsion's 3D fluid row"
  npx vite-node scripts/peers/webgpu-ocean.ts -- --dir "$OCEAN" --steps "$steps" --rounds "$rounds" 2>&1 | grep -v '^Warning'
else echo "## WebGPU-Ocean: skipped (set OCEAN)"; fi
if [ -n "${TAICHI_PY:-}" ]; then
  echo "## Taichi's mpm88 / mpm3d examples, CPU backend, 2 threads"
  "$TAICHI_PY" scripts/peers/taichi-mpm.py --threads 2 --steps "$steps" --rounds "$rounds"
else echo "## Taichi: skipped (set TAICHI_PY)"; fi
echo "# load after: $(cut -d' ' -f1-3 /proc/loadavg)"
