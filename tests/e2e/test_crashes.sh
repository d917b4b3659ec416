#!/usr/bin/env bash
# test_crashes.sh — crash consistency, repeatably: ROUNDS times (DSIM_CRASH_ROUNDS, default 4; the long mode is
# e.g. 100) `dsim run --log-events` and `dsim sweep -j 2` are killed with -9 at a random moment, and `run`,
# `sweep` and `ope` get SIGINT or SIGTERM at a random moment. After each: the database's integrity is ok, list
# reads it, no run is left `running`, a signalled command exits 130 saying so (or 0 if it had finished), and
# the sweep resumes to the summary of an uninterrupted one. The random moments come from DSIM_CRASH_SEED
# (default 1), printed, so a failure can be replayed.
#
# usage: test_crashes.sh PATH/TO/dsim SOURCE_DIR
set -u
DSIM=$1
SRC=$2
source "$(dirname "$0")/lib.sh" crashes
rounds=${DSIM_CRASH_ROUNDS:-4}
RANDOM=${DSIM_CRASH_SEED:-1}
echo "# $rounds rounds, DSIM_CRASH_SEED=${DSIM_CRASH_SEED:-1}"
moment() { printf '0.%02d' $((20 + RANDOM % 80)); } # 0.20 … 0.99 s
wait_exists() { for _ in $(seq 200); do [[ -s $1 ]] && return 0; sleep 0.02; done; return 1; }

printf '[sweep]\nscenario = %s\npolicies = none, fixed10, thompson\nseeds = 3\nvisits = 30000\n[axes]\n%s\n' \
    "$DATA/small.ini" "segment.bargain.elasticity_mean = 2, 3, 4" >sweep.ini
"$DSIM" sweep sweep.ini --db ref.db -j 2 -q >/dev/null 2>&1
"$DSIM" sweep sweep.ini --db ref.db --summary >ref.txt

healthy() { # healthy DB: integrity ok, list reads it, and nothing is left running
    [[ $(q "$1" "PRAGMA integrity_check") == ok ]] && "$DSIM" list --db "$1" >/dev/null &&
        ! "$DSIM" list --db "$1" | grep -q ' running '
}

bad_rounds=0
for r in $(seq "$rounds"); do
    # kill -9 of a logged run, then of a sweep with two workers
    "$DSIM" run default -p thompson --visits 10000000 --log-events --db run.db -q >/dev/null 2>&1 &
    p=$!
    wait_exists run.db
    sleep "$(moment)"
    kill -9 "$p" 2>/dev/null
    wait "$p" 2>/dev/null
    healthy run.db || { echo "# round $r: run.db not healthy after kill -9"; bad_rounds=$((bad_rounds + 1)); }
    "$DSIM" sweep sweep.ini --db sweep.db -j 2 -q >/dev/null 2>&1 &
    p=$!
    wait_exists sweep.db
    sleep "$(moment)"
    kill -9 "$p" 2>/dev/null
    wait "$p" 2>/dev/null
    for _ in $(seq 250); do pgrep -f '[s]weep sweep.ini --db sweep.db' >/dev/null || break; sleep 0.02; done
    healthy sweep.db || { echo "# round $r: sweep.db not healthy after kill -9"; bad_rounds=$((bad_rounds + 1)); }
    # SIGINT or SIGTERM to run, sweep and ope at a random moment
    for cmd in run sweep ope; do
        sig=$([[ $((RANDOM % 2)) -eq 0 ]] && echo INT || echo TERM)
        case $cmd in
        run) "$DSIM" run default -p thompson --visits 2000000 --db sig.db -q >out.txt 2>err.txt & ;;
        sweep) "$DSIM" sweep sweep.ini --db sigsweep.db -j 2 -q >out.txt 2>err.txt & ;;
        ope) "$DSIM" ope --log run.db:1 -p uniform -p thompson --db sig.db >out.txt 2>err.txt & ;;
        esac
        p=$!
        sleep "$(moment)"
        kill -"$sig" "$p" 2>/dev/null
        wait "$p"
        status=$?
        if [[ $status -ne 0 && $status -ne 130 && ! ($cmd == ope && $status -eq 2) ]]; then
            echo "# round $r: $cmd after SIG$sig exited $status: $(cat err.txt)"
            bad_rounds=$((bad_rounds + 1))
        fi
        for db in sig.db sigsweep.db; do
            [[ -e $db ]] && ! healthy "$db" && { echo "# round $r: $db not healthy after SIG$sig to $cmd"; bad_rounds=$((bad_rounds + 1)); }
        done
    done
done
check "$rounds rounds of kill -9 and signals at random moments: every database healthy, every exit as documented ($bad_rounds bad)" \
    test "$bad_rounds" -eq 0
"$DSIM" sweep sweep.ini --db sweep.db -j 2 -q >/dev/null 2>&1
check "the sweep killed $rounds times resumes to the uninterrupted summary" \
    cmp -s ref.txt <("$DSIM" sweep sweep.ini --db sweep.db --summary)
"$DSIM" sweep sweep.ini --db sigsweep.db -j 2 -q >/dev/null 2>&1
check "the sweep signalled $rounds times resumes to the uninterrupted summary" \
    cmp -s ref.txt <("$DSIM" sweep sweep.ini --db sigsweep.db --summary)
check "every killed run reads as interrupted" \
    bash -c "[[ \$('$DSIM' list --db run.db | grep -c interrupted) -eq $rounds ]]"

finish
