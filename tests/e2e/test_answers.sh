#!/usr/bin/env bash
# test_answers.sh — the strategist's questions answered by the real binary: results per hidden segment (in the
# database, `show`, `run --by segment`), a segment switched off with share = 0, policies in one line with "did
# you mean", policy parameters as sweep axes, `run -j 2` byte for byte equal to `-j 1` and resumed after an
# interruption, and every command's --format json parsed by python3 (csv read by its header).
#
# usage: test_answers.sh PATH/TO/dsim SOURCE_DIR
set -u
DSIM=$1
SRC=$2
source "$(dirname "$0")/lib.sh" answers
json_ok() { python3 -m json.tool >/dev/null; } # stdin parses as one JSON document

# ---- results per segment ----------------------------------------------------------------------------------
out=$("$DSIM" run default -p fixed10 -p fixed15 -p thompson --seeds 3 --visits 4e3 --by segment --db seg.db -j 2 -q)
check "run --visits 4e3 (scientific notation) runs 4000 visits" grep -q "^scenario default: 4000 visits × 3 seeds" <<<"$out"
check "--by segment: one block per segment" test "$(grep -cE '^segment (bargain|regular|loyal) \([0-9.]+ % of shoppers\)$' <<<"$out")" = 3
check "--by segment: each block has every policy and the paired Δ to the first" \
    test "$(grep -cE '^fixed15 .*[+-][0-9]+ ± [0-9]+$' <<<"$out")" = 4
check "--by segment: says segments are the simulator's hidden truth" grep -q "hidden truth" <<<"$out"
check "the table has CTR, CVR and lift" bash -c "grep -E '^policy ' <<<\"\$1\" | grep -q 'CTR %' && grep -E '^policy ' <<<\"\$1\" | grep -q 'CVR %' && grep -E '^policy ' <<<\"\$1\" | grep -q 'lift %'" _ "$out"
check "fewer than 5 seeds: the note on wide intervals" grep -q "^note: with 3 seeds the intervals are wide" <<<"$out"
check "segments table: a row per run and segment" test "$(q seg.db "SELECT count(*) FROM segments")" = 27
check "segments' visits add up to each run's" \
    test "$(q seg.db "SELECT count(*) FROM summary s WHERE s.visits = (SELECT sum(g.visits) FROM segments g WHERE g.run_id = s.run_id)")" = 9
check "segments' profit adds up to each run's (to rounding)" \
    test "$(q seg.db "SELECT count(*) FROM summary s WHERE abs(s.profit - (SELECT sum(g.profit) FROM segments g WHERE g.run_id = s.run_id)) < 1e-6 * abs(s.profit) + 1e-9")" = 9
check "segment_levels: fixed15 gives every segment only 15 %" \
    test "$(q seg.db "SELECT count(*) FROM segment_levels l JOIN runs r ON r.id = l.run_id WHERE r.policy_name = 'fixed15' AND l.visits > 0 AND l.percent <> 15")" = 0
by_hand=$(q seg.db "SELECT printf('%.0f', avg(t.profit - f.profit)) FROM segments t JOIN runs rt ON rt.id = t.run_id JOIN runs rf ON rf.seed = rt.seed AND rf.policy_name = 'fixed10' JOIN segments f ON f.run_id = rf.id AND f.segment = t.segment WHERE rt.policy_name = 'thompson' AND t.name = 'bargain'")
got=$(awk '/^segment bargain/ { on = 1 } on && /^thompson / { print $(NF - 2); exit }' <<<"$out")
check "the bargain block's Δ is thompson minus fixed10 on each seed's bargain hunters ($got = $by_hand)" test "$got" = "+$by_hand" -o "$got" = "$by_hand"
show=$("$DSIM" show 1 --db seg.db)
check "show: a per-segment block" grep -q "^by segment (the simulator's hidden truth" <<<"$show"
check "show: each segment's figures and levels" test "$(grep -cE '^  (bargain|regular|loyal) ' <<<"$show")" = 6

# ---- share = 0 switches a segment off ----------------------------------------------------------------------
sed '/^\[segment.loyal\]/,/^\[/ s/^share = 0.25$/share = 0/' "$SRC/scenarios/default.ini" >off.ini
check "off.ini sets a share to 0" grep -q '^share = 0$' off.ini
check "a scenario with a segment switched off runs" "$DSIM" run off.ini -p none --visits 2000 --db off.db -q
check "the switched-off segment has no visits; the others fill its place" \
    test "$(q off.db "SELECT group_concat(printf('%.4f', share) || ':' || (visits > 0), ' ') FROM (SELECT * FROM segments ORDER BY segment)")" = "0.6667:1 0.3333:1 0.0000:0"

# ---- policies in one line ------------------------------------------------------------------------------------
out=$("$DSIM" run default -p fixed:15 -p "linucb:alpha=2,features=bias,conversion" -p fixed10:level=20 --visits 2000 --db inline.db -q)
check "inline policies are named by their spec" test "$(grep -cE '^(fixed:15|linucb:alpha=2,features=bias,conversion|fixed10:level=20) ' <<<"$out")" = 3
check "fixed:15 gives 15 % only" test "$(q inline.db "SELECT sum(l.visits) FROM levels l JOIN runs r ON r.id = l.run_id WHERE r.policy_name = 'fixed:15' AND l.percent <> 15")" = 0
check "the stored text reads back as what ran" \
    bash -c "q() { sqlite3 -batch -noheader \"\$@\"; }; q inline.db \"SELECT policy_text FROM runs WHERE policy_name LIKE 'linucb%'\" | grep -qx 'alpha = 2'"
check "fixed:15 and policies/fixed15.ini give the same run" \
    test "$(q inline.db "SELECT s.profit FROM summary s JOIN runs r ON r.id = s.run_id WHERE r.policy_name = 'fixed:15'")" = "$("$DSIM" run default -p fixed15 --visits 2000 --db ship.db -q >/dev/null; q ship.db "SELECT profit FROM summary")"
bad "a misspelt policy name" "-p thompsen: no policy named 'thompsen'" run default -p thompsen
check "... with did you mean" grep -q "did you mean 'thompson'?" err.txt
bad "a misspelt parameter" "-p linucb:alpah=1: [policy] unknown parameter 'alpah' for type linucb; did you mean 'alpha'?" run default -p linucb:alpah=1
bad "a value out of range" "-p fixed:150: [policy] level: 150 is out of range [0, 100]" run default -p fixed:150
bad "a level the scenario lacks" "-p fixed:12: level = 12: the scenario offers no such level" run default -p fixed:12
bad "a misspelt scenario" "did you mean 'default'?" run defualt
bad "a misspelt column" "--columns: unknown column 'proft'; did you mean 'profit'?" run default --columns proft
bad "--visits 2.5e0 is no whole number" "--visits: expected a positive whole number, got '2.5e0'" run default --visits 2.5e0 -p none

# ---- policy parameters as sweep axes --------------------------------------------------------------------------
printf '[sweep]\nscenario = default\npolicies = fixed10, linucb\nseeds = 2\nvisits = 2000\n[axes]\npolicy.linucb.alpha = 0.1, 1\n' >tune.ini
out=$("$DSIM" sweep tune.ini --db tune.db -q -j 2)
check "a policy axis makes one cell per value" test "$(grep -cE '^cell [01]: policy\.linucb\.alpha=(0\.1|1)$' <<<"$out")" = 2
check "each cell's linucb ran with its alpha" \
    test "$(q tune.db "SELECT group_concat(DISTINCT sr.cell || ':' || substr(r.policy_text, instr(r.policy_text, char(10) || 'alpha = ') + 9, 3)) FROM runs r JOIN sweep_runs sr ON sr.run_id = r.id WHERE r.policy_name = 'linucb' ORDER BY sr.cell")" = "0:0.1,1:1"
check "the cells' linucb runs differ" test "$(q tune.db "SELECT count(DISTINCT s.profit) FROM summary s JOIN runs r ON r.id = s.run_id WHERE r.policy_name = 'linucb' AND r.seed = (SELECT min(seed) FROM runs)")" = 2
printf '[sweep]\nscenario = default\npolicies = fixed10, linucb\n[axes]\npolicy.linucp.alpha = 0.1\n' >typo.ini
refused "a policy axis naming no policy of the sweep" "typo.ini:5: [axes] policy.linucp.alpha: the sweep has no policy named 'linucp' (did you mean 'linucb'?)" "" sweep typo.ini --db typo.db
out=$("$DSIM" sweep "$SRC/scenarios/sweeps/segment_off.ini" --summary --db none.db 2>&1)
check "the shipped sweep switching a segment off has two cells" test "$(grep -c '^cell ' <<<"$out")" = 2

# ---- run -j: the same bytes, and resumed ----------------------------------------------------------------------
mkdir -p j1 j2 j3 j4
args=(run default -p none -p thompson -p fixed:15 --seeds 3 --visits 30000 --db r.db -q)
(cd j1 && "$DSIM" "${args[@]}" -j 1 >out.txt)
(cd j2 && "$DSIM" "${args[@]}" -j 2 >out.txt)
check "run -j 2 prints exactly what -j 1 prints" cmp -s j1/out.txt j2/out.txt
check "and stores the same figures" \
    cmp -s <(q j1/r.db "SELECT r.policy_name, r.seed, s.* FROM runs r JOIN summary s ON s.run_id = r.id ORDER BY 1, 2" | cut -d'|' -f1,2,4-) \
           <(q j2/r.db "SELECT r.policy_name, r.seed, s.* FROM runs r JOIN summary s ON s.run_id = r.id ORDER BY 1, 2" | cut -d'|' -f1,2,4-)
# Interrupted once at least one run is done and others are running, then the same command again.
long=(run default -p none -p thompson -p fixed:15 --seeds 3 --visits 200000 --db r.db -q -j 2)
(cd j4 && "$DSIM" "${long[@]}" >out.txt) # uninterrupted, for comparison
(cd j3 && exec "$DSIM" "${long[@]}" >out.txt 2>err.txt) &
pid=$!
for _ in $(seq 600); do
    [[ "$(q j3/r.db "SELECT sum(status = 'done') >= 1 AND sum(status = 'running') >= 1 FROM runs" 2>/dev/null)" = 1 ]] && break
    sleep 0.05
done
kill -INT $pid
wait $pid
check "Ctrl-C to run -j 2 exits 130" test $? -eq 130
check "and says how to resume" grep -q "the same command resumes" j3/err.txt
check "no run is left running" test "$(q j3/r.db "SELECT count(*) FROM runs WHERE status = 'running'")" = 0
check "the interrupted runs are marked so" test "$(q j3/r.db "SELECT count(*) FROM runs WHERE status = 'interrupted'")" -ge 1
done_before=$(q j3/r.db "SELECT group_concat(id) FROM (SELECT id FROM runs WHERE status = 'done' ORDER BY id)")
(cd j3 && "$DSIM" "${long[@]}" >out.txt)
check "resumed: the runs done before are kept, not redone ($done_before)" \
    test "$(q j3/r.db "SELECT count(*) FROM runs WHERE status = 'done'")" = 9
check "resumed: the table equals the uninterrupted one" cmp -s <(head -n -1 j3/out.txt) <(head -n -1 j4/out.txt)
ids=$(q j3/r.db "SELECT group_concat(id) FROM runs")
(cd j3 && "$DSIM" "${long[@]}" >again.txt)
check "run again: every run is reused, none redone" test "$(q j3/r.db "SELECT group_concat(id) FROM runs")" = "$ids"
check "the last line says they were reused" grep -q "(9 of them finished before and reused; --fresh runs them again)" j3/again.txt
(cd j3 && "$DSIM" "${args[@]}" >/dev/null && "$DSIM" "${args[@]}" --fresh >/dev/null)
check "--fresh runs them again (9 runs, then 9 more)" test "$(q j3/r.db "SELECT count(*) FROM runs WHERE visits = 30000")" = 18

# ---- output machines read ---------------------------------------------------------------------------------------
"$DSIM" run default -p none -p thompson --visits 2000 --seeds 2 --db fmt.db --format json --by segment -q >run.json
check "run --format json parses" json_ok <run.json
check "run json: a row per policy and segment (2 × 4)" \
    test "$(python3 -c 'import json,sys; d=json.load(sys.stdin); print(len(d["rows"]))' <run.json)" = 8
check "run json: numbers as numbers" \
    python3 -c 'import json,sys; r=json.load(sys.stdin)["rows"][1]; assert isinstance(r["profit"], float) and isinstance(r["seeds"], int)' <run.json
table=$("$DSIM" run default -p none -p thompson --visits 2000 --seeds 2 --db fmt.db --columns lift,delta -q)
want=$(awk '/^thompson / { print $2, $3, $4, $5, $6, $7 }' <<<"$table")
got=$(python3 -c 'import json,sys; r=json.load(sys.stdin)["rows"][1]; print("%+.2f ± %.2f %+.0f ± %.0f" % (100*r["lift"], 100*r["lift_ci95"], r["delta_objective"], r["delta_objective_ci95"]))' <run.json)
check "run json: lift and Δ are the table's ($got = $want)" test "$got" = "$want"
"$DSIM" run default -p none -p thompson --visits 2000 --seeds 2 --db fmt.db --format csv -q >run.csv
check "run --format csv: a header and a row per policy" test "$(wc -l <run.csv)" = 3
check "run csv: the paired Δ and lift columns" bash -c "head -1 run.csv | tr , '\\n' | grep -qx delta_objective && head -1 run.csv | tr , '\\n' | grep -qx lift"
check "show --format json parses" bash -c "'$DSIM' show 1 --db fmt.db --format json | python3 -m json.tool >/dev/null"
check "show --format csv: the run and each segment" test "$("$DSIM" show 1 --db fmt.db --format csv | wc -l)" = 5
check "list --format json parses" bash -c "'$DSIM' list --db fmt.db --format json | python3 -m json.tool >/dev/null"
check "list --format csv: a row per run" test "$("$DSIM" list --db fmt.db --format csv | wc -l)" = 5
"$DSIM" run default -p random --visits 1000 --log-events --db log.db -q >/dev/null
check "ope --format json parses" bash -c "'$DSIM' ope --log log.db:1 -p uniform -p fixed:10 --bootstrap 20 --db log.db --format json | python3 -m json.tool >/dev/null"
check "sweep --summary --format json parses" bash -c "'$DSIM' sweep tune.ini --db tune.db --summary --format json | python3 -m json.tool >/dev/null"
check "sweep --format json while it runs: stdout holds only the document" \
    bash -c "'$DSIM' sweep tune.ini --db tune_json.db -q -j 2 --format json | python3 -m json.tool >/dev/null"
printf '[scenario]\nname = latin\n; caf\xe9 (Latin-1)\n[segment.a]\nshare = 1\n' >latin.ini
"$DSIM" run latin.ini -p none --visits 500 --db latin.db -q >/dev/null
check "show --format json of a scenario with a Latin-1 byte still parses (U+FFFD)" \
    bash -c "'$DSIM' show 1 --db latin.db --format json | python3 -c 'import json,sys; assert \"caf\\ufffd\" in json.load(sys.stdin)[\"scenario_text\"]'"
check "sweep --format csv: a row per cell and policy" test "$("$DSIM" sweep tune.ini --db tune.db --summary --format csv | wc -l)" = 5
bad "--format with a typo" "--format: expected table, csv or json, got 'jsn' (did you mean 'json'?)" list --format jsn
"$DSIM" export-log log.db:1 --csv log.csv
check "export-log: the discount in % next to the level index" \
    test "$(awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) { if ($i == "action") a = i; if ($i == "discount_percent") d = i } next } { print $a ":" $d }' log.csv | sort -u | tr '\n' ' ')" = "0:0 1:5 2:10 3:15 4:20 5:30 "
finish
