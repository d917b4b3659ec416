#!/usr/bin/env bash
# test_charts.sh — dsim plot and dsim report on the real binary: every chart kind from runs, a one- and a
# two-axis sweep, an offline evaluation and a bandit CSV, as SVG (its words read back), PNG (its size and each
# policy's colour present), PDF and CSV; the plotted Δ at the last checkpoint equals dsim run's Δ; --plot on run,
# sweep and ope; reports as HTML (self-contained) and PDF; bad input exits 2 and writes nothing.
#
# usage: test_charts.sh PATH/TO/dsim SOURCE_DIR
set -u
DSIM=$1
SRC=$2
source "$(dirname "$0")/lib.sh" charts
PNG="python3 $SRC/tests/e2e/png_colors.py"
# svg_has FILE TEXT: the SVG's text (PLplot writes letters as &#xNN;) contains TEXT
svg_has() { python3 -c 'import html,sys; sys.exit(sys.argv[2] not in html.unescape(open(sys.argv[1]).read()))' "$1" "$2"; }
blue=0072B2 vermillion=D55E00 green=009E73 # the palette's first three: policies 1, 2, 3 in every chart

"$DSIM" run "$DATA/small.ini" -p fixed10 -p none -p thompson --seeds 3 --visits 4000 --db r.db -q \
    --format json --plot run.svg >run.json
check "run --plot draws the delta chart" svg_has run.svg "Cumulative profit minus fixed10's"

for kind in delta cumulative conversion regret levels segments; do
    check "plot $kind: exit 0" bash -c "'$DSIM' plot $kind 1-9 --db r.db -o $kind.png >/dev/null"
    [[ $kind == levels ]] && continue # coloured by level, not by policy (below)
    check "plot $kind: its size, every policy's colour" $PNG $kind.png "$([[ $kind == segments ]] && echo 1000 || echo 800)" 0 $blue $vermillion $green
    [[ $kind == segments ]] && continue
    check "plot $kind: as SVG" bash -c "'$DSIM' plot $kind 1-9 --db r.db -o $kind.svg >/dev/null"
    check "plot $kind: its legend names every policy" bash -c "$(declare -f svg_has); svg_has $kind.svg '>fixed10<' &&
        svg_has $kind.svg '>none<' && svg_has $kind.svg '>thompson<'"
    check "plot $kind: its x axis is visits" svg_has $kind.svg ">visits<"
done
check "a chart gets an ordinary new file's permissions (0666 less the umask)" \
    test "$(stat -c %a delta.png)" = "$(printf '%o' $((0666 & ~$(umask))))"
check "delta: title and unit" svg_has delta.svg "Δ cumulative profit (currency)"
check "delta: the band is said to be paired" svg_has delta.svg "band: 95 % interval of the paired difference"
check "levels: 800 x 500, grey for no discount (none) and the ramp's 10 % for fixed10" $PNG levels.png 800 500 BBBBBB
check "segments: two columns" $PNG segments.png 1000 0
check "plot to PDF" bash -c "'$DSIM' plot regret 1-9 --db r.db -o regret.pdf >/dev/null && head -c 5 regret.pdf | grep -q '%PDF-'"

# The known answer: the plotted Δ and its band at the last checkpoint are dsim run's Δ column.
"$DSIM" plot delta 1-9 --db r.db -o delta.csv >/dev/null
check "the plotted Δ and band equal dsim run's Δ ± 95 %" python3 - <<'EOF'
import csv, json, sys
rows = json.load(open("run.json"))["rows"]
last = {}
for r in csv.DictReader(open("delta.csv")):
    last[r["series"]] = r
for r in rows:
    p = last[r["policy"]]
    lo = float(p["lo"]) if p["lo"] else None
    mean, hw = float(p["y"]), (float(p["hi"]) - float(p["lo"])) / 2 if lo is not None else 0
    if abs(mean - r["delta_objective"]) > 1e-6 * (1 + abs(mean)) or abs(hw - (r["delta_objective_ci95"] or 0)) > 1e-6 * (1 + hw):
        sys.exit(f"{r['policy']}: plotted {mean} ± {hw}, dsim run {r['delta_objective']} ± {r['delta_objective_ci95']}")
EOF

# Sweeps: one axis (points with intervals), two axes (a heatmap); --plot on sweep.
cat >one.ini <<EOF
[sweep]
scenario = $DATA/small.ini
policies = fixed10, none
seeds = 2
visits = 2000
[axes]
segment.bargain.elasticity_mean = 1.5, 3.5
EOF
sed 's/^segment.bargain.elasticity_mean.*/&\ncatalog.items = 50, 100/' one.ini >two.ini
"$DSIM" sweep one.ini --db s.db -q --plot sweep1.svg >/dev/null
check "sweep --plot draws its chart" svg_has sweep1.svg "Objective minus fixed10's, by segment.bargain.elasticity_mean"
"$DSIM" sweep two.ini --db s.db -q >/dev/null
check "plot sweep: two axes, a heatmap" bash -c "'$DSIM' plot sweep --sweep two.ini --db s.db -o two.svg >/dev/null"
check "the heatmap names the axes and the best policy" bash -c "$(declare -f svg_has); svg_has two.svg 'Best policy by segment.bargain.elasticity_mean and catalog.items' && svg_has two.svg '>best policy<'"
check "plot sweep as PNG, both policies' colours" bash -c "'$DSIM' plot sweep --sweep one.ini --db s.db -o one.png >/dev/null && $PNG one.png 800 500 $blue $vermillion"

# A sweep over words: the words are the x axis, in the picture and in the numbers.
sed 's/^segment.bargain.elasticity_mean.*/discounts.objective = profit, revenue/' one.ini >words.ini
"$DSIM" sweep words.ini --db s.db -q >/dev/null
check "a sweep over words: its words on the x axis" bash -c "'$DSIM' plot sweep --sweep words.ini --db s.db -o words.svg >/dev/null && $(declare -f svg_has); svg_has words.svg '>revenue<'"
check "and in its CSV" bash -c "'$DSIM' plot sweep --sweep words.ini --db s.db -o words.csv >/dev/null && grep -q '\"revenue\"' words.csv"
check "the heatmap's CSV names each cell and its best policy" bash -c "'$DSIM' plot sweep --sweep two.ini --db s.db -o two.csv >/dev/null && grep -qE '^0,\"(fixed10|none)\",\"1.5 / 50\",' two.csv"

# Offline evaluation: a forest of targets × estimators with the truth and the logging policy.
"$DSIM" run "$DATA/small.ini" -p random --visits 3000 --log-events --db o.db -q >/dev/null
"$DSIM" ope --log o.db:1 -p fixed10 -p uniform --estimators ips,dr --truth --db o.db --plot ope.svg >ope.txt
check "ope prints its evaluation number" grep -qF "as evaluation 1 " ope.txt
check "ope --plot: a row per target and estimator" bash -c "$(declare -f svg_has); svg_has ope.svg 'fixed10 · ips' && svg_has ope.svg 'uniform · dr'"
check "the forest marks both truths and the logging policy" svg_has ope.svg "truth: ◇ on-policy, ○ on the logged visits; dashed: the logger"
check "ope --format json gives the evaluation and the logging value" bash -c \
    "'$DSIM' ope --log o.db:1 -p fixed10 --estimators ips --db o.db --format json | python3 -c 'import json,sys; d=json.load(sys.stdin); sys.exit(not (d[\"evaluation\"] == 2 and d[\"logged_value\"] > 0))'"
check "plot ope --ope 2" bash -c "'$DSIM' plot ope --ope 2 --db o.db -o ope2.png >/dev/null && $PNG ope2.png 800 500 $blue"

# A bandit's regret on a log axis, with Lai & Robbins' line.
"$DSIM" bandit chapelle_li -p ucb1 -p thompson --seeds 2 --rounds 3000 --csv b.csv -q >/dev/null
check "plot bandit with --problem" bash -c "'$DSIM' plot bandit b.csv --problem chapelle_li -o bandit.svg >/dev/null"
check "the bandit chart has the Lai-Robbins line" svg_has bandit.svg "Lai-Robbins C ln t"

# Reports.
check "report of runs as HTML" bash -c "'$DSIM' report 1-9 --db r.db -o report.html >/dev/null"
check "the report holds the question, the table, six charts, segments, texts and the command" python3 - <<'EOF'
import html, re, sys
text = open("report.html").read()
words = html.unescape(text)
need = ["The question", "a quick two-segment market", "Comparison", "Δ objective", "Charts", "By segment",
        "What ran", "[segment.bargain]", "Reproduce", "dsim run small -p fixed10 -p none -p thompson --seeds 3",
        "dsim report 1-9 --db r.db -o report.html"]
missing = [w for w in need if w not in words]
if missing: sys.exit(f"missing: {missing}")
if text.count("<svg") != 6: sys.exit(f"{text.count('<svg')} charts, expected 6")
if re.search(r"<script|<link|<img|\bsrc=|@import|url\((?!#)", text): sys.exit("the report refers to something outside it")
EOF
runs_of() { grep -o '[0-9]* visits per run; runs [0-9, ]*' "$1"; }
check "so does a report" test "$(stat -c %a report.html)" = "$(stat -c %a delta.png)"
check "report --scenario: the same runs" bash -c "'$DSIM' report --scenario small --db r.db -o scenario.html >/dev/null && [[ -n \"\$(grep -o 'runs [0-9]' scenario.html)\" ]]"
check "report --scenario lists what report 1-9 lists" test "$(runs_of scenario.html)" = "$(runs_of report.html)"
check "report as PDF: pages" bash -c "'$DSIM' report 1-9 --db r.db -o report.pdf >/dev/null && test \$(grep -ac '/Type /Page\b' report.pdf) -ge 8"
check "report of a sweep" bash -c "'$DSIM' report --sweep two.ini --db s.db -o sweep.html >/dev/null"
check "with its heatmap and summary table" bash -c "$(declare -f svg_has); svg_has sweep.html 'Best policy by' && svg_has sweep.html 'Δ objective</th>'"

# Bad input: exit 2, a message that says what is wrong, nothing written.
refused "a run that does not exist" "run 99 is not in the database" x.png plot delta 1 99 --db r.db -o x.png
refused "a sweep not in the database" "is not in this database" x.png plot sweep --sweep one.ini --db r.db -o x.png
refused "an unknown kind" "unknown kind 'delt' (did you mean 'delta'?)" x.png plot delt 1 --db r.db -o x.png
refused "an unwritable output path" "cannot write nodir/x.png" nodir/x.png plot delta 1-9 --db r.db -o nodir/x.png
refused "an output of no known kind" "end it with .png, .svg, .pdf or .csv" x.gif plot delta 1-9 --db r.db -o x.gif
mkdir adir.png
refused "an output that is a directory" "adir.png is a directory" "" plot delta 1-9 --db r.db -o adir.png
refused "a report with a run twice" "runs 1 and 1 are both" x.html report 1-9 1 --db r.db -o x.html
refused "an evaluation that does not exist" "no evaluation 7" x.png plot ope --ope 7 --db o.db -o x.png
refused "a CSV that is not a bandit's" "row 1, column 1: expected the header 'policy'" x.png plot bandit delta.csv -o x.png
refused "runs of unfinished or missing output" "-o OUT is required" "" plot delta 1-9 --db r.db
refused "a report of a missing run" "run 42 is not in the database" x.html report 42 --db r.db -o x.html
refused "a report of nothing" "give run numbers, --scenario NAME or --sweep FILE" x.html report --db r.db -o x.html
refused "run --plot to an unwritable path" "cannot write nodir/r.png" "" run "$DATA/small.ini" --plot nodir/r.png --db new.db
check "and that run ran nothing" test ! -e new.db
check "no temporary files left behind" bash -c "! ls | grep -q '\.tmp'"
finish
