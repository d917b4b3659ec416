#!/usr/bin/env bash
# bench_fit.sh — how long `dsim fit` takes on a log of 10^6 visits (the shipped market `calibration` with
# 100,000 shoppers, about ten visits each, uniform random logging): three segments fixed (the issue's bar:
# under 60 s on one core; dsim fit is single-threaded), then the default command (K chosen by BIC over 1..6,
# the calibration check in five folds). Wall-clock seconds, measured in one run.
#
# usage: bench_fit.sh PATH/TO/dsim [VISITS]
set -u
DSIM=$(realpath "$1")
VISITS=${2:-1000000}
SRC=$(dirname "$(realpath "$0")")/../..
WORK=$(mktemp -d /tmp/dsim_bench_fit_XXXXXX)
trap 'rm -rf "$WORK"' EXIT
cd "$WORK" || exit 1
sed "s/^shoppers = .*/shoppers = $((VISITS / 10))/" "$SRC/scenarios/calibration.ini" >calibration.ini
"$DSIM" run calibration.ini -p random --visits "$VISITS" --log-events --db log.db -q >/dev/null || exit 1
seconds() { # seconds COMMAND...: its wall-clock time
    local t0 t1
    t0=$(date +%s.%N)
    "$@" >/dev/null 2>fit.err || { cat fit.err >&2; exit 1; }
    t1=$(date +%s.%N)
    python3 -c "print(f'{$t1 - $t0:.1f}')"
}
fixed=$(seconds "$DSIM" fit log.db:1 --segments 3 --folds 0)
echo "bench_fit: $VISITS visits, K = 3, no calibration check: $fixed s (of which the fit: $(sed -n 's/^fit: 3 segments: .*(\(.*\) s)$/\1/p' fit.err) s)"
full=$(seconds "$DSIM" fit log.db:1)
echo "bench_fit: $VISITS visits, the default (K by BIC over 1..6, calibration in 5 folds): $full s"
sed 's/^/  /' fit.err
