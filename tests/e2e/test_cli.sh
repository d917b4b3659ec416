#!/usr/bin/env bash
# test_cli.sh — end-to-end tests of the real `dsim` binary on real files: runs into a temporary database read
# back with the sqlite3 shell, byte-identical reruns, every kind of bad input (exit 2, its message, nothing
# written), the read commands, and Ctrl-C marking the run interrupted.
#
# usage: test_cli.sh PATH/TO/dsim SOURCE_DIR
set -u
DSIM=$1
SRC=$2
source "$(dirname "$0")/lib.sh" e2e

# ---- a run, read back with sqlite3 ---------------------------------------------------------------------
out=$("$DSIM" run "$DATA/small.ini" -p none -p fixed10 -p thompson --seeds 2 --db runs.db 2>err.txt)
status=$?
check "run exits 0" test "$status" -eq 0
check "run prints a table row per policy" test "$(grep -cE '^(none|fixed10|thompson) ' <<<"$out")" -eq 3
check "table shows confidence intervals" grep -q "±" <<<"$out"
check "no progress line when stderr is not a terminal" test ! -s err.txt
check "six runs stored as done" test "$(q runs.db "SELECT count(*) FROM runs WHERE status = 'done'")" = 6
check "ten checkpoints per run" test "$(q runs.db "SELECT count(*) FROM series")" = 60
check "summary per run" test "$(q runs.db "SELECT count(*) FROM summary")" = 6
check "seeds 7 and 8" test "$(q runs.db "SELECT group_concat(DISTINCT seed) FROM runs")" = "7,8"
check "scenario text stored" test "$(q runs.db "SELECT count(*) FROM runs WHERE scenario_text LIKE '%[segment.bargain]%'")" = 6
check "final checkpoint equals summary" test "$(q runs.db "SELECT count(*) FROM series s JOIN summary m ON m.run_id = s.run_id AND s.visit = 20000 AND s.profit = m.profit")" = 6
check "fixed10 gives only 10 % or nothing (budget-free scenario: only 10 %)" \
    test "$(q runs.db "SELECT sum(l.visits) FROM levels l JOIN runs r ON r.id = l.run_id WHERE r.policy_name = 'fixed10' AND l.percent <> 10")" = 0
check "user_version is the schema version" test "$(q runs.db "PRAGMA user_version")" = 13

check "one run is 'stored as run N'" bash -c "'$DSIM' run '$DATA/memoryless.ini' -p none --visits 500 --db one.db | grep -qx 'stored as run 1 in one.db'"
check "the table names myopic regret" grep -q "myopic regret" <<<"$out"
check "a market with memory prints the note on myopic regret" grep -q "^note: shoppers here remember" <<<"$out"
check "a memoryless market does not" bash -c "! '$DSIM' run '$DATA/memoryless.ini' -p none --visits 500 --db one.db | grep -q '^note: shoppers here remember'"
check "show prints money in fixed notation" bash -c "'$DSIM' show 1 --db runs.db | grep -qE '^  profit +[0-9]+\.[0-9]{2}  currency$'"
check "show gives discounted_share as a fraction" bash -c "'$DSIM' show 1 --db runs.db | grep -qE '^  discounted_share +[0-9.]+  fraction of visits$'"

# ---- same seed, same bytes ----------------------------------------------------------------------------------
"$DSIM" run "$DATA/small.ini" -p thompson --db a.db -q >/dev/null
"$DSIM" run "$DATA/small.ini" -p thompson --db b.db -q >/dev/null
dump() { q "$1" "SELECT * FROM series ORDER BY visit; SELECT * FROM summary; SELECT * FROM levels;"; }
check "same seed gives byte-identical series and summaries" cmp -s <(dump a.db) <(dump b.db)
check "and the same as in the multi-seed study" test "$(q runs.db "SELECT profit FROM summary s JOIN runs r ON r.id = s.run_id WHERE r.policy_name = 'thompson' AND r.seed = 7")" = "$(q a.db "SELECT profit FROM summary")"

# ---- bad input: exit 2, a message naming file and line, nothing written -----------------------------------------
seg=$'\n[segment.a]\nshare = 1\n'
printf '[scenario]\nvisitz = 10%s' "$seg" >unknown_key.ini
printf '[scenaro]\nvisits = 10%s' "$seg" >unknown_section.ini
printf '[scenario]\nvisits = 1O%s' "$seg" >malformed.ini
printf '[catalog]\nprice_sigma = -1%s' "$seg" >range.ini
printf '[segment.a]\nshare = 0.5\n[segment.b]\nshare = 0.4\n' >shares.ini
printf '[discounts]\nlevels =%s' "$seg" >levels.ini
printf '[behaviour]\ndemand = logitt%s' "$seg" >demand.ini
printf '[policy]\ntype = fixed\nlevel = 12\n' >level12.ini
printf '[bandit]\ntype = linear\nprices = 0.5, 0.4\n' >descending.ini
printf '[discounts]\nscope = item%s' "$seg" >item_scope.ini
printf '[policy]\ntype = thomson\n' >thomson.ini
printf '[policy]\ntype = linucb\nalpha = 0.5\nfeatures = bias, recency\n' >feature.ini
printf '[policy]\ntype = lin_ts\nv = -1\n' >lints_range.ini
bad "unknown key" "unknown_key.ini:2: [scenario]: unknown key 'visitz'; did you mean 'visits'?" run unknown_key.ini
bad "unknown section" "unknown_section.ini:2: unknown section [scenaro] (did you mean [scenario])" run unknown_section.ini
bad "malformed number" "malformed.ini:2: [scenario]: visits: expected a number, got '1O'" run malformed.ini
bad "out of range" "range.ini:2: [catalog]: price_sigma: -1 is out of range" run range.ini
bad "shares" "shares.ini:4: [segment.b] share: segment shares sum to 0.9, expected 1" run shares.ini
bad "empty levels" "levels.ini:2: [discounts]: levels: expected a comma-separated list of percentages" run levels.ini
bad "unknown demand model" "demand.ini:2: [behaviour]: demand: expected mnl, valuation, linear, constant or logit, got 'logitt'" run demand.ini
check "bad bandit file: exit 2 naming file, line and key" bash -c "'$DSIM' bandit descending.ini 2>&1 >/dev/null | grep -qF 'descending.ini:3: [bandit]: prices: expected ascending prices, got 0.4 after 0.5'; [[ \${PIPESTATUS[0]} -eq 2 ]]"
bad "a planning agent in scope item" "[policy] type = q_learning learns from a shopper's successive visits" run item_scope.ini -p q_learning
bad "level not offered" "level12.ini:3: [policy] level = 12: the scenario offers no such level" run "$DATA/small.ini" -p level12.ini
bad "unknown policy type" "thomson.ini:2: [policy] type: unknown policy type 'thomson'; did you mean 'thompson'?" run "$DATA/small.ini" -p thomson.ini
bad "unknown feature" "feature.ini:4: [policy] features: unknown feature 'recency' (known: bias, visits, visit_recency," run "$DATA/small.ini" -p feature.ini
bad "parameter out of range" "lints_range.ini:3: [policy] v: -1 is out of range [0, 100]" run "$DATA/small.ini" -p lints_range.ini
mkdir -p emb
printf '[catalog]\nitems = 3\nembedding_dim = 2\n[behaviour]\nslate_size = 2\n[ranking]\nembeddings = file\nitem_file = items.csv%s' "$seg" >emb/file.ini
printf 'id,x,y\n0,1,0\n1,0.5,0.5\n0,0,1\n' >emb/items.csv
bad "embedding file: duplicate id" "emb/items.csv: row 4: id 0 appears twice (first on row 2)" run emb/file.ini
printf 'id,x,y\n0,1,0\n1,0.5,nan\n2,0,1\n' >emb/items.csv
bad "embedding file: NaN" "emb/items.csv: row 3 (item 1), column 3: nan is not a finite float" run emb/file.ini
printf 'id,x,y,z\n0,1,0,0\n1,0.5,0.5,0\n2,0,1,0\n' >emb/items.csv
bad "embedding file: wrong dimension" "emb/items.csv: row 1: 4 columns; expected 3 (id, then one per dimension: the scenario's embedding_dim is 2)" run emb/file.ini
printf 'id,x,y\n2,0,1\n0,1,0\n1,0.5,0.5\n' >emb/items.csv
"$DSIM" run emb/file.ini -p none --visits 500 --db emb.db -q >/dev/null 2>err.txt
check "embedding file next to its scenario: run exits 0" test $? -eq 0
check "ranking quality stored" test "$(q emb.db "SELECT count(*) FROM summary WHERE ndcg_at_k BETWEEN 0 AND 1 AND precision_at_k BETWEEN 0 AND 1")" = 1
bad "missing scenario" "no scenario named 'nosuch'" run nosuch
bad "missing policy" "no policy named 'nosuch'" run "$DATA/small.ini" -p nosuch
bad "bad --visits" "--visits: expected a positive whole number" run "$DATA/small.ini" --visits 0
bad "bad --seeds" "--seeds: expected a whole number" run "$DATA/small.ini" --seeds x
bad "unknown option" "unknown option '--bogus'" run "$DATA/small.ini" --bogus
check "show of a missing run exits 2" bash -c "'$DSIM' show 99 --db runs.db 2>&1 >/dev/null | grep -q 'no run 99'; [[ \${PIPESTATUS[0]} -eq 2 ]]"
"$DSIM" frobnicate >/dev/null 2>&1
check "unknown command exits 2" test $? -eq 2

# ---- logged feedback and offline evaluation ------------------------------------------------------------------
"$DSIM" run "$DATA/small.ini" -p random --visits 3000 --log-events --db ope.db -q >/dev/null 2>err.txt
check "run --log-events exits 0" test $? -eq 0
check "one event per decision (visits by active shoppers)" test "$(q ope.db "SELECT count(*) FROM events")" = "$(q ope.db "SELECT CAST(visits AS INTEGER) FROM summary")"
check "propensities of the random policy are 1/levels" test "$(q ope.db "SELECT count(DISTINCT round(propensity, 9)) FROM events")" = 1
check "each distribution sums to 1 (blob of float64)" test "$(q ope.db "SELECT length(distribution) FROM events LIMIT 1")" = "$(( 8 * $(q ope.db "SELECT count(*) FROM levels WHERE run_id = 1") ))"
"$DSIM" export-log ope.db:1 --csv log.csv 2>err.txt
check "export-log exits 0" test $? -eq 0
check "export-log writes a header and one row per event" test "$(($(wc -l <log.csv) - 1))" = "$(q ope.db "SELECT count(*) FROM events")"
check "export-log header" grep -q '^visit,shopper,day,n_visits,.*,action,discount_percent,propensity,reward,purchased,bought_position$' log.csv
out=$("$DSIM" ope --log ope.db:1 -p fixed10 -p uniform --truth --bootstrap 50 --db ope.db 2>err.txt)
check "ope on a run exits 0" test $? -eq 0
check "ope prints every estimator" test "$(grep -cE '^  (dm|ips|cips|snips|dr|sndr|switch-dr|dr-os) ' <<<"$out")" = 16
check "ope reports the truth" grep -q "truth (on-policy" <<<"$out"
check "ope stores its estimates" test "$(q ope.db "SELECT count(*) FROM ope WHERE truth IS NOT NULL")" = 16
diffs=$(awk '/^differences to fixed10/ {d = 1} d && $1 == "uniform" && $2 == "ips" {print $3, $NF == "%" ? $(NF - 1) : $NF}' <<<"$out")
ests=$(awk '/^policy / {p = $2} $1 == "ips" && NF >= 4 {v[p] = $2} END {printf "%.9g %.9g", v["uniform"] - v["fixed10"], 100 * (v["uniform"] - v["fixed10"]) / v["fixed10"]}' <<<"$out")
check "ope prints each target's paired difference to the first, and the lift ($diffs ~ $ests)" \
    awk -v a="$diffs" -v b="$ests" 'BEGIN { split(a, x, " "); split(b, y, " "); exit !(x[1] != "" && (x[1] - y[1]) ^ 2 < 1e-10 && (x[2] - y[2]) ^ 2 < 1e-3) }'
check "IPS of the logging policy itself is the log's mean reward" test "$(q ope.db "SELECT round(estimate - truth, 9) FROM ope WHERE policy = 'uniform' AND estimator = 'ips'")" = "0.0"
out=$("$DSIM" ope --log ope.db:1 -p linucb --train-frac 0.5 --estimators ips --bootstrap 0 --db ope.db 2>err.txt)
check "ope --train-frac trains on the first half and judges the rest" bash -c "[[ $? -eq 0 ]] && grep -q 'trained on the first 1487 rows; judged on the remaining 1488' <<<\"\$1\"" _ "$out"
out=$("$DSIM" ope --log ope.db:1 -p linucb --train-frac 0.5 --truth --estimators dm,ips --bootstrap 0 --db ope.db 2>err.txt)
check "ope says a target was trained, then frozen" grep -q "^policy linucb (trained on the log's first 1487 rows, then frozen)" <<<"$out"
check "ope --truth of a trained target is the trained target's" grep -q "truth (on-policy, frozen, as trained, " <<<"$out"
trained_truth=$(awk '/truth \(on-policy/ {print $NF}' <<<"$out")
out=$("$DSIM" ope --log ope.db:1 -p linucb --truth --estimators dm,ips --bootstrap 0 --db ope.db 2>err.txt)
check "ope says an untrained target is judged as built" grep -q "^policy linucb (as built: untrained, frozen)" <<<"$out"
check "the untrained target's truth differs from the trained one's" test "$(awk '/truth \(on-policy/ {print $NF}' <<<"$out")" != "$trained_truth"
check "ope labels DM's intervals model-conditional" grep -q "dm: its intervals are conditional on the fitted reward model" <<<"$out"
out=$("$DSIM" ope --log log.csv -p uniform --estimators ips,snips --bootstrap 0 --db ope.db 2>err.txt)
check "ope on the exported CSV gives the same IPS" test "$(awk '$1 == "ips" {print $2}' <<<"$out")" = "$(q ope.db "SELECT printf('%.6g', estimate) FROM ope WHERE policy = 'uniform' AND estimator = 'ips' LIMIT 1")"
out=$("$DSIM" ope --log "$DATA/obd/random/men" -p uniform -p action=3 --bootstrap 0 --db ope.db 2>err.txt)
check "ope on the Open Bandit layout exits 0" test $? -eq 0
check "Open Bandit: IPS of uniform is the mean click" test "$(awk '/^policy uniform/ {p=1} p && $1 == "ips" {print $2; exit}' <<<"$out")" = 0.005
# Every shipped policy logs decisions that dsim's own reader takes back: run --log-events -> export-log -> ope,
# no rejected row, finite estimates. Thompson's Monte Carlo distribution gives rare levels no mass; its logged
# propensity is sampled apart and never 0 (before, a Thompson run of 20,000 visits of the default scenario logged 27 zeros).
policy_args=()
for f in "$SRC"/policies/*.ini; do policy_args+=(-p "$f"); done
"$DSIM" run default "${policy_args[@]}" --visits 15000 --log-events --db roundtrip.db -q >/dev/null 2>err.txt
check "every shipped policy runs with --log-events" test $? -eq 0
check "no logged propensity outside (0, 1]" test "$(q roundtrip.db "SELECT count(*) FROM events WHERE NOT (propensity > 0 AND propensity <= 1)")" = 0
roundtrip_failed=""
for run in $(q roundtrip.db "SELECT id FROM runs ORDER BY id"); do
    "$DSIM" export-log "roundtrip.db:$run" --csv rt.csv 2>>err.txt &&
        "$DSIM" ope --log rt.csv --scenario default -p fixed10 --bootstrap 0 --db rt_ope.db >rt_out.txt 2>>err.txt &&
        ! grep -qiE 'nan|inf' rt_out.txt || roundtrip_failed+=" $(q roundtrip.db "SELECT policy_name FROM runs WHERE id = $run")"
done
check "every policy's log round-trips through export-log and ope (failed:${roundtrip_failed:- none})" test -z "$roundtrip_failed"
thompson_run=$(q roundtrip.db "SELECT id FROM runs WHERE policy_name = 'thompson'")
check "a Thompson log's Monte Carlo zeros are not support violations" bash -c "'$DSIM' ope --log roundtrip.db:$thompson_run -p '$SRC/policies/linucb.ini' --estimators ips --bootstrap 0 --db rt_ope.db | grep -q 'support violated on 0.0 % of rows'"
# Discount scope item logs one decision per shown item: its context (the item's position, price, score and
# category), level, propensity and what that item earned; dsim ope judges such logs per item decision. The
# logging policy judged as a target gives its own on-policy value exactly.
sed 's/^objective = profit/objective = profit\nscope = item/' "$DATA/memoryless.ini" >item.ini
"$DSIM" run item.ini -p random --visits 2000 --log-events --db item.db -q >/dev/null 2>err.txt
check "scope item: one event per shown item (2000 visits x 4 items)" test "$(q item.db "SELECT count(*), count(DISTINCT visit), min(item), max(item) FROM events")" = "8000|2000|0|3"
check "scope item: the items' rewards add up to the run's" test "$(q item.db "SELECT round(sum(e.reward) - s.reward, 6) FROM events e, summary s")" = "0.0"
out=$("$DSIM" ope --log item.db:1 -p uniform --truth --estimators ips --bootstrap 0 --db item.db 2>err.txt)
ips=$(awk '$1 == "ips" {print $2}' <<<"$out")
truth=$(awk '/truth \(on-policy/ {print $NF}' <<<"$out")
check "scope item: IPS of the logging policy is its own per-item value ($ips = $truth)" test -n "$ips" -a "$ips" = "$truth"
"$DSIM" export-log item.db:1 --csv item.csv 2>err.txt
positions=$(awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == "item_position") c = i; next } { print $c }' item.csv | sort -u | tr '\n' ' ')
check "scope item: export-log writes the item columns (positions $positions)" test "$positions" = "1 2 3 4 "
out=$("$DSIM" ope --log item.csv --scenario item.ini -p uniform --estimators ips --bootstrap 0 --db item.db 2>err.txt)
check "scope item: the exported CSV gives the same IPS" test "$(awk '$1 == "ips" {print $2}' <<<"$out")" = "$ips"
{ echo "visit,pi_0,pi_1,pi_2"; q item.db "SELECT DISTINCT visit || ',0.5,0.25,0.25' FROM events"; } >item_visits.csv
refused "scope item: a per-row target by visit (a visit has several decisions)" "has a row per item decision (discount scope item): name them by row" "" ope --log item.db:1 -p item_visits.csv --db item.db
# Positions are numbered from 1 in logs and tables alike (the Open Bandit Dataset's own numbering): a table
# written from OBD's position column evaluates each row at its own slot, as a hand computation does.
men="$DATA/obd/random/men/men.csv"
awk 'BEGIN { print "position,action,probability"; for (p = 1; p <= 3; p++) { z = 0; for (a = 0; a < 34; a++) z += (a % 3 == p - 1) ? 5 : 1; for (a = 0; a < 34; a++) printf "%d,%d,%.17g\n", p, a, ((a % 3 == p - 1) ? 5 : 1) / z } }' >bypos.csv
out=$("$DSIM" ope --log "$DATA/obd/random/men" -p bypos.csv --estimators ips,snips --bootstrap 0 --db ope.db 2>err.txt)
got=$(awk '$1 == "ips" || $1 == "snips" { printf "%s%s %s", sep, $1, $2; sep = " " }' <<<"$out")
hand=$(awk -F, 'NR == FNR { if (FNR > 1) pi[$1 "," $2] = $3; next } FNR > 1 { w = pi[$4 "," $3] / $6; sw += w; swr += w * $5; n++ } END { printf "ips %.6g snips %.6g", swr / n, swr / sw }' bypos.csv "$men")
check "a by-position table on OBD: every row at its own slot ($got = $hand)" test "$got" = "$hand"
grep -v '^3,' bypos.csv >twopos.csv
refused "a table without a position the log has" "twopos.csv: no probabilities for position 3, which row 2 of" "" ope --log "$DATA/obd/random/men" -p twopos.csv --db ope.db
# A per-row target (a model scored outside dsim): wide and long forms give the hand computation's IPS.
awk -F, 'NR > 1 { i = NR - 2; printf "%d", i; for (a = 0; a < 34; a++) printf ",%.17g", (a == i % 34 ? 0.5 : 0.5 / 33); print "" }' "$men" |
    { printf 'row'; for a in $(seq 0 33); do printf ',pi_%d' "$a"; done; echo; cat; } >wide.csv
awk -F, 'NR == 1 { print "row,action,probability"; next } { for (a = 0; a < 34; a++) print $1 "," a "," $(a + 2) }' wide.csv >long.csv
hand=$(awk -F, 'NR == FNR { if (FNR > 1) for (a = 0; a < 34; a++) pi[$1 "," a] = $(a + 2); next } FNR > 1 { w = pi[FNR - 2 "," $3] / $6; sw += w; swr += w * $5; n++ } END { printf "ips %.6g snips %.6g", swr / n, swr / sw }' wide.csv "$men")
for form in wide long; do
    out=$("$DSIM" ope --log "$DATA/obd/random/men" -p $form.csv --estimators ips,snips --bootstrap 0 --db ope.db 2>err.txt)
    got=$(awk '$1 == "ips" || $1 == "snips" { printf "%s%s %s", sep, $1, $2; sep = " " }' <<<"$out")
    check "a per-row target ($form form) gives the hand computation ($got = $hand)" test "$got" = "$hand"
done
grep -v '^7,' wide.csv >gap.csv
refused "a per-row target without a row of the log" "gap.csv gives no probabilities for row 7 of the log" "" ope --log "$DATA/obd/random/men" -p gap.csv --db ope.db
sed '1s/^row/visit/' wide.csv >byvisit.csv
refused "a per-row target by visit on a log without visit ids" "byvisit.csv names rows by visit, and the log has no visit ids" "" ope --log "$DATA/obd/random/men" -p byvisit.csv --db ope.db
# By visit id on a run's log (visits have gaps where a shopper had left): uniform given per visit = uniform.
{ echo "visit,pi_0,pi_1,pi_2"; q ope.db "SELECT visit || ',' || (1.0/3) || ',' || (1.0/3) || ',' || (1 - 2.0/3) FROM events WHERE run_id = 1"; } >visits.csv
a=$("$DSIM" ope --log ope.db:1 -p visits.csv --estimators ips --bootstrap 0 --db ope.db 2>err.txt | awk '$1 == "ips" {print $2}')
b=$("$DSIM" ope --log ope.db:1 -p uniform --estimators ips --bootstrap 0 --db ope.db 2>err.txt | awk '$1 == "ips" {print $2}')
check "a per-row target by visit id equals the same policy as a target ($a = $b)" test -n "$a" -a "$a" = "$b"
printf 'action,propensity,reward,position\n0,0.5,1,0\n' >pos0.csv
refused "position 0 in a log" "row 2, column position: '0' is not a position (a whole number 1 … 100: positions are numbered from 1)" "" ope --log pos0.csv --db ope.db
# Messages that say what was expected (issue 16: these said "cannot open" or printed the usage).
mkdir -p emptydir
refused "--log a directory that is no Open Bandit folder" "--log emptydir: a directory, read as an Open Bandit Dataset folder: expected one log CSV besides item_context.csv, found 0" "" ope --log emptydir --db ope.db
refused "--log DB:RUN with a RUN that is no number" "--log ope.db:abc: expected DB:RUN with RUN a run number" "" ope --log ope.db:abc --db ope.db
refused "export-log DB:RUN with a RUN that is no number" "export-log: ope.db:1x: expected DB:RUN with RUN a run number (from dsim list), got '1x'" "" export-log ope.db:1x --csv x.csv
printf 'action,propensity,reward,action\n0,0.5,1,1\n' >dupcol.csv
refused "a CSV log naming a column twice" "dupcol.csv: row 1, column 4: \`action\` appears twice (first in column 1)" "" ope --log dupcol.csv --db ope.db
refused "show -1" "show: expected a run number (a whole number from dsim list), got '-1'" "" show -1 --db ope.db
ope_bad() { # ope_bad NAME EXPECTED CSV_CONTENT
    printf '%b' "$3" >bad_log.csv
    rm -f bad.db
    "$DSIM" ope --log bad_log.csv --db bad.db >out.txt 2>err.txt
    local rc=$?
    if [[ $rc -eq 2 ]] && grep -qF -- "$2" err.txt && [[ ! -e bad.db ]]; then ok "bad log: $1"; else not_ok "bad log: $1 (exit $rc, stderr: $(cat err.txt))"; fi
}
ope_bad "missing column" "bad_log.csv: row 1: no column \`propensity\`" 'x,action,reward\n1,0,1\n'
ope_bad "propensity 0" "bad_log.csv: row 3, column propensity: '0' is not a propensity in (0, 1]" 'action,propensity,reward\n0,0.5,1\n1,0,1\n'
ope_bad "propensity above 1" "row 2, column propensity: '1.5' is not a propensity" 'action,propensity,reward\n0,1.5,1\n'
ope_bad "propensity NaN" "row 2, column propensity: 'nan' is not a propensity" 'action,propensity,reward\n0,nan,1\n'
ope_bad "propensity empty" "row 2, column propensity: '' is not a propensity" 'action,propensity,reward\n0,,1\n'
ope_bad "ragged row" "bad_log.csv: row 3: 2 columns; the header has 3" 'action,propensity,reward\n0,0.5,1\n1,0.5\n'
ope_bad "negative action" "row 2, column action: '-1' is not an action" 'action,propensity,reward\n-1,0.5,1\n'
{ printf 'action,propensity,reward\n0,0.5,'; head -c 2000000 /dev/zero | tr '\0' '1'; printf '\n'; } >long.csv
rm -f bad.db
"$DSIM" ope --log long.csv --db bad.db >/dev/null 2>err.txt
check "a 2 MB line: exit 2 naming the row, nothing stored" bash -c "[[ $? -eq 2 ]] && grep -qF 'long.csv: row 2: a line longer than 1048576 bytes' err.txt && [[ ! -e bad.db ]]"
printf 'action,propensity,reward\n0,0.5,1\n1,0,1\n1,0.5,0\n' >skip.csv
"$DSIM" ope --log skip.csv --skip-bad-rows --estimators ips --bootstrap 0 --db skip.db >out.txt 2>err.txt
check "--skip-bad-rows counts what it skips" bash -c "[[ $? -eq 0 ]] && grep -qF 'skipped 1 malformed rows of skip.csv' err.txt && grep -q '2 decisions' out.txt"
printf 'row,pi_0,pi_1\n0,0.5,0.5\n1,0.5,0.5\n' >skip_rows.csv
refused "--skip-bad-rows with a per-row target by number" "a per-row target names the log's rows by number, and 1 malformed rows were skipped" "" ope --log skip.csv --skip-bad-rows -p skip_rows.csv --db skip.db
# Action 3 only in the rows the targets train on: the judged rows never show it, so support is violated.
awk 'BEGIN { print "x,action,propensity,reward"; for (i = 0; i < 100; i++) print i % 7 "," (i < 20 ? i % 4 : i % 3) ",0.25," i % 2 }' >support.csv
out=$("$DSIM" ope --log support.csv -p uniform --train-frac 0.25 --estimators ips --bootstrap 0 --db support.db 2>err.txt)
check "ope --train-frac: support judged on the rows evaluated" grep -q "support violated on 100.0 % of rows" <<<"$out"
awk -F, 'BEGIN { OFS = "," } NR == 1 { for (i = 1; i <= NF; i++) if ($i == "action") a = i } NR == 2 { $a = 7 } NR <= 3 { print }' log.csv >seven.csv
bad "ope: action outside the policy's levels" "action 7 is not a level of fixed10" ope --log seven.csv --scenario "$DATA/small.ini" -p fixed10

# ---- dsim bandit ---------------------------------------------------------------------------------------------
out=$("$DSIM" bandit chapelle_li -p ucb1 -p thompson --seeds 3 --rounds 2000 --csv curves.csv 2>err.txt)
check "bandit exits 0" test $? -eq 0
check "bandit prints a row per policy with intervals" test "$(grep -cE '^(ucb1|thompson) .*±' <<<"$out")" -eq 2
check "bandit names Lai-Robbins' constant" grep -q "C = 44.7" <<<"$out"
check "bandit csv has a row per policy, seed and checkpoint" test "$(tail -n +2 curves.csv | cut -d, -f1,2 | sort -u | wc -l)" -eq 6
"$DSIM" bandit chapelle_li -p ucb1 --rounds 500 -q >a.txt
"$DSIM" bandit chapelle_li -p ucb1 --rounds 500 -q >b.txt
check "bandit is reproducible" cmp -s a.txt b.txt
"$DSIM" bandit chapelle_li -p ucb1 --rounds 500 --update-every 1 -q >c.txt
check "bandit --update-every 1 is the default" cmp -s a.txt c.txt
"$DSIM" bandit chapelle_li -p ucb1 --rounds 500 --update-every 100 -q >c.txt
check "bandit --update-every 100 changes what UCB1 does" bash -c "! cmp -s a.txt c.txt"
bad "bandit --update-every 0" "bandit: --update-every: expected a whole number of rounds from 1 to 1e8, got '0'" \
    bandit chapelle_li --update-every 0

# ---- delayed purchases and batched updates ----------------------------------------------------------------------
# A logged run on delayed_conversions: the log credits a purchase to its visit only when it came within the
# attribution window and before the run ended, so it holds fewer purchases than the run counted.
"$DSIM" run delayed_conversions -p thompson:delayed=wait --visits 20000 --db delay.db --log-events -q >/dev/null
check "delayed: a logged run finishes" test "$(q delay.db "SELECT status FROM runs")" = done
logged=$(q delay.db "SELECT sum(purchased) FROM events")
counted=$(q delay.db "SELECT purchases FROM summary")
check "delayed: the log knows fewer purchases than the run counted ($logged < $counted)" \
    awk -v a="$logged" -v b="$counted" 'BEGIN { exit !(a > 0 && a < b) }'
bad "delayed: a policy that does not learn" "-p fixed:delayed=wait: [policy] delayed: type fixed does not learn" \
    run delayed_conversions -p fixed:delayed=wait --visits 100
printf '[learning]\nupdate = weekly\n' | cat "$SRC/scenarios/default.ini" - >weekly.ini
bad "learning: an unknown update" "[learning]: update: expected visits, hourly or daily, got 'weekly'" run weekly.ini --visits 100

# ---- read commands ----------------------------------------------------------------------------------------------
list=$("$DSIM" list --db runs.db)
check "list shows every run" test "$(grep -c ' done ' <<<"$list")" = 6
check "list shows where runs came from" test "$(grep -cE ' done +run ' <<<"$list")" = 6
check "list --policy --source --status filter" test "$("$DSIM" list --db runs.db --policy thompson --source run --status done | grep -c ' thompson ')" = 2
check "list: no sweep runs here" test "$("$DSIM" list --db runs.db --source sweep)" = "$(printf '%s\n' "$(head -1 <<<"$list")" '(no runs match)')"
bad "list --source with a typo" "list: --source: expected run, sweep or dash, got 'swep' (did you mean 'sweep'?)" list --source swep
show=$("$DSIM" show 3 --db runs.db)
check "show prints the summary" grep -q "^  profit " <<<"$show"
check "show prints the source" grep -qx "source run" <<<"$show"
check "show prints the levels given" grep -q "10.0 %" <<<"$show"
check "show prints the configuration" grep -q "\[segment.bargain\]" <<<"$show"
check "list of a missing database exits 2" bash -c "'$DSIM' list --db missing.db 2>/dev/null; [[ \$? -eq 2 ]] && [[ ! -e missing.db ]]"
pol=$("$DSIM" policies)
for t in none fixed random tiered epsilon_greedy ucb1 ucb_pi thompson exp3 linucb lin_ts q_learning sarsa linear_q oracle; do
    check "policies lists $t" grep -q "^$t — " <<<"$pol"
done
check "scenario-keys documents elasticity_mean" bash -c "'$DSIM' scenario-keys | grep -q '| \`elasticity_mean\` | 2.6 |'"
# README's table of commands is dsim --help's list, so neither can drift from the other.
check "README's command table lists exactly dsim --help's commands" bash -c "diff <(sed -n 's/^| \`dsim \([a-z-]*\)\` | .*/\1/p' '$SRC/README.md') <('$DSIM' --help | sed -n '/^commands:/,/^\$/s/^  \([a-z-]*\) .*/\1/p')"
# docs/scenarios.md's key tables are dsim scenario-keys' output, so the reference cannot drift from the code.
check "docs/scenarios.md's keys are dsim scenario-keys" bash -c "diff <(sed -n '/^### \\[scenario\\]/,\$p' '$SRC/docs/scenarios.md') <('$DSIM' scenario-keys | sed -n '/^### \\[scenario\\]/,\$p')"
check "--version" bash -c "'$DSIM' --version | grep -qE '^dsim [0-9]+\.[0-9]+\.[0-9]+$'"
check "--help lists commands" bash -c "'$DSIM' --help | grep -q '^  run '"
check "run --help" bash -c "'$DSIM' run --help | grep -q 'usage: dsim run SCENARIO'"

# ---- bare names resolve to the shipped files; defaults -------------------------------------------------------------
out=$("$DSIM" run default --visits 3000 --db default.db -q)
check "default policy set runs on the default scenario" test "$(grep -cE '^(none|fixed10|thompson|oracle) ' <<<"$out")" -eq 4
check "oracle has zero regret in the table" grep -qE '^oracle .* 0 +[+-][0-9]+$' <<<"$out"
check "the paired difference is against the first policy" grep -qE '^none .* \+0$' <<<"$out"

# ---- Ctrl-C: the run is marked interrupted, never done -------------------------------------------------------------
"$DSIM" run default -p thompson --visits 100000000 --db int.db -q >/dev/null 2>int_err.txt &
pid=$!
for _ in $(seq 100); do
    [[ "$(q int.db "SELECT count(*) FROM runs" 2>/dev/null)" = 1 ]] && break
    sleep 0.1
done
sleep 0.5
kill -INT $pid
wait $pid
rc=$?
check "Ctrl-C exits 130" test $rc -eq 130
check "interrupted run is marked interrupted" test "$(q int.db "SELECT status FROM runs")" = interrupted
check "interrupted run has no summary" test "$(q int.db "SELECT count(*) FROM summary")" = 0
check "interrupted run says so" grep -q "marked interrupted" int_err.txt

# ---- found by a fuzzing pass: each exits 2 with its message and writes nothing, or runs without NaN --------
"$DSIM" run default -p random --visits 1000 --log-events --db fuzzlog.db -q >/dev/null 2>&1
bad "ope: a clairvoyant target" "oracle: a clairvoyant policy (type oracle) reads each visit's hidden expected rewards" ope --log fuzzlog.db:1 -p oracle
printf 'x,action,propensity,reward\n1,0,0.5,1.7e308\n' >hugereward.csv
bad "ope: a reward beyond 1e50" "hugereward.csv: row 2, column reward: '1.7e308' is not a finite reward within ±1e50" ope --log hugereward.csv
printf 'x,action,propensity,reward\n1,0,1e-300,1\n' >tinyprop.csv
bad "ope: a propensity below 1e-50" "tinyprop.csv: row 2, column propensity: '1e-300' is below 1e-50" ope --log tinyprop.csv
mkdir -p adir.ini
bad "a directory as the scenario" "adir.ini: not a regular file" run adir.ini
printf '[discounts]\nlevels = 0,,5\n[segment.a]\nshare = 1\n' >emptyitem.ini
bad "an empty item in a list" "emptyitem.ini:2: [discounts]: levels: an empty item in '0,,5'" run emptyitem.ini
bad "ope: --estimators with none" "--estimators: expected at least one of dm, ips" ope --log hugereward.csv --estimators ""
db_bad() { # db_bad NAME EXPECTED DB: the run refuses the --db path
    refused "$1" "$2" "" run "$DATA/small.ini" -p none --visits 100 --db "$3"
}
db_bad "--db empty" "the result database needs a file name (--db FILE)" ""
db_bad "--db a directory" "adir.ini: not a regular file (it is a directory)" adir.ini
echo "not a database" >notadb.db
db_bad "--db not a database" "notadb.db: file is not a database" notadb.db
db_bad "--db where no directory can be made" "cannot create directory /proc/dsim_nope" /proc/dsim_nope/x.db
printf '[scenario]\nvisits = 2000\n[segment.a]\nshare = 1\nelasticity_mean = 20\nelasticity_sd = 100\n' >extreme.ini
out=$("$DSIM" run extreme.ini -p none -p oracle --db extreme.db 2>err.txt)
check "extreme price sensitivity (β in the thousands): no NaN printed" bash -c '! grep -qi nan "$1"' _ <(echo "$out")
check "and a finite, non-negative regret stored for each run" \
    test "$(q extreme.db "SELECT count(*) FROM summary WHERE regret >= 0 AND regret < 1e300")" = 2

# ---- in a real terminal (tmux): the progress line, then Ctrl-C typed at the keyboard ----------------------------------
sock="dsim_e2e_$$"
tmux -L "$sock" new-session -d -x 120 -y 10 \
    "cd '$WORK' && '$DSIM' run default -p thompson --visits 5000000 --db tty.db; echo EXIT=\$? >tty_exit.txt; sleep 30"
# The line appears at the first checkpoint (1 % of the run): well within 30 s even in a sanitizer build.
check "progress line on a terminal" \
    wait_screen "runs 0/1 done, 1 running +[0-9.]+% of 5000000 visits +[0-9.]+ M visits/s +ETA [0-9]+:[0-9]{2}" -L "$sock"
tmux -L "$sock" send-keys C-c
for _ in $(seq 100); do
    [[ -s tty_exit.txt ]] && break
    sleep 0.1
done
check "Ctrl-C at the terminal exits 130" grep -q "EXIT=130" tty_exit.txt
check "and marks the run interrupted" test "$(q tty.db "SELECT status FROM runs")" = interrupted
tmux -L "$sock" kill-server 2>/dev/null

finish
