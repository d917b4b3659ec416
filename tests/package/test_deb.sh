#!/usr/bin/env bash
# test_deb.sh — the .deb on a fresh Debian 12: `cpack -G DEB` in the build directory, a debootstrap minbase
# bookworm root from the mirror this machine's apt uses, the package installed there with apt (its dependencies
# resolved from the archive), then from /tmp: `dsim run default`, `man dsim-run`, completion of `dsim run def`,
# and the example program of docs/library.md compiled through `pkg-config --cflags --libs dsim` and run.
# The root gets its own proc, devpts and tmpfs mounts, never a bind of the host's /dev, unmounted on exit.
#
# usage (as root): test_deb.sh PATH/TO/dsim SOURCE_DIR BUILD_DIR [ROOT]
set -u
DSIM=$1
SRC=$2
BUILD=$3
source "$SRC/tests/e2e/lib.sh" deb
root=${4:-$WORK/root}
[[ $(id -u) -eq 0 ]] || { echo "SKIP: the .deb test makes a chroot, so it runs as root"; exit 77; }
mirror=$(grep -hE '^URIs:' /etc/apt/sources.list.d/*.sources 2>/dev/null | awk '{print $2}' | grep -v security | head -1)
[[ -n $mirror ]] || mirror=$(grep -hE '^deb ' /etc/apt/sources.list 2>/dev/null | awk '{print $2}' | grep -v security | head -1)
[[ -n $mirror ]] || { echo "test_deb: no Debian mirror in this machine's apt sources" >&2; exit 1; }
command -v debootstrap >/dev/null || apt-get install -y -qq debootstrap >/dev/null
unmount() {
    for m in dev/pts dev/shm dev proc; do mountpoint -q "$root/$m" 2>/dev/null && umount "$root/$m"; done
    return 0
}
cleanup() { unmount; }

(cd "$BUILD" && cpack -G DEB >cpack.log 2>&1)
deb=$(ls "$BUILD"/dsim_*_amd64.deb 2>/dev/null | head -1)
check "cpack -G DEB makes a package" test -n "$deb"
check "it depends on what libdsim and dsim link, and on PLplot's cairo driver" bash -c \
    "dpkg-deb -f '$deb' Depends | grep -q libgsl && dpkg-deb -f '$deb' Depends | grep -q libsqlite3 && dpkg-deb -f '$deb' Depends | grep -q plplot-driver-cairo"
check "it holds the command, the library, headers, pkg-config, man pages, completion and scenarios" bash -c \
    "dpkg-deb -c '$deb' | grep -q './usr/bin/dsim$' && dpkg-deb -c '$deb' | grep -q 'libdsim.so.0.1.0' &&
     dpkg-deb -c '$deb' | grep -q 'include/dsim/study.h' && dpkg-deb -c '$deb' | grep -q 'pkgconfig/dsim.pc' &&
     dpkg-deb -c '$deb' | grep -q 'man1/dsim-run.1' && dpkg-deb -c '$deb' | grep -q 'completions/dsim' &&
     dpkg-deb -c '$deb' | grep -q 'share/dsim/scenarios/default.ini'"

debootstrap --variant=minbase bookworm "$root" "$mirror" >debootstrap.log 2>&1
check "debootstrap makes a fresh Debian 12 root" test -x "$root/bin/bash"
mount -t proc proc "$root/proc"
mount -t tmpfs tmpfs "$root/dev/shm"
mount -t devpts -o newinstance,ptmxmode=0666 devpts "$root/dev/pts"
ln -sf pts/ptmx "$root/dev/ptmx"
cp "$deb" "$root/tmp/dsim.deb"
cp "$SRC/tests/library/example.c" "$root/tmp/example.c"
in_root() { chroot "$root" /usr/bin/env -i HOME=/root PATH=/usr/sbin:/usr/bin:/sbin:/bin LC_ALL=C.UTF-8 /bin/bash -c "$1"; }
check "apt installs the .deb with its dependencies (and man, a compiler, pkg-config for the checks)" \
    in_root "export DEBIAN_FRONTEND=noninteractive; apt-get update -qq && apt-get install -y -qq --no-install-recommends /tmp/dsim.deb man-db gcc libc6-dev pkg-config >/tmp/apt.log 2>&1"
check "dsim run default, from /tmp" in_root "cd /tmp && dsim run default -p fixed10 -p thompson --visits 5000 --db /tmp/r.db -q | grep -q '^thompson'"
check "it found the installed scenarios" in_root "cd /tmp && dsim scenarios | head -1 | grep -q '/usr/share/dsim/scenarios/'"
check "man dsim-run shows its options" in_root "MANWIDTH=100 man dsim-run 2>/dev/null | grep -q -- '--visits'"
check "completion completes dsim run def" in_root \
    "source /usr/share/bash-completion/completions/dsim; COMP_WORDS=(dsim run def); COMP_CWORD=2; _dsim; [[ \${COMPREPLY[*]} == *default* ]]"
check "the example compiles with pkg-config --cflags --libs dsim" \
    in_root "cd /tmp && cc -std=c17 -Wall example.c \$(pkg-config --cflags --libs dsim) -o example"
check "and runs a scenario through libdsim.so.0" in_root "cd /tmp && ./example | grep -qE '^profit [0-9.]+ from [0-9]+ purchases$'"
unmount
finish
