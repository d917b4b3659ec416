/*
 * test_bandit_problems.c — the K-armed problems of dsim/bandit.h: bandit files and their errors, each arm's
 * expected reward against a hand computation and against its own draws, common random numbers, and the
 * published results the problems exist to reproduce (Chapelle & Li 2011; Misra, Schwartz & Abernethy
 * 2019), with fixed seeds and tolerances from the spread across seeds.
 *
 * Pass rates on fresh seeds (DSIM_SEED_OFFSET = k · 10^6, disjoint sets): Thompson's slope 25 of 25 (it was
 * 6 of 50 against [0.8, 1.5]·C with 10 seeds), Misra intro 50 of 50 (46 of 50 as "≥ 95.0"), Misra main
 * 50 of 50, the valuation draws 49 of 50 (the one failure is the setup check that the fresh world's
 * purchase probability lies in (0.01, 0.99), not the 5-SE claim, whose largest deviation was 2.9 SE).
 */
#include <math.h>
#include <string.h>

#include "dsim/bandit.h"
#include "dsim/metrics.h"
#include "dsim/rng.h"
#include "helpers.h"

static dsim_bandit_config *parse(const char *text)
{
    dsim_bandit_config *cfg = NULL;
    ASSERT_OK(dsim_bandit_config_parse(&cfg, text, "b.ini"));
    return cfg;
}

static dsim_bandit_config *load_shipped(const char *name)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/scenarios/bandits/%s.ini", DSIM_SOURCE_DIR, name);
    dsim_bandit_config *cfg = NULL;
    ASSERT_OK(dsim_bandit_config_load(&cfg, path));
    return cfg;
}

static void expect_error(const char *text, const char *message)
{
    dsim_bandit_config *cfg = NULL;
    assert_int_equal(dsim_bandit_config_parse(&cfg, text, "b.ini"), DSIM_ECONFIG);
    assert_null(cfg);
    if (!strstr(dsim_errmsg(), message))
        fail_msg("expected '%s' in '%s'", message, dsim_errmsg());
}

static void test_bandit__files_are_read_and_checked(void **state)
{
    (void)state;
    dsim_bandit_config *cfg = parse("[bandit]\ntype = linear\nprices = 0.1:1.0:0.1, 2\n");
    assert_int_equal(cfg->n_arms, 11);
    for (int k = 0; k < 10; k++) /* FROM + i·STEP, so the last value is exactly the written one */
        assert_true(fabs(cfg->prices[k] - 0.1 * (k + 1)) < 1e-12);
    assert_true(cfg->prices[9] == 1.0 && cfg->prices[10] == 2.0);
    dsim_bandit_config_free(cfg);

    expect_error("[bandit]\ntype = bernouli\n", "b.ini:2: [bandit]: type: expected bernoulli, linear or valuation");
    expect_error("[bandit]\nround = 5\n", "b.ini:2: [bandit]: unknown key 'round'; did you mean 'rounds'?");
    expect_error("[bandit]\ntype = bernoulli\n", "b.ini:2: [bandit]: type = bernoulli needs `means` with at least 2");
    expect_error("[bandit]\nrounds = 5\n", "b.ini: [bandit]: type = bernoulli needs `means` with at least 2");
    expect_error("[bandit]\ntype = linear\nprices = 0.5, 0.4\n", "b.ini:3: [bandit]: prices: expected ascending");
    expect_error("[bandit]\nmeans = 0.5, 1.5\n", "b.ini:2: [bandit]: means: 1.5 is out of range [0, 1]");
    expect_error("[bandit]\ntype = linear\nprices = 1:0.5:0.1\n", "prices: range '1:0.5:0.1' is empty");
    expect_error("[bandit]\nmeans = 0.5, 0.4\nsegments = 0\n", "b.ini:3: [bandit]: segments: 0 is out of range");
    expect_error("[market]\nrounds = 5\n", "b.ini:2: unknown section [market]");
}

static void test_bandit__arm_means_match_hand_computation(void **state)
{
    (void)state;
    dsim_bandit_config *cfg = load_shipped("misra_intro");
    dsim_bandit *b = NULL;
    ASSERT_OK(dsim_bandit_alloc(&b, cfg, 1));
    dsim_policy_env env;
    dsim_bandit_policy_env(b, &env);
    const double *mean = dsim_bandit_arm_means(b);
    for (int l = 0; l < env.n_levels; l++) { /* level 0 is the highest price, 1.0 */
        double p = 1.0 - 0.1 * l;
        assert_true(fabs(env.mean_price * (1 - env.levels[l]) - p) < 1e-12);
        assert_true(fabs(mean[l] - 3 * p * (1 - p)) < 1e-12);
    }
    assert_true(fabs(1.0 - env.levels[dsim_bandit_best_arm(b)] - 0.5) < 1e-12);
    assert_true(fabs(env.reward_scale - 0.75) < 1e-12);
    dsim_bandit_free(b);
    dsim_bandit_config_free(cfg);

    /* Lai & Robbins: 9 × 0.1 / KL(0.4 ‖ 0.5), with KL = 0.4 ln 0.8 + 0.6 ln 1.2. */
    cfg = load_shipped("chapelle_li");
    ASSERT_OK(dsim_bandit_alloc(&b, cfg, 1));
    double kl = 0.4 * log(0.8) + 0.6 * log(1.2);
    assert_true(fabs(dsim_bandit_lai_robbins(b) - 0.9 / kl) < 1e-9);
    assert_true(fabs(0.9 / kl - 44.7) < 0.05);
    dsim_bandit_free(b);
    dsim_bandit_config_free(cfg);
}

/* One segment of valuation 0.6 ± 0.2: P(buy at p) = clamp((0.8 − p) / 0.4); the draws of a fixed price
   average to it within 5 standard errors. Consumers' segments and valuations do not depend on the arm. */
static void test_bandit__valuation_draws_follow_the_expected_reward(void **state)
{
    (void)state;
    dsim_bandit_config *cfg = parse("[bandit]\ntype = valuation\nprices = 0.45, 0.5, 0.6, 0.75\nconsumers = 4\n"
                                    "segments = 3\nvaluation_a = 60\nvaluation_b = 40\nperturbation = 0.2\n"
                                    "rounds = 40000\n");
    dsim_bandit *b = NULL;
    ASSERT_OK(dsim_bandit_alloc(&b, cfg, test_seed(3)));
    dsim_policy_env env;
    dsim_bandit_policy_env(b, &env);
    const double *mean = dsim_bandit_arm_means(b);
    assert_int_equal(env.n_groups, 3);
    for (int l = 0; l < env.n_levels; l++) {
        dsim_policy_config *pc = NULL;
        char text[64];
        snprintf(text, sizeof text, "[policy]\ntype = fixed\nlevel = %.17g\n", 100 * env.levels[l]);
        ASSERT_OK(dsim_policy_config_parse(&pc, text, "fixed.ini"));
        dsim_policy *policy = NULL;
        ASSERT_OK(dsim_policy_alloc(&policy, pc, &env));
        dsim_bandit_result r;
        ASSERT_OK(dsim_bandit_run(b, policy, 0, &r));
        double p = env.mean_price * (1 - env.levels[l]), q = mean[l] / p; /* q: the purchase probability */
        double se = p * sqrt(q * (1 - q) / (4.0 * 40000)), drawn = r.reward / 40000;
        printf("# price %.2f: expected %.5f, drawn %.5f (%.1f SE)\n", p, mean[l], drawn, (drawn - mean[l]) / se);
        assert_true(q > 0.01 && q < 0.99);
        assert_true(fabs(drawn - mean[l]) < 5 * se);
        assert_true(r.pulls[l] == 40000 && fabs(r.expected_reward - 40000 * mean[l]) < 1e-6 * r.expected_reward);
        dsim_policy_free(policy);
        dsim_policy_config_free(pc);
    }
    dsim_bandit_free(b);
    dsim_bandit_config_free(cfg);
}

typedef struct {
    double percent[1000], slope[1000], regret[1000];
    int n;
} study;

static study run_study(const char *file, const char *policy_type, const char *params, int seeds, uint64_t rounds)
{
    study st = {.n = seeds};
    dsim_bandit_config *cfg = load_shipped(file);
    char text[256];
    snprintf(text, sizeof text, "[policy]\ntype = %s\n%s", policy_type, params);
    dsim_policy_config *pc = NULL;
    ASSERT_OK(dsim_policy_config_parse(&pc, text, "p.ini"));
    dsim_bandit_result *r = malloc(sizeof *r);
    for (int s = 0; s < seeds; s++) {
        dsim_bandit *b = NULL;
        dsim_policy *policy = NULL;
        dsim_policy_env env;
        ASSERT_OK(dsim_bandit_alloc(&b, cfg, test_seed(cfg->seed + (uint64_t)s)));
        dsim_bandit_policy_env(b, &env);
        ASSERT_OK(dsim_policy_alloc(&policy, pc, &env));
        ASSERT_OK(dsim_bandit_run(b, policy, rounds, r));
        st.percent[s] = dsim_bandit_percent_of_optimum(r);
        st.slope[s] = dsim_bandit_regret_slope(r, 0.5);
        st.regret[s] = r->regret;
        dsim_policy_free(policy);
        dsim_bandit_free(b);
    }
    free(r);
    dsim_policy_config_free(pc);
    dsim_bandit_config_free(cfg);
    return st;
}

/* Chapelle & Li (2011), Fig. 1: Thompson sampling's regret grows like C ln T, C = 44.7 (Lai & Robbins'
   asymptotic constant), and UCB1's faster. At 10^5 rounds (the benchmark runs 10^6) the finite-time slope
   of the second half sits below C: 39.6 = 0.89 C pooled over 500 fresh seeds, SD 10 per seed. Averaged
   over 20 seeds its whole 95 % interval (about ±4.7) must lie in [0.65, 1.2]·C, and UCB1's above it. */
static void test_bandit__thompson_regret_grows_like_lai_robbins(void **state)
{
    (void)state;
    enum { SEEDS = 20 };
    study ts = run_study("chapelle_li", "thompson", "", SEEDS, 100000);
    study ucb = run_study("chapelle_li", "ucb1", "", SEEDS, 100000);
    dsim_estimate ts_slope = dsim_metrics_estimate_mean(ts.slope, SEEDS), ucb_slope = dsim_metrics_estimate_mean(ucb.slope, SEEDS);
    printf("# regret / ln t: thompson %.1f ± %.1f, ucb1 %.1f ± %.1f; C = 44.7\n", ts_slope.mean,
           ts_slope.half_width, ucb_slope.mean, ucb_slope.half_width);
    assert_true(ts_slope.mean - ts_slope.half_width >= 0.65 * 44.7);
    assert_true(ts_slope.mean + ts_slope.half_width <= 1.2 * 44.7);
    assert_true(ucb_slope.mean - ucb_slope.half_width > ts_slope.mean + ts_slope.half_width);
}

/* Partial identification by hand: prices 1.0, 0.8, …, 0.2 (levels 0 … 4); two equal segments without
   spread, valuations 0.5 and 0.9. Once every price has been tried, v̂ = 0.5 and 0.9 and δ̂ = 0, so profit
   bounds are exact: 0, 0.4, 0.3, 0.4, 0.2 at prices 1.0 … 0.2. Prices 1.0, 0.6 and 0.2 are dominated by
   0.4 and 0.8 (UB below another's LB) and must never be played again. */
static void test_bandit__ucb_pi_never_plays_a_dominated_price(void **state)
{
    (void)state;
    static const double levels[5] = {0, 0.2, 0.4, 0.6, 0.8};
    dsim_policy_env env = {.n_levels = 5, .levels = levels, .objective = DSIM_OBJECTIVE_REVENUE,
                           .reward_scale = 1, .mean_price = 1, .n_categories = 1, .n_customers = 1, .n_groups = 2};
    const double valuation[2] = {0.5, 0.9};
    dsim_policy_config *cfg = NULL;
    dsim_policy *policy = NULL;
    ASSERT_OK(dsim_policy_config_parse(&cfg, "[policy]\ntype = ucb_pi\n", "ucb_pi.ini"));
    ASSERT_OK(dsim_policy_alloc(&policy, cfg, &env));
    gsl_rng *rng = dsim_rng_alloc();
    int plays[5] = {0};
    for (int t = 0; t < 2000; t++) {
        dsim_context ctx = {.visit = (uint64_t)t};
        dsim_action act;
        dsim_policy_act(policy, &ctx, NULL, rng, false, &act);
        double price = 1 - levels[act.level];
        dsim_unit_outcome units[2] = {{0, valuation[0] >= price}, {1, valuation[1] >= price}};
        dsim_feedback fb = {.level = act.level, .n_units = 2, .units = units,
                            .reward = price * (units[0].bought + units[1].bought) / 2.0};
        fb.purchased = fb.reward > 0;
        ASSERT_OK(dsim_policy_learn(policy, &ctx, &fb));
        if (t >= 5)
            plays[act.level]++;
    }
    printf("# plays after the first five rounds, prices 1.0 … 0.2: %d %d %d %d %d\n", plays[0], plays[1], plays[2],
           plays[3], plays[4]);
    assert_true(plays[0] == 0 && plays[2] == 0 && plays[4] == 0);
    assert_true(plays[1] + plays[3] == 1995);
    gsl_rng_free(rng);
    dsim_policy_free(policy);
    dsim_policy_config_free(cfg);
}

/* Misra et al. (2019), introduction: linear demand 3(1 − p), 1,000 periods. The paper's UCB-tuned earns
   95 % of the optimal profit; ucb_pi's tuned index (which without purchase data reduces to a price-scaled
   UCB-tuned) must too: its mean over 1,000 seeds within 0.5 points of 95 (the paper's rounding; the mean
   over 1,000 seeds varies by SD 0.09, pooled 95.09), and beat UCB1 with the intervals apart. */
static void test_bandit__ucb_pi_earns_95_percent_in_misra_intro(void **state)
{
    (void)state;
    study tuned = run_study("misra_intro", "ucb_pi", "tuned = 1\n", 1000, 0);
    study ucb = run_study("misra_intro", "ucb1", "", 100, 0);
    dsim_estimate t = dsim_metrics_estimate_mean(tuned.percent, 1000), u = dsim_metrics_estimate_mean(ucb.percent, 100);
    printf("# %% of optimum: ucb_pi tuned %.2f ± %.2f (1,000 seeds), ucb1 %.2f ± %.2f (100 seeds)\n", t.mean,
           t.half_width, u.mean, u.half_width);
    assert_true(fabs(t.mean - 95.0) <= 0.5);
    assert_true(t.mean - t.half_width > u.mean + u.half_width);
}

/* Misra et al. (2019), main simulation (§4.1): 100 prices, 1,000 segments, 200,000 periods of 10 consumers.
   The paper reports UCB-PI (untuned) at about 90 % of the optimal profit and UCB1 at about 50 %; on 4 seeds
   each must land within 5 points, and UCB-PI's interval above UCB1's. */
static void test_bandit__ucb_pi_reproduces_misra_main(void **state)
{
    (void)state;
    study pi = run_study("misra_main", "ucb_pi", "", 4, 0);
    study ucb = run_study("misra_main", "ucb1", "", 4, 0);
    dsim_estimate p = dsim_metrics_estimate_mean(pi.percent, 4), u = dsim_metrics_estimate_mean(ucb.percent, 4);
    printf("# %% of optimum after 200,000 periods: ucb_pi %.1f ± %.1f, ucb1 %.1f ± %.1f\n", p.mean, p.half_width,
           u.mean, u.half_width);
    assert_true(fabs(p.mean - 90) <= 5 && fabs(u.mean - 50) <= 5);
    assert_true(p.mean - p.half_width > u.mean + u.half_width);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bandit__files_are_read_and_checked),
        cmocka_unit_test(test_bandit__arm_means_match_hand_computation),
        cmocka_unit_test(test_bandit__valuation_draws_follow_the_expected_reward),
        cmocka_unit_test(test_bandit__thompson_regret_grows_like_lai_robbins),
        cmocka_unit_test(test_bandit__ucb_pi_never_plays_a_dominated_price),
        cmocka_unit_test(test_bandit__ucb_pi_earns_95_percent_in_misra_intro),
        cmocka_unit_test(test_bandit__ucb_pi_reproduces_misra_main),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
