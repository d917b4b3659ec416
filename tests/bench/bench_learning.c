/*
 * bench_learning.c — what batched updates cost per visit, against learning after every visit, for every
 * learning policy type, measured in one run as ratios:
 *   - the agent alone: decide + learn per step, learning at once or through the queue in batches of 1,000
 *     (src/sim/learning.c: each decision copied in, learned at the update);
 *   - a whole run of the `default` scenario (ranking, choice, metrics included), update_every = 1 or 1000.
 *
 *   cmake --build build --target bench        (or: build/tests/bench_learning [VISITS])
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dsim/error.h"
#include "dsim/rng.h"
#include "dsim/sim.h"
#include "sim/learning.h"

enum { BATCH = 1000 };

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static void die(const char *what)
{
    fprintf(stderr, "bench_learning: %s: %s\n", what, dsim_errmsg());
    exit(1);
}

/* Seconds for `steps` decisions and their learning, at once (batch 1) or through the queue. */
static double agent_seconds(const dsim_policy_config *cfg, const dsim_policy_env *env, uint64_t steps, int batch)
{
    dsim_policy *p = NULL;
    if (dsim_policy_alloc(&p, cfg, env))
        die(cfg->name);
    dsim__learning q;
    dsim__learning_init(&q, DSIM_DELAYED_NAIVE, 0);
    gsl_rng *rng = dsim_rng_alloc(), *world = dsim_rng_alloc();
    dsim_rng_key(world, 1, DSIM_STREAM_CHOICE, 0);
    uint32_t slate[6] = {1, 2, 3, 4, 5, 6};
    float scores[6] = {0.9f, 0.8f, 0.7f, 0.6f, 0.5f, 0.4f};
    double t0 = now();
    for (uint64_t t = 0; t < steps; t++) {
        dsim_context ctx = {.visit = t, .day = t / 3000.0, .shopper = (uint32_t)(t % 997),
                            .n_visits = (uint32_t)(t % 7), .days_since_visit = (double)(t % 30),
                            .days_since_purchase = -1, .slate_size = 6, .slate = slate, .scores = scores,
                            .mean_price = 40, .top_category = (int)(t % 7), .budget_left = 1};
        dsim_action a;
        dsim_rng_key(rng, 1, DSIM_STREAM_POLICY, t);
        dsim_policy_act(p, &ctx, NULL, rng, false, &a);
        bool bought = gsl_rng_uniform(world) < 0.1 + 0.02 * a.level;
        dsim_feedback fb = {.level = a.level, .purchased = bought, .reward = bought ? 12.0 - a.level : 0.0,
                            .position = bought ? 0 : -1};
        int rc = batch == 1 ? dsim_policy_learn(p, &ctx, &fb) : dsim__learning_push(&q, &ctx, &fb, ctx.day, ctx.day);
        if (!rc && batch > 1 && (t + 1) % (uint64_t)batch == 0)
            rc = dsim__learning_update(&q, p, ctx.day);
        if (rc)
            die(cfg->name);
    }
    double seconds = now() - t0;
    dsim__learning_free(&q);
    gsl_rng_free(rng);
    gsl_rng_free(world);
    dsim_policy_free(p);
    return seconds;
}

/* Seconds for a run of `visits` visits of `sc` with updates every `every` visits. */
static double run_seconds(dsim_scenario *sc, const dsim_policy_config *cfg, uint64_t visits, int every)
{
    sc->learning.update_every = every;
    dsim_sim_options options = DSIM_SIM_OPTIONS_INIT;
    options.visits = visits;
    dsim_sim *sim = NULL;
    if (dsim_sim_create(&sim, sc, cfg, 1, &options))
        die(cfg->name);
    double t0 = now();
    int rc;
    while ((rc = dsim_sim_advance(sim, visits)) == DSIM_OK)
        ;
    if (rc != DSIM_DONE)
        die(cfg->name);
    double seconds = now() - t0;
    dsim_sim_free(sim);
    return seconds;
}

int main(int argc, char **argv)
{
    uint64_t visits = argc > 1 ? strtoull(argv[1], NULL, 10) : 100000;
    dsim_scenario *sc = NULL;
    if (dsim_scenario_load(&sc, DSIM_SOURCE_DIR "/scenarios/default.ini"))
        die("default.ini");
    static const double levels[6] = {0, 0.05, 0.1, 0.15, 0.2, 0.3};
    dsim_policy_env env = {.n_levels = 6, .levels = levels, .reward_scale = 50, .mean_price = 40, .mean_cost = 25,
                           .n_categories = 7, .n_customers = 1000, .seed = 1, .n_groups = 1};
    printf("batched updates (%d decisions a batch) against learning after each, single thread; ratio = time per\n"
           "decision batched ÷ at once (≤ 1: no dearer). Agent alone: %llu steps; run: default, %llu visits.\n\n",
           BATCH, (unsigned long long)visits * 5, (unsigned long long)visits);
    printf("%-18s %12s %12s %7s   %10s %10s %7s\n", "type", "agent µs/dec", "batched", "ratio", "run µs/vis",
           "batched", "ratio");
    for (const dsim_policy_type *const *t = dsim_policy_types(); *t; t++) {
        if (!(*t)->learn)
            continue;
        dsim_policy_config *cfg = NULL;
        if (dsim_policy_config_default(&cfg, *t))
            die((*t)->name);
        uint64_t steps = visits * 5;
        double a1 = agent_seconds(cfg, &env, steps, 1), ab = agent_seconds(cfg, &env, steps, BATCH);
        double r1 = run_seconds(sc, cfg, visits, 1), rb = run_seconds(sc, cfg, visits, BATCH);
        printf("%-18s %12.3f %12.3f %7.2f   %10.3f %10.3f %7.2f\n", (*t)->name, 1e6 * a1 / (double)steps,
               1e6 * ab / (double)steps, ab / a1, 1e6 * r1 / (double)visits, 1e6 * rb / (double)visits, rb / r1);
        dsim_policy_config_free(cfg);
    }
    dsim_scenario_free(sc);
    return 0;
}
