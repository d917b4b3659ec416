/*
 * test_evidence.c — the agents' evidence on the shipped market scenarios, five seeds on common random
 * numbers each, judged by the paired difference's 95 % interval (label `evidence`: statistical studies
 * of about 40 s in all, not unit tests):
 *   - on `default`, whose segments want different levels, LinUCB and linear TS earn more than Thompson
 *     sampling;
 *   - "planning pays": on `deal_trained`, where a discount that pays today raises what a regular expects
 *     and costs them later, tabular Q-learning that plans over the shopper's visits
 *     (policies/q_learning_planner.ini) earns more than the myopic oracle, bandits and the fixed levels.
 */
#include <math.h>
#include <stdio.h>

#include "dsim/metrics.h"
#include "dsim/sim.h"
#include "helpers.h"

enum { SEEDS = 5 };

static void profits(const dsim_scenario *sc, const char *policy, double *out)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/policies/%s.ini", DSIM_SOURCE_DIR, policy);
    dsim_policy_config *cfg = NULL;
    ASSERT_OK(dsim_policy_config_load(&cfg, path));
    for (int s = 0; s < SEEDS; s++) {
        dsim_sim *sim = NULL;
        ASSERT_OK(dsim_sim_create(&sim, sc, cfg, sc->seed + (uint64_t)s, NULL));
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
                              const char *loser)
{
    double loser_profit[SEEDS], diff[SEEDS];
    profits(sc, loser, loser_profit);
    for (int s = 0; s < SEEDS; s++)
        diff[s] = winner_profit[s] - loser_profit[s];
    dsim_estimate d = dsim_estimate_mean(diff, SEEDS);
    printf("# %s: %s minus %s: %+.0f ± %.0f profit\n", sc->name, winner, loser, d.mean, d.half_width);
    assert_true(d.mean - d.half_width > 0);
}

static void test_evidence__contextual_agents_beat_thompson_on_default(void **state)
{
    (void)state;
    dsim_scenario *sc = load_shipped_scenario("default");
    const char *agents[] = {"linucb", "lin_ts"};
    for (size_t a = 0; a < 2; a++) {
        double profit[SEEDS];
        profits(sc, agents[a], profit);
        assert_earns_more(sc, agents[a], profit, "thompson");
    }
    dsim_scenario_free(sc);
}

static void test_evidence__planning_beats_the_myopic_and_the_fixed(void **state)
{
    (void)state;
    dsim_scenario *sc = load_shipped_scenario("deal_trained");
    double planner[SEEDS];
    profits(sc, "q_learning_planner", planner);
    const char *rivals[] = {"oracle", "fixed10", "none", "thompson", "ucb1"};
    for (size_t r = 0; r < sizeof rivals / sizeof rivals[0]; r++)
        assert_earns_more(sc, "q_learning_planner", planner, rivals[r]);
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
