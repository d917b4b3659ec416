#!/usr/bin/env bash
# test_sweep.sh — `dsim sweep` and `dsim merge` end to end: every cell x policy x seed stored and summarised;
# -j 1 and -j 2 give byte-identical summaries; killed (kill -9, Ctrl-C, a worker killed) mid-way and run
# again, the summary is byte-identical to an uninterrupted sweep's; shards merged equal the whole; the
# progress bar on a real terminal (tmux); bad input exits 2 and writes nothing.
#
# usage: test_sweep.sh PATH/TO/dsim SOURCE_DIR
set -u
DSIM=$1
SRC=$2
cleanup() { tmux -L "dsim_sweep_$$" kill-server 2>/dev/null; }
source "$(dirname "$0")/lib.sh" sweep

# ---- every cell x policy x seed, stored, summarised, skipped when done ------------------------------------
printf '[sweep]\nscenario = %s\npolicies = none, fixed10\nseeds = 2\nvisits = 2000\n[axes]\nsegment.bargain.elasticity_mean = 2, 4\n' "$DATA/small.ini" >sweep.ini
out=$("$DSIM" sweep sweep.ini --db sweep.db -q 2>err.txt)
check "sweep exits 0" test $? -eq 0
check "sweep runs every cell x policy x seed" grep -q "2 cells x 2 policies x 2 seeds = 8 runs; 8 run now, 0 done before" <<<"$out"
check "sweep summarises each cell and its best policy" test "$(grep -c '^  best: ' <<<"$out")" = 2
check "sweep links its runs" test "$(q sweep.db "SELECT count(*) FROM sweep_runs")" = 8
check "a sweep's runs say so (source sweep)" test "$(q sweep.db "SELECT count(*) FROM runs WHERE source = 'sweep' AND planned_visits = visits")" = 8
out=$("$DSIM" sweep sweep.ini --db sweep.db -q 2>err.txt)
check "sweep run again skips what is done" grep -q "0 run now, 8 done before" <<<"$out"
"$DSIM" sweep sweep.ini --db sweep.db --summary --csv sweep.csv >/dev/null 2>err.txt
check "sweep summary as CSV: a row per cell and policy" test "$(($(wc -l <sweep.csv) - 1))" = 4
check "sweep CSV: one column per axis key, no 'axes' column" bash -c "head -1 sweep.csv | grep -q '^cell,segment.bargain.elasticity_mean,policy,seeds,' && ! head -1 sweep.csv | grep -qE '(^|,)axes(,|$)'"
for column in conversion conversion_ci95 ctr revenue profit discount_spend regret reward reward_ci95 delta_vs_none delta_vs_none_ci95 delta_pairs best significantly_best; do
    check "sweep CSV has column $column" bash -c "head -1 sweep.csv | tr , '\\n' | grep -qx '$column'"
done
col() { awk -F, -v name="$1" 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == name) c = i; next } { print $c }' sweep.csv; }
check "sweep CSV: one best per cell" test "$(col best | grep -c '^1$')" = 2
# The paired difference by hand: fixed10 minus none on each seed of the cell, averaged.
by_hand=$(q sweep.db "SELECT group_concat(printf('%.6f', d), ' ') FROM (SELECT avg(f.reward - n.reward) AS d FROM sweep_runs a JOIN summary f ON f.run_id = a.run_id JOIN sweep_runs b ON b.cell = a.cell AND b.seed = a.seed AND b.policy = 0 JOIN summary n ON n.run_id = b.run_id WHERE a.policy = 1 GROUP BY a.cell ORDER BY a.cell)")
from_csv=$(paste -d, <(col policy) <(col delta_vs_none) | awk -F, '$1 == "fixed10" { printf "%s%.6f", sep, $2; sep = " " }')
check "sweep CSV: the paired delta is fixed10 - none seed by seed ($from_csv = $by_hand)" test "$from_csv" = "$by_hand"
# Oracle against none on 4 seeds: the unpaired intervals overlap in cell 0, the paired differences do not.
printf '[sweep]\nscenario = %s\npolicies = none, oracle\nseeds = 4\nvisits = 2000\n[axes]\nsegment.bargain.elasticity_mean = 2, 4\n' "$DATA/small.ini" >paired.ini
out=$("$DSIM" sweep paired.ini --db paired.db -q -j 1 2>err.txt)
check "sweep: significance from paired differences (cell 0: oracle significantly best)" \
    bash -c "grep -A3 '^cell 0' <<<\"\$1\" | grep -qx '  best: oracle (significantly: paired Δ to every other policy above 0)'" _ "$out"
check "sweep: the summary states its rule" grep -q "Bonferroni over the comparisons" <<<"$out"
out=$("$DSIM" sweep "$SRC/scenarios/sweeps/elasticity.ini" --db unrun.db --summary 2>err.txt)
check "--summary of a sweep never run creates no database" test ! -e unrun.db
check "the shipped example sweep (help, README): 14 cells, nothing run yet" \
    test "$(grep -c '^cell ' <<<"$out"),$(grep -c 'not run yet (0 of 5 seeds)' <<<"$out")" = "14,42"
check "sweep help prints its percent sign once" grep -q "95 % interval" <<<"$("$DSIM" sweep --help)"
printf '[sweep]\nscenario = %s\npolicies = none\n[axes]\ncatalog.itemz = 10, 20\n' "$DATA/small.ini" >badsweep.ini
bad "sweep: an axis naming an unknown key" "badsweep.ini:5: [axes] catalog.itemz = 10: cell 0:14: [catalog]: unknown key 'itemz'; did you mean 'items'?" sweep badsweep.ini

# ---- in parallel: the same results, resumable after any interruption -------------------------------------------
# 24 runs of about 0.1 s: long enough to be stopped mid-way.
printf '[sweep]\nscenario = %s\npolicies = none, fixed10, thompson\nseeds = 4\nvisits = 100000\n[axes]\nsegment.bargain.elasticity_mean = 2, 4\n' "$DATA/small.ini" >long.ini
"$DSIM" sweep long.ini --db ref.db -j 1 -q >/dev/null 2>&1
"$DSIM" sweep long.ini --db ref.db --summary >ref.txt
check "reference sweep (-j 1): 24 runs done" test "$(q ref.db "SELECT count(*) FROM sweep_runs")" = 24
"$DSIM" sweep long.ini --db j2.db -j 2 >/dev/null 2>err.txt
check "-j 2: the summary is byte-identical to -j 1's" cmp -s ref.txt <("$DSIM" sweep long.ini --db j2.db --summary)
check "-j 2: not a terminal, plain lines: what is to do" grep -q "^sweep: 24 runs to do, 0 done before; 2 workers$" err.txt
check "-j 2: and the rate and the writer's share at the end" \
    grep -qE "^sweep: 24 runs in [0-9.]+ s with 2 fork workers: [0-9.]+ runs/s; the writer was busy [0-9.]+ % of that time$" err.txt

# done_runs DB: the sweep's finished runs so far (0 while the database is not there yet)
done_runs() { q "$1" "SELECT count(*) FROM sweep_runs" 2>/dev/null || echo 0; }
# wait_runs DB N: until N runs are done (at most 20 s)
wait_runs() { for _ in $(seq 1000); do (($(done_runs "$1") >= $2)) && return 0; sleep 0.02; done; return 1; }

"$DSIM" sweep long.ini --db kill9.db -j 2 -q >/dev/null 2>&1 &
writer=$!
wait_runs kill9.db 3
kill -9 "$writer"
wait "$writer" 2>/dev/null
sleep 0.2
partial=$(done_runs kill9.db)
check "kill -9 mid-way: some runs done, not all ($partial of 24)" test "$partial" -ge 3 -a "$partial" -lt 24
check "kill -9 leaves no run half-written (each is stored whole)" \
    test "$(q kill9.db "SELECT count(*) FROM runs WHERE status <> 'done'")" = 0
# The workers notice their writer's death at once (PR_SET_PDEATHSIG); a loaded machine may take a moment to reap them.
check "kill -9 of the writer takes its workers along" \
    bash -c "for _ in \$(seq 250); do pgrep -f '[s]weep long.ini --db kill9.db' >/dev/null || exit 0; sleep 0.02; done; exit 1"
out=$("$DSIM" sweep long.ini --db kill9.db -j 2 -q 2>/dev/null)
check "run again: it does only the rest" grep -q "; $((24 - partial)) run now, $partial done before" <<<"$out"
check "and the summary is byte-identical to the uninterrupted sweep's" \
    cmp -s ref.txt <("$DSIM" sweep long.ini --db kill9.db --summary)

"$DSIM" sweep long.ini --db int.db -j 2 >/dev/null 2>err.txt &
writer=$!
wait_runs int.db 3
kill -INT "$writer"
wait "$writer"
status=$?
check "Ctrl-C (SIGINT) mid-way: exit 130" test "$status" -eq 130
check "and says how to go on" grep -qE "sweep interrupted: [0-9]+ of 24 runs are done; the same command goes on from there" err.txt
check "and leaves no run half-written" test "$(q int.db "SELECT count(*) FROM runs WHERE status <> 'done'")" = 0
"$DSIM" sweep long.ini --db int.db -j 2 -q >/dev/null 2>&1
check "run again: byte-identical summary" cmp -s ref.txt <("$DSIM" sweep long.ini --db int.db --summary)

# SIGTERM to the whole process group (Slurm's scancel, timeout): the workers ignore it, the writer ends them.
setsid "$DSIM" sweep long.ini --db term.db -j 2 -q >/dev/null 2>err.txt &
writer=$!
wait_runs term.db 3
kill -TERM -- -"$writer"
wait "$writer"
status=$?
check "SIGTERM to the process group: exit 130, interrupted" \
    bash -c "[[ $status -eq 130 ]] && grep -q 'sweep interrupted: ' err.txt"
"$DSIM" sweep long.ini --db term.db -j 2 -q >/dev/null 2>&1
check "run again: byte-identical summary" cmp -s ref.txt <("$DSIM" sweep long.ini --db term.db --summary)

"$DSIM" sweep long.ini --db worker.db -j 2 -q >/dev/null 2>err.txt &
writer=$!
wait_runs worker.db 2
kill -9 "$(pgrep -P "$writer" | head -1)"
wait "$writer"
status=$?
check "a worker killed: the writer stops with exit 1" test "$status" -eq 1
check "and names what happened" grep -qE "sweep: worker [12] was killed by signal 9" err.txt
"$DSIM" sweep long.ini --db worker.db -j 2 -q >/dev/null 2>&1
check "run again: byte-identical summary" cmp -s ref.txt <("$DSIM" sweep long.ini --db worker.db --summary)

# ---- the progress bar on a terminal -------------------------------------------------------------------------------
sock=dsim_sweep_$$
tmux -L "$sock" new-session -d -x 120 -y 10 "'$DSIM' sweep long.ini --db tty.db -j 2 >/dev/null; sleep 30"
check "a progress bar with done/total, runs/s and ETA on a terminal" \
    wait_screen '\[[#.]{30}\] [0-9]+/24 runs  [0-9.]+ runs/s  ETA ([0-9]+s|--)' -L "$sock"
tmux -L "$sock" kill-server 2>/dev/null

# ---- shards and merge ---------------------------------------------------------------------------------------------
for i in 0 1 2; do
    out=$("$DSIM" sweep long.ini --db shard$i.db --shard $i/3 -q 2>/dev/null)
done
out1=$("$DSIM" sweep sweep.ini --db half.db --shard 0/2 -q 2>/dev/null)
check "one seed per policy (a shard of a 2-seed sweep): no interval, no claim of significance" \
    test "$(grep -c 'best: .* (fewer than 2 seeds shared with some policy: no interval to judge significance)' <<<"$out1")" = 2
check "--shard 2/3: every third run" grep -q "24 runs; shard 2/3 has 8: 8 run now, 0 done before" <<<"$out"
check "the three shards' runs are disjoint and cover the sweep" test "$(q shard0.db "ATTACH 'shard1.db' AS s1; ATTACH 'shard2.db' AS s2; SELECT count(*), count(DISTINCT cell || ' ' || policy || ' ' || seed) FROM (SELECT cell, policy, seed FROM sweep_runs UNION ALL SELECT cell, policy, seed FROM s1.sweep_runs UNION ALL SELECT cell, policy, seed FROM s2.sweep_runs)")" = "24|24"
out=$("$DSIM" merge all.db shard0.db shard1.db shard2.db 2>err.txt)
check "merge: three shards, 24 runs" grep -q "merged 3 databases into all.db: sweep long.ini, 24 runs added, 0 already there" <<<"$out"
check "merged shards: the summary is byte-identical to the whole sweep's" \
    cmp -s ref.txt <("$DSIM" sweep long.ini --db all.db --summary)
dump() { q "$1" "SELECT sr.cell, sr.policy, sr.seed, s.* FROM sweep_runs sr JOIN series s ON s.run_id = sr.run_id ORDER BY 1, 2, 3, s.visit" | cut -d'|' -f1-3,5-; }
check "merged runs keep every checkpoint of their series" cmp -s <(dump ref.db) <(dump all.db)
out=$("$DSIM" merge all.db shard1.db 2>err.txt)
check "merging again adds nothing twice" grep -q "0 runs added, 8 already there" <<<"$out"
out=$("$DSIM" sweep long.ini --db all.db -q 2>/dev/null)
check "the merged database is complete: nothing left to run" grep -q "; 0 run now, 24 done before" <<<"$out"

# ---- bad input: exit 2, a message, nothing written -------------------------------------------------------------------
bad "--shard out of range" "--shard 3/3: expected I/N with N >= 1 and 0 <= I < N" sweep long.ini --shard 3/3
bad "--shard of nothing" "--shard 0/0: expected I/N" sweep long.ini --shard 0/0
bad "--shard not I/N" "--shard half: expected I/N" sweep long.ini --shard half
bad "-j 0" "-j 0: expected a number of workers from 1 to 256" sweep long.ini -j 0
printf '[scenario]\nvisitz = 10\n[segment.a]\nshare = 1\n' >badbase.ini
printf '[sweep]\nscenario = badbase.ini\npolicies = none\n[axes]\ncatalog.items = 100, 200\n' >onbadbase.ini
bad "a bad base scenario is named by its own file and line" "badbase.ini:2: [scenario]: unknown key 'visitz'" sweep onbadbase.ini
bad "an unwritable --csv, found before anything runs" "sweep: cannot write /proc/dsim_nope/x.csv" sweep sweep.ini --csv /proc/dsim_nope/x.csv
printf '[sweep]\nscenario = %s\npolicies = none\n[axes]\ncatalog.items = 10:5:1\n' "$DATA/small.ini" >empty.ini
bad "an empty range" "empty.ini:5: [axes] catalog.items:" sweep empty.ini
"$DSIM" sweep sweep.ini --db other.db -q >/dev/null 2>&1
merge_bad() { # merge_bad NAME EXPECTED_MESSAGE INPUTS...: refused, no output database
    local name=$1 expected=$2
    shift 2
    refused "merge: $name" "$expected" new.db merge new.db "$@"
}
merge_bad "shards of different sweeps" "other.db holds a different sweep (sweep.ini) from shard0.db (long.ini)" shard0.db other.db
echo "not a database" >junk.db
merge_bad "not a database" "junk.db: not a dsim result database" junk.db
merge_bad "a missing input" "nope.db: no such database" shard0.db nope.db
cp ref.db two.db && "$DSIM" sweep sweep.ini --db two.db -q >/dev/null 2>&1
merge_bad "an input holding two sweeps" "two.db: holds 2 sweeps; dsim merge combines the shards of one sweep" two.db
refused "merge: the output is an input" "shard0.db is both the output and an input" "" merge shard0.db shard0.db

finish
