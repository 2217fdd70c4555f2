#!/usr/bin/env bash
# Installs what Torsion needs from Debian 12 to run WebGPU without a GPU, and is safe to re-run:
#   - Mesa >= 24 lavapipe (Vulkan on the CPU) from bookworm-backports; Dawn refuses bookworm's 22.3
#   - Debian's chromium, for the browser tests (playwright-core drives it; it never downloads one)
# As root it installs what is missing; otherwise it prints the commands to run with sudo.
set -euo pipefail

SOURCES=/etc/apt/sources.list.d/bookworm-backports.sources
MESA_MIN=24

mesa_ok() {
  local v
  v=$(dpkg-query -W -f='${Version}' mesa-vulkan-drivers 2>/dev/null) || return 1
  dpkg --compare-versions "$v" ge "$MESA_MIN"
}
chromium_ok() { [ -x /usr/bin/chromium ]; }
backports_configured() { grep -rqs 'bookworm-backports' /etc/apt/sources.list /etc/apt/sources.list.d/; }

if ! command -v dpkg-query >/dev/null || ! grep -qs 'bookworm' /etc/os-release; then
  echo "setup: this script knows Debian 12 (bookworm) only. Elsewhere, install Mesa >= $MESA_MIN lavapipe" >&2
  echo "       (Vulkan) or use a GPU driver with Vulkan, and a Chromium at /usr/bin/chromium." >&2
  exit 1
fi

need_mesa=0; need_chromium=0
mesa_ok || need_mesa=1
chromium_ok || need_chromium=1

if [ "$need_mesa" = 0 ] && [ "$need_chromium" = 0 ]; then
  echo "setup: mesa-vulkan-drivers $(dpkg-query -W -f='${Version}' mesa-vulkan-drivers) and chromium already installed"
else
  cmds=()
  if [ "$need_mesa" = 1 ] && ! backports_configured; then
    cmds+=("printf 'Types: deb\\nURIs: http://deb.debian.org/debian\\nSuites: bookworm-backports\\nComponents: main\\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\\n' > $SOURCES")
  fi
  cmds+=("apt-get update")
  [ "$need_mesa" = 1 ] && cmds+=("apt-get install -y -t bookworm-backports mesa-vulkan-drivers")
  [ "$need_chromium" = 1 ] && cmds+=("apt-get install -y chromium")

  if [ "$(id -u)" != 0 ]; then
    echo "setup: missing:$([ "$need_mesa" = 1 ] && echo " mesa-vulkan-drivers>=$MESA_MIN")$([ "$need_chromium" = 1 ] && echo " chromium"). Run as root:" >&2
    for c in "${cmds[@]}"; do
      case "$c" in
        printf*) echo "  sudo sh -c \"${c//\"/\\\"}\"" >&2 ;;
        *) echo "  sudo $c" >&2 ;;
      esac
    done
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  for c in "${cmds[@]}"; do
    echo "setup: $c"
    bash -c "$c"
  done
  mesa_ok || { echo "setup: mesa-vulkan-drivers is still older than $MESA_MIN" >&2; exit 1; }
fi

# If the npm packages are in place, show which adapter Dawn finds (the V8 flag: see tests/setup/v8-flags.ts).
cd "$(dirname "$0")/.."
if [ -d node_modules/webgpu ]; then
  node --max-opt=2 --input-type=module -e "
    import { create, globals } from 'webgpu';
    Object.assign(globalThis, globals);
    const a = await create([]).requestAdapter();
    if (!a) { console.error('setup: Dawn found no WebGPU adapter'); process.exit(1); }
    console.log('setup: WebGPU adapter: ' + (a.info.description || a.info.device));
  " 2>&1 | grep -v 'artificially reduced' || exit 1
fi
