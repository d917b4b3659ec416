/*
 * random.c — a uniformly random level on every visit: the logging policy of a randomised experiment
 * (A/B/n test), and the safest logger for offline evaluation.
 */
#include "policy/policy_impl.h"

static int random_init(void *state, const dsim_policy_env *env, const double *params)
{
    (void)params;
    *(int *)state = env->n_levels;
    return 0;
}

static void random_act(void *state, const dsim_context *ctx, const double *truth, gsl_rng *rng, bool want_propensity,
                       dsim_action *out)
{
    (void)ctx, (void)truth, (void)want_propensity;
    int n = *(int *)state;
    out->level = (int)gsl_rng_uniform_int(rng, (unsigned long)n);
    out->propensity = 1.0 / n;
}

static void random_distribution(const void *state, const dsim_context *ctx, const double *truth, double *probs)
{
    (void)ctx, (void)truth;
    int n = *(const int *)state;
    for (int l = 0; l < n; l++)
        probs[l] = 1.0 / n;
}

const dsim_policy_type dsim_policy_random = {
    .version = DSIM_POLICY_TYPE_VERSION,
    .name = "random",
    .summary = "a uniformly random level on every visit",
    .state_size = sizeof(int),
    .init = random_init,
    .act = random_act,
    .distribution = random_distribution,
};
