/*
 * tiered.c — hand-written rules on observable features, as pricing teams write them:
 * a first-visit welcome discount, a win-back discount for lapsed shoppers, a loyalty level for repeat
 * buyers, and a default. The first rule that matches, in that order, decides. A rule whose level is -1 is off.
 */
#include "policy/policy_impl.h"

enum { P_FIRST, P_LAPSED_DAYS, P_LAPSED, P_LOYAL_PURCHASES, P_LOYAL, P_DEFAULT, N_PARAMS };

static const dsim_param_spec tiered_params[N_PARAMS] = {
    {"first_visit_level", 10, -1, 100, "percent on a shopper's first visit (-1: rule off)"},
    {"lapsed_days", 30, 0, 1e6, "a shopper is lapsed when the last visit is more than this many days ago"},
    {"lapsed_level", 15, -1, 100, "percent for lapsed shoppers (-1: rule off)"},
    {"loyal_purchases", 3, 1, 1e9, "a shopper is loyal after this many purchases"},
    {"loyal_level", 0, -1, 100, "percent for loyal shoppers (-1: rule off)"},
    {"default_level", 0, 0, 100, "percent for everyone else"},
};

typedef struct {
    int n_levels;
    int first, lapsed, loyal, fallback; /* level indices, -1 = off */
    double lapsed_days, loyal_purchases;
} tiered_state;

static int optional_level(const dsim_policy_env *env, double percent, const char *name, int *out)
{
    if (percent < 0) {
        *out = -1;
        return 0;
    }
    *out = dsim__level_from_percent(env, percent, name);
    return *out < 0 ? DSIM_ECONFIG : 0;
}

static int tiered_init(void *state, const dsim_policy_env *env, const double *params)
{
    tiered_state *s = state;
    s->n_levels = env->n_levels;
    s->lapsed_days = params[P_LAPSED_DAYS];
    s->loyal_purchases = params[P_LOYAL_PURCHASES];
    int rc = optional_level(env, params[P_FIRST], "first_visit_level", &s->first);
    if (!rc)
        rc = optional_level(env, params[P_LAPSED], "lapsed_level", &s->lapsed);
    if (!rc)
        rc = optional_level(env, params[P_LOYAL], "loyal_level", &s->loyal);
    if (!rc)
        rc = optional_level(env, params[P_DEFAULT], "default_level", &s->fallback);
    return rc;
}

static int tiered_choose(const tiered_state *s, const dsim_context *ctx)
{
    if (s->first >= 0 && ctx->n_visits == 0)
        return s->first;
    if (s->lapsed >= 0 && ctx->days_since_visit > s->lapsed_days)
        return s->lapsed;
    if (s->loyal >= 0 && ctx->n_purchases >= s->loyal_purchases)
        return s->loyal;
    return s->fallback;
}

static void tiered_act(void *state, const dsim_context *ctx, const double *truth, gsl_rng *rng, bool want_propensity,
                       dsim_action *out)
{
    (void)truth, (void)rng, (void)want_propensity;
    out->level = tiered_choose(state, ctx);
    out->propensity = 1.0;
}

static void tiered_distribution(const void *state, const dsim_context *ctx, const double *truth, double *probs)
{
    (void)truth;
    const tiered_state *s = state;
    dsim__one_hot(probs, s->n_levels, tiered_choose(s, ctx));
}

const dsim_policy_type dsim_policy_tiered = {
    .version = DSIM_POLICY_TYPE_VERSION,
    .name = "tiered",
    .summary = "rules on observable features: first visit, lapsed, loyal, default",
    .params = tiered_params,
    .n_params = N_PARAMS,
    .state_size = sizeof(tiered_state),
    .init = tiered_init,
    .act = tiered_act,
    .distribution = tiered_distribution,
};
