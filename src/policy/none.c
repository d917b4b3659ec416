/*
 * none.c — never discount: always the lowest level (normally 0 %). The baseline every policy must beat.
 */
#include "policy/policy_impl.h"

static void none_act(void *state, const dsim_context *ctx, const double *truth, gsl_rng *rng, bool want_propensity,
                     dsim_action *out)
{
    (void)state, (void)ctx, (void)truth, (void)rng, (void)want_propensity;
    out->level = 0;
    out->propensity = 1.0;
}

static void none_distribution(const void *state, const dsim_context *ctx, const double *truth, double *probs)
{
    (void)ctx, (void)truth;
    dsim__one_hot(probs, *(const int *)state, 0);
}

static int none_init(void *state, const dsim_policy_env *env, const double *params)
{
    (void)params;
    *(int *)state = env->n_levels;
    return 0;
}

const dsim_policy_type dsim_policy_none = {
    .version = DSIM_POLICY_TYPE_VERSION,
    .name = "none",
    .summary = "never discount (always the lowest level)",
    .state_size = sizeof(int),
    .init = none_init,
    .act = none_act,
    .distribution = none_distribution,
};
