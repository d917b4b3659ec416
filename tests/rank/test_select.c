/*
 * test_select.c — the selection stage between the retrieved candidates and the slate: the recent-purchase
 * filter, category quotas (and the fill when they leave the slate short), the popularity prior, value
 * re-ranking, and the shop's online purchase model it relies on.
 *
 * Pass rate on fresh keys (DSIM_SEED_OFFSET = k · 10^6, k = 1…50): 50 of 50.
 */
#include <math.h>
#include <string.h>

#include "dsim/rank.h"
#include "dsim/rng.h"
#include "helpers.h"
#include "rank/ranker_impl.h"

enum { C = 12, K = 4 };

typedef struct {
    dsim_scenario *sc;
    dsim_world *w;
    dsim_ranker *r;
    uint32_t candidates[C];
    float scores[C];
} stage;

static stage stage_with(const char *ranking_keys)
{
    char text[1024];
    snprintf(text, sizeof text,
             "[scenario]\nshoppers = 5\n[catalog]\nitems = 40\ncategories = 4\nembedding_dim = 4\n"
             "[behaviour]\nslate_size = 4\n[segment.a]\nshare = 1\n[ranking]\ncandidates = 12\n%s",
             ranking_keys);
    stage s = {0};
    ASSERT_OK(dsim_scenario_parse(&s.sc, text, "select.ini"));
    ASSERT_OK(dsim_world_alloc(&s.w, s.sc, 9));
    ASSERT_OK(dsim_ranker_alloc(&s.r, s.w, 9));
    assert_int_equal(dsim_ranker_candidates(s.r), C);
    dsim_ranker_top_k(s.r, 2, C, s.candidates, s.scores);
    return s;
}

static void stage_free(stage *s)
{
    dsim_ranker_free(s->r);
    dsim_world_free(s->w);
    dsim_scenario_free(s->sc);
}

static int category(const stage *s, uint32_t item)
{
    return dsim_world_item_category(s->w, item);
}

/* Without any option the selection is the retrieval's order (C = K then; here C is set to 12). */
static void test_select__plain_selection_keeps_the_order_of_scores(void **state)
{
    (void)state;
    stage s = stage_with("");
    uint32_t items[K];
    float scores[K];
    dsim_ranker_select(s.r, 2, 0.0, s.candidates, s.scores, C, K, items, scores);
    assert_memory_equal(items, s.candidates, sizeof items);
    assert_memory_equal(scores, s.scores, sizeof scores);
    stage_free(&s);
}

/* The item bought less than exclude_bought_days ago is skipped; once that time has passed, it is back. */
static void test_select__a_recent_purchase_is_not_shown_again(void **state)
{
    (void)state;
    stage s = stage_with("exclude_bought_days = 2\n");
    dsim_rank_feedback bought = {2, 10.0, s.candidates, s.scores, K, 1u, 0, 0.0};
    dsim_ranker_observe(s.r, &bought);
    uint32_t items[K];
    float scores[K];
    dsim_ranker_select(s.r, 2, 11.5, s.candidates, s.scores, C, K, items, scores);
    assert_memory_equal(items, s.candidates + 1, sizeof items);
    dsim_ranker_select(s.r, 2, 12.0, s.candidates, s.scores, C, K, items, scores);
    assert_memory_equal(items, s.candidates, sizeof items);
    dsim_ranker_select(s.r, 3, 11.5, s.candidates, s.scores, C, K, items, scores); /* another shopper */
    assert_memory_equal(items, s.candidates, sizeof items);
    stage_free(&s);
}

/* Quota 1: the first candidate of each category, in score order. Quota 1 with the catalog's 4 categories
   squeezed to 2 by taking the candidates of two categories only: the two distinct picks first, then the
   best of the rest fill the slate. */
static void test_select__category_quotas_and_the_fill(void **state)
{
    (void)state;
    stage s = stage_with("category_quota = 1\n");
    uint32_t items[K], expected[K];
    float scores[K];
    int n = 0;
    for (uint32_t u = 0; u < 5 && n < K; u++) { /* a shopper whose candidates cover the 4 categories */
        dsim_ranker_top_k(s.r, u, C, s.candidates, s.scores);
        n = 0;
        for (int i = 0; i < C && n < K; i++) {
            bool seen = false;
            for (int j = 0; j < n; j++)
                seen |= category(&s, expected[j]) == category(&s, s.candidates[i]);
            if (!seen)
                expected[n++] = s.candidates[i];
        }
    }
    assert_int_equal(n, K);
    dsim_ranker_select(s.r, 2, 0.0, s.candidates, s.scores, C, K, items, scores);
    assert_memory_equal(items, expected, sizeof items);

    /* Only the candidates of the first two categories met. */
    uint32_t few[C];
    float few_scores[C];
    int m = 0, first = category(&s, s.candidates[0]), second = -1;
    for (int i = 0; i < C; i++) {
        int c = category(&s, s.candidates[i]);
        if (c != first && second < 0)
            second = c;
        if (c == first || c == second) {
            few[m] = s.candidates[i];
            few_scores[m++] = s.scores[i];
        }
    }
    assert_true(m >= K);
    dsim_ranker_select(s.r, 2, 0.0, few, few_scores, m, K, items, scores);
    int second_at = 1;
    while (category(&s, few[second_at]) == first)
        second_at++;
    assert_int_equal(items[0], few[0]);
    assert_int_equal(items[1], few[second_at]);
    for (int j = 2, next = 1; j < K; j++, next++) { /* the rest in score order, skipping those taken */
        if (next == second_at)
            next++;
        assert_int_equal(items[j], few[next]);
    }
    stage_free(&s);
}

/* With the prior, a candidate's score gains weight · ln(1 + purchases); the slate follows the new scores. */
static void test_select__the_popularity_prior_lifts_what_sells(void **state)
{
    (void)state;
    stage s = stage_with("popularity_weight = 0.5\n");
    s.r->purchases[s.candidates[9]] = 1000; /* + 0.5 ln 1001 ≈ 3.45: first */
    s.r->purchases[s.candidates[5]] = 3;    /* + 0.5 ln 4 */
    uint32_t items[K];
    float scores[K];
    dsim_ranker_select(s.r, 2, 0.0, s.candidates, s.scores, C, K, items, scores);
    float lifted[C];
    for (int i = 0; i < C; i++)
        lifted[i] = (float)(s.scores[i] + 0.5 * log1p((double)s.r->purchases[s.candidates[i]]));
    assert_int_equal(items[0], s.candidates[9]);
    assert_true(scores[0] == lifted[9]);
    for (int j = 1; j < K; j++)
        assert_true(scores[j] <= scores[j - 1]);
    /* Nothing left out scores above the last one shown. */
    for (int i = 0; i < C; i++) {
        bool shown = false;
        for (int j = 0; j < K; j++)
            shown |= items[j] == s.candidates[i];
        assert_true(shown || lifted[i] <= scores[K - 1]);
    }
    stage_free(&s);
}

/* With a flat purchase model (θ = 0: P = ½ everywhere) the value order is the price order (revenue), or
   the order of price after the mean discount minus cost (margin). */
static void test_select__value_reranking_orders_by_expected_value(void **state)
{
    (void)state;
    const char *modes[] = {"rerank = revenue\n", "rerank = margin\n"};
    for (int mode = 0; mode < 2; mode++) {
        stage s = stage_with(modes[mode]);
        s.r->purchase_logit[0] = s.r->purchase_logit[1] = 0.0;
        s.r->mean_discount = 0.2;
        uint32_t items[K];
        float scores[K];
        dsim_ranker_select(s.r, 2, 0.0, s.candidates, s.scores, C, K, items, scores);
        double value[C];
        for (int i = 0; i < C; i++) {
            double paid = dsim_world_item_price(s.w, s.candidates[i]) * 0.8;
            value[i] = mode == 0 ? paid : paid - dsim_world_item_cost(s.w, s.candidates[i]);
        }
        double last = INFINITY;
        for (int j = 0; j < K; j++) {
            int at = 0;
            while (s.candidates[at] != items[j])
                at++;
            assert_true(value[at] <= last);
            last = value[at];
        }
        for (int i = 0; i < C; i++) {
            bool shown = false;
            for (int j = 0; j < K; j++)
                shown |= items[j] == s.candidates[i];
            assert_true(shown || value[i] <= last);
        }
        stage_free(&s);
    }
}

/* The shop's purchase model, P(buy | shown) = σ(θ0 + θ1 · score) fitted by online logistic regression,
   recovers θ = (−1, 2) from 400,000 impressions drawn from it. Constant-step SGD (step 0.01) wanders by
   about √step around the optimum: the tolerance is 0.25. */
static void test_select__the_purchase_model_recovers_its_parameters(void **state)
{
    (void)state;
    stage s = stage_with("rerank = revenue\n");
    gsl_rng *rng = dsim_rng_alloc();
    dsim_rng_key(rng, test_seed(5), 0, 0);
    uint32_t item = 0;
    for (int t = 0; t < 400000; t++) {
        float score = (float)(2 * gsl_rng_uniform(rng) - 1);
        bool buy = gsl_rng_uniform(rng) < 1 / (1 + exp(-(-1 + 2 * score)));
        dsim_rank_feedback fb = {0, 0.0, &item, &score, 1, 0, buy ? 0 : -1, 0.0};
        dsim_ranker_observe(s.r, &fb);
    }
    printf("# θ = (%.3f, %.3f), truth (−1, 2)\n", s.r->purchase_logit[0], s.r->purchase_logit[1]);
    assert_true(fabs(s.r->purchase_logit[0] + 1) < 0.25);
    assert_true(fabs(s.r->purchase_logit[1] - 2) < 0.25);
    gsl_rng_free(rng);
    stage_free(&s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_select__plain_selection_keeps_the_order_of_scores),
        cmocka_unit_test(test_select__a_recent_purchase_is_not_shown_again),
        cmocka_unit_test(test_select__category_quotas_and_the_fill),
        cmocka_unit_test(test_select__the_popularity_prior_lifts_what_sells),
        cmocka_unit_test(test_select__value_reranking_orders_by_expected_value),
        cmocka_unit_test(test_select__the_purchase_model_recovers_its_parameters),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
