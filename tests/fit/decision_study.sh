#!/usr/bin/env bash
# decision_study.sh — does a fitted world decide as the true one does? For each of N seeds of the shipped
# market `calibration`: a log of 200,000 visits under uniform random logging, `dsim fit` (K by BIC), then
# seven policies run on the fitted scenario and on the true one (two seeds each): Kendall's τ between the two
# rankings and the largest relative difference in value; and fixed10's value per visit on the log's own seed,
# from the fitted world (one run) and from the DR estimate on the log, each against the true value (`dsim ope
# --truth`: fixed10 run on-policy in the true world, same seed and visits).
#
# usage: decision_study.sh DSIM FIRST_SEED N_SEEDS [SCENARIO]
#   e.g. bash tests/fit/decision_study.sh build/dsim 1 10      (the table in docs/fit.md)
# SCENARIO (default: the shipped calibration) may be another market, to see how a misspecified fit decides.
# Exit status 0 when every seed's fitted world agrees (τ ≥ 0.8, every value within 5 %).
set -u
DSIM=$(realpath "$1")
FIRST=$2
N=$3
SRC=$(dirname "$(realpath "$0")")/../..
SCENARIO=$(realpath "${4:-$SRC/scenarios/calibration.ini}")
WORK=$(mktemp -d /tmp/dsim_decisions_XXXXXX)
trap 'rm -rf "$WORK"' EXIT
cd "$WORK" || exit 1
POLICIES=(-p none -p random -p fixed10 -p fixed20 -p fixed30 -p thompson -p oracle)
agree=0
echo "| seed | K | Kendall's τ | largest difference | fixed10 a visit: truth | fitted world | DR (95 % interval) |"
echo "|---|---|---|---|---|---|---|"
for seed in $(seq "$FIRST" $((FIRST + N - 1))); do
    rm -f ./*.db
    sed "s/^seed = .*/seed = $seed/" "$SCENARIO" >truth.ini
    "$DSIM" run truth.ini -p random --log-events --db log.db -q >/dev/null &&
        "$DSIM" fit log.db:1 -o fitted.ini --format json >fit.json 2>fit.err &&
        "$DSIM" run truth.ini "${POLICIES[@]}" --seeds 2 -j 2 --db truth.db --format json >truth.json &&
        "$DSIM" run fitted.ini "${POLICIES[@]}" --seeds 2 -j 2 --db fitted.db --format json >fitted.json &&
        "$DSIM" run fitted.ini -p fixed10 --db model.db --format json >model.json &&
        "$DSIM" ope --log log.db:1 -p fixed10 --estimators dr --truth --bootstrap 0 --db log.db --format json \
            >ope.json || {
        echo "decision_study: seed $seed failed" >&2
        exit 1
    }
    python3 "$SRC/tests/fit/decisions.py" truth.json fitted.json >decisions.txt && agree=$((agree + 1))
    python3 - "$seed" fit.json decisions.txt model.json ope.json <<'EOF'
import json, re, sys
seed, fit, decisions, fitted, ope = sys.argv[1:]
k = json.load(open(fit))["segments"]
text = open(decisions).read()
tau = re.search(r"τ between the rankings: ([-0-9.]+)", text).group(1)
largest = max(abs(float(x)) for x in re.findall(r"\| ([-+0-9.]+) % \|", text))
model = [r["profit"] / r["visits"] for r in json.load(open(fitted))["rows"] if r["policy"] == "fixed10"][0]
dr = [r for r in json.load(open(ope))["rows"] if r["kind"] == "estimate"][0]
print(f"| {seed} | {k} | {tau} | {largest:.2f} % | {dr['truth']:.4f} | {model:.4f} ({100 * (model / dr['truth'] - 1):+.1f} %) "
      f"| {dr['value']:.4f} ({dr['normal_lo']:.4f} … {dr['normal_hi']:.4f}){'' if dr['normal_lo'] <= dr['truth'] <= dr['normal_hi'] else ' misses'} |")
EOF
    [[ $seed == "$FIRST" ]] && cp decisions.txt "$WORK/first.txt"
done
echo
echo "the fitted world agrees (τ ≥ 0.8, every policy within 5 %) on $agree of $N seeds; seed $FIRST in full:"
echo
cat "$WORK/first.txt"
[[ $agree -eq $N ]]
