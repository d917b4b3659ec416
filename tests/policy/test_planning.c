/*
 * test_planning.c — "planning pays": on scenarios/deal_trained.ini, where a discount that pays today raises
 * what a regular expects and costs them later, tabular Q-learning that plans over the shopper's visits
 * (policies/q_learning_planner.ini) earns more profit than the myopic oracle, a bandit and the best fixed
 * levels. Five seeds on common random numbers; the paired difference to the planner must be negative with
 * its whole 95 % interval. (Label `evidence`: a statistical study of ~30 s, not a unit test.)
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

static void test_planning__q_learning_beats_the_myopic_and_the_fixed(void **state)
{
    (void)state;
    dsim_scenario *sc = load_shipped_scenario("deal_trained");
    double planner[SEEDS];
    profits(sc, "q_learning_planner", planner);
    const char *rivals[] = {"oracle", "fixed10", "none", "thompson", "ucb1"};
    for (size_t r = 0; r < sizeof rivals / sizeof rivals[0]; r++) {
        double rival[SEEDS], diff[SEEDS];
        profits(sc, rivals[r], rival);
        for (int s = 0; s < SEEDS; s++)
            diff[s] = rival[s] - planner[s];
        dsim_estimate d = dsim_estimate_mean(diff, SEEDS);
        printf("# %-9s minus q_learning_planner: %+.0f ± %.0f profit\n", rivals[r], d.mean, d.half_width);
        assert_true(d.mean + d.half_width < 0);
    }
    dsim_scenario_free(sc);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_planning__q_learning_beats_the_myopic_and_the_fixed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
