/*
 * test_linear.c — the linear machinery of the contextual agents: the Cholesky ridge model against a batch
 * solution and over 10^7 updates, the argmax probabilities of independent Gaussians, the feature vector
 * on a hand-made context, and LinUCB / linear TS on a synthetic problem whose rewards are exactly linear
 * in the features.
 *
 * Pass rate on fresh seeds (DSIM_SEED_OFFSET = k · 10^6, k = 1…50): 50 of 50.
 */
#include <math.h>
#include <string.h>

#include <gsl/gsl_cdf.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_linalg.h>
#include <gsl/gsl_randist.h>

#include "dsim/features.h"
#include "dsim/rng.h"
#include "helpers.h"
#include "policy/policy_impl.h"

/* θ and xᵀA⁻¹x after online updates equal the batch ridge solution (GSL Cholesky of A = λI + Σ w x xᵀ). */
static void test_linear__ridge_matches_the_batch_solution(void **state)
{
    (void)state;
    enum { D = 7, N = 300 };
    const double lambda = 0.5;
    gsl_rng *rng = dsim_rng_alloc();
    dsim_rng_key(rng, test_seed(11), 0, 0);
    dsim__ridge r;
    ASSERT_OK(dsim__ridge_init(&r, D, lambda));
    gsl_matrix *a = gsl_matrix_alloc(D, D);
    gsl_vector *b = gsl_vector_calloc(D), *theta = gsl_vector_alloc(D);
    gsl_matrix_set_identity(a);
    gsl_matrix_scale(a, lambda);
    double x[D];
    for (int n = 0; n < N; n++) {
        for (int i = 0; i < D; i++)
            x[i] = gsl_ran_gaussian(rng, 1.0);
        double y = gsl_ran_gaussian(rng, 2.0), w = 0.1 + gsl_rng_uniform(rng);
        ASSERT_OK(dsim__ridge_update(&r, x, y, w));
        for (int i = 0; i < D; i++) {
            gsl_vector_set(b, i, gsl_vector_get(b, i) + w * y * x[i]);
            for (int j = 0; j < D; j++)
                gsl_matrix_set(a, i, j, gsl_matrix_get(a, i, j) + w * x[i] * x[j]);
        }
    }
    gsl_matrix *chol = gsl_matrix_alloc(D, D);
    gsl_matrix_memcpy(chol, a);
    assert_int_equal(gsl_linalg_cholesky_decomp1(chol), 0);
    gsl_linalg_cholesky_solve(chol, b, theta);
    for (int i = 0; i < D; i++)
        assert_float_equal(r.theta[i], gsl_vector_get(theta, i), 1e-10 * (1 + fabs(gsl_vector_get(theta, i))));
    gsl_vector *xv = gsl_vector_alloc(D), *ax = gsl_vector_alloc(D);
    for (int i = 0; i < D; i++)
        gsl_vector_set(xv, i, x[i] = cos(i + 1.0));
    gsl_linalg_cholesky_solve(chol, xv, ax);
    double expected = 0;
    for (int i = 0; i < D; i++)
        expected += x[i] * gsl_vector_get(ax, i);
    assert_float_equal(dsim__ridge_width2(&r, x), expected, 1e-12 * expected);
    assert_int_equal(r.n, N);

    /* Non-finite input is refused with a message, never absorbed into the model. */
    x[2] = NAN;
    assert_int_equal(dsim__ridge_update(&r, x, 1.0, 1.0), DSIM_ENUMERIC);
    assert_non_null(strstr(dsim_errmsg(), "non-finite feature 2"));
    x[2] = 0;
    assert_int_equal(dsim__ridge_update(&r, x, INFINITY, 1.0), DSIM_ENUMERIC);
    assert_int_equal(r.n, N);

    gsl_vector_free(xv);
    gsl_vector_free(ax);
    gsl_matrix_free(chol);
    gsl_matrix_free(a);
    gsl_vector_free(b);
    gsl_vector_free(theta);
    dsim__ridge_free(&r);
    gsl_rng_free(rng);
}

/*
 * 10^7 updates: y = θ*·x + N(0, 0.1²) with x ~ N(0, I). The estimate must sit within 5 standard errors
 * (0.1 / √n per coordinate) of θ*, and the width xᵀA⁻¹x of a unit vector must match 1/n to 1 %: a factor
 * that drifted would show in both.
 */
static void test_linear__ridge_is_stable_over_ten_million_updates(void **state)
{
    (void)state;
    enum { D = 4 };
    const long n = 10000000;
    const double truth[D] = {0.5, -1.25, 2.0, 0.125}, sigma = 0.1;
    gsl_rng *rng = dsim_rng_alloc();
    dsim_rng_key(rng, test_seed(12), 0, 0);
    dsim__ridge r;
    ASSERT_OK(dsim__ridge_init(&r, D, 1.0));
    double x[D];
    for (long t = 0; t < n; t++) {
        double y = 0;
        for (int i = 0; i < D; i++) {
            x[i] = gsl_ran_gaussian_ziggurat(rng, 1.0);
            y += truth[i] * x[i];
        }
        ASSERT_OK(dsim__ridge_update(&r, x, y + gsl_ran_gaussian_ziggurat(rng, sigma), 1.0));
    }
    for (int i = 0; i < D; i++)
        assert_float_equal(r.theta[i], truth[i], 5 * sigma / sqrt((double)n));
    double unit[D] = {1, 0, 0, 0};
    assert_float_equal(dsim__ridge_width2(&r, unit) * (double)n, 1.0, 0.01);
    dsim__ridge_free(&r);
    gsl_rng_free(rng);
}

/* The interleaved all-levels solve gives exactly what the one-model calls give. */
static void test_linear__all_levels_at_once_match_one_model_at_a_time(void **state)
{
    (void)state;
    static const double levels[4] = {0, 0.1, 0.2, 0.3};
    dsim_policy_env env = {.n_levels = 4, .levels = levels, .reward_scale = 1, .mean_price = 40, .n_categories = 3,
                           .features = DSIM_FEATURES_ALL};
    dsim__linear_arms arms;
    ASSERT_OK(dsim__linear_arms_init(&arms, &env, 0.7));
    gsl_rng *rng = dsim_rng_alloc();
    dsim_rng_key(rng, test_seed(14), 0, 0);
    double x[DSIM_MAX_FEATURE_DIM];
    for (int n = 0; n < 500; n++) {
        for (int i = 0; i < arms.map.dim; i++)
            x[i] = gsl_rng_uniform(rng);
        ASSERT_OK(dsim__ridge_update(&arms.model[n % 4], x, gsl_rng_uniform(rng), 1.0));
    }
    double mean[4], width2[4];
    dsim__linear_arms_scores(&arms, x, mean, width2);
    for (int l = 0; l < 4; l++) {
        assert_true(mean[l] == dsim__ridge_predict(&arms.model[l], x));
        assert_true(width2[l] == dsim__ridge_width2(&arms.model[l], x));
    }
    dsim__linear_arms_free(&arms);
    gsl_rng_free(rng);
}

/* An act remembers its solves (computed across levels at once on interleaved factors: the same bits as the
   plain solves), and the learn on the same context updates θ by Sherman–Morrison from them
   (one backward solve); a learn without an act re-solves from b. Both must reach the same models, and a
   learn whose remembered solve is stale (another update of that level came between) must not use it. */
static void test_linear__remembered_solves_give_the_same_models(void **state)
{
    (void)state;
    static const double levels[3] = {0, 0.1, 0.2};
    dsim_policy_env env = {.n_levels = 3, .levels = levels, .reward_scale = 1, .mean_price = 40, .mean_cost = 30,
                           .objective = DSIM_OBJECTIVE_PROFIT, .n_categories = 3, .features = DSIM_FEATURES_ALL};
    dsim__linear_arms remembered, plain;
    ASSERT_OK(dsim__linear_arms_init(&remembered, &env, 1.0));
    ASSERT_OK(dsim__linear_arms_init(&plain, &env, 1.0));
    gsl_rng *rng = dsim_rng_alloc();
    dsim_rng_key(rng, test_seed(15), 0, 0);
    double mean[3], width2[3];
    int remembered_steps = 0, differing_bits = 0;
    for (int t = 0; t < 3000; t++) {
        dsim_context ctx = {.visit = (uint64_t)t, .shopper = (uint32_t)(t % 7), .n_visits = (uint32_t)(t % 9),
                            .days_since_visit = gsl_rng_uniform(rng) * 40, .days_since_purchase = -1,
                            .purchase_rate = gsl_rng_uniform(rng), .recent_discount_rate = gsl_rng_uniform(rng),
                            .mean_price = 20 + 40 * gsl_rng_uniform(rng), .mean_score = gsl_rng_uniform(rng),
                            .top_category = t % 3, .budget_left = 1};
        dsim_feedback fb = {.level = t % 3, .reward = 30 * gsl_rng_uniform(rng)};
        dsim__linear_arms_scores_for(&remembered, &ctx, mean, width2);
        double mean_plain[3], width2_plain[3]; /* the act's vector path gives the plain path's bits */
        dsim__linear_arms_scores(&remembered, remembered.memo.x, mean_plain, width2_plain);
        for (int l = 0; l < 3; l++)
            assert_true(mean[l] == mean_plain[l] && width2[l] == width2_plain[l]);
        if (t % 10 == 0) { /* a stale memo: the level is updated between the act and its learn */
            dsim_context other = ctx;
            other.visit += 100000;
            ASSERT_OK(dsim__linear_arms_learn(&remembered, &other, &fb));
            ASSERT_OK(dsim__linear_arms_learn(&plain, &other, &fb));
        }
        ASSERT_OK(dsim__linear_arms_learn(&remembered, &ctx, &fb));
        ASSERT_OK(dsim__linear_arms_learn(&plain, &ctx, &fb));
        /* Factor and b are updated by the same code on both paths, so a learn that re-solved (a refused, stale
           memo) leaves θ with the plain path's exact bits; Sherman–Morrison leaves it within rounding. */
        size_t bytes = sizeof(double) * (size_t)plain.map.dim;
        bool same = memcmp(remembered.model[fb.level].theta, plain.model[fb.level].theta, bytes) == 0;
        if (t % 10 == 0) {
            assert_true(same);
        } else {
            remembered_steps++;
            differing_bits += !same;
        }
    }
    for (int l = 0; l < 3; l++)
        for (int i = 0; i < plain.map.dim; i++)
            assert_float_equal(remembered.model[l].theta[i], plain.model[l].theta[i],
                               1e-9 * fmax(1, fabs(plain.model[l].theta[i])));
    printf("# %d of %d remembered learns left θ off the plain path's bits (the memo was used)\n", differing_bits,
           remembered_steps);
    assert_true(differing_bits > remembered_steps / 2);
    dsim__linear_arms_free(&remembered);
    dsim__linear_arms_free(&plain);
    gsl_rng_free(rng);
}

static void test_linear__gaussian_argmax_probabilities(void **state)
{
    (void)state;
    gsl_set_error_handler_off(); /* as dsim_policy_alloc does */
    gsl_integration_workspace *table = dsim__gaussian_argmax_workspace();
    double p[DSIM_MAX_LEVELS];

    /* Two scores: P(X1 > X2) = Φ((μ1 − μ2) / √(σ1² + σ2²)). */
    double mean2[2] = {0.3, 0.1}, sd2[2] = {0.2, 0.5};
    dsim__gaussian_argmax_probabilities(table, mean2, sd2, 2, p);
    assert_float_equal(p[0], gsl_cdf_ugaussian_P(0.2 / sqrt(0.04 + 0.25)), 1e-9);
    assert_float_equal(p[0] + p[1], 1.0, 1e-15);

    /* Exchangeable scores are equally likely to win. */
    double mean3[3] = {1, 1, 1}, sd3[3] = {2, 2, 2};
    dsim__gaussian_argmax_probabilities(table, mean3, sd3, 3, p);
    for (int l = 0; l < 3; l++)
        assert_float_equal(p[l], 1.0 / 3, 1e-9);

    /* Point masses: the highest wins, and a tie goes to the lowest index. */
    double mean_pm[3] = {1, 2, 2}, sd_pm[3] = {0, 0, 0};
    dsim__gaussian_argmax_probabilities(table, mean_pm, sd_pm, 3, p);
    assert_true(p[0] == 0 && p[1] == 1 && p[2] == 0);

    /* Against Monte Carlo: within 5 standard errors of 10^6 draws. */
    double mean[5] = {0.1, 0.4, 0.35, -0.2, 0.38}, sd[5] = {0.3, 0.05, 0.2, 1.0, 0.01};
    dsim__gaussian_argmax_probabilities(table, mean, sd, 5, p);
    gsl_rng *rng = dsim_rng_alloc();
    dsim_rng_key(rng, test_seed(13), 0, 0);
    const int draws = 1000000;
    double wins[5] = {0};
    for (int i = 0; i < draws; i++) {
        double best = -INFINITY;
        int arg = 0;
        for (int l = 0; l < 5; l++) {
            double v = mean[l] + gsl_ran_gaussian_ziggurat(rng, sd[l]);
            if (v > best)
                best = v, arg = l;
        }
        wins[arg]++;
    }
    for (int l = 0; l < 5; l++) {
        double q = wins[l] / draws, se = sqrt(fmax(q * (1 - q), 1e-12) / draws);
        if (fabs(p[l] - q) > 5 * se + 1e-9)
            fail_msg("level %d: quadrature %.6f, Monte Carlo %.6f ± %.6f", l, p[l], q, se);
    }
    gsl_rng_free(rng);
    gsl_integration_workspace_free(table);
}

static void test_linear__features_of_a_hand_made_context(void **state)
{
    (void)state;
    const double levels[3] = {0, 0.1, 0.2};
    dsim_policy_env env = {.mean_price = 40, .n_categories = 4, .n_levels = 3, .levels = levels};
    uint32_t slate[2] = {0, 1};
    float scores[2] = {0.5f, 0.25f};
    dsim_context ctx = {
        .n_visits = 4, .n_purchases = 2, .n_discounted_purchases = 1, .days_since_visit = 6,
        .days_since_purchase = -1, .purchase_rate = 0.5, .recent_discount_rate = 0.3,
        .recent_discount_level = 0.05, .slate_size = 2,
        .slate = slate, .scores = scores, .mean_price = 80, .mean_score = 0.375, .top_category = 2,
        .budget_left = 0.25,
    };
    assert_int_equal(dsim_features_dim(DSIM_FEATURES_ALL, &env), 14);
    double x[DSIM_MAX_FEATURE_DIM];
    dsim_features_build(DSIM_FEATURES_ALL, &env, &ctx, x);
    const double expected[14] = {1, log(5.0) / log(101.0), log(7.0) / log(366.0), 1, 0.5, 0.5, 0.3, 0.25, 0.375,
                                 log(2.0), 0, 1, 0, 0.25};
    for (int i = 0; i < 14; i++)
        assert_float_equal(x[i], expected[i], 1e-15);

    uint32_t mask;
    ASSERT_OK(dsim_features_parse("bias, conversion,slate_price", &mask));
    assert_int_equal(mask, (1u << DSIM_FEATURE_BIAS) | (1u << DSIM_FEATURE_CONVERSION) |
                               (1u << DSIM_FEATURE_SLATE_PRICE));
    dsim_features_build(mask, &env, &ctx, x);
    assert_true(x[0] == 1 && x[1] == 0.5 && x[2] == log(2.0));

    /* Scope item: the slate's score, price and category give way to the priced item's. */
    dsim_context item = ctx;
    item.for_item = true, item.item_score = 0.25, item.item_price = 20, item.item_category = 3;
    dsim_features_build(DSIM_FEATURES_ALL, &env, &item, x);
    assert_true(x[8] == 0.25 && x[9] == log(0.5) && x[10] == 0 && x[11] == 0 && x[12] == 1);

    /* The tabular state: back after 6 days (1), never bought (0), taught 0.05 of 0.2 = 1/4 (bucket 4). */
    const int B = DSIM_DISCOUNT_BUCKETS;
    assert_int_equal(dsim_features_state(&ctx, 0.2), B * (3 * 1 + 0) + 4);
    ctx.days_since_visit = -1, ctx.days_since_purchase = 45, ctx.recent_discount_level = 0.19;
    assert_int_equal(dsim_features_state(&ctx, 0.2), B * (0 + 2) + 5);
    /* The buckets double: below 1/32 of the top level, then [1/32, 1/16), … */
    const double taught[] = {0, 0.0062, 0.0063, 0.0124, 0.0126, 0.049, 0.051, 0.099, 0.1};
    const int bucket[] = {0, 0, 1, 1, 2, 3, 4, 4, 5};
    for (int i = 0; i < 9; i++) {
        ctx.recent_discount_level = taught[i];
        assert_int_equal(dsim_features_state(&ctx, 0.2), B * 2 + bucket[i]);
    }
    assert_int_equal(dsim_features_state(&ctx, 0), B * 2); /* no discount levels: bucket 0 */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_linear__ridge_matches_the_batch_solution),
        cmocka_unit_test(test_linear__ridge_is_stable_over_ten_million_updates),
        cmocka_unit_test(test_linear__all_levels_at_once_match_one_model_at_a_time),
        cmocka_unit_test(test_linear__remembered_solves_give_the_same_models),
        cmocka_unit_test(test_linear__gaussian_argmax_probabilities),
        cmocka_unit_test(test_linear__features_of_a_hand_made_context),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
