#!/usr/bin/env bash
# reproduce_papers.sh — the published bandit results dsim reproduces, at full length (minutes, not a test),
# and the planning study on deal_trained at 20 seeds:
#   Chapelle & Li (2011), Fig. 1: Thompson sampling's regret ~ 44.7 ln T on 10 Bernoulli arms, 10^6 rounds;
#   Misra, Schwartz & Abernethy (2019): the introductory pricing example (100 seeds) and the main
#   simulation (200,000 periods).
#
# usage: tests/bench/reproduce_papers.sh [PATH/TO/dsim] [MAIN_SEEDS]    (from the source directory)
# Results go to a temporary database.
set -euo pipefail
DSIM=${1:-build/dsim}
MAIN_SEEDS=${2:-20}
DB=$(mktemp /tmp/dsim_reproduce_XXXXXX.db)
trap 'rm -f "$DB" "$DB-wal" "$DB-shm"' EXIT
echo "== Chapelle & Li (2011), Fig. 1: 10 arms, 0.5 vs 0.4, 10^6 rounds, 10 seeds"
"$DSIM" bandit chapelle_li -p ucb1 -p thompson --seeds 10 -q
echo
echo "== Misra et al. (2019), introductory example: linear demand, 10 prices, 1,000 periods, 100 seeds"
echo "   paper: UCB 95 % of optimal profit, balanced experiment 66 %"
"$DSIM" bandit misra_intro -p ucb1 -p thompson -p ucb_pi -p ucb_pi_tuned --seeds 100 -q
echo
echo "== Misra et al. (2019), main simulation: 100 prices, 1,000 segments, 200,000 periods, $MAIN_SEEDS seeds"
echo "   paper: UCB-PI about 90 % of optimal profit, UCB1 about 50 %"
"$DSIM" bandit misra_main -p ucb1 -p thompson -p ucb_pi -p ucb_pi_tuned --seeds "$MAIN_SEEDS" -q
echo
echo "== Planning pays: deal_trained, 20 seeds; q_learning_planner's interval must lie above every other"
"$DSIM" run deal_trained -p q_learning_planner -p oracle -p none -p fixed10 -p fixed20 -p fixed30 -p ucb1 \
    -p thompson -p discounted_thompson -p epsilon_greedy -p exp3 -p sw_ucb1 -p ucb_pi -p linucb -p lin_ts \
    -p greedy_regression -p logistic_ts -p random --seeds 20 --db "$DB" -q
