/*
 * bench_agents.c — decisions + updates per second of the contextual agents, single thread.
 *
 *   cmake --build build --target bench        (or: build/tests/bench_agents [STEPS [TYPE]])
 *
 * d = 16 features (every feature but budget_left, with a 7-category one-hot) and 6 levels; each step builds the
 * features of a fresh context, chooses a level, and learns from a reward, as in the engine loop.
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "dsim/error.h"
#include "dsim/features.h"
#include "dsim/policy.h"
#include "dsim/rng.h"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static void bench(const char *type, uint64_t steps, bool want_propensity)
{
    static const double levels[6] = {0, 0.05, 0.1, 0.15, 0.2, 0.3};
    dsim_policy_env env = {.n_levels = 6, .levels = levels, .reward_scale = 50, .mean_price = 40,
                           .n_categories = 7, .n_customers = 1000, .seed = 1,
                           .features = DSIM_FEATURES_ALL & ~(1u << DSIM_FEATURE_BUDGET_LEFT)};
    dsim_policy_config *cfg = NULL;
    dsim_policy *p = NULL;
    if (dsim_policy_config_default(&cfg, dsim_policy_type_find(type)) || dsim_policy_alloc(&p, cfg, &env)) {
        fprintf(stderr, "bench_agents: %s: %s\n", type, dsim_errmsg());
        exit(1);
    }
    gsl_rng *rng = dsim_rng_alloc(), *world = dsim_rng_alloc();
    dsim_rng_key(world, 1, DSIM_STREAM_CHOICE, 0);
    double t0 = now(), total = 0;
    for (uint64_t t = 0; t < steps; t++) {
        dsim_context ctx = {
            .visit = t, .shopper = (uint32_t)(t % 1000), .n_visits = (uint32_t)(t % 17),
            .n_purchases = (uint32_t)(t % 5), .days_since_visit = (double)(t % 40), .days_since_purchase = -1,
            .purchase_rate = gsl_rng_uniform(world), .recent_discount_rate = gsl_rng_uniform(world),
            .mean_price = 20 + 40 * gsl_rng_uniform(world), .mean_score = gsl_rng_uniform(world),
            .top_category = (int)(t % 7), .budget_left = 1,
        };
        dsim_action act;
        dsim_rng_key(rng, 1, DSIM_STREAM_POLICY, t);
        dsim_policy_act(p, &ctx, NULL, rng, want_propensity, &act);
        double reward = gsl_rng_uniform(world) < 0.1 + 0.02 * act.level ? 30 - 3 * act.level : 0;
        dsim_feedback fb = {.level = act.level, .reward = reward, .purchased = reward > 0};
        if (dsim_policy_learn(p, &ctx, &fb)) {
            fprintf(stderr, "bench_agents: %s\n", dsim_errmsg());
            exit(1);
        }
        total += reward;
    }
    double seconds = now() - t0;
    double rate = (double)steps / seconds;
    printf("%-10s d = %d, 6 levels%s: %8.3f M decisions+updates/s%s\n", type, dsim_features_dim(env.features, &env),
           want_propensity ? ", with exact propensity" : "", rate / 1e6, total < 0 ? " " : "");
    gsl_rng_free(rng);
    gsl_rng_free(world);
    dsim_policy_free(p);
    dsim_policy_config_free(cfg);
}

int main(int argc, char **argv)
{
    uint64_t steps = argc > 1 ? strtoull(argv[1], NULL, 10) : 1000000;
    if (argc > 2) {
        bench(argv[2], steps, false);
        return 0;
    }
    bench("linucb", steps, false);
    bench("lin_ts", steps, false);
    bench("lin_ts", steps / 10, true);
    bench("linear_q", steps, false);
    return 0;
}
