/*
 * test_models.c — the contract every demand model and every embedding source keeps, checked by looping over
 * their lists (as test_policies.c does for policy types): found by name; its own keys read with defaults in
 * range, in every scenario; a world with it gives purchase probabilities that sum to 1 and expectations that
 * are their sums (at every level, and level by level per position), and its draws buy each position as often
 * as the model says; a ranker with it ranks a whole run. And the shipped templates: `constant` demand, where a
 * discount changes nothing but the price, and the `truth` source, whose ranking is perfect.
 *
 * The frequency check is exact-probability vs 40,000 draws at 5 standard errors: on fresh seeds
 * (DSIM_SEED_OFFSET = k · 10^6, k = 1…20) it passed 20 of 20.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dsim/rank.h"
#include "dsim/rng.h"
#include "dsim/sim.h"
#include "dsim/world.h"
#include "world/engine.h"
#include "helpers.h"

static const char market[] = "[scenario]\nshoppers = 300\nvisits = 3000\n[catalog]\nitems = 40\nembedding_dim = 8\n"
                             "[behaviour]\nslate_size = 4\ndemand = %s\n[ranking]\nembeddings = %s\n%s"
                             "[discounts]\nlevels = 0, 10, 30\n"
                             "[segment.a]\nshare = 1\nmemory = 1\nchurn_base = 0\nchurn_unhappy = 0\n";

static dsim_scenario *scenario_of(const char *demand, const char *embeddings, const char *ranking_keys)
{
    char text[2048];
    snprintf(text, sizeof text, market, demand, embeddings, ranking_keys);
    dsim_scenario *sc = NULL;
    ASSERT_OK(dsim_scenario_parse(&sc, text, "models.ini"));
    return sc;
}

static void test_models__every_demand_model_keeps_the_contract(void **state)
{
    (void)state;
    const char *name;
    int n = 0;
    for (int i = 0; (name = dsim_scenario_demand_name(i)); i++, n++) {
        assert_int_equal(dsim_scenario_demand_find(name), i);
        dsim_scenario *sc = scenario_of(name, "noisy", "");
        assert_int_equal(sc->behaviour.demand, i);
        dsim_world *w = NULL;
        ASSERT_OK(dsim_world_alloc(&w, sc, test_seed(5)));
        uint32_t slate[4] = {3, 7, 11, 19};
        for (uint32_t u = 0; u < 50; u++) {
            dsim__slate_model m;
            double expected[DSIM_LANES], mixed[DSIM_LANES], p[5];
            dsim__world_slate_model(w, u, slate, 4, &m);
            assert_int_equal(m.demand, i);
            dsim__slate_expected_rewards(&m, expected);
            for (int l = 0; l < 3; l++) {
                dsim__slate_purchase_probabilities(&m, l, p);
                double sum = 0, value = 0;
                for (int j = 0; j <= 4; j++) {
                    assert_true(p[j] >= -1e-12 && p[j] <= 1 + 1e-12);
                    sum += p[j];
                    value += j < 4 ? p[j] * m.value[j][l] : 0;
                }
                assert_true(fabs(sum - 1) < 1e-9);
                assert_true(fabs(value - expected[l]) < 1e-9 * (1 + fabs(value)));
                int levels[4] = {l, l, l, l};
                dsim__slate_expected_rewards_mixed(&m, levels, 2, mixed);
                assert_true(fabs(mixed[l] - expected[l]) < 1e-9 * (1 + fabs(value)));
            }
        }
        /* Draws: position j bought as often as P(buy j) (level 1), within 5 standard errors. */
        dsim__slate_model m;
        double p[5];
        int bought[5] = {0};
        dsim__world_slate_model(w, 0, slate, 4, &m);
        dsim__slate_purchase_probabilities(&m, 1, p);
        gsl_rng *rng = dsim_rng_alloc();
        gsl_rng_set(rng, test_seed(17));
        enum { DRAWS = 40000 };
        for (int t = 0; t < DRAWS; t++) {
            dsim_outcome o;
            dsim__world_visit(w, &m, 1, rng, &o);
            bought[o.position >= 0 ? o.position : 4]++;
        }
        for (int j = 0; j <= 4; j++) {
            double se = sqrt(p[j] * (1 - p[j]) / DRAWS) + 1e-12;
            if (fabs((double)bought[j] / DRAWS - p[j]) > 5 * se)
                fail_msg("demand %s: position %d bought %.4f of the time, the model says %.4f", name, j,
                         (double)bought[j] / DRAWS, p[j]);
        }
        gsl_rng_free(rng);
        dsim_world_free(w);
        dsim_scenario_free(sc);
    }
    assert_true(n >= 4);
    assert_int_equal(dsim_scenario_demand_find("no such model"), -1);
}

/* The template: under `constant` a discount changes what a sale brings, never whether it happens. */
static void test_models__constant_demand_ignores_the_discount(void **state)
{
    (void)state;
    char text[1024];
    snprintf(text, sizeof text, market, "constant", "noisy", "");
    strcat(text, "buy_probability = 0.25\n");
    dsim_scenario *sc = NULL;
    ASSERT_OK(dsim_scenario_parse(&sc, text, "constant.ini"));
    dsim_world *w = NULL;
    ASSERT_OK(dsim_world_alloc(&w, sc, 1));
    uint32_t slate[4] = {0, 1, 2, 3};
    dsim__slate_model m;
    double p0[5], p2[5];
    dsim__world_slate_model(w, 9, slate, 4, &m);
    dsim__slate_purchase_probabilities(&m, 0, p0);
    dsim__slate_purchase_probabilities(&m, 2, p2);
    assert_memory_equal(p0, p2, sizeof p0);
    /* P(buy the first) = η_1 · 0.25 with η_1 = 0.95 (examine_top's default). */
    assert_true(fabs(p0[0] - 0.95 * 0.25) < 1e-12);
    dsim_world_free(w);
    dsim_scenario_free(sc);
}

/* A CSV of vectors for the `file` source: one row per item, `id` then the dimensions. */
static void write_vectors(char *path)
{
    char dir[] = "/tmp/dsim_models_XXXXXX";
    assert_non_null(mkdtemp(dir));
    snprintf(path, 64, "%s/items.csv", dir);
    FILE *f = fopen(path, "w");
    fprintf(f, "id");
    for (int d = 0; d < 8; d++)
        fprintf(f, ",x%d", d);
    for (int i = 0; i < 40; i++) {
        fprintf(f, "\n%d", i);
        for (int d = 0; d < 8; d++)
            fprintf(f, ",%g", sin(1.0 + i * 8 + d));
    }
    fprintf(f, "\n");
    fclose(f);
}

/* The template `truth`: the shop's score of an item is the true taste match ⟨e_u, e_i⟩, and its top items
   are the best matches. */
static void check_truth_scores(const dsim_world *w)
{
    dsim_ranker *r = NULL;
    ASSERT_OK(dsim_ranker_alloc(&r, w, 1));
    int d = dsim_world_dim(w);
    for (uint32_t u = 0; u < 20; u++) {
        uint32_t items[4];
        float scores[4];
        dsim_ranker_top_k(r, u, 4, items, scores);
        double best = INFINITY;
        for (int j = 0; j < 4; j++) {
            double dot = 0;
            for (int x = 0; x < d; x++)
                dot += (double)dsim_world_shopper_taste(w, u)[x] * dsim_world_item_taste(w, items[j])[x];
            assert_true(fabs(dot - scores[j]) < 1e-4);
            assert_true(scores[j] <= best);
            best = scores[j];
        }
        for (uint32_t i = 0; i < dsim_world_n_items(w); i++) { /* nothing outside the top 4 matches better */
            double dot = 0;
            for (int x = 0; x < d; x++)
                dot += (double)dsim_world_shopper_taste(w, u)[x] * dsim_world_item_taste(w, i)[x];
            assert_true(dot <= scores[0] + 1e-4);
        }
    }
    dsim_ranker_free(r);
}

static char *dirname_of(char *path)
{
    *strrchr(path, '/') = '\0';
    return path;
}

static void test_models__every_embedding_source_ranks_a_run(void **state)
{
    (void)state;
    const char *name;
    int n = 0;
    char vectors[64], keys[128];
    write_vectors(vectors);
    for (int i = 0; (name = dsim_scenario_embeddings_name(i)); i++, n++) {
        assert_int_equal(dsim_scenario_embeddings_find(name), i);
        snprintf(keys, sizeof keys, "%s%s\n", strcmp(name, "file") == 0 ? "item_file = " : "",
                 strcmp(name, "file") == 0 ? vectors : "");
        dsim_scenario *sc = scenario_of("mnl", name, keys);
        assert_int_equal(sc->ranking.embeddings, i);
        ASSERT_OK(dsim_ranker_check(sc));
        dsim_sim *sim = NULL;
        dsim_policy_config *none = NULL;
        ASSERT_OK(dsim_policy_config_parse(&none, "[policy]\ntype = none\n", "none.ini"));
        dsim_sim_options options = DSIM_SIM_OPTIONS_INIT;
        ASSERT_OK(dsim_sim_create(&sim, sc, none, test_seed(3), &options));
        int rc;
        while ((rc = dsim_sim_advance(sim, 1000)) == DSIM_OK)
            ;
        assert_int_equal(rc, DSIM_DONE);
        dsim_metrics mt;
        dsim_sim_metrics(sim, &mt);
        assert_int_equal(mt.arrivals, 3000);
        assert_true(mt.quality_visits > 0);
        if (strcmp(name, "truth") == 0)
            check_truth_scores(dsim_sim_world(sim));
        dsim_sim_free(sim);
        dsim_policy_config_free(none);
        dsim_scenario_free(sc);
    }
    unlink(vectors);
    rmdir(dirname_of(vectors));
    assert_true(n >= 5);
}

/* A model's keys are read in every scenario; a file set for an unchosen source is refused at its line. */
static void test_models__model_keys_and_their_rules(void **state)
{
    (void)state;
    dsim_scenario *sc = NULL;
    ASSERT_OK(dsim_scenario_parse(&sc, "[behaviour]\nvaluation_noise = 0.3\n[segment.a]\nshare = 1\nlinear_slope = 2\n",
                                  "keys.ini"));
    assert_string_equal(dsim_scenario_demand_name(sc->behaviour.demand), "mnl");
    dsim_scenario_free(sc);
    assert_int_equal(dsim_scenario_parse(&sc, "[ranking]\nitem_file = x.csv\n[segment.a]\nshare = 1\n", "keys.ini"),
                     DSIM_ECONFIG);
    assert_string_equal(dsim_errmsg(), "keys.ini:2: [ranking] item_file: embedding files are read only with "
                                       "embeddings = file");
    assert_int_equal(dsim_scenario_parse(&sc, "[ranking]\nembeddings = file\n[segment.a]\nshare = 1\n", "keys.ini"),
                     DSIM_ECONFIG);
    assert_string_equal(dsim_errmsg(), "keys.ini:2: [ranking] item_file: embeddings = file needs an item_file");
    assert_int_equal(dsim_scenario_parse(&sc, "[behaviour]\ndemand = linaer\n[segment.a]\nshare = 1\n", "keys.ini"),
                     DSIM_ECONFIG);
    assert_non_null(strstr(dsim_errmsg(), "expected mnl, valuation, linear, constant or logit"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_models__every_demand_model_keeps_the_contract),
        cmocka_unit_test(test_models__constant_demand_ignores_the_discount),
        cmocka_unit_test(test_models__every_embedding_source_ranks_a_run),
        cmocka_unit_test(test_models__model_keys_and_their_rules),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
