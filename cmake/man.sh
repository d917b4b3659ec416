#!/usr/bin/env bash
# man.sh — the man pages, generated from the program itself so that they cannot drift from it: dsim(1) from
# `dsim --help`, and dsim-CMD(1) from `dsim CMD --help` for every command `dsim --help` lists, each named by the
# summary it gives there. help2man names a page after its program, so each command gets a two-line wrapper.
#
# usage: man.sh PATH/TO/dsim VERSION OUT_DIR
set -euo pipefail
dsim=$1 version=$2 out=$3
mkdir -p "$out/bin"
page() { # page PROGRAM NAME OUTPUT
    help2man --no-info --no-discard-stderr --section=1 --version-string="$version" --name="$2" --output="$3" "$1"
}
page "$dsim" "discount simulator: shoppers, ranked slates, discount policies" "$out/dsim.1"
"$dsim" --help | sed -n '/^commands:/,/^$/p' | sed -n 's/^  \([a-z-]*\)  *\(.*\)$/\1\t\2/p' |
while IFS=$'\t' read -r cmd summary; do
    printf '#!/bin/sh\nexec "%s" %s "$@"\n' "$dsim" "$cmd" >"$out/bin/dsim-$cmd"
    chmod +x "$out/bin/dsim-$cmd"
    page "$out/bin/dsim-$cmd" "$summary" "$out/dsim-$cmd.1"
done
