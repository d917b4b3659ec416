/*
 * fixed.c — the same discount level on every visit ("10 % for everyone").
 */
#include "policy/policy_impl.h"

typedef struct {
    int n_levels, level;
} fixed_state;

static const dsim_param_spec fixed_params[] = {
    {"level", 10, 0, 100, "discount given on every visit, percent (must be one of the scenario's levels)"},
};

static int fixed_init(void *state, const dsim_policy_env *env, const double *params)
{
    fixed_state *s = state;
    s->n_levels = env->n_levels;
    s->level = dsim__level_from_percent(env, params[0], "level");
    return s->level < 0 ? DSIM_ECONFIG : 0;
}

static void fixed_act(void *state, const dsim_context *ctx, const double *truth, gsl_rng *rng, bool want_propensity,
                      dsim_action *out)
{
    (void)ctx, (void)truth, (void)rng, (void)want_propensity;
    out->level = ((fixed_state *)state)->level;
    out->propensity = 1.0;
}

static void fixed_distribution(const void *state, const dsim_context *ctx, const double *truth, double *probs)
{
    (void)ctx, (void)truth;
    const fixed_state *s = state;
    dsim__one_hot(probs, s->n_levels, s->level);
}

const dsim_policy_type dsim_policy_fixed = {
    .version = DSIM_POLICY_TYPE_VERSION,
    .name = "fixed",
    .summary = "the same discount level on every visit",
    .params = fixed_params,
    .n_params = 1,
    .state_size = sizeof(fixed_state),
    .init = fixed_init,
    .act = fixed_act,
    .distribution = fixed_distribution,
};
