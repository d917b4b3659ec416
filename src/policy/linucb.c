/*
 * linucb.c — LinUCB with disjoint arms (Li, Chu, Langford & Schapire 2010, Algorithm 1): each level l has
 * a ridge model θ_l = A_l⁻¹ b_l of the reward (in typical sales) on the context features x, and a visit gets
 *
 *   argmax_l  θ_lᵀ x + α √(xᵀ A_l⁻¹ x),     A_l = λ I + Σ x xᵀ over the visits that got l.
 *
 * Deterministic (ties to the lower level), so its distribution is one-hot.
 */
#include <math.h>

#include "policy/policy_impl.h"

enum { P_ALPHA, P_LAMBDA, N_PARAMS };

static const dsim_param_spec linucb_params[N_PARAMS] = {
    {"alpha", 0.5, 0, 100, "exploration weight α on the confidence width"},
    {"lambda", 1, 1e-6, 1e6, "ridge penalty λ (prior precision of each level's weights)"},
};

typedef struct {
    dsim__linear_arms arms;
    double alpha;
} linucb_state;

static int linucb_init(void *state, const dsim_policy_env *env, const double *params)
{
    linucb_state *s = state;
    s->alpha = params[P_ALPHA];
    return dsim__linear_arms_init(&s->arms, env, params[P_LAMBDA]);
}

static void linucb_free(void *state)
{
    dsim__linear_arms_free(&((linucb_state *)state)->arms);
}

/* bound ← θ_l·x + α √(xᵀA_l⁻¹x) from the scores; @return the level with the highest bound. */
static int linucb_choose(const linucb_state *s, double *bound, const double *width2)
{
    for (int l = 0; l < s->arms.n_levels; l++)
        bound[l] += s->alpha * sqrt(width2[l]);
    return dsim__argmax(bound, s->arms.n_levels);
}

static void linucb_act(void *state, const dsim_context *ctx, const double *truth, gsl_rng *rng, bool want_propensity,
                       dsim_action *out)
{
    (void)truth, (void)rng, (void)want_propensity;
    linucb_state *s = state;
    double bound[DSIM_MAX_LEVELS], width2[DSIM_MAX_LEVELS];
    dsim__linear_arms_scores_for(&s->arms, ctx, bound, width2);
    out->level = linucb_choose(s, bound, width2);
    out->propensity = 1.0;
}

static void linucb_distribution(const void *state, const dsim_context *ctx, const double *truth, double *probs)
{
    (void)truth;
    const linucb_state *s = state;
    double x[DSIM_MAX_FEATURE_DIM], bound[DSIM_MAX_LEVELS], width2[DSIM_MAX_LEVELS];
    dsim__feature_map_build(&s->arms.map, ctx, x);
    dsim__linear_arms_scores(&s->arms, x, bound, width2);
    dsim__one_hot(probs, s->arms.n_levels, linucb_choose(s, bound, width2));
}

static int linucb_learn(void *state, const dsim_context *ctx, const dsim_feedback *fb)
{
    return dsim__linear_arms_learn(&((linucb_state *)state)->arms, ctx, fb);
}

static double *linucb_knob(void *state, const char **name)
{
    *name = "alpha";
    return &((linucb_state *)state)->alpha;
}

/* Each level's predicted reward for this context (in reward units), without the exploration bonus. */
static void linucb_values(const void *state, const dsim_context *ctx, double *out)
{
    dsim__linear_arms_means(&((const linucb_state *)state)->arms, ctx, out);
}

const dsim_policy_type dsim_policy_linucb = {
    .version = DSIM_POLICY_TYPE_VERSION,
    .name = "linucb",
    .summary = "LinUCB, disjoint arms: ridge model of reward on context features per level + α × confidence width",
    .params = linucb_params,
    .n_params = N_PARAMS,
    .state_size = sizeof(linucb_state),
    .flags = DSIM_POLICY_CONTEXTUAL,
    .init = linucb_init,
    .act = linucb_act,
    .distribution = linucb_distribution,
    .learn = linucb_learn,
    .values = linucb_values,
    .knob = linucb_knob,
    .free = linucb_free,
};
