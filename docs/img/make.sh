#!/usr/bin/env bash
# make.sh — the pictures in docs/ and the README, made from scratch by dsim itself (about two minutes on two
# cores): bash docs/img/make.sh [build/dsim]. Each picture is one dsim command below; the database is thrown
# away. The report's screenshot needs Chromium (Debian package chromium) and is skipped without it.
set -eu
SRC=$(cd "$(dirname "$0")/../.." && pwd)
DSIM=$(realpath "${1:-$SRC/build/dsim}")
OUT=$SRC/docs/img
WORK=$(mktemp -d /tmp/dsim_img_XXXXXX)
trap 'rm -rf "$WORK"' EXIT
cd "$SRC"
DB=$WORK/img.db

# The README's first question: flat levels and a personalised policy against a flat 10 %, five seeds.
"$DSIM" run default -p fixed10 -p none -p fixed15 -p linucb -p oracle --seeds 5 --visits 1e5 --db "$DB" -q \
    --plot "$OUT/delta.png" >/dev/null
"$DSIM" plot segments 1-25 --db "$DB" -o "$OUT/segments.png" >/dev/null
"$DSIM" plot levels 1-25 --db "$DB" -o "$OUT/levels.png" >/dev/null
# The example sweep of docs/sweeps.md, two axes: which policy wins where.
"$DSIM" sweep scenarios/sweeps/elasticity.ini --db "$DB" -q --plot "$OUT/sweep.png" >/dev/null
# Offline evaluation of three targets on a uniform-random log, against the simulator's truth.
log=$("$DSIM" run default -p random --visits 50000 --log-events --db "$DB" -q --format json |
    python3 -c 'import json, sys; print(json.load(sys.stdin)["runs"][0]["run"])')
"$DSIM" ope --log "$DB:$log" -p fixed10 -p fixed20 -p uniform --estimators dm,ips,snips,dr,switch-dr --truth \
    --db "$DB" --plot "$OUT/ope.png" >/dev/null
# A Bernoulli bandit's regret against Lai & Robbins' bound.
"$DSIM" bandit chapelle_li -p ucb1 -p thompson --seeds 10 --rounds 1e5 --csv "$WORK/b.csv" -q >/dev/null
"$DSIM" plot bandit "$WORK/b.csv" --problem chapelle_li -o "$OUT/bandit.png" >/dev/null
# The report, and the top of it as a browser shows it.
"$DSIM" report 1-25 --db "$DB" -o "$WORK/report.html" >/dev/null
if command -v chromium >/dev/null; then
    HOME=$WORK timeout 120 chromium --headless --no-sandbox --disable-gpu --no-first-run --hide-scrollbars \
        --user-data-dir="$WORK/profile" --window-size=1280,1600 --screenshot="$OUT/report.png" \
        "file://$WORK/report.html" >/dev/null 2>&1
fi
ls -l "$OUT"/*.png
