/*
 * oracle.c — the myopic clairvoyant: reads the hidden model's expected reward of every level for the
 * shopper and slate at hand and gives the best. It does not plan (a discount today lowers tomorrow's
 * willingness to pay at full price), so a learning agent that plans can beat it over time.
 */
#include "policy/policy_impl.h"

static int oracle_init(void *state, const dsim_policy_env *env, const double *params)
{
    (void)params;
    *(int *)state = env->n_levels;
    return 0;
}

static void oracle_act(void *state, const dsim_context *ctx, const double *truth, gsl_rng *rng, bool want_propensity,
                       dsim_action *out)
{
    (void)ctx, (void)rng, (void)want_propensity;
    out->level = dsim__argmax(truth, *(int *)state);
    out->propensity = 1.0;
}

static void oracle_distribution(const void *state, const dsim_context *ctx, const double *truth, double *probs)
{
    (void)ctx;
    int n = *(const int *)state;
    dsim__one_hot(probs, n, dsim__argmax(truth, n));
}

const dsim_policy_type dsim_policy_oracle = {
    .version = DSIM_POLICY_TYPE_VERSION,
    .name = "oracle",
    .summary = "myopic clairvoyant: the level with the highest true expected reward (reads hidden truth)",
    .state_size = sizeof(int),
    .flags = DSIM_POLICY_CLAIRVOYANT,
    .init = oracle_init,
    .act = oracle_act,
    .distribution = oracle_distribution,
};
