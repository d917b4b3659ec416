#!/usr/bin/env bash
# test_report_browser.sh — dsim report opened in a real browser: headless Chromium loads the HTML report from a
# file with the network off, its DOM is read back (the question, the table's rows, the charts' titles as text
# inside inline SVG) and a screenshot is taken and decoded (its size, and the policies' colours drawn in it).
# Skipped (exit 77) with a message where Chromium is not installed; CI installs it (label browser).
#
# usage: test_report_browser.sh PATH/TO/dsim SOURCE_DIR [SCREENSHOT_COPY]
set -u
DSIM=$1
SRC=$2
COPY=${3:-}
CHROMIUM=$(command -v chromium || command -v chromium-browser || true)
if [[ -z $CHROMIUM ]]; then
    echo "SKIP: Chromium is not installed (Debian: apt-get install chromium); the report's browser test needs it"
    exit 77
fi
source "$(dirname "$0")/lib.sh" browser
PNG="python3 $SRC/tests/e2e/png_colors.py"
# Chromium wants a home and a profile it can write; no sandbox as root in a container; no network.
export HOME=$WORK
browser() {
    timeout 120 "$CHROMIUM" --headless --no-sandbox --disable-gpu --no-first-run --user-data-dir="$WORK/profile" \
        --proxy-server=127.0.0.1:9 --proxy-bypass-list='<-loopback>' --hide-scrollbars "$@" 2>>chromium.log
}

"$DSIM" run "$SRC/tests/data/small.ini" -p fixed10 -p none -p thompson --seeds 3 --visits 4000 --db r.db -q >/dev/null
"$DSIM" report 1-9 --db r.db -o report.html >/dev/null
check "the report is written" test -s report.html

browser --dump-dom "file://$WORK/report.html" >dom.html
check "Chromium loads it and gives its DOM" grep -qF "Which discount policy? Scenario small" dom.html
check "the table's rows, one per policy" python3 - <<'EOF'
import re, sys
dom = open("dom.html").read()
rows = re.findall(r'<td class="name"><span class="swatch"[^>]*></span>([^<]+)</td>', dom)
if rows[:3] != ["fixed10", "none", "thompson"]: sys.exit(f"rows: {rows}")
EOF
check "six inline SVG charts in the DOM" test "$(grep -o '<svg' dom.html | wc -l)" -eq 6
check "their titles are text the browser reads" bash -c "grep -qF \"Cumulative profit minus fixed10's\" dom.html && grep -qF 'Profit per segment' dom.html"

browser --window-size=1280,4000 --screenshot="$WORK/report.png" "file://$WORK/report.html" >/dev/null
check "a screenshot of the report" test -s report.png
# The swatches of the table and the charts' lines and bars draw each policy's colour as it is.
check "1280 x 4000, with the three policies' colours drawn" $PNG report.png 1280 4000 0072B2 D55E00 009E73
[[ -n $COPY ]] && cp report.png "$COPY"
finish
