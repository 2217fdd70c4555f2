#!/usr/bin/env bash
# Runs Torsion's benchmarks on a machine with no Node.js, from the kit scripts/gpu/build-kit.sh
# made (carried there as .gpu-kit), and writes each suite's output and JSON rows to $OUT (or
# ./gpu-results). Each suite has its own time limit, so one that hangs or runs long leaves the
# others their time.
#
#   bash scripts/gpu/device-bench.sh [suite ...]     suites: doctor scale mpm springs (default: all)
#   QUICK=1 ...                                      scale with --quick too (a check of the kit)
# mpm and springs run with --quick (T = 100: rates, not the T = 1000 ratios) and the limits add up to
# 570 s, so that all four fit one device call (600 s at most) with the machine's start on top.
set -uo pipefail
cd "$(dirname "$0")/../.."
out=${OUT:-gpu-results}
mkdir -p "$out"
kit=$(mktemp -d /tmp/torsion-kit.XXXX)
cp -r .gpu-kit/. "$kit/"
unxz() { # xz where the machine has it, else Python's lzma
  if command -v xz > /dev/null; then xz -d "$1"
  else python3 -c 'import lzma, shutil, sys; shutil.copyfileobj(lzma.open(sys.argv[1]), open(sys.argv[1][:-3], "wb"))' "$1" && rm "$1"; fi
}
unxz "$kit/node.xz"
unxz "$kit/node_modules/webgpu/dist/linux-x64/dawn.node.xz"
chmod +x "$kit/node"
export LD_LIBRARY_PATH="$kit/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
export TORSION_CLI_MODULE="$kit/cli/main.mjs"
quick=${QUICK:+--quick}
run() { # run NAME SECONDS ARGS...: one suite, its output in $out/NAME.txt, its last line (JSON) in $out/NAME.json
  local name=$1 limit=$2; shift 2
  echo "== $name ($(date -u +%T), limit ${limit}s): torsion $*"
  timeout "$limit" "$kit/node" bin/torsion.mjs "$@" > "$out/$name.txt" 2>&1
  local rc=$?
  grep -v '^Warning' "$out/$name.txt" | grep -v '^\[' | tail -n 40
  tail -n 1 "$out/$name.txt" | grep '^[[{]' > "$out/$name.json" || rm -f "$out/$name.json"
  echo "== $name: exit $rc"
}
{ nvidia-smi --query-gpu=name,memory.total,clocks.max.memory --format=csv 2>/dev/null || true; } > "$out/gpu.txt"
suites=("$@")
[ ${#suites[@]} -gt 0 ] || suites=(doctor scale mpm springs)
for s in "${suites[@]}"; do
  case $s in
    doctor) run doctor 60 doctor ;;
    scale) run scale 300 bench scale --json $quick ;;
    mpm) run mpm 120 bench mpm --json --quick ;;
    springs) run springs 90 bench springs --json --quick ;;
    *) echo "device-bench.sh: unknown suite $s (doctor scale mpm springs)" >&2 ;;
  esac
done
rm -rf "$kit"
