#!/usr/bin/env bash
# test_dash.sh — the dashboard in a real terminal: `dsim dash` inside tmux at 80×24 and 160×50; keys sent
# (pause, speed, shock, help, quit) and the screen read back with capture-pane; after quit, or SIGTERM or SIGINT,
# the database holds the snapshot and the terminal is given back. Also: not a terminal → exit 2.
#
# usage: test_dash.sh PATH/TO/dsim SOURCE_DIR
set -u
DSIM=$1
SRC=$2
cleanup() { tmux -S "$SOCK" kill-server 2>/dev/null; }
source "$(dirname "$0")/lib.sh" dash
SOCK=$WORK/tmux.sock
# The checks read ASCII marks; one session at the end checks the UTF-8 ones.
export LC_ALL=C
screen() { tmux -S "$SOCK" capture-pane -t dash -p; }
# A session that outlives the others: killing the last session ends the tmux server, and a session started
# while it is ending can vanish with it (seen about once in fifteen starts).
tmux -S "$SOCK" new-session -d -s keep "sleep 3600"
# wait_for TEXT: poll the screen for up to 30 s (a loaded CI machine can be slow to draw the first frames)
wait_for() { for _ in $(seq 300); do screen | grep -qF -- "$1" && return 0; sleep 0.1; done; return 1; }
# wait_re REGEX: the same for an extended regular expression
wait_re() { for _ in $(seq 300); do screen | grep -qE -- "$1" && return 0; sleep 0.1; done; return 1; }

for size in 80x24 160x50; do
    w=${size%x*}
    h=${size#*x}
    db=$WORK/dash_$size.db
    tmux -S "$SOCK" new-session -d -s dash -x "$w" -y "$h" \
        "cd '$SRC' && '$DSIM' dash competitor_sale -p none -p fixed10 -p thompson --db '$db'; echo \"exit \$?\"; sleep 30"
    check "$size: the table shows every policy" wait_for "thompson"
    check "$size: running" wait_for "RUNNING"
    check "$size: visits under way" wait_re ' [1-9][0-9]* / 200000 visits'
    check "$size: rows of numbers" wait_re '^\* none +[1-9][0-9]* +[0-9.]+'
    check "$size: the chart's axis" wait_re '^ +\+-{20,}'
    check "$size: the chart's 0 label" wait_re '^ +0 \|'
    check "$size: a legend with every policy" wait_re '^cumulative objective +\* none +o fixed10 +\+ thompson'
    if [[ $size == 160x50 ]]; then
        check "$size: both charts, objective and conversion" wait_for "conversion rate (purchases per visit so far)"
        check "$size: colour escapes on a colour terminal" bash -c "tmux -S '$SOCK' capture-pane -t dash -e -p | grep -qE $'\e\\[(3[0-7]|38;)'"
    fi
    tmux -S "$SOCK" send-keys -t dash p
    check "$size: p pauses" wait_for "PAUSED"
    tmux -S "$SOCK" send-keys -t dash +
    check "$size: + speeds up" wait_for "speed 1000"
    # key to screen: from sending p (resume) to RUNNING on the screen, polled every 10 ms through tmux
    t0=$(date +%s%N)
    tmux -S "$SOCK" send-keys -t dash p
    for _ in $(seq 300); do screen | grep -qF RUNNING && break; sleep 0.01; done
    ms=$(( ($(date +%s%N) - t0) / 1000000 ))
    echo "# $size: key to screen in $ms ms (tmux and polling included)"
    check "$size: a key shows within 100 ms plus tmux's own delay ($ms ms < 300)" test "$ms" -lt 300
    tmux -S "$SOCK" send-keys -t dash p
    check "$size: paused again" wait_for "PAUSED"
    check "$size: the table names myopic regret, with the note for a market that remembers" \
        wait_for "myo.regret: vs the myopic oracle; shoppers remember: planning can beat it"
    tmux -S "$SOCK" send-keys -t dash s
    check "$size: s triggers the scenario's shock" wait_for "shock sale applied at visit"
    check "$size: the shock is marked on the chart" wait_re '^ +\+-*!'
    tmux -S "$SOCK" send-keys -t dash e
    check "$size: e raises everyone's price sensitivity" wait_for "price sensitivity x1.25 for every segment"
    tmux -S "$SOCK" send-keys -t dash '>'
    check "$size: > picks a segment for e" wait_for "e / E now act on"
    tmux -S "$SOCK" send-keys -t dash E
    check "$size: E lowers that segment's price sensitivity" wait_re 'price sensitivity x0.8 for segment [a-z]+ at visit'
    tmux -S "$SOCK" send-keys -t dash o
    check "$size: o moves the outside option" wait_for "outside option set to"
    tmux -S "$SOCK" send-keys -t dash m
    check "$size: m switches the chart to conversion" wait_for "conversion rate (purchases per visit so far)"
    tmux -S "$SOCK" send-keys -t dash l
    check "$size: l shows the discount levels each policy gives" wait_re '10\.0 % 100\.0 %'
    tmux -S "$SOCK" send-keys -t dash l
    tmux -S "$SOCK" send-keys -t dash g
    check "$size: g shows, per segment, visits, conversion, profit and the levels given" \
        wait_re '^o fixed10 +[1-9][0-9]* +[0-9.]+ +-?[0-9]+ \|( +0)* +100( +0)*$'
    check "$size: g says segments are hidden from the policies" wait_for "hidden truth: no policy is told a shopper's segment"
    check "$size: the key bar starts with help and quit" wait_re '^ \? help  q quit  p pause'
    tmux -S "$SOCK" send-keys -t dash g
    tmux -S "$SOCK" send-keys -t dash Tab Tab Tab
    check "$size: tab shows a policy's learned values per level" wait_re '^\+ thompson: learned value of each level'
    check "$size: for three kinds of shopper" wait_re 'level +new +regular +deal-trained'
    tmux -S "$SOCK" send-keys -t dash Tab
    tmux -S "$SOCK" send-keys -t dash w
    check "$size: w saves a snapshot now" wait_for "saved 3 runs of"
    [[ $size == 160x50 ]] && check "$size: and says where its charts are" wait_for "charts beside it: dash-1-*.png"
    for kind in cumulative delta levels segments; do
        check "$size: w wrote dash-1-$kind.png, a PNG" bash -c "head -c 8 '$WORK/dash-1-$kind.png' | od -An -tx1 | grep -q '89 50 4e 47 0d 0a 1a 0a'"
    done
    tmux -S "$SOCK" send-keys -t dash c
    check "$size: c lists the live changes so far" wait_for "live changes so far"
    check "$size: with the shock among them" wait_re 'visit [0-9]+ +shock sale applied at visit'
    tmux -S "$SOCK" send-keys -t dash c
    tmux -S "$SOCK" send-keys -t dash '?'
    check "$size: ? shows the help" wait_for "trigger the next configured shock now"
    check "$size: the help box fits its longest line" wait_for "that policy's live parameter (e, c, alpha, v) x0.8 / x1.25"
    tmux -S "$SOCK" send-keys -t dash x
    check "$size: any key closes the help" bash -c "sleep 0.3; ! tmux -S '$SOCK' capture-pane -t dash -p | grep -qF 'this help (any key closes it)'"
    tmux -S "$SOCK" send-keys -t dash q
    check "$size: q quits with status 0" wait_for "exit 0"
    check "$size: the terminal is restored (no dashboard left on screen)" bash -c "! tmux -S '$SOCK' capture-pane -t dash -p | grep -qF 'cumulative objective'"
    check "$size: two snapshots (w, then quit) of three runs" test "$(sqlite3 "$db" "SELECT count(*) FROM runs WHERE status = 'done'")" = 6
    changes=$(sqlite3 "$db" "SELECT group_concat(substr(change, 1, 12), '|') FROM (SELECT change FROM changes WHERE run_id = 6 ORDER BY seq)")
    check "$size: the live changes recorded in order ($changes)" test "$changes" = "shock sale a|price sensit|price sensit|outside opti"
    check "$size: snapshots are stored as source dash, changed live, with the visits planned" \
        test "$(sqlite3 "$db" "SELECT count(*) FROM runs WHERE source = 'dash' AND changed_live = 1 AND planned_visits > visits")" = 6
    check "$size: show prints the snapshot's live changes" bash -c "'$DSIM' show 6 --db '$db' | grep -q '^  at visit [0-9]*: shock sale'"
    got=$(sqlite3 "$db" "SELECT count(*) FROM summary WHERE run_id IN (SELECT run_id FROM series)")
    check "$size: each run stored with its summary and series ($got)" test "$got" = 6
    tmux -S "$SOCK" kill-session -t dash
done

# SIGTERM and SIGINT (a closed terminal, a scheduler's kill, Ctrl-C from outside): the dashboard quits as with q,
# saving its runs, and gives the terminal back.
for sig in TERM INT; do
    db=$WORK/signal_$sig.db
    tmux -S "$SOCK" new-session -d -s dash -x 80 -y 24 "'$DSIM' dash default -p none -p fixed10 --db '$db'; echo \"exit \$?\"; sleep 30"
    check "SIG$sig: running" wait_re ' [1-9][0-9]* / 200000 visits'
    pkill -"$sig" -f "[d]ash default -p none -p fixed10 --db $db"
    check "SIG$sig: quits with status 0" wait_for "exit 0"
    check "SIG$sig: its runs are saved, done" test "$(sqlite3 "$db" "SELECT count(*) FROM runs WHERE status = 'done'")" = 2
    check "SIG$sig: the terminal is restored" bash -c "! tmux -S '$SOCK' capture-pane -t dash -p | grep -qF 'cumulative objective'"
    tmux -S "$SOCK" kill-session -t dash
done

# Several seeds: means with 95 % intervals; every seed's run in the snapshot.
db=$WORK/seeds.db
tmux -S "$SOCK" new-session -d -s dash -x 80 -y 24 "'$DSIM' dash competitor_sale -p none -p fixed10 --seeds 2 --db '$db'; echo \"exit \$?\"; sleep 30"
check "seeds: intervals under each policy" wait_re '^ +\+/- 95 % +0 +[0-9.]+'
tmux -S "$SOCK" send-keys -t dash q
check "seeds: q quits with status 0" wait_for "exit 0"
check "seeds: a run per policy and seed" test "$(sqlite3 "$db" "SELECT count(*) || ',' || group_concat(DISTINCT seed) FROM runs")" = "4,31,32"
tmux -S "$SOCK" kill-session -t dash

# A policy's live parameter: tab to it, ] raises it, the change is recorded.
db=$WORK/knob.db
tmux -S "$SOCK" new-session -d -s dash -x 100 -y 30 "'$DSIM' dash default -p epsilon_greedy --db '$db'; echo \"exit \$?\"; sleep 30"
check "knob: running" wait_for "RUNNING"
tmux -S "$SOCK" send-keys -t dash Tab
check "knob: the selected policy's parameter is shown" wait_for "epsilon = 0.05  ([ and ] change it)"
tmux -S "$SOCK" send-keys -t dash ']'
check "knob: ] raises it" wait_for "epsilon = 0.0625  ([ and ] change it)"
tmux -S "$SOCK" send-keys -t dash q
check "knob: q quits with status 0" wait_for "exit 0"
check "knob: the change is recorded" test "$(sqlite3 "$db" "SELECT count(*) FROM changes WHERE change LIKE 'epsilon_greedy: epsilon 0.05 -> 0.0625%'")" = 1
tmux -S "$SOCK" kill-session -t dash

# Adding a shipped policy (caught up to the others' visit) and dropping one, live.
db=$WORK/add.db
tmux -S "$SOCK" new-session -d -s dash -x 100 -y 30 "'$DSIM' dash default -p none -p fixed10 --db '$db'; echo \"exit \$?\"; sleep 30"
check "add: running" wait_re ' [1-9][0-9]* / 200000 visits'
tmux -S "$SOCK" send-keys -t dash a
check "add: the shipped policies to choose from" wait_for "add a policy (up/down, enter; esc: cancel)"
n=$("$DSIM" policies | tail -1 | tr ' ' '\n' | grep -v '^$' | grep -n '^linucb$' | cut -d: -f1)
for _ in $(seq $((n - 1))); do tmux -S "$SOCK" send-keys -t dash Down; done
tmux -S "$SOCK" send-keys -t dash Enter
check "add: linucb joins the table at the others' visit" wait_re '^\+ linucb +[1-9][0-9]* '
tmux -S "$SOCK" send-keys -t dash Tab
tmux -S "$SOCK" send-keys -t dash x
check "add: x drops the selected policy" wait_for "removed none at visit"
check "add: none has left the table" bash -c "sleep 0.3; ! tmux -S '$SOCK' capture-pane -t dash -p | grep -qE '^. none +[0-9]'"
check "add: the others keep their markers" bash -c "tmux -S '$SOCK' capture-pane -t dash -p | grep -qE '^o fixed10 +[0-9]' && tmux -S '$SOCK' capture-pane -t dash -p | grep -qE '^\+ linucb +[0-9]'"
tmux -S "$SOCK" send-keys -t dash q
check "add: q quits with status 0" wait_for "exit 0"
check "add: the snapshot has fixed10 and linucb" test "$(sqlite3 "$db" "SELECT group_concat(policy_name) FROM runs")" = "fixed10,linucb"
check "add: both changes recorded in order" test "$(sqlite3 "$db" "SELECT group_concat(substr(change, 1, 13), '|') FROM (SELECT change FROM changes WHERE run_id = 1 ORDER BY seq)")" = "added linucb |removed none "
tmux -S "$SOCK" kill-session -t dash

# Restart on new seeds, a resized window, and Ctrl-C: the terminal back, the runs saved.
db=$WORK/restart.db
tmux -S "$SOCK" new-session -d -s dash -x 80 -y 24 "'$DSIM' dash competitor_sale -p none -p fixed10 --db '$db'; echo \"exit \$?\"; sleep 30"
check "restart: running" wait_re ' [1-9][0-9]* / 200000 visits'
tmux -S "$SOCK" send-keys -t dash r
check "restart: r starts again on the next seed" wait_for "restarted on seed 32"
check "restart: the status line shows the new seed" wait_for "| seed 32 |"
tmux -S "$SOCK" resize-window -t dash -x 130 -y 40
check "resize: the table and chart fill the new size" wait_re '^ +\+-{110,}'
tmux -S "$SOCK" send-keys -t dash C-c
check "Ctrl-C: exit status 0" wait_for "exit 0"
check "Ctrl-C: the terminal is restored" bash -c "! tmux -S '$SOCK' capture-pane -t dash -p | grep -qF 'cumulative objective'"
got=$(sqlite3 "$db" "SELECT count(*) || ',' || min(seed) FROM runs")
check "Ctrl-C: the runs saved, on the new seed ($got)" test "$got" = "2,32"
tmux -S "$SOCK" kill-session -t dash

# Replay: the stored runs in the same views, read only.
db=$WORK/dash_80x24.db
tmux -S "$SOCK" new-session -d -s dash -x 100 -y 30 "'$DSIM' dash --db '$db' 4 5 6; echo \"exit \$?\"; sleep 30"
check "replay: read only, each run with its seed" wait_for "replay (read only): run 4 none seed 31, run 5 fixed10 seed 31, run 6 thompson seed 31"
check "replay: only the keys that act on a replay" bash -c "tmux -S '$SOCK' capture-pane -t dash -p | grep -qE '^ \? help  q quit  m chart  l levels  g segments *$'"
check "replay: the runs' policies" wait_re '^\+ thompson +[1-9]'
check "replay: their chart" wait_re '^ +\+-{20,}'
tmux -S "$SOCK" send-keys -t dash l
check "replay: their levels" wait_for "discount levels given"
tmux -S "$SOCK" send-keys -t dash l g
check "replay: their results by segment" wait_re '^\+ thompson +[1-9][0-9]* +[0-9.]+ +-?[0-9]+ \|'
tmux -S "$SOCK" send-keys -t dash q
check "replay: q quits with status 0" wait_for "exit 0"
tmux -S "$SOCK" kill-session -t dash
"$DSIM" dash --db "$db" 99 </dev/null >out.txt 2>err.txt
check "replay without a terminal: exit 2" test $? -eq 2

# NO_COLOR: no colour escapes at all.
tmux -S "$SOCK" new-session -d -s dash -x 160 -y 50 "NO_COLOR=1 '$DSIM' dash default -p none -p fixed10 --db '$WORK/mono.db'; sleep 30"
check "NO_COLOR: running" wait_for "RUNNING"
check "NO_COLOR: monochrome" bash -c "sleep 0.5; ! tmux -S '$SOCK' capture-pane -t dash -e -p | grep -qE $'\e\\[(3[0-7]|38;)'"
tmux -S "$SOCK" send-keys -t dash q
tmux -S "$SOCK" kill-session -t dash

# On a UTF-8 terminal the policies' marks are shapes; the axes stay ASCII.
tmux -S "$SOCK" new-session -d -s dash -x 100 -y 30 "LC_ALL=C.UTF-8 '$DSIM' dash default -p none -p fixed10 --db '$WORK/utf8.db'; sleep 30"
check "UTF-8: shapes mark the policies" wait_re '^○ fixed10 +[0-9]'
check "UTF-8: and their lines" wait_re '[●○]{3}'
tmux -S "$SOCK" send-keys -t dash q
tmux -S "$SOCK" kill-session -t dash

# Delayed purchases: the table is followed by the purchases each policy has yet to see (a count that rises).
tmux -S "$SOCK" new-session -d -s dash -x 120 -y 30 "cd '$SRC' && '$DSIM' dash delayed_conversions -p none -p thompson --db '$WORK/delay.db'; sleep 30"
check "delays: purchases still pending, per policy" wait_re '^  purchases still pending \(counted, not yet seen by the shop\): \* [1-9][0-9]* o [1-9][0-9]*'
tmux -S "$SOCK" send-keys -t dash q
tmux -S "$SOCK" kill-session -t dash

"$DSIM" dash competitor_sale </dev/null >out.txt 2>err.txt
check "not a terminal: exit 2" test $? -eq 2
check "not a terminal: points to dsim run" grep -qF "needs a terminal (stdin and stdout); for runs without one use dsim run" err.txt

finish
