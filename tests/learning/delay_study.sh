#!/usr/bin/env bash
# delay_study.sh — Chapelle & Li (2011, §4.1, Table 1)'s delay study on dsim's bandit: regret at T = 10^6 rounds
# of UCB1 and Thompson sampling on the 10 Bernoulli arms of scenarios/bandits/chapelle_li.ini when the policy
# learns only every δ rounds (δ = 1, 3, 10, 32, 100, 316, 1000), over 10 seeds, with the UCB/TS ratio.
#
# usage: delay_study.sh DSIM [SEEDS [ROUNDS]]      e.g. bash tests/learning/delay_study.sh build/dsim
# (the table in docs/learning.md; about a minute on one core)
set -eu
DSIM=$(realpath "$1")
SEEDS=${2:-10}
ROUNDS=${3:-1000000}
WORK=$(mktemp -d /tmp/dsim_delay_XXXXXX)
trap 'rm -rf "$WORK"' EXIT
for delta in 1 3 10 32 100 316 1000; do
    "$DSIM" bandit chapelle_li -p ucb1 -p thompson --seeds "$SEEDS" --rounds "$ROUNDS" --update-every "$delta" \
        -q --csv "$WORK/d$delta.csv" >/dev/null
done
python3 - "$WORK" "$SEEDS" "$ROUNDS" <<'PY'
import csv, math, statistics, sys
work, seeds, rounds = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
def final(path):  # regret at the last checkpoint (round T) per (policy, seed)
    out = {}
    for row in csv.DictReader(open(path)):
        out[(row["policy"], int(row["seed"]))] = float(row["regret"])
    return out
print(f"chapelle_li: 10 Bernoulli arms (0.5 vs 0.4), T = {rounds:,} rounds, {seeds} seeds; mean regret ± 95 % CI")
print(f"{'δ':>6} {'UCB1':>18} {'Thompson':>18} {'UCB1/TS':>8}")
for delta in (1, 3, 10, 32, 100, 316, 1000):
    r = final(f"{work}/d{delta}.csv")
    cells = []
    for p in ("ucb1", "thompson"):
        x = [v for (q, s), v in r.items() if q == p]
        half = 2.262 * statistics.stdev(x) / math.sqrt(len(x)) if len(x) == 10 else \
            1.96 * statistics.stdev(x) / math.sqrt(len(x))
        cells.append((statistics.mean(x), half))
    print(f"{delta:>6} {cells[0][0]:>9.0f} ± {cells[0][1]:>5.0f} {cells[1][0]:>9.0f} ± {cells[1][1]:>5.0f} "
          f"{cells[0][0] / cells[1][0]:>8.2f}")
PY
