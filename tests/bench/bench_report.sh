#!/usr/bin/env bash
# bench_report.sh — how long dsim report takes for 20 runs (4 policies × 5 seeds) of 200 checkpoints each:
# the HTML report (six charts drawn by PLplot, inline) and the PDF; the aim is under 2 s each. Also one chart
# alone, and the ratio of the report to it.
#
# usage: tests/bench/bench_report.sh [build/dsim]
set -eu
DSIM=${1:-build/dsim}
WORK=$(mktemp -d /tmp/dsim_bench_report_XXXXXX)
trap 'rm -rf "$WORK"' EXIT
SRC=$(cd "$(dirname "$0")/../.." && pwd)
sed 's/^checkpoints = .*/checkpoints = 200/' "$SRC/scenarios/default.ini" >"$WORK/bench_report.ini"
grep -q '^checkpoints = 200' "$WORK/bench_report.ini" || { echo "bench_report: no checkpoints key to set" >&2; exit 1; }
"$DSIM" run "$WORK/bench_report.ini" -p fixed10 -p none -p thompson -p linucb --seeds 5 --visits 20000 \
    --db "$WORK/r.db" -q >/dev/null
points=$(sqlite3 "$WORK/r.db" "SELECT count(*) FROM series WHERE run_id = 1")
[[ $points -eq 200 ]] || { echo "bench_report: $points checkpoints per run, expected 200" >&2; exit 1; }
seconds() { # seconds COMMAND...: the best wall time of three
    local best=999
    for _ in 1 2 3; do
        local t0 t1
        t0=$(date +%s.%N)
        "$@" >/dev/null
        t1=$(date +%s.%N)
        best=$(awk -v a="$best" -v b="$(awk -v x="$t0" -v y="$t1" 'BEGIN { print y - x }')" 'BEGIN { print (b < a) ? b : a }')
    done
    echo "$best"
}
html=$(seconds "$DSIM" report 1-20 --db "$WORK/r.db" -o "$WORK/r.html")
pdf=$(seconds "$DSIM" report 1-20 --db "$WORK/r.db" -o "$WORK/r.pdf")
one=$(seconds "$DSIM" plot delta 1-20 --db "$WORK/r.db" -o "$WORK/d.svg")
awk -v h="$html" -v p="$pdf" -v o="$one" 'BEGIN {
    printf "report of 20 runs x 200 checkpoints: HTML %.2f s, PDF %.2f s (aim < 2 s); one delta chart %.3f s; HTML / chart %.1fx\n",
        h, p, o, h / o
    exit (h < 2 && p < 2) ? 0 : 1
}'
