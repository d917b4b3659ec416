#!/usr/bin/env bash
# test_concurrency.sh — many writers on one database at once, as the README suggests (processes, not threads):
# four `dsim run` of 200,000 visits each, logging every decision, plus a sweep and a dashboard snapshot, all
# writing results/dsim.db-style one file together. Every process succeeds, every run is stored once and done,
# and SQLite's integrity check is ok. (Before issue 16 each run held the write lock for its whole simulation
# and the others gave up after 10 s: "database is locked", runs lost.)
#
# usage: test_concurrency.sh PATH/TO/dsim SOURCE_DIR
set -u
DSIM=$1
SRC=$2
cleanup() { tmux -S "$SOCK" kill-server 2>/dev/null; }
source "$(dirname "$0")/lib.sh" concurrency
KEEP=${KEEP:-}
SOCK=$WORK/tmux.sock
export LC_ALL=C
db=$WORK/shared.db

cat >sweep.ini <<INI
[sweep]
scenario = $DATA/small.ini
policies = none, fixed10, thompson
seeds = 2
visits = 20000
[axes]
segment.bargain.elasticity_mean = 2, 3, 4
INI

# The dashboard in a terminal, its snapshot (w) taken while the runs write.
tmux -S "$SOCK" new-session -d -s keep "sleep 3600"
tmux -S "$SOCK" new-session -d -s dash -x 120 -y 40 \
    "cd '$SRC' && '$DSIM' dash default -p none -p thompson --visits 2000000 --db '$db'; echo \"exit \$?\" >'$WORK/dash.exit'; sleep 30"

pids=()
for k in 1 2 3 4; do
    "$DSIM" run default -p thompson --visits 200000 --seeds 1 --log-events --db "$db" -q >"run$k.out" 2>"run$k.err" &
    pids+=($!)
done
"$DSIM" sweep sweep.ini --db "$db" -j 1 -q >sweep.out 2>sweep.err &
pids+=($!)

sleep 2
tmux -S "$SOCK" send-keys -t dash w
status=0
for p in "${pids[@]}"; do
    wait "$p" || status=$((status + 1))
done
tmux -S "$SOCK" send-keys -t dash q
for _ in $(seq 300); do [[ -e $WORK/dash.exit ]] && break; sleep 0.1; done

check "four long runs and a sweep on one database: every process succeeds ($status failed)" test "$status" -eq 0
check "no 'database is locked' anywhere" bash -c "! grep -l 'locked' run*.err sweep.err"
check "the dashboard quits with status 0 after its snapshots" grep -qx "exit 0" "$WORK/dash.exit"
check "each run stored once and done (4 runs + 18 sweep runs + 2 x 2 dashboard snapshot runs)" \
    test "$(q "$db" "SELECT count(*) FROM runs WHERE status = 'done'")" = 26
check "no run left running or failed" test "$(q "$db" "SELECT count(*) FROM runs WHERE status <> 'done'")" = 0
check "every run's decisions logged, once each (4 x 200,000 visits minus the churned)" \
    test "$(q "$db" "SELECT count(DISTINCT run_id) FROM events")" = 4
check "no decision logged twice" \
    test "$(q "$db" "SELECT count(*) FROM (SELECT run_id, visit, item FROM events GROUP BY 1, 2, 3 HAVING count(*) > 1)")" = 0
check "every logged run has its 200,000 visits' decisions (active visits)" \
    bash -c "[[ \$(sqlite3 '$db' \"SELECT count(*) FROM events e JOIN summary s ON s.run_id = e.run_id GROUP BY e.run_id HAVING count(*) <> s.visits\") == '' ]]"
check "the sweep's summary has all 18 runs" bash -c "'$DSIM' sweep sweep.ini --db '$db' --summary | grep -c '(2 of 2 seeds)' | grep -qx 9"
check "integrity_check ok" test "$(q "$db" "PRAGMA integrity_check")" = "ok"

finish
