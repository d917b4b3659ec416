/*
 * bench_sim.c — engine throughput and memory, single thread, measured in one process.
 *
 *   cmake --build build --target bench        (or: build/tests/bench_sim [VISITS])
 *
 * For the default scenario with `fixed` and `thompson` it reports visits/s of the whole loop, the time of
 * the ranking step and of the exact expected-reward (regret) step measured alone on the same shoppers and
 * slates, the loop's rate without ranking (the same scenario with a catalog of exactly one slate, so
 * ranking is trivial), the memory per shopper of a 1,000,000-shopper world with its simulation, and the
 * whole loop at 10^4 items with the batched ranker against the per-visit one.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "dsim/error.h"
#include "dsim/rank.h"
#include "dsim/rng.h"
#include "world/engine.h"
#include "dsim/sim.h"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static void die(const char *what)
{
    fprintf(stderr, "bench: %s: %s\n", what, dsim_errmsg());
    exit(1);
}

static dsim_scenario *load_default(void)
{
    dsim_scenario *sc = NULL;
    if (dsim_scenario_load(&sc, DSIM_SOURCE_DIR "/scenarios/default.ini"))
        die("loading the default scenario");
    return sc;
}

/* This machine is shared and its clock noisy: every figure is the fastest of REPEATS runs. */
enum { REPEATS = 3 };

/* Seconds of one run of the whole loop for one policy type. */
static double one_loop_seconds(const dsim_scenario *sc, const char *type, uint64_t visits, int threads)
{
    dsim_policy_config *cfg = NULL;
    dsim_sim *sim = NULL;
    dsim_sim_options opt = DSIM_SIM_OPTIONS_INIT;
    opt.visits = visits;
    opt.ranking_threads = threads;
    if (dsim_policy_config_default(&cfg, dsim_policy_type_find(type)) || dsim_sim_create(&sim, sc, cfg, 1, &opt))
        die(type);
    double t0 = now();
    while (dsim_sim_advance(sim, 100000) == DSIM_OK)
        ;
    double t = now() - t0;
    dsim_sim_free(sim);
    dsim_policy_config_free(cfg);
    return t;
}

static double loop_seconds(const dsim_scenario *sc, const char *type, uint64_t visits, int threads)
{
    double best = INFINITY;
    for (int r = 0; r < REPEATS; r++)
        best = fmin(best, one_loop_seconds(sc, type, visits, threads));
    return best;
}

/* The ranking, choice-model and expected-reward steps alone, on the shoppers who arrive at visits
   0..visits-1 (the expectation's time is the difference of two loops). */
static void step_seconds(const dsim_scenario *sc, uint64_t visits, double *rank_s, double *model_s, double *expect_s)
{
    dsim_world *w = NULL;
    dsim_ranker *r = NULL;
    if (dsim_world_alloc(&w, sc, 1) || dsim_ranker_alloc(&r, w, 1))
        die("world");
    gsl_rng *rng = dsim_rng_alloc();
    uint32_t *shoppers = malloc(sizeof(uint32_t) * visits);
    for (uint64_t t = 0; t < visits; t++)
        shoppers[t] = dsim_world_arrival(w, t, rng);
    int k = sc->behaviour.slate_size;
    uint32_t slate[DSIM_MAX_SLATE];
    float scores[DSIM_MAX_SLATE];
    double expected[DSIM_MAX_LEVELS], sink = 0;
    dsim__slate_model model;
    /* As the engine ranks: batches of 256 arrivals, one GEMM each. */
    enum { BATCH = 256 };
    uint32_t batch_items[BATCH * DSIM_MAX_SLATE];
    float batch_scores[BATCH * DSIM_MAX_SLATE];
    *rank_s = *model_s = *expect_s = INFINITY;
    for (int rep = 0; rep < REPEATS; rep++) {
        double t0 = now();
        for (uint64_t t = 0; t < visits; t += BATCH) {
            int n = visits - t < BATCH ? (int)(visits - t) : BATCH;
            if (dsim_ranker_top_k_batch(r, shoppers + t, n, k, batch_items, batch_scores))
                die("ranking");
            sink += batch_scores[0];
        }
        *rank_s = fmin(*rank_s, now() - t0);
        dsim_ranker_top_k(r, shoppers[0], k, slate, scores);
        t0 = now();
        for (uint64_t t = 0; t < visits; t++) {
            dsim__world_slate_model(w, shoppers[t], slate, k, &model);
            sink += model.weight[0][0];
        }
        *model_s = fmin(*model_s, now() - t0);
        t0 = now();
        for (uint64_t t = 0; t < visits; t++) {
            dsim__world_slate_model(w, shoppers[t], slate, k, &model);
            dsim__slate_expected_rewards(&model, expected);
            sink += expected[0];
        }
        *expect_s = fmin(*expect_s, now() - t0);
    }
    *expect_s -= *model_s;
    if (sink == 42.4242)
        printf(" ");
    free(shoppers);
    gsl_rng_free(rng);
    dsim_ranker_free(r);
    dsim_world_free(w);
}

static long max_rss_kib(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_maxrss;
}

/* Peak memory of a world and sim of 1,000,000 shoppers, beyond what the process had before. */
static void memory_per_shopper(const dsim_scenario *base)
{
    dsim_scenario sc = *base;
    sc.text = NULL;
    sc.shoppers = 1000000;
    sc.catalog.items = 1000;
    long before = max_rss_kib();
    dsim_policy_config *cfg = NULL;
    dsim_sim *sim = NULL;
    dsim_sim_options opt = DSIM_SIM_OPTIONS_INIT;
    opt.visits = 1000;
    if (dsim_policy_config_default(&cfg, dsim_policy_type_find("fixed")) ||
        dsim_sim_create(&sim, &sc, cfg, 1, &opt))
        die("1M shoppers");
    dsim_sim_advance(sim, 1000);
    long after = max_rss_kib();
    int d = sc.catalog.embedding_dim;
    double per_shopper = (double)(after - before) * 1024.0 / 1e6;
    double budget = 64.0 + 8.0 * d;
    printf("memory: %.1f bytes per shopper at d = %d (peak RSS growth for 10^6 shoppers, catalog included); "
           "target <= 64 + 8 d = %.0f\n",
           per_shopper, d, budget);
    dsim_sim_free(sim);
    dsim_policy_config_free(cfg);
}

int main(int argc, char **argv)
{
    uint64_t visits = argc > 1 ? strtoull(argv[1], NULL, 10) : 1000000;
    dsim_scenario *sc = load_default();
    memory_per_shopper(sc);
    double rank_s, model_s, expect_s;
    step_seconds(sc, visits, &rank_s, &model_s, &expect_s);
    printf("scenario default: %d items, d = %d, slate %d, %d levels; %llu visits per figure, one thread\n",
           sc->catalog.items, sc->catalog.embedding_dim, sc->behaviour.slate_size, sc->discounts.n_levels,
           (unsigned long long)visits);
    printf("ranking step alone:         %6.2f M visits/s\n", visits / rank_s / 1e6);
    printf("choice model of the slate at every level alone: %6.2f M visits/s\n", visits / model_s / 1e6);
    printf("exact expected rewards of every level (regret) alone: %6.2f M visits/s\n", visits / expect_s / 1e6);
    /* The same loop with ranking made trivial: a catalog of exactly one slate's items. */
    dsim_scenario tiny = *sc;
    tiny.text = NULL;
    tiny.catalog.items = sc->behaviour.slate_size;
    const char *types[] = {"fixed", "thompson"};
    for (int i = 0; i < 2; i++) {
        double loop_s = loop_seconds(sc, types[i], visits, 1);
        double bare_s = loop_seconds(&tiny, types[i], visits, 1);
        printf("%-9s whole loop %6.3f M visits/s (ranking %4.1f %% of it); loop without ranking (catalog of %d "
               "items) %6.3f M visits/s\n",
               types[i], visits / loop_s / 1e6, 100 * rank_s / loop_s, tiny.catalog.items, visits / bare_s / 1e6);
    }
    /* End to end at 10^4 items: the batched GEMM ranker (batches of 256) against the per-visit exact
       ranker ([ranking] batch = 1) on the same visits, at the default's d = 16 and at d = 64; the GEMM
       also on two ranking threads (the slates are the same bits). */
    uint64_t few = visits / 10;
    for (int d = 16; d <= 64; d *= 4) {
        dsim_scenario big = *sc;
        big.text = NULL;
        big.catalog.items = 10000;
        big.catalog.embedding_dim = d;
        big.ranking.batch = 1;
        double per_visit_s = loop_seconds(&big, "fixed", few, 1);
        big.ranking.batch = 256;
        double batched_s = loop_seconds(&big, "fixed", few, 1);
        double two_s = loop_seconds(&big, "fixed", few, 2);
        printf("10^4 items, d = %2d, fixed: per-visit ranker %6.4f M visits/s; batched %6.4f M visits/s = %.1f x, "
               "with 2 ranking threads %6.4f = %.1f x\n",
               d, few / per_visit_s / 1e6, few / batched_s / 1e6, per_visit_s / batched_s, few / two_s / 1e6,
               per_visit_s / two_s);
    }
    dsim_scenario_free(sc);
    return 0;
}
