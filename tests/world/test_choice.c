/*
 * test_choice.c — the choice model: exact probabilities against a hand computation and against the
 * visit's own draws, monotonicity in price and discount, and the shopper state updates.
 *
 * Pass rate on fresh draws (DSIM_SEED_OFFSET = k · 10^6 on the draw keys, k = 1…50; the world stays the
 * one chosen): 50 of 50, the largest deviation 3.6 SE in 750 checks of 5 SE.
 */
#include <math.h>
#include <string.h>

#include "dsim/rng.h"
#include "dsim/world.h"
#include "world/engine.h"
#include "helpers.h"

static const char two_item_market[] = "[scenario]\nshoppers = 10\nseed = 5\n"
                                      "[catalog]\nitems = 20\ncategories = 2\nembedding_dim = 4\nprice_sigma = 0.5\n"
                                      "[behaviour]\nslate_size = 2\noutside_utility = 1\nposition_penalty = 0.3\n"
                                      "examine_top = 0.9\nexamine_decay = 0.7\nclick_bias = 0.5\ntaste_weight = 2\n"
                                      "[discounts]\nlevels = 0, 20\n"
                                      "[segment.a]\nshare = 1\nelasticity_mean = 2\nelasticity_sd = 0.5\n"
                                      "deal_proneness_mean = 0.4\nloss_aversion = 2\ninitial_reference = 0.1\n"
                                      "memory = 0.6\naffinity = 0.7\n";

typedef struct {
    dsim_scenario *sc;
    dsim_world *w;
} market;

static market market_from(const char *text)
{
    market m = {0};
    ASSERT_OK(dsim_scenario_parse(&m.sc, text, "market.ini"));
    ASSERT_OK(dsim_world_alloc(&m.w, m.sc, m.sc->seed));
    return m;
}

static void market_free(market *m)
{
    dsim_world_free(m->w);
    dsim_scenario_free(m->sc);
}

/* The model of dsim/world.h, written out again independently for one position. */
static double hand_relative_utility(const market *m, uint32_t u, uint32_t item, int position, double d)
{
    const dsim_scenario *sc = m->sc;
    const float *eu = dsim_world_shopper_taste(m->w, u), *ei = dsim_world_item_taste(m->w, item);
    double dot = 0;
    for (int j = 0; j < sc->catalog.embedding_dim; j++)
        dot += (double)eu[j] * ei[j];
    double r = dsim_world_reference_discount(m->w, u);
    double x = log(dsim_world_item_price(m->w, item) * (1 - d) / (sc->catalog.price_median * (1 - r)));
    double kappa = sc->segments[0].loss_aversion;
    double price_term = x <= 0 ? x : kappa * x;
    return sc->behaviour.taste_weight * dot + sc->segments[0].affinity - sc->behaviour.position_penalty * position -
           dsim_world_shopper_elasticity(m->w, u) * price_term + (d > 0 ? dsim_world_shopper_deal_proneness(m->w, u) : 0) -
           sc->behaviour.outside_utility;
}

static void test_choice__probabilities_match_hand_computation(void **state)
{
    (void)state;
    market m = market_from(two_item_market);
    uint32_t slate[2] = {3, 11}, u = 4;
    for (int level = 0; level < 2; level++) {
        double d = m.sc->discounts.levels[level];
        double v0 = hand_relative_utility(&m, u, slate[0], 0, d);
        double v1 = hand_relative_utility(&m, u, slate[1], 1, d);
        double eta0 = 0.9, eta1 = 0.9 * 0.7, b = 0.5;
        double q0 = eta0 / (1 + exp(-(v0 + b))), q1 = eta1 / (1 + exp(-(v1 + b)));
        double w0 = exp(v0), w1 = exp(v1);
        /* Click sets {0}, {1}, {0,1}; the outside option has weight e^0 = 1. */
        double p0 = q0 * (1 - q1) * w0 / (1 + w0) + q0 * q1 * w0 / (1 + w0 + w1);
        double p1 = (1 - q0) * q1 * w1 / (1 + w1) + q0 * q1 * w1 / (1 + w0 + w1);
        double p[3];
        { dsim__slate_model sm_; dsim__world_slate_model(m.w, u, slate, 2, &sm_); dsim__slate_purchase_probabilities(&sm_, level, p); }
        printf("# hand p = (%.9f, %.9f), model p = (%.9f, %.9f), largest difference %.2e\n", p0, p1, p[0], p[1],
               fmax(fabs(p[0] - p0), fabs(p[1] - p1)));
        /* Prices are stored as floats: allow 1e-6. */
        assert_true(fabs(p[0] - p0) < 1e-6);
        assert_true(fabs(p[1] - p1) < 1e-6);
        assert_true(fabs(p[0] + p[1] + p[2] - 1.0) < 1e-12);
    }
    market_free(&m);
}

/* E[Σ_{j∈C} a_j w_j / (1 + Σ_{j∈C} w_j)] by plain enumeration of the 2^k click sets, one lane. */
static double enumerated_expectation(const dsim__slate_model *m, int lane)
{
    double sum = 0;
    for (int set = 0; set < 1 << m->k; set++) {
        double p = 1, num = 0, den = 1;
        for (int j = 0; j < m->k; j++) {
            bool clicked = set >> j & 1;
            p *= clicked ? m->click[j][lane] : 1 - m->click[j][lane];
            if (clicked) {
                num += m->value[j][lane] * m->weight[j][lane];
                den += m->weight[j][lane];
            }
        }
        sum += p * num / den;
    }
    return sum;
}

/* The engine's expectation (meet in the middle, batch inversion of the denominators) against enumeration,
   for weights from 1e-3 to 1e3 and for weights near 1e60, whose running products overflow and send the
   expectation to its direct-division path. */
static void test_choice__expected_rewards_match_enumeration_of_click_sets(void **state)
{
    (void)state;
    gsl_rng *rng = dsim_rng_alloc();
    dsim_rng_key(rng, test_seed(7), 0, 0);
    for (int scale = 0; scale < 2; scale++)
        for (int k = 1; k <= DSIM_MAX_SLATE; k++) {
            dsim__slate_model m = {.k = k, .n_levels = DSIM_LANES, .demand = dsim_scenario_demand_find("mnl")};
            for (int j = 0; j < k; j++)
                for (int l = 0; l < DSIM_LANES; l++) {
                    m.click[j][l] = gsl_rng_uniform(rng);
                    m.weight[j][l] = scale == 0 ? pow(10, 6 * gsl_rng_uniform(rng) - 3)
                                                : pow(10, 55 + 10 * gsl_rng_uniform(rng));
                    m.value[j][l] = 100 * gsl_rng_uniform(rng);
                }
            double expected[DSIM_MAX_LEVELS];
            dsim__slate_expected_rewards(&m, expected);
            for (int l = 0; l < DSIM_LANES; l++) {
                double exact = enumerated_expectation(&m, l);
                assert_true(fabs(expected[l] - exact) <= 1e-12 * exact);
            }
        }
    gsl_rng_free(rng);
}

static void test_choice__probabilities_sum_to_one_and_agree_with_expected_rewards(void **state)
{
    (void)state;
    dsim_scenario *sc = load_shipped_scenario("default");
    dsim_world *w = NULL;
    ASSERT_OK(dsim_world_alloc(&w, sc, 1));
    uint32_t slate[6] = {5, 17, 99, 400, 801, 3};
    for (uint32_t u = 0; u < 50; u++) {
        double expected[DSIM_MAX_LEVELS];
        { dsim__slate_model sm_; dsim__world_slate_model(w, u * (dsim_world_n_shoppers(w) / 50), slate, 6, &sm_); dsim__slate_expected_rewards(&sm_, expected); }
        for (int l = 0; l < sc->discounts.n_levels; l++) {
            double p[7], sum = 0, profit = 0;
            { dsim__slate_model sm_; dsim__world_slate_model(w, u * (dsim_world_n_shoppers(w) / 50), slate, 6, &sm_); dsim__slate_purchase_probabilities(&sm_, l, p); }
            for (int j = 0; j < 7; j++) {
                assert_true(p[j] >= 0 && p[j] <= 1);
                sum += p[j];
            }
            for (int j = 0; j < 6; j++)
                profit += p[j] * (dsim_world_item_price(w, slate[j]) * (1 - sc->discounts.levels[l]) -
                                  dsim_world_item_cost(w, slate[j]));
            assert_true(fabs(sum - 1) < 1e-12);
            assert_true(fabs(profit - expected[l]) < 1e-9 * fmax(1, fabs(profit)));
        }
    }
    dsim_world_free(w);
    dsim_scenario_free(sc);
}

/* 200,000 independent visits of one shopper to one slate (reference memory 1, so nothing moves): each
   outcome's frequency must lie within 5 standard errors of its exact probability, for every demand model. */
static void draws_follow_the_exact_probabilities(const char *demand)
{
    char text[512];
    snprintf(text, sizeof text,
             "[scenario]\nshoppers = 5\n[catalog]\nitems = 30\nembedding_dim = 4\n"
             "[behaviour]\nslate_size = 3\noutside_utility = 1\ndemand = %s\nvaluation_noise = 0.3\nvaluation_scale = 70\n"
             "[segment.a]\nshare = 1\nmemory = 1\nvaluation_a = 3\nvaluation_b = 4\n", demand);
    market m = market_from(text);
    uint32_t slate[3] = {2, 7, 19}, u = 1;
    const int n = 200000, level = 2;
    double p[4], count[4] = {0};
    dsim__slate_model model;
    dsim__world_slate_model(m.w, u, slate, 3, &model);
    dsim__slate_purchase_probabilities(&model, level, p);
    gsl_rng *rng = dsim_rng_alloc();
    for (int t = 0; t < n; t++) {
        dsim_outcome o;
        dsim_rng_key(rng, test_seed(99), DSIM_STREAM_CHOICE, (uint64_t)t);
        dsim__world_visit(m.w, &model, level, rng, &o);
        count[o.position >= 0 ? o.position : 3]++;
    }
    for (int j = 0; j < 4; j++) {
        double f = count[j] / n, se = sqrt(p[j] * (1 - p[j]) / n);
        printf("# %s outcome %d: exact %.5f, drawn %.5f (%.1f SE)\n", demand, j, p[j], f, (f - p[j]) / se);
        assert_true(p[j] * n > 100); /* every outcome is drawn often enough for the check to have power */
        assert_true(fabs(f - p[j]) < 5 * se);
    }
    gsl_rng_free(rng);
    market_free(&m);
}

static void test_choice__draws_follow_the_exact_probabilities(void **state)
{
    (void)state;
    draws_follow_the_exact_probabilities("mnl");
    draws_follow_the_exact_probabilities("valuation");
    draws_follow_the_exact_probabilities("linear");
}

/* A level per item (discount scope `item`): the mixed expectation agrees with the uniform one when the levels
   agree, and with the mean reward of 200,000 draws (within 5 standard errors) when they differ. */
static void mixed_levels_match_their_draws(const char *demand)
{
    char text[512];
    snprintf(text, sizeof text,
             "[scenario]\nshoppers = 5\n[catalog]\nitems = 30\nembedding_dim = 4\n"
             "[behaviour]\nslate_size = 3\noutside_utility = 1\ndemand = %s\nvaluation_noise = 0.3\n"
             "valuation_scale = 70\n[segment.a]\nshare = 1\nmemory = 1\nvaluation_a = 3\nvaluation_b = 4\n",
             demand);
    market m = market_from(text);
    uint32_t slate[3] = {2, 7, 19};
    dsim__slate_model model;
    dsim__world_slate_model(m.w, 1, slate, 3, &model);
    double uniform[DSIM_MAX_LEVELS], varied[DSIM_MAX_LEVELS], one;
    dsim__slate_expected_rewards(&model, uniform);
    int levels[3] = {2, 2, 2};
    dsim__slate_expected_rewards_mixed(&model, levels, -1, &one);
    assert_true(fabs(one - uniform[2]) < 1e-12 * fmax(1, uniform[2]));
    dsim__slate_expected_rewards_mixed(&model, levels, 1, varied);
    assert_true(fabs(varied[2] - uniform[2]) < 1e-12 * fmax(1, uniform[2]));

    int mixed[3] = {0, 5, 3};
    dsim__slate_expected_rewards_mixed(&model, mixed, -1, &one);
    dsim__slate_expected_rewards_mixed(&model, mixed, 1, varied);
    assert_true(fabs(varied[5] - one) < 1e-12 * fmax(1, one));
    const int n = 200000;
    double sum = 0, sum2 = 0;
    gsl_rng *rng = dsim_rng_alloc();
    for (int t = 0; t < n; t++) {
        dsim_outcome o;
        dsim_rng_key(rng, test_seed(7), DSIM_STREAM_CHOICE, (uint64_t)t);
        dsim__world_visit_items(m.w, &model, mixed, rng, &o);
        sum += o.reward;
        sum2 += o.reward * o.reward;
    }
    double mean = sum / n, se = sqrt((sum2 / n - mean * mean) / n);
    printf("# %s, levels (0, 5, 3): expected %.4f, drawn %.4f (%.1f SE)\n", demand, one, mean, (mean - one) / se);
    assert_true(fabs(mean - one) < 5 * se);
    gsl_rng_free(rng);
    market_free(&m);
}

static void test_choice__a_level_per_item_matches_its_draws(void **state)
{
    (void)state;
    mixed_levels_match_their_draws("mnl");
    mixed_levels_match_their_draws("valuation");
    mixed_levels_match_their_draws("linear");
}

/* Every item at the median price 40, two positions examined with η = 0.9 and 0.63. */
static const char scan_market[] = "[scenario]\nshoppers = 50\n[catalog]\nitems = 10\nprice_sigma = 0\n"
                                  "price_median = 40\nmargin_min = 0.3\nmargin_max = 0.3\n"
                                  "[behaviour]\nslate_size = 2\nexamine_top = 0.9\nexamine_decay = 0.7\n"
                                  "valuation_noise = 0.1\n"
                                  "[discounts]\nlevels = 0, 20\nobjective = revenue\n"
                                  "[segment.a]\nshare = 1\nvaluation_a = 9\nvaluation_b = 2\n"
                                  "linear_intercept = 1.2\nlinear_slope = 0.9\n";

/* valuation: one perturbation δ ~ U[−4, 4] per visit (0.1 × the highest price, 40), so both positions are
   affordable together with probability A = clamp((W + 4 − 40 (1 − d)) / 8); position 1 is bought when
   position 0 was not examined. */
static void test_choice__valuation_demand_matches_hand_computation(void **state)
{
    (void)state;
    char text[1024];
    snprintf(text, sizeof text, "%s[behaviour]\ndemand = valuation\n", scan_market);
    market m = market_from(text);
    uint32_t slate[2] = {1, 2};
    int partial = 0;
    for (uint32_t u = 0; u < 50; u++) {
        dsim__slate_model model;
        double p[3], expected[2];
        dsim__world_slate_model(m.w, u, slate, 2, &model);
        dsim__slate_expected_rewards(&model, expected);
        for (int l = 0; l < 2; l++) {
            double paid = 40 * (1 - m.sc->discounts.levels[l]), wtp = dsim_world_shopper_valuation(m.w, u);
            double a = fmin(1, fmax(0, (wtp + 4 - paid) / 8));
            partial += a > 0 && a < 1;
            dsim__slate_purchase_probabilities(&model, l, p);
            assert_true(fabs(p[0] - 0.9 * a) < 1e-12);
            assert_true(fabs(p[1] - 0.1 * 0.63 * a) < 1e-12);
            assert_true(fabs(expected[l] - paid * (0.9 + 0.1 * 0.63) * a) < 1e-9);
        }
    }
    assert_true(partial >= 5); /* the interesting case, 0 < A < 1, did occur */
    market_free(&m);
}

/* linear: each examined position is accepted with h = clamp(1.2 − 0.9 · 40 (1 − d) / 40). */
static void test_choice__linear_demand_matches_hand_computation(void **state)
{
    (void)state;
    char text[1024];
    snprintf(text, sizeof text, "%s[behaviour]\ndemand = linear\n", scan_market);
    market m = market_from(text);
    uint32_t slate[2] = {4, 5};
    dsim__slate_model model;
    dsim__world_slate_model(m.w, 3, slate, 2, &model);
    for (int l = 0; l < 2; l++) {
        double h = 1.2 - 0.9 * (1 - m.sc->discounts.levels[l]), p[3];
        dsim__slate_purchase_probabilities(&model, l, p);
        assert_true(fabs(p[0] - 0.9 * h) < 1e-12);
        assert_true(fabs(p[1] - (1 - 0.9 * h) * 0.63 * h) < 1e-12);
        assert_true(fabs(p[2] - (1 - 0.9 * h) * (1 - 0.63 * h)) < 1e-12);
    }
    market_free(&m);
}

/* With one category and no taste spread every item tastes the same: items differ only by price. */
static void test_choice__purchase_probability_falls_with_price_and_rises_with_discount(void **state)
{
    (void)state;
    market m = market_from("[scenario]\nshoppers = 5\n[catalog]\nitems = 40\ncategories = 1\ncategory_spread = 0\n"
                           "price_sigma = 0.8\n[behaviour]\nslate_size = 1\nposition_penalty = 0\n"
                           "[segment.a]\nshare = 1\n");
    uint32_t u = 2;
    double p_prev_level = -1;
    for (int l = 0; l < m.sc->discounts.n_levels; l++) {
        uint32_t item = 0;
        double p[2];
        { dsim__slate_model sm_; dsim__world_slate_model(m.w, u, &item, 1, &sm_); dsim__slate_purchase_probabilities(&sm_, l, p); }
        assert_true(p[0] > p_prev_level);
        p_prev_level = p[0];
    }
    for (uint32_t a = 0; a < 40; a++)
        for (uint32_t b = 0; b < 40; b++) {
            if (dsim_world_item_price(m.w, a) >= dsim_world_item_price(m.w, b))
                continue;
            double pa[2], pb[2];
            { dsim__slate_model sm_; dsim__world_slate_model(m.w, u, &a, 1, &sm_); dsim__slate_purchase_probabilities(&sm_, 0, pa); }
            { dsim__slate_model sm_; dsim__world_slate_model(m.w, u, &b, 1, &sm_); dsim__slate_purchase_probabilities(&sm_, 0, pb); }
            assert_true(pa[0] > pb[0]); /* a is cheaper */
        }
    market_free(&m);
}

static void test_choice__reference_discount_moves_toward_offers_at_rate_lambda(void **state)
{
    (void)state;
    market m = market_from(two_item_market); /* memory λ = 0.6, initial reference 0.1 */
    uint32_t slate[2] = {0, 1}, u = 7;
    gsl_rng *rng = dsim_rng_alloc();
    double r = 0.1;
    int levels[] = {1, 1, 0, 1};
    for (int t = 0; t < 4; t++) {
        dsim_outcome o;
        dsim_rng_key(rng, test_seed(1), DSIM_STREAM_CHOICE, (uint64_t)t);
        { dsim__slate_model sm_; dsim__world_slate_model(m.w, u, slate, 2, &sm_); dsim__world_visit(m.w, &sm_, levels[t], rng, &o); }
        r = 0.6 * r + 0.4 * m.sc->discounts.levels[levels[t]];
        assert_true(fabs(dsim_world_reference_discount(m.w, u) - r) < 1e-6);
    }
    gsl_rng_free(rng);
    market_free(&m);
}

static void test_choice__a_churned_shopper_stays_gone(void **state)
{
    (void)state;
    market m = market_from("[scenario]\nshoppers = 5\n[catalog]\nitems = 10\n[behaviour]\nslate_size = 2\n"
                           "[segment.a]\nshare = 1\nchurn_base = 1\n");
    uint32_t slate[2] = {0, 1};
    gsl_rng *rng = dsim_rng_alloc();
    dsim_outcome o;
    assert_true(dsim_world_shopper_active(m.w, 3));
    dsim_rng_key(rng, test_seed(1), DSIM_STREAM_CHOICE, 0);
    { dsim__slate_model sm_; dsim__world_slate_model(m.w, 3, slate, 2, &sm_); dsim__world_visit(m.w, &sm_, 0, rng, &o); }
    assert_true(o.churned);
    assert_false(dsim_world_shopper_active(m.w, 3));
    assert_true(dsim_world_shopper_active(m.w, 2));
    gsl_rng_free(rng);
    market_free(&m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_choice__probabilities_match_hand_computation),
        cmocka_unit_test(test_choice__expected_rewards_match_enumeration_of_click_sets),
        cmocka_unit_test(test_choice__probabilities_sum_to_one_and_agree_with_expected_rewards),
        cmocka_unit_test(test_choice__draws_follow_the_exact_probabilities),
        cmocka_unit_test(test_choice__a_level_per_item_matches_its_draws),
        cmocka_unit_test(test_choice__valuation_demand_matches_hand_computation),
        cmocka_unit_test(test_choice__linear_demand_matches_hand_computation),
        cmocka_unit_test(test_choice__purchase_probability_falls_with_price_and_rises_with_discount),
        cmocka_unit_test(test_choice__reference_discount_moves_toward_offers_at_rate_lambda),
        cmocka_unit_test(test_choice__a_churned_shopper_stays_gone),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
