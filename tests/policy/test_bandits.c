/*
 * test_bandits.c — learning on a market with one known best level (tests/data/single_best.ini: identical
 * shoppers and items, a fixed reference price, so every visit has the same expected profit per level).
 *
 * The learners must find the best level (≥ 90 % of the last 10 % of visits, on every seed) and their
 * pseudo-regret must grow sublinearly: summed over five seeds, the second half of the runs adds less than
 * half the regret of the first. Linear regret would give a ratio of 1; logarithmic regret
 * ln(2)/ln(n/2) ≈ 0.06 at n = 200,000. Summing over seeds matters for Thompson sampling, whose regret is
 * a handful of random exploratory pulls: one seed's late pull can double its second half. The oracle's
 * pseudo-regret is exactly zero.
 *
 * Pass rate on fresh seeds (DSIM_SEED_OFFSET = k · 10^6, k = 1…50, disjoint sets): 50 of 50 (Thompson's
 * second-half/first-half regret ratio at most 0.15).
 */
#include <math.h>
#include <string.h>

#include "dsim/sim.h"
#include "helpers.h"

typedef struct {
    double best_share_last_tenth;
    double regret_first_half, regret_second_half;
    int best_level;
} learning_result;

static learning_result run_learner(const dsim_scenario *sc, const char *type, uint64_t seed)
{
    dsim_policy_config *cfg = NULL;
    dsim_sim *sim = NULL;
    ASSERT_OK(dsim_policy_config_default(&cfg, dsim_policy_type_find(type)));
    ASSERT_OK(dsim_sim_create(&sim, sc, cfg, seed, NULL));
    uint64_t n = dsim_sim_horizon(sim), last_tenth = n - n / 10, best_count = 0;
    learning_result r = {.best_level = -1};
    dsim_metrics m;
    while (dsim_sim_advance(sim, 1) == DSIM_OK) {
        dsim_visit_record v;
        dsim_sim_last_visit(sim, &v);
        int best = 0;
        for (int l = 1; l < sc->discounts.n_levels; l++)
            if (v.expected[l] > v.expected[best])
                best = l;
        if (r.best_level < 0)
            r.best_level = best;
        assert_int_equal(best, r.best_level); /* the same best level on every visit */
        if (v.visit >= last_tenth)
            best_count += v.action.level == best;
        if (v.visit + 1 == n / 2) {
            dsim_sim_metrics(sim, &m);
            r.regret_first_half = m.regret;
        }
    }
    dsim_sim_metrics(sim, &m);
    r.regret_second_half = m.regret - r.regret_first_half;
    r.best_share_last_tenth = (double)best_count / (double)(n - last_tenth);
    printf("# %-8s seed %llu: best level %d chosen in %.1f %% of the last tenth; regret %.0f then %.0f\n", type,
           (unsigned long long)seed, r.best_level, 100 * r.best_share_last_tenth, r.regret_first_half,
           r.regret_second_half);
    dsim_sim_free(sim);
    dsim_policy_config_free(cfg);
    return r;
}

static void check_learner(const char *type)
{
    dsim_scenario *sc = load_test_scenario("single_best");
    double first = 0, second = 0;
    for (uint64_t seed = 1; seed <= 5; seed++) {
        learning_result r = run_learner(sc, type, test_seed(seed));
        assert_int_equal(r.best_level, 1); /* 20 % */
        assert_true(r.best_share_last_tenth >= 0.90);
        first += r.regret_first_half;
        second += r.regret_second_half;
    }
    printf("# %s: second half / first half regret = %.3f\n", type, second / first);
    assert_true(second < 0.5 * first);
    dsim_scenario_free(sc);
}

static void test_thompson__finds_the_best_level_with_sublinear_regret(void **state)
{
    (void)state;
    check_learner("thompson");
}

static void test_ucb1__finds_the_best_level_with_sublinear_regret(void **state)
{
    (void)state;
    check_learner("ucb1");
}

/* What the dashboard shows as a policy's learned values: for ε-greedy and UCB1 the mean reward each level
   has brought, for Thompson sampling the posterior mean P(sale) × value of a sale. */
static void test_values__are_the_means_learned(void **state)
{
    (void)state;
    const double levels[3] = {0, 0.1, 0.2};
    dsim_policy_env env = {.n_levels = 3, .levels = levels, .objective = DSIM_OBJECTIVE_PROFIT, .reward_scale = 10,
                           .mean_price = 40, .mean_cost = 25, .n_categories = 1, .n_customers = 1, .seed = 1,
                           .n_groups = 1};
    const char *types[2] = {"epsilon_greedy", "ucb1"};
    dsim_context ctx = {.days_since_visit = -1, .days_since_purchase = -1, .budget_left = 1};
    for (int t = 0; t < 2; t++) {
        dsim_policy_config *cfg = NULL;
        dsim_policy *p = NULL;
        ASSERT_OK(dsim_policy_config_default(&cfg, dsim_policy_type_find(types[t])));
        ASSERT_OK(dsim_policy_alloc(&p, cfg, &env));
        const int level[3] = {1, 1, 0};
        const double reward[3] = {2, 4, 1};
        for (int i = 0; i < 3; i++) {
            dsim_feedback fb = {.level = level[i], .purchased = true, .position = 0, .reward = reward[i]};
            ASSERT_OK(dsim_policy_learn(p, &ctx, &fb));
        }
        double v[3];
        ASSERT_OK(dsim_policy_values(p, &ctx, v));
        assert_true(v[0] == 1.0 && v[1] == 3.0 && v[2] == 0.0);
        dsim_policy_free(p);
        dsim_policy_config_free(cfg);
    }
    /* The linear agents: each level's predicted reward; a level never tried keeps the prior's 0. */
    const char *linear[2] = {"linucb", "lin_ts"};
    for (int t = 0; t < 2; t++) {
        dsim_policy_config *cfg = NULL;
        dsim_policy *p = NULL;
        ASSERT_OK(dsim_policy_config_default(&cfg, dsim_policy_type_find(linear[t])));
        ASSERT_OK(dsim_policy_alloc(&p, cfg, &env));
        for (int i = 0; i < 50; i++) {
            dsim_feedback fb = {.level = 0, .purchased = true, .position = 0, .reward = 15};
            ASSERT_OK(dsim_policy_learn(p, &ctx, &fb));
        }
        double v[3];
        ASSERT_OK(dsim_policy_values(p, &ctx, v));
        printf("# %s values: %.4f %.4f %.4f\n", linear[t], v[0], v[1], v[2]);
        assert_true(v[0] > 0.5 && v[1] == 0.0 && v[2] == 0.0);
        dsim_policy_free(p);
        dsim_policy_config_free(cfg);
    }
    dsim_policy_config *cfg = NULL;
    dsim_policy *p = NULL;
    ASSERT_OK(dsim_policy_config_default(&cfg, dsim_policy_type_find("thompson")));
    ASSERT_OK(dsim_policy_alloc(&p, cfg, &env));
    double before[3], after[3];
    ASSERT_OK(dsim_policy_values(p, &ctx, before));
    for (int i = 0; i < 20; i++) { /* level 2 never sells: its posterior P(sale) falls */
        dsim_feedback fb = {.level = 2, .purchased = false, .position = -1, .reward = 0};
        ASSERT_OK(dsim_policy_learn(p, &ctx, &fb));
    }
    ASSERT_OK(dsim_policy_values(p, &ctx, after));
    assert_true(after[2] < before[2] / 5 && after[0] == before[0]);
    dsim_policy_free(p);
    dsim_policy_config_free(cfg);
}

/* A running policy's knob: ε-greedy's ε set to 0 makes it greedy, to 1 uniform; types without one say so. */
static void test_knob__changes_a_running_policy(void **state)
{
    (void)state;
    const double levels[3] = {0, 0.1, 0.2};
    dsim_policy_env env = {.n_levels = 3, .levels = levels, .objective = DSIM_OBJECTIVE_PROFIT, .reward_scale = 10,
                           .mean_price = 40, .mean_cost = 25, .n_categories = 1, .n_customers = 1, .seed = 1,
                           .n_groups = 1};
    dsim_context ctx = {.days_since_visit = -1, .days_since_purchase = -1, .budget_left = 1};
    dsim_policy_config *cfg = NULL;
    dsim_policy *p = NULL;
    ASSERT_OK(dsim_policy_config_default(&cfg, dsim_policy_type_find("epsilon_greedy")));
    ASSERT_OK(dsim_policy_alloc(&p, cfg, &env));
    for (int l = 0; l < 3; l++) { /* every level tried; level 2 pays most */
        dsim_feedback fb = {.level = l, .purchased = true, .position = 0, .reward = l};
        ASSERT_OK(dsim_policy_learn(p, &ctx, &fb));
    }
    const char *name;
    assert_true(dsim_policy_knob(p, &name) == 0.1 && strcmp(name, "epsilon") == 0);
    double probs[3];
    ASSERT_OK(dsim_policy_set_knob(p, 0.0));
    dsim_policy_distribution(p, &ctx, NULL, probs);
    assert_true(probs[2] == 1.0 && probs[0] == 0.0);
    ASSERT_OK(dsim_policy_set_knob(p, 1.0));
    dsim_policy_distribution(p, &ctx, NULL, probs);
    assert_true(fabs(probs[0] - 1.0 / 3) < 1e-12 && fabs(probs[2] - 1.0 / 3) < 1e-12);
    dsim_policy_free(p);
    dsim_policy_config_free(cfg);
    ASSERT_OK(dsim_policy_config_default(&cfg, dsim_policy_type_find("thompson")));
    ASSERT_OK(dsim_policy_alloc(&p, cfg, &env));
    assert_true(isnan(dsim_policy_knob(p, &name)) && name == NULL);
    assert_int_equal(dsim_policy_set_knob(p, 1.0), DSIM_ENOTFOUND);
    dsim_policy_free(p);
    dsim_policy_config_free(cfg);
}

static void test_oracle__has_zero_pseudo_regret(void **state)
{
    (void)state;
    const char *scenarios[] = {"single_best", "small"};
    for (int i = 0; i < 2; i++) {
        dsim_scenario *sc = load_test_scenario(scenarios[i]);
        dsim_policy_config *cfg = NULL;
        dsim_sim *sim = NULL;
        ASSERT_OK(dsim_policy_config_default(&cfg, dsim_policy_type_find("oracle")));
        ASSERT_OK(dsim_sim_create(&sim, sc, cfg, test_seed(5), NULL));
        while (dsim_sim_advance(sim, 5000) == DSIM_OK)
            ;
        dsim_metrics m;
        dsim_sim_metrics(sim, &m);
        assert_true(m.visits > 0);
        assert_true(m.regret == 0.0);
        dsim_sim_free(sim);
        dsim_policy_config_free(cfg);
        dsim_scenario_free(sc);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_thompson__finds_the_best_level_with_sublinear_regret),
        cmocka_unit_test(test_ucb1__finds_the_best_level_with_sublinear_regret),
        cmocka_unit_test(test_values__are_the_means_learned),
        cmocka_unit_test(test_knob__changes_a_running_policy),
        cmocka_unit_test(test_oracle__has_zero_pseudo_regret),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
