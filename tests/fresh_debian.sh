#!/usr/bin/env bash
# fresh_debian.sh — check README's Quick start on a fresh Debian 12: a debootstrap minbase chroot (as root),
# a clone of this checkout's committed HEAD inside it, then both Quick start commands, timed.
#
# The mirror is the one this machine's apt uses (deb822 .sources or a one-line sources.list), so the check
# runs wherever apt works. The chroot gets its own proc, devpts and tmpfs mounts — never a bind of the host's
# /dev — and they are unmounted before the folder is removed.
#
# usage (as root, from the source directory): bash tests/fresh_debian.sh [DIR]   (default /tmp/dsim_fresh)
set -euo pipefail
root=${1:-/tmp/dsim_fresh}
mirror=$(grep -hE '^URIs:' /etc/apt/sources.list.d/*.sources 2>/dev/null | awk '{print $2}' |
         grep -v security | head -1 || true)
if [[ -z $mirror ]]; then
    mirror=$(grep -hE '^deb ' /etc/apt/sources.list 2>/dev/null | awk '{print $2}' | grep -v security | head -1 || true)
fi
[[ -n $mirror ]] || { echo "fresh_debian: no Debian mirror found in the apt sources" >&2; exit 1; }
command -v debootstrap >/dev/null || apt-get install -y -qq debootstrap >/dev/null
cleanup() {
    for m in dev/pts dev/shm proc; do mountpoint -q "$root/$m" && umount "$root/$m"; done
    return 0
}
trap cleanup EXIT
rm -rf "$root"
debootstrap --variant=minbase bookworm "$root" "$mirror" >/dev/null
mount -t proc proc "$root/proc"
mount -t tmpfs tmpfs "$root/dev/shm"
mount -t devpts -o newinstance,ptmxmode=0666 devpts "$root/dev/pts"
ln -sf pts/ptmx "$root/dev/ptmx"
git clone -q . "$root/root/dsim"
chroot "$root" /bin/bash -c 'cd /root/dsim && time (bash .ci/setup.sh && build/dsim run default)'
chroot "$root" /bin/bash -c 'cd /root/dsim && time (bash .ci/setup.sh && ctest --test-dir build --output-on-failure)'
