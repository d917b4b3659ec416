#!/usr/bin/env bash
# bench_logging.sh — what --log-events costs each policy type: the same run of the default scenario with
# and without logging, per shipped policy file, best of three; prints the slowdown (logged ÷ plain).
#
# usage: tests/bench/bench_logging.sh PATH/TO/dsim [VISITS]   (from the source directory)
set -euo pipefail
DSIM=$1
VISITS=${2:-20000}
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
best() { # best SECONDS... : the smallest
    printf '%s\n' "$@" | sort -g | head -1
}
seconds() { # seconds ARGS...: wall time of one dsim run
    local t0 t1
    t0=$(date +%s.%N)
    "$DSIM" run default "$@" --visits "$VISITS" --db "$dir/b.db" -q >/dev/null
    t1=$(date +%s.%N)
    rm -f "$dir/b.db"*
    awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }'
}
printf '%-22s %10s %10s %9s\n' policy "plain s" "logged s" slowdown
for file in policies/*.ini; do
    name=$(basename "$file" .ini)
    plain=$(best "$(seconds -p "$file")" "$(seconds -p "$file")" "$(seconds -p "$file")")
    logged=$(best "$(seconds -p "$file" --log-events)" "$(seconds -p "$file" --log-events)" \
                  "$(seconds -p "$file" --log-events)")
    awk -v n="$name" -v p="$plain" -v l="$logged" 'BEGIN { printf "%-22s %10.3f %10.3f %8.1fx\n", n, p, l, l / p }'
done
