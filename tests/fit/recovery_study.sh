#!/usr/bin/env bash
# recovery_study.sh — does `dsim fit` recover a known market? For each of N seeds: a log of the shipped
# scenario `calibration` (three segments of exactly the fitted family, 200,000 visits) under the uniform random
# logging policy, fitted by `dsim fit` with K chosen by BIC; then, per parameter, the truth, the mean estimate,
# the mean standard error, the spread of the estimates across seeds, and how often the 95 % interval covers
# the truth; and how often BIC chose K = 3.
#
# usage: recovery_study.sh DSIM FIRST_SEED N_SEEDS [JOBS [FIT_OPTIONS...]]
#   e.g. bash tests/fit/recovery_study.sh build/dsim 1 20 2        (the table in docs/fit.md)
# Exit status 0 when the evidence holds: BIC chooses K = 3 for at least 90 % of seeds, and the intervals cover
# the truth in at least 85 % of all (parameter, seed) pairs and for every parameter in at least 70 % of seeds.
# With more than 20 seeds it also reports each set of 20: its worst parameter's coverage and its pooled one.
#
# What holds (docs/fit.md): over seeds 1–300 (`recovery_study.sh build/dsim 1 300 2 --segments 3`, about 50
# min and 15 GB of logs in /tmp) the nominal 95 % intervals covered the truth in 95.3 % of (parameter, seed)
# pairs, and every parameter's in 93.3–97.3 % of the seeds; each parameter's estimates spread 0.93–1.03 times
# its mean standard error. BIC chose K = 3 for 100 of 100 seeds (1–100, K in 1..4). The issue's reading over
# one set of 20, every parameter in ≥ 18 of 20, held on 7 of the 15 sets: a calibrated 95 % interval passes it
# on one parameter with probability 0.925, on twelve in fewer than half the sets. The thresholds above passed
# 15 of 15 sets (the worst pooled coverage of a set was 88.3 %, seeds 1–20; the worst parameter of a set
# covered 15–19 of 20).
set -u
DSIM=$(realpath "$1")
FIRST=$2
N=$3
JOBS=${4:-2}
shift 4 2>/dev/null || shift $#
FIT_OPTIONS=("$@")
WORK=$(mktemp -d /tmp/dsim_recovery_XXXXXX)
trap 'rm -rf "$WORK"' EXIT
cd "$WORK" || exit 1

# The logs: one run per seed (FIRST … FIRST + N − 1) in one database, then a fit of each, JOBS at a time.
SRC=$(dirname "$(realpath "$0")")/../..
sed "s/^seed = .*/seed = $FIRST/" "$SRC/scenarios/calibration.ini" >calibration.ini
"$DSIM" run calibration.ini -p random --seeds "$N" -j "$JOBS" --log-events --db study.db -q >/dev/null || {
    echo "recovery_study: the logging runs failed" >&2
    exit 1
}
export DSIM
export FIT_OPTIONS_TEXT="${FIT_OPTIONS[*]}"
seq 1 "$N" | xargs -P "$JOBS" -I{} bash -c \
    '"$DSIM" fit study.db:{} --segments 1..4 --folds 0 --format json $FIT_OPTIONS_TEXT >fit{}.json 2>/dev/null' || {
    echo "recovery_study: a fit failed" >&2
    exit 1
}

python3 - "$FIRST" fit*.json <<'EOF'
import json, math, re, statistics, sys

# The truth: scenarios/calibration.ini's segments, in ascending logit_base as dsim fit orders them.
truth = [(0.30, -3.5, 12.0, 3.0), (0.45, -2.0, 3.0, 1.0), (0.25, -0.5, 0.5, 0.0)]
names = ["share", "logit_base", "logit_discount", "logit_reference"]
first_seed = int(sys.argv[1])
fits = [json.load(open(f)) for f in sorted(sys.argv[2:], key=lambda f: int(re.sub(r"\D", "", f)))]  # in seed order
chosen = [f["segments"] for f in fits]
rows, covered_all, total_all, ok = [], 0, 0, True
for s, seg in enumerate(["deal_seekers", "regulars", "loyal"]):
    for j, name in enumerate(names):
        est, se, cover = [], [], 0
        for f in fits:
            m = next(m for m in f["models"] if m["segments"] == 3)
            e = m["estimates"][s]
            key = name
            est.append(e[key]); se.append(e[key + "_se"])
            cover += abs(e[key] - truth[s][j]) <= 1.959964 * e[key + "_se"]
        covered_all += cover; total_all += len(fits)
        rows.append((seg, name, truth[s][j], statistics.mean(est), statistics.mean(se),
                     statistics.stdev(est) if len(est) > 1 else float("nan"), cover, len(fits)))
        ok &= cover >= 0.7 * len(fits)
print(f"recovery of scenarios/calibration.ini from {len(fits)} logs of 200,000 visits (uniform random logging)")
print(f"BIC chose K = 3 for {chosen.count(3)} of {len(fits)} seeds (others: {sorted(k for k in chosen if k != 3)})")
print()
print(f"| segment | parameter | truth | mean estimate | mean SE | SD of estimates | 95 % interval covers |")
print(f"|---|---|---|---|---|---|---|")
for seg, name, t, m, se, sd, c, n in rows:
    print(f"| {seg} | {name} | {t:g} | {m:.3f} | {se:.3f} | {sd:.3f} | {c}/{n} |")
print()
print(f"all parameters: the interval covers the truth in {covered_all} of {total_all} ({100 * covered_all / total_all:.1f} %)")
worst = []
for f in fits:
    m = next(m for m in f["models"] if m["segments"] == 3)
    worst.append(max(abs(e[n] - truth[s][j]) / e[n + "_se"] for s, e in enumerate(m["estimates"])
                     for j, n in enumerate(names)))
print(f"largest |estimate − truth| / SE per seed: {' '.join(f'{w:.1f}' for w in worst)}; "
      f"beyond 4 on {sum(w > 4 for w in worst)} of {len(worst)} seeds")
if len(fits) > 20:  # each set of 20 seeds, against the issue's "every parameter in ≥ 90 % of 20 seeds"
    held = 0
    for first in range(0, len(fits) - 19, 20):
        block = fits[first:first + 20]
        per = []
        for s, seg in enumerate(truth):
            for j, name in enumerate(names):
                per.append(sum(abs(e[name] - seg[j]) <= 1.959964 * e[name + "_se"]
                               for e in (next(m for m in f["models"] if m["segments"] == 3)["estimates"][s] for f in block)))
        held += min(per) >= 18
        print(f"seeds {first_seed + first}–{first_seed + first + 19}: the worst parameter covered {min(per)}/20, "
              f"all {100 * sum(per) / 240:.1f} %")
    print(f"every parameter in ≥ 18 of 20: {held} of {len(fits) // 20} sets")
ok &= chosen.count(3) >= 0.9 * len(fits) and covered_all >= 0.85 * total_all
print("evidence holds" if ok else "EVIDENCE FAILS")
sys.exit(0 if ok else 1)
EOF
