#!/usr/bin/env bash
# setup.sh — install what dsim needs from Debian's archive (only what is missing), configure and build.
#
# Used by README's Quick start and by CI. Idempotent: a second run installs nothing and rebuilds only what
# changed. Build directory: build/ (override with BUILD_DIR). Warnings are errors when CI=true.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(gcc libc6-dev make cmake pkg-config libgsl-dev libsqlite3-dev libncurses-dev libopenblas-dev libinih-dev
          libcmocka-dev libcsv-dev sqlite3 tmux python3 libplplot-dev plplot-driver-cairo
          help2man)
# CI renders dsim report in headless Chromium (ctest label browser); elsewhere that test skips when it is absent.
[[ "${CI:-}" == true ]] && packages+=(chromium)
# The optional MPI driver of dsim sweep (-DDSIM_WITH_MPI=ON) needs Debian's OpenMPI.
[[ " $* " == *" -DDSIM_WITH_MPI=ON "* ]] && packages+=(libopenmpi-dev openmpi-bin)
# The .deb test (-DDSIM_PACKAGE_TEST=ON) builds the package (dpkg-shlibdeps) and a Debian root (debootstrap).
[[ " $* " == *" -DDSIM_PACKAGE_TEST=ON "* ]] && packages+=(dpkg-dev debootstrap)
# The fuzz harnesses (-DDSIM_FUZZ=ON) need clang and its libFuzzer runtime.
[[ " $* " == *" -DDSIM_FUZZ=ON "* ]] && packages+=(clang libclang-rt-14-dev)
missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
    if [[ $(id -u) -ne 0 ]]; then
        echo "setup: missing packages: ${missing[*]}; run this as root (or: sudo apt-get install ${missing[*]})" >&2
        exit 1
    fi
    echo "setup: installing ${missing[*]}" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

build=${BUILD_DIR:-build}
werror=OFF
[[ "${CI:-}" == true ]] && werror=ON
cmake -S . -B "$build" -DDSIM_WERROR="$werror" "$@" >/dev/null
cmake --build "$build" -j"$(nproc)" >/dev/null
echo "setup: built $build/dsim" >&2
