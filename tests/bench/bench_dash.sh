#!/usr/bin/env bash
# bench_dash.sh — what drawing costs the simulation: the same policies and visits through `dsim run` and
# through `dsim dash` at top speed (redrawing ten times a second, in tmux), timed to the end of the horizon.
#
# usage: tests/bench/bench_dash.sh [build/dsim] [VISITS]
set -eu
DSIM=${1:-build/dsim}
VISITS=${2:-400000}
WORK=$(mktemp -d /tmp/dsim_bench_dash_XXXXXX)
SOCK=$WORK/tmux.sock
trap 'tmux -S "$SOCK" kill-server 2>/dev/null; rm -rf "$WORK"' EXIT
policies=(-p none -p fixed10 -p thompson)

t0=$(date +%s.%N)
"$DSIM" run default "${policies[@]}" --visits "$VISITS" --db "$WORK/run.db" -q >/dev/null
t1=$(date +%s.%N)
run_s=$(awk "BEGIN { print $t1 - $t0 }")

tmux -S "$SOCK" new-session -d -s dash -x 120 -y 40 \
    "'$DSIM' dash default ${policies[*]} --visits $VISITS --db '$WORK/dash.db'; sleep 30"
sleep 0.3
t0=$(date +%s.%N)
tmux -S "$SOCK" send-keys -t dash + + + # 100 → 100,000 visits a tick: no pause between ticks
until tmux -S "$SOCK" capture-pane -t dash -p | grep -q FINISHED; do sleep 0.05; done
t1=$(date +%s.%N)
dash_s=$(awk "BEGIN { print $t1 - $t0 }")
tmux -S "$SOCK" send-keys -t dash q

awk -v v="$VISITS" -v r="$run_s" -v d="$dash_s" 'BEGIN {
    printf "dsim run:  %d visits x 3 policies in %.2f s (%.0f visits/s)\n", v, r, 3 * v / r
    printf "dsim dash: %d visits x 3 policies in %.2f s (%.0f visits/s), drawing 10 times a second\n", v, d, 3 * v / d
    printf "the dashboard runs at %.1f %% of dsim run'"'"'s rate (dsim run also builds its worlds and writes its database)\n", 100 * r / d
}'
