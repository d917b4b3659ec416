#!/usr/bin/env bash
# compare_builds.sh OLD_DSIM NEW_DSIM — a change that promises no change of behaviour (a restructure) keeps
# every figure: run, show, ope with --truth, bandit, sweep with its CSV, export-log, and the database's runs,
# summaries, series and events, each byte-identical between the two binaries. Exit 0 when all are. The runs
# go one at a time (-j 1): with workers, the order in which runs finish, and so their ids, vary.
#
#   git worktree add /tmp/old BASE && cmake -S /tmp/old -B /tmp/old/build -DDSIM_BUILD_TESTS=OFF &&
#   cmake --build /tmp/old/build && bash tests/compare_builds.sh /tmp/old/build/dsim build/dsim
set -euo pipefail
old=$(realpath "$1") new=$(realpath "$2")
src=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

outputs() { # outputs DSIM DIR
    local d=$1
    mkdir -p "$2" && cd "$2"
    "$d" run default -p none -p thompson -p linucb -p fixed10 --seeds 2 --visits 30000 --db r.db -j 1 -q >run.txt 2>&1
    "$d" run "$src/tests/data/small.ini" -p epsilon_greedy -p q_learning --seeds 2 --visits 20000 --db r.db -j 1 -q \
        --log-events >run2.txt 2>&1
    "$d" show 1 --db r.db | grep -v "created\|finished\|dsim version" >show.txt 2>&1
    "$d" ope --log r.db:9 -p uniform -p action=1 -p "$src/policies/thompson.ini" --truth --db o.db >ope.txt 2>&1
    "$d" bandit misra_intro -p ucb1 -p thompson --seeds 3 --rounds 20000 -q >bandit.txt 2>&1
    printf '[sweep]\nscenario = %s\npolicies = none, fixed10, thompson\nseeds = 2\nvisits = 5000\n[axes]\n%s\n' \
        "$src/tests/data/small.ini" "segment.bargain.elasticity_mean = 2, 4" >sw.ini
    "$d" sweep sw.ini --db s.db -j 2 -q --csv sweep.csv >sweep.txt 2>&1
    "$d" export-log r.db:9 --csv export.csv >/dev/null 2>&1
    sqlite3 r.db "SELECT id, status, scenario_name, policy_name, seed, visits, source, planned_visits FROM runs" >runs.txt
    sqlite3 r.db "SELECT * FROM summary" >summary.txt
    sqlite3 r.db "SELECT * FROM series" >series.txt
    sqlite3 r.db "SELECT * FROM events" >events.txt
}
(outputs "$old" "$work/old")
(outputs "$new" "$work/new")
status=0
for f in "$work"/old/*.txt "$work"/old/*.csv; do
    name=$(basename "$f")
    if cmp -s "$f" "$work/new/$name"; then
        echo "same $name ($(wc -l <"$f") lines)"
    else
        echo "DIFFERENT $name"
        status=1
    fi
done
exit $status
