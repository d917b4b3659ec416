/*
 * test_evidence.c — the agents' evidence on the shipped market scenarios, on common random numbers, judged
 * by the paired difference's 95 % interval across seeds (label `evidence`: statistical studies of about
 * two minutes in all, not unit tests):
 *   - on `default`, whose segments want different levels, LinUCB and linear TS earn more than Thompson
 *     sampling (10 seeds);
 *   - "planning pays": on `deal_trained`, where a discount that pays today raises what a regular expects
 *     and costs them later, tabular Q-learning that plans over the shopper's visits
 *     (policies/q_learning_planner.ini) earns more than the myopic oracle, Thompson sampling and the fixed
 *     levels 10 % and 0 % (20 seeds: its lead over fixed10 and Thompson is about 1.15 per-seed SDs).
 *
 * Pass rates on fresh seeds: with 5 seeds the planner test passed 11 of 20 disjoint seed sets (the
 * committed seeds happened to give narrow intervals) and the contextual one 18 of 20. Resampling 100
 * pooled fresh seeds per policy predicts 98 % at 20 seeds and 100 % at 10; run directly
 * (DSIM_SEED_OFFSET = k · 1000, k = 1…20): 20 of 20 for the contextual test, 19 of 20 for the planner (the
 * one failure: its lead over fixed10 +30,776 ± 36,156, with a heavy low tail of the planner's profit).
 */
#include <math.h>
#include <stdio.h>

#include "dsim/metrics.h"
#include "dsim/sim.h"
#include "helpers.h"

enum { MAX_SEEDS = 20, CONTEXTUAL_SEEDS = 10, PLANNER_SEEDS = 20 };

static void profits(const dsim_scenario *sc, const char *policy, int seeds, double *out)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/policies/%s.ini", DSIM_SOURCE_DIR, policy);
    dsim_policy_config *cfg = NULL;
    ASSERT_OK(dsim_policy_config_load(&cfg, path));
    for (int s = 0; s < seeds; s++) {
        dsim_sim *sim = NULL;
        ASSERT_OK(dsim_sim_create(&sim, sc, cfg, test_seed(sc->seed + (uint64_t)s), NULL));
        int rc;
        while ((rc = dsim_sim_advance(sim, 100000)) == DSIM_OK)
            ;
        assert_int_equal(rc, DSIM_DONE);
        dsim_metrics m;
        dsim_sim_metrics(sim, &m);
        out[s] = m.profit;
        dsim_sim_free(sim);
    }
    dsim_policy_config_free(cfg);
}

/* The paired difference winner − loser over the seeds, asserted above zero with its whole interval. */
static void assert_earns_more(const dsim_scenario *sc, const char *winner, const double *winner_profit,
                              const char *loser, int seeds)
{
    double loser_profit[MAX_SEEDS], diff[MAX_SEEDS];
    profits(sc, loser, seeds, loser_profit);
    for (int s = 0; s < seeds; s++)
        diff[s] = winner_profit[s] - loser_profit[s];
    dsim_estimate d = dsim_metrics_estimate_mean(diff, (size_t)seeds);
    printf("# %s: %s minus %s: %+.0f ± %.0f profit\n", sc->name, winner, loser, d.mean, d.half_width);
    assert_true(d.mean - d.half_width > 0);
}

static void test_evidence__contextual_agents_beat_thompson_on_default(void **state)
{
    (void)state;
    dsim_scenario *sc = load_shipped_scenario("default");
    const char *agents[] = {"linucb", "lin_ts"};
    for (size_t a = 0; a < 2; a++) {
        double profit[MAX_SEEDS];
        profits(sc, agents[a], CONTEXTUAL_SEEDS, profit);
        assert_earns_more(sc, agents[a], profit, "thompson", CONTEXTUAL_SEEDS);
    }
    dsim_scenario_free(sc);
}

static void test_evidence__planning_beats_the_myopic_and_the_fixed(void **state)
{
    (void)state;
    dsim_scenario *sc = load_shipped_scenario("deal_trained");
    double planner[MAX_SEEDS];
    profits(sc, "q_learning_planner", PLANNER_SEEDS, planner);
    const char *rivals[] = {"oracle", "fixed10", "none", "thompson"};
    for (size_t r = 0; r < sizeof rivals / sizeof rivals[0]; r++)
        assert_earns_more(sc, "q_learning_planner", planner, rivals[r], PLANNER_SEEDS);
    dsim_scenario_free(sc);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_evidence__contextual_agents_beat_thompson_on_default),
        cmocka_unit_test(test_evidence__planning_beats_the_myopic_and_the_fixed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
