#!/usr/bin/env bash
# test_ope_coverage.sh — offline evaluation on a Thompson sampling log against the simulator's truth, end to
# end through the real binary: 20 seeds of tests/data/memoryless.ini (no memory or churn, so a target's value
# on the logged contexts is its on-policy value) logged with --log-events; for each, `dsim ope -p fixed10
# --truth`; the 95 % normal intervals of IPS, SNIPS and DR must each cover the truth on at least 18 of 20.
#
# Pass rate on fresh seeds (20 disjoint sets of 20 seeds, scenario seeds 1000 + 20k, k = 0…19):
# 20 of 20 sets pass: each estimator covered the truth on 18 to 20 of a set's 20 seeds (fewest: 18, k = 12).
#
# usage: test_ope_coverage.sh PATH/TO/dsim SOURCE_DIR
set -u
DSIM=$1
SRC=$2
source "$(dirname "$0")/lib.sh" ope_coverage

"$DSIM" run "$DATA/memoryless.ini" -p thompson --seeds 20 --log-events --db cov.db -q >/dev/null 2>err.txt
check "20 Thompson runs logged" test "$(q cov.db "SELECT count(DISTINCT run_id) FROM events")" = 20
check "no logged propensity outside (0, 1]" test "$(q cov.db "SELECT count(*) FROM events WHERE NOT (propensity > 0 AND propensity <= 1)")" = 0
for run in $(seq 1 20); do
    "$DSIM" ope --log "cov.db:$run" -p fixed10 --truth --estimators ips,snips,dr --bootstrap 0 --db cov.db 2>>err.txt
done >ope.txt
# Each block: three estimator rows "name estimate [lo, hi] ..." then "truth (...): value".
covered=$(awk '$1 == "ips" || $1 == "snips" || $1 == "dr" { gsub(/[][,]/, " "); lo[$1] = $3; hi[$1] = $4 }
               /truth \(on-policy/ { for (e in lo) if ($NF >= lo[e] && $NF <= hi[e]) n[e]++; delete lo; delete hi }
               END { printf "ips %d snips %d dr %d", n["ips"], n["snips"], n["dr"] }' ope.txt)
echo "# covered of 20: $covered"
for estimator in ips snips dr; do
    n=$(awk -v e="$estimator" '{ for (i = 1; i < NF; i++) if ($i == e) print $(i + 1) }' <<<"$covered")
    check "$estimator's 95 % interval covers the truth on >= 18 of 20 seeds (got $n)" test "${n:-0}" -ge 18
done
finish
