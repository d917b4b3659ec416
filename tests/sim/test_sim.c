/*
 * test_sim.c — the engine: reproducibility, common random numbers across policies, shocks, the discount
 * budget, and a visit loop that does not allocate (malloc is wrapped at link time to count calls).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "dsim/log.h"
#include "dsim/sim.h"
#include "helpers.h"

/* ---- counting allocations (the test links with -Wl,--wrap=malloc,--wrap=calloc,--wrap=realloc) ---- */
void *__real_malloc(size_t n);
void *__real_calloc(size_t n, size_t size);
void *__real_realloc(void *p, size_t n);
void *__wrap_malloc(size_t n);
void *__wrap_calloc(size_t n, size_t size);
void *__wrap_realloc(void *p, size_t n);
static size_t allocations;
void *__wrap_malloc(size_t n) { allocations++; return __real_malloc(n); }
void *__wrap_calloc(size_t n, size_t size) { allocations++; return __real_calloc(n, size); }
void *__wrap_realloc(void *p, size_t n) { allocations++; return __real_realloc(p, n); }

static dsim_sim *make_sim(const dsim_scenario *sc, const char *type, uint64_t seed, dsim_policy_config **cfg)
{
    dsim_sim *sim = NULL;
    ASSERT_OK(dsim_policy_config_default(cfg, dsim_policy_type_find(type)));
    ASSERT_OK(dsim_sim_create(&sim, sc, *cfg, seed, NULL));
    return sim;
}

static void test_sim__same_seed_gives_identical_results(void **state)
{
    (void)state;
    dsim_scenario *sc = load_test_scenario("small");
    dsim_metrics m[2];
    for (int i = 0; i < 2; i++) {
        dsim_policy_config *cfg = NULL;
        dsim_sim *sim = make_sim(sc, "thompson", 11, &cfg);
        while (dsim_sim_advance(sim, 3000) == DSIM_OK)
            ;
        dsim_sim_metrics(sim, &m[i]);
        dsim_sim_free(sim);
        dsim_policy_config_free(cfg);
    }
    assert_true(m[0].visits > 0 && m[0].purchases > 0);
    assert_memory_equal(&m[0], &m[1], sizeof m[0]);
    dsim_scenario_free(sc);
}

static void test_sim__another_seed_gives_other_results(void **state)
{
    (void)state;
    dsim_scenario *sc = load_test_scenario("small");
    double revenue[2];
    for (int i = 0; i < 2; i++) {
        dsim_policy_config *cfg = NULL;
        dsim_sim *sim = make_sim(sc, "none", 11 + (uint64_t)i, &cfg);
        while (dsim_sim_advance(sim, 5000) == DSIM_OK)
            ;
        dsim_metrics m;
        dsim_sim_metrics(sim, &m);
        revenue[i] = m.revenue;
        dsim_sim_free(sim);
        dsim_policy_config_free(cfg);
    }
    assert_true(revenue[0] != revenue[1]);
    dsim_scenario_free(sc);
}

/* Common random numbers: whatever the policies do (and whoever churns), visit t brings the same shopper
   and the same slate. */
static void test_sim__policies_on_one_seed_meet_the_same_shoppers_in_the_same_order(void **state)
{
    (void)state;
    dsim_scenario *sc = load_test_scenario("small");
    dsim_policy_config *ca = NULL, *cb = NULL;
    dsim_sim *a = make_sim(sc, "none", 4, &ca), *b = make_sim(sc, "random", 4, &cb);
    uint64_t same_slate = 0, both_shown = 0;
    int differing_actions = 0;
    while (dsim_sim_advance(a, 1) == DSIM_OK && dsim_sim_advance(b, 1) == DSIM_OK) {
        dsim_visit_record va, vb;
        dsim_sim_last_visit(a, &va);
        dsim_sim_last_visit(b, &vb);
        assert_int_equal(va.visit, vb.visit);
        assert_int_equal(va.shopper, vb.shopper);
        differing_actions += va.action.level != vb.action.level;
        if (!va.lost && !vb.lost) {
            both_shown++;
            same_slate += memcmp(va.slate, vb.slate, sizeof(uint32_t) * (size_t)va.slate_size) == 0;
        }
    }
    assert_true(differing_actions > 1000);
    assert_true(both_shown > 0);
    assert_int_equal(same_slate, both_shown);
    dsim_sim_free(a);
    dsim_sim_free(b);
    dsim_policy_config_free(ca);
    dsim_policy_config_free(cb);
    dsim_scenario_free(sc);
}

static void test_sim__shock_scales_elasticity_at_its_visit(void **state)
{
    (void)state;
    dsim_scenario *sc = load_test_scenario("small"); /* bargain elasticity × 1.5 at visit 10000 */
    dsim_policy_config *cfg = NULL;
    dsim_sim *sim = make_sim(sc, "none", 1, &cfg);
    dsim_world *w = dsim_sim_world(sim);
    uint32_t bargain = 0, loyal = sc->shoppers - 1;
    double before_b = dsim_world_shopper_elasticity(w, bargain), before_l = dsim_world_shopper_elasticity(w, loyal);
    dsim_sim_advance(sim, 10000);
    assert_true(dsim_world_shopper_elasticity(w, bargain) == before_b);
    dsim_sim_advance(sim, 1);
    assert_true(fabs(dsim_world_shopper_elasticity(w, bargain) - 1.5 * before_b) < 1e-5 * before_b);
    assert_true(dsim_world_shopper_elasticity(w, loyal) == before_l);
    dsim_sim_free(sim);
    dsim_policy_config_free(cfg);
    dsim_scenario_free(sc);
}

static void test_sim__budget_stops_discounts_once_spent(void **state)
{
    (void)state;
    dsim_scenario *sc = load_test_scenario("small");
    sc->discounts.budget = 500;
    dsim_policy_config *cfg = NULL;
    ASSERT_OK(dsim_policy_config_parse(&cfg, "[policy]\ntype = fixed\nlevel = 20\n", "p.ini"));
    dsim_sim *sim = NULL;
    ASSERT_OK(dsim_sim_create(&sim, sc, cfg, 1, NULL));
    while (dsim_sim_advance(sim, 1000) == DSIM_OK)
        ;
    dsim_metrics m;
    dsim_sim_metrics(sim, &m);
    double max_price = 0;
    for (uint32_t i = 0; i < dsim_world_n_items(dsim_sim_world(sim)); i++)
        max_price = fmax(max_price, dsim_world_item_price(dsim_sim_world(sim), i));
    /* The last discounted purchase may overshoot by at most one item's discount. */
    assert_true(m.discount_spend >= 500 && m.discount_spend <= 500 + 0.2 * max_price);
    assert_true(m.level_count[0] > 0 && m.level_count[2] > 0);
    dsim_sim_free(sim);
    dsim_policy_config_free(cfg);
    dsim_scenario_free(sc);
}

/* The small market with discount scope item. */
static dsim_scenario *item_scope_scenario(void)
{
    dsim_scenario *sc = load_test_scenario("small");
    sc->discounts.scope = DSIM_SCOPE_ITEM;
    sc->n_shocks = 0;
    return sc;
}

static dsim_metrics run_threads(const dsim_scenario *sc, const dsim_policy_config *cfg, uint64_t seed, int threads)
{
    dsim_sim *sim = NULL;
    dsim_sim_options options = DSIM_SIM_OPTIONS_INIT;
    options.want_propensity = true;
    options.ranking_threads = threads;
    ASSERT_OK(dsim_sim_create(&sim, sc, cfg, seed, &options));
    while (dsim_sim_advance(sim, 5000) == DSIM_OK)
        ;
    dsim_metrics m;
    dsim_sim_metrics(sim, &m);
    dsim_sim_free(sim);
    return m;
}

static dsim_metrics run_to_end(const dsim_scenario *sc, const dsim_policy_config *cfg, uint64_t seed)
{
    return run_threads(sc, cfg, seed, 1);
}

/* With fixed estimates the retrieval batch is only a way of computing: batches of 1 (the per-visit exact
   ranker), 7, 64 and 256 visits give the same slates, so the same run. (Scores may differ in the last float
   bit between the per-visit scorer and the GEMM; in this scenario no tie is that close.) */
static void test_sim__the_ranking_batch_does_not_change_a_run(void **state)
{
    (void)state;
    dsim_scenario *sc = load_test_scenario("small");
    dsim_policy_config *cfg = NULL;
    ASSERT_OK(dsim_policy_config_default(&cfg, dsim_policy_type_find("thompson")));
    const int batches[] = {256, 1, 7, 64};
    dsim_metrics first;
    for (int b = 0; b < 4; b++) {
        sc->ranking.batch = batches[b];
        dsim_metrics m = run_to_end(sc, cfg, 5);
        if (b == 0)
            first = m;
        else
            assert_memory_equal(&m, &first, sizeof m);
    }
    dsim_policy_config_free(cfg);
    dsim_scenario_free(sc);
}

/* Nor do the ranking threads, by construction: a batch is cut into the same tiles whatever their number
   and each tile is one single-threaded sgemm, so the runs are the same bits with 1, 2 or 3 threads — on any
   BLAS kernel (CI runs this under several OPENBLAS_CORETYPE values). 9,000 items are three catalog blocks,
   batches of 600 visits three row chunks. */
static void test_sim__ranking_threads_do_not_change_a_run(void **state)
{
    (void)state;
    dsim_scenario *sc = load_test_scenario("small");
    sc->catalog.items = 9000;
    sc->ranking.batch = 600;
    sc->visits = 6000;
    dsim_policy_config *cfg = NULL;
    ASSERT_OK(dsim_policy_config_default(&cfg, dsim_policy_type_find("thompson")));
    dsim_metrics first = run_threads(sc, cfg, 5, 1);
    assert_true(first.visits + first.lost_visits == 6000 && first.purchases > 0);
    for (int threads = 2; threads <= 3; threads++) {
        dsim_metrics m = run_threads(sc, cfg, 5, threads);
        assert_memory_equal(&m, &first, sizeof m);
    }
    dsim_policy_config_free(cfg);
    dsim_scenario_free(sc);
}

/* A fixed level on every item is the same offer in both scopes: the same draws, the same outcomes. Item
   scope's oracle chooses per item, so its regret can only be larger. */
static void test_sim__item_scope_with_one_level_for_all_equals_visit_scope(void **state)
{
    (void)state;
    dsim_scenario *visit = load_test_scenario("small"), *item = item_scope_scenario();
    visit->n_shocks = 0;
    dsim_policy_config *cfg = NULL;
    ASSERT_OK(dsim_policy_config_parse(&cfg, "[policy]\ntype = fixed\nlevel = 10\n", "fixed10.ini"));
    dsim_metrics a = run_to_end(visit, cfg, 3), b = run_to_end(item, cfg, 3);
    assert_true(a.profit == b.profit && a.purchases == b.purchases && a.clicks == b.clicks);
    assert_true(a.discount_offered == b.discount_offered);
    assert_int_equal(b.level_count[1], a.level_count[1] * (uint64_t)visit->behaviour.slate_size);
    assert_true(b.regret >= a.regret - 1e-9 * a.regret);
    printf("# fixed10 regret: visit scope %.1f, item scope %.1f\n", a.regret, b.regret);
    dsim_policy_config_free(cfg);
    dsim_scenario_free(visit);
    dsim_scenario_free(item);
}

/* Logging in item scope records each item decision: its context names the item (its position, price,
   score), its distribution is the policy's for that item and gives the logged propensity, and the run is
   the same as without logging. */
static void test_sim__item_scope_logs_each_item_decision(void **state)
{
    (void)state;
    dsim_scenario *sc = item_scope_scenario();
    dsim_policy_config *cfg = NULL;
    ASSERT_OK(dsim_policy_config_default(&cfg, dsim_policy_type_find("epsilon_greedy")));
    dsim_sim_options options = DSIM_SIM_OPTIONS_INIT;
    options.log_decisions = true;
    dsim_sim *sim = NULL;
    ASSERT_OK(dsim_sim_create(&sim, sc, cfg, 5, &options));
    int k = sc->behaviour.slate_size, logged = 0;
    while (dsim_sim_advance(sim, 1) == DSIM_OK) {
        dsim_visit_record v;
        dsim_sim_last_visit(sim, &v);
        if (v.lost)
            continue;
        assert_int_equal(v.n_item_decisions, k);
        for (int j = 0; j < k; j++) {
            const dsim_context *c = &v.item_context[j];
            assert_true(c->for_item && c->item_position == j && c->item == v.slate[j]);
            assert_true(v.item_propensity[j] > 0);
            assert_true(v.item_propensity[j] == v.item_distribution[j][v.item_levels[j]]);
            double sum = 0; /* ε-greedy's whole distribution for that item: ε/L on each level (ε = 0.1), 1 − ε more on one */
            for (int l = 0; l < sc->discounts.n_levels; l++) {
                sum += v.item_distribution[j][l];
                assert_true(v.item_distribution[j][l] >= 0.1 / sc->discounts.n_levels - 1e-12);
            }
            assert_true(fabs(sum - 1) < 1e-12);
            double x[DSIM_LOG_CONTEXT_COLUMNS];
            dsim_context back;
            dsim_log_context_encode(c, x);
            dsim_log_context_decode(x, DSIM_LOG_CONTEXT_COLUMNS, &back);
            assert_true(back.for_item && back.item_position == j && back.item_price == c->item_price &&
                        back.item_score == c->item_score && back.item_category == c->item_category);
        }
        logged++;
    }
    dsim_metrics with_log, without;
    dsim_sim_metrics(sim, &with_log);
    without = run_to_end(sc, cfg, 5);
    assert_true(logged > 1000);
    assert_true(with_log.profit == without.profit && with_log.purchases == without.purchases);
    dsim_sim_free(sim);
    dsim_policy_config_free(cfg);
    dsim_scenario_free(sc);
}

/* In item scope every shown item gets its own decision: a random policy's visit propensity is the product
   of the items' (1/3 each), levels differ within a visit, and the oracle has no regret against itself. */
static void test_sim__item_scope_decides_each_item(void **state)
{
    (void)state;
    dsim_scenario *sc = item_scope_scenario();
    dsim_policy_config *cfg = NULL;
    dsim_sim_options options = DSIM_SIM_OPTIONS_INIT;
    options.want_propensity = true;
    dsim_sim *sim = NULL;
    ASSERT_OK(dsim_policy_config_default(&cfg, dsim_policy_type_find("random")));
    ASSERT_OK(dsim_sim_create(&sim, sc, cfg, 5, &options));
    int k = sc->behaviour.slate_size, mixed = 0, shown = 0;
    for (int t = 0; t < 2000; t++) {
        ASSERT_OK(dsim_sim_advance(sim, 1));
        dsim_visit_record v;
        dsim_sim_last_visit(sim, &v);
        if (v.lost)
            continue;
        shown++;
        double product = 1;
        for (int j = 0; j < k; j++) {
            assert_true(fabs(v.item_propensity[j] - 1.0 / 3) < 1e-12);
            product *= v.item_propensity[j];
            mixed += v.item_levels[j] != v.item_levels[0];
        }
        assert_true(fabs(v.action.propensity - product) < 1e-15);
    }
    assert_true(shown > 1000 && mixed > shown);
    dsim_sim_free(sim);
    dsim_policy_config_free(cfg);

    /* An agent that learns from a shopper's successive visits cannot run where a visit makes several decisions. */
    ASSERT_OK(dsim_policy_config_default(&cfg, dsim_policy_type_find("q_learning")));
    assert_int_equal(dsim_sim_create(&sim, sc, cfg, 5, &options), DSIM_ECONFIG);
    dsim_policy_config_free(cfg);

    ASSERT_OK(dsim_policy_config_default(&cfg, dsim_policy_type_find("oracle")));
    dsim_metrics oracle = run_to_end(sc, cfg, 5);
    assert_true(fabs(oracle.regret) <= 1e-9 * oracle.reward);
    dsim_policy_config_free(cfg);
    dsim_scenario_free(sc);
}

static void test_sim__visit_loop_does_not_allocate(void **state)
{
    (void)state;
    dsim_scenario *sc = load_test_scenario("small");
    const char *types[] = {"thompson", "ucb1", "epsilon_greedy", "random", "oracle"};
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++) {
        dsim_policy_config *cfg = NULL;
        dsim_sim *sim = make_sim(sc, types[i], 2, &cfg);
        size_t before = allocations;
        dsim_sim_advance(sim, 9000); /* up to, not across, the shock at 10000 (a share shock may rebuild a table) */
        if (allocations != before)
            fail_msg("%s: %zu allocations in 9000 visits", types[i], allocations - before);
        dsim_sim_free(sim);
        dsim_policy_config_free(cfg);
    }
    /* The same with shoppers' vectors learned from history, and with the selection stage on. */
    sc->ranking.embeddings = dsim_scenario_embeddings_find("history");
    sc->ranking.category_quota = 2;
    sc->ranking.exclude_bought_days = 3;
    sc->ranking.popularity_weight = 0.1;
    sc->ranking.rerank = DSIM_RERANK_MARGIN;
    dsim_policy_config *cfg = NULL;
    dsim_sim *sim = make_sim(sc, "thompson", 2, &cfg);
    size_t before = allocations;
    dsim_sim_advance(sim, 9000);
    if (allocations != before)
        fail_msg("history and selection: %zu allocations in 9000 visits", allocations - before);
    dsim_sim_free(sim);
    dsim_policy_config_free(cfg);
    dsim_scenario_free(sc);
}

/* dsim_metrics_add: the totals of two runs, field by field (every field: one missed would show here). */
static void test_sim__metrics_add_sums_every_total(void **state)
{
    (void)state;
    dsim_scenario *sc = load_test_scenario("small");
    dsim_policy_config *cfg = NULL;
    ASSERT_OK(dsim_policy_config_parse(&cfg, "[policy]\ntype = random\n", "random.ini"));
    dsim_metrics a = run_to_end(sc, cfg, 1), b = run_to_end(sc, cfg, 2), sum = a, zero = {0};
    dsim_metrics_add(&sum, &b);
#define SUMS(field) assert_true(sum.field == a.field + b.field)
    SUMS(arrivals), SUMS(visits), SUMS(lost_visits), SUMS(impressions), SUMS(clicks), SUMS(purchases);
    SUMS(top3_purchases), SUMS(discounted_visits), SUMS(churned), SUMS(revenue), SUMS(profit);
    SUMS(discount_spend), SUMS(discount_offered), SUMS(reward), SUMS(regret), SUMS(quality_visits);
    SUMS(precision_sum), SUMS(recall_sum), SUMS(ndcg_sum);
    for (int l = 0; l < DSIM_MAX_LEVELS; l++)
        SUMS(level_count[l]);
#undef SUMS
    assert_true(a.lost_visits > 0 || a.impressions > 0); /* fields the dashboard's old sum left out */
    dsim_metrics_add(&zero, &a);
    assert_memory_equal(&zero, &a, sizeof a);
    dsim_policy_config_free(cfg);
    dsim_scenario_free(sc);
}

/* The totals of each hidden segment add up to the run's: every count exactly, every sum of money to rounding
   (the segments add the same terms in another grouping). */
static void test_sim__segment_totals_add_up_to_the_run(void **state)
{
    (void)state;
    dsim_scenario *sc = load_test_scenario("small");
    assert_true(sc->n_segments >= 2);
    dsim_policy_config *cfg = NULL;
    ASSERT_OK(dsim_policy_config_parse(&cfg, "[policy]\ntype = random\n", "random.ini"));
    dsim_sim *sim = NULL;
    dsim_sim_options options = DSIM_SIM_OPTIONS_INIT;
    ASSERT_OK(dsim_sim_create(&sim, sc, cfg, 3, &options));
    while (dsim_sim_advance(sim, 1000) == DSIM_OK)
        ;
    dsim_metrics all, sum = {0};
    dsim_segment_metrics *segments = malloc(sizeof *segments);
    dsim_sim_metrics(sim, &all);
    dsim_sim_segment_metrics(sim, segments);
    int seen = 0;
    for (int g = 0; g < DSIM_MAX_SEGMENTS; g++) {
        dsim_metrics_add(&sum, &segments->segment[g]);
        if (g >= sc->n_segments)
            assert_true(segments->segment[g].arrivals == 0);
        seen += segments->segment[g].visits > 0;
    }
    assert_int_equal(seen, sc->n_segments);
#define SAME(field) assert_true(sum.field == all.field)
#define CLOSE(field) assert_true(fabs(sum.field - all.field) <= 1e-9 * fabs(all.field) + 1e-12)
    SAME(arrivals), SAME(visits), SAME(lost_visits), SAME(impressions), SAME(clicks), SAME(purchases);
    SAME(top3_purchases), SAME(discounted_visits), SAME(churned), SAME(quality_visits);
    CLOSE(revenue), CLOSE(profit), CLOSE(discount_spend), CLOSE(discount_offered), CLOSE(reward), CLOSE(regret);
    CLOSE(precision_sum), CLOSE(recall_sum), CLOSE(ndcg_sum);
    for (int l = 0; l < DSIM_MAX_LEVELS; l++)
        SAME(level_count[l]);
#undef SAME
#undef CLOSE
    free(segments);
    dsim_sim_free(sim);
    dsim_policy_config_free(cfg);
    dsim_scenario_free(sc);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sim__same_seed_gives_identical_results),
        cmocka_unit_test(test_sim__metrics_add_sums_every_total),
        cmocka_unit_test(test_sim__segment_totals_add_up_to_the_run),
        cmocka_unit_test(test_sim__another_seed_gives_other_results),
        cmocka_unit_test(test_sim__policies_on_one_seed_meet_the_same_shoppers_in_the_same_order),
        cmocka_unit_test(test_sim__shock_scales_elasticity_at_its_visit),
        cmocka_unit_test(test_sim__budget_stops_discounts_once_spent),
        cmocka_unit_test(test_sim__the_ranking_batch_does_not_change_a_run),
        cmocka_unit_test(test_sim__ranking_threads_do_not_change_a_run),
        cmocka_unit_test(test_sim__item_scope_with_one_level_for_all_equals_visit_scope),
        cmocka_unit_test(test_sim__item_scope_decides_each_item),
        cmocka_unit_test(test_sim__item_scope_logs_each_item_decision),
        cmocka_unit_test(test_sim__visit_loop_does_not_allocate),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
