#!/usr/bin/env bash
# decision_study.sh — does a fitted world decide as the true one does? For each of N seeds of the shipped
# market `calibration`: a log of 200,000 visits under uniform random logging, `dsim fit` (K by BIC), then
# seven policies run on the fitted scenario and on the true one (two seeds each): Kendall's τ between the two
# rankings and the largest relative difference in value. Then two targets' values a visit on the log's own
# seed (fixed10, and fixed30, which moves what shoppers come to expect the most), each against the truth it
# estimates (`dsim ope --truth`):
#   - the fitted world (`dsim fit --value`: 20 markets drawn from the fit's uncertainty, with their 95 %
#     interval) against the target run on-policy in the true world, same seed and visits;
#   - DR on the log (its 95 % interval) against the target's value on the logged visits themselves, each
#     shopper as the logging policy left them, which is what DR estimates. Where shoppers remember, the two
#     truths differ (docs/ope.md).
#
# usage: decision_study.sh DSIM FIRST_SEED N_SEEDS [SCENARIO]
#   e.g. bash tests/fit/decision_study.sh build/dsim 1 10      (the tables in docs/fit.md)
# SCENARIO (default: the shipped calibration) may be another market, to see how a misspecified fit decides.
# Exit status 0 when every seed's fitted world agrees (τ ≥ 0.8, every value within 5 %). Last, it counts how
# often each interval covered its truth.
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
: >values.txt
echo "| seed | K | Kendall's τ | largest difference |"
echo "|---|---|---|---|"
for seed in $(seq "$FIRST" $((FIRST + N - 1))); do
    rm -f ./*.db
    sed "s/^seed = .*/seed = $seed/" "$SCENARIO" >truth.ini
    "$DSIM" run truth.ini -p random --log-events --db log.db -q >/dev/null &&
        "$DSIM" fit log.db:1 -o fitted.ini --value fixed10 --value fixed30 --format json >fit.json 2>fit.err &&
        "$DSIM" run truth.ini "${POLICIES[@]}" --seeds 2 -j 2 --db truth.db --format json >truth.json &&
        "$DSIM" run fitted.ini "${POLICIES[@]}" --seeds 2 -j 2 --db fitted.db --format json >fitted.json &&
        "$DSIM" ope --log log.db:1 -p fixed10 -p fixed30 --estimators dr --truth --bootstrap 0 --db log.db \
            --format json >ope.json || {
        echo "decision_study: seed $seed failed" >&2
        exit 1
    }
    python3 "$SRC/tests/fit/decisions.py" truth.json fitted.json >decisions.txt && agree=$((agree + 1))
    python3 - "$seed" fit.json decisions.txt ope.json >>values.txt <<'EOF'
import json, re, sys
seed, fit, decisions, ope = sys.argv[1:]
fit = json.load(open(fit))
text = open(decisions).read()
tau = re.search(r"τ between the rankings: ([-0-9.]+)", text).group(1)
largest = max(abs(float(x)) for x in re.findall(r"\| ([-+0-9.]+) % \|", text))
print(f"decisions | {seed} | {fit['segments']} | {tau} | {largest:.2f} % |")
values = {v["policy"]: v for v in fit["value"]["policies"]}
for r in json.load(open(ope))["rows"]:
    if r["kind"] != "estimate":
        continue
    v, truth, logged = values[r["target"]], r["truth"], r["truth_logged"]
    model_covers = v["lo"] <= truth <= v["hi"]
    dr_covers = r["normal_lo"] <= logged <= r["normal_hi"]
    dr_covers_on_policy = r["normal_lo"] <= truth <= r["normal_hi"]
    print(f"values | {seed} | {r['target']} | {truth:.4f} | {v['mean']:.4f} ({v['lo']:.4f} … {v['hi']:.4f})"
          f"{'' if model_covers else ' misses'} | {logged:.4f} | {r['value']:.4f} ({r['normal_lo']:.4f} … "
          f"{r['normal_hi']:.4f}){'' if dr_covers else ' misses'} | {'yes' if dr_covers_on_policy else 'no'} |")
EOF
    grep '^decisions' values.txt | tail -1 | sed 's/^decisions //'
    [[ $seed == "$FIRST" ]] && cp decisions.txt first.txt
done
echo
echo "the fitted world agrees (τ ≥ 0.8, every policy within 5 %) on $agree of $N seeds; seed $FIRST in full:"
echo
cat first.txt
echo
echo "| seed | target | on-policy truth | fitted world (95 % interval) | truth on the logged visits | DR (95 % interval) | DR's interval covers the on-policy truth |"
echo "|---|---|---|---|---|---|---|"
grep '^values' values.txt | sed 's/^values //'
echo
python3 - values.txt <<'EOF'
import sys
rows = [line.split("|") for line in open(sys.argv[1]) if line.startswith("values")]
for target in sorted({r[2].strip() for r in rows}):
    mine = [r for r in rows if r[2].strip() == target]
    print(f"{target}: the fitted world's interval covers the on-policy truth on {sum('misses' not in r[4] for r in mine)} "
          f"of {len(mine)} seeds; DR's covers the truth on the logged visits on "
          f"{sum('misses' not in r[6] for r in mine)}, and the on-policy truth on {sum(r[7].strip() == 'yes' for r in mine)}")
EOF
[[ $agree -eq $N ]]
