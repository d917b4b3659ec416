/*
 * lin_ts.c — linear Thompson sampling (Agrawal & Goyal 2013) with disjoint arms: level l's weights have
 * the posterior N(θ_l, v² A_l⁻¹), A_l = L_l L_lᵀ, and the visit gets the level whose sampled score is
 * highest. Only the score x·θ̃_l matters, and under that posterior it is exactly
 *
 *   x·θ̃_l ~ N(x·θ_l, v² xᵀA_l⁻¹x),   xᵀA_l⁻¹x = ‖L_l⁻¹ x‖²,
 *
 * so one standard normal per level and one triangular solve replace a d-dimensional draw: the same
 * distribution of actions, d times fewer random numbers, and no dependence on the BLAS build.
 * The scores are independent Gaussians, so the action distribution is a one-dimensional integral,
 * computed by quadrature (dsim__gaussian_argmax_probabilities) rather than by Monte Carlo. Its absolute
 * tolerance (1e-11) can leave a rare level that was drawn with no mass, so the propensity of the chosen
 * level falls back to inverse binomial sampling (dsim__sampled_propensity) below 1e-9: never 0.
 */
#include <math.h>

#include "dsim/rng.h"
#include "policy/policy_impl.h"

enum { P_V, P_LAMBDA, N_PARAMS };

static const dsim_param_spec lin_ts_params[N_PARAMS] = {
    {"v", 0.5, 0, 100, "posterior scale v (Agrawal & Goyal's v; larger explores more)"},
    {"lambda", 1, 1e-6, 1e6, "ridge penalty λ (prior precision of each level's weights)"},
};

typedef struct {
    dsim__linear_arms arms;
    double v;
    gsl_integration_workspace *quadrature; /* owned; scratch of distribution() */
} lin_ts_state;

/* Below this, the quadrature's absolute error may exceed the probability itself. */
#define MIN_QUADRATURE_PROPENSITY 1e-9

static int lin_ts_init(void *state, const dsim_policy_env *env, const double *params)
{
    lin_ts_state *s = state;
    s->v = params[P_V];
    if (!(s->quadrature = dsim__gaussian_argmax_workspace()))
        return dsim_error_set(DSIM_ENOMEM, "out of memory");
    return dsim__linear_arms_init(&s->arms, env, params[P_LAMBDA]);
}

static void lin_ts_free(void *state)
{
    lin_ts_state *s = state;
    dsim__linear_arms_free(&s->arms);
    if (s->quadrature)
        gsl_integration_workspace_free(s->quadrature);
}

/* sd ← v √(xᵀA_l⁻¹x) from the squared widths. */
static void widths_to_sd(const lin_ts_state *s, double *sd)
{
    for (int l = 0; l < s->arms.n_levels; l++)
        sd[l] = s->v * sqrt(sd[l]);
}

static void lin_ts_scores(const lin_ts_state *s, const dsim_context *ctx, double *mean, double *sd)
{
    double x[DSIM_MAX_FEATURE_DIM];
    dsim__feature_map_build(&s->arms.map, ctx, x);
    dsim__linear_arms_scores(&s->arms, x, mean, sd);
    widths_to_sd(s, sd);
}

static void lin_ts_distribution(const void *state, const dsim_context *ctx, const double *truth, double *probs)
{
    (void)truth;
    const lin_ts_state *s = state;
    double mean[DSIM_MAX_LEVELS], sd[DSIM_MAX_LEVELS];
    lin_ts_scores(s, ctx, mean, sd);
    dsim__gaussian_argmax_probabilities(s->quadrature, mean, sd, s->arms.n_levels, probs);
}

typedef struct {
    int n_levels;
    double mean[DSIM_MAX_LEVELS], sd[DSIM_MAX_LEVELS];
} score_posterior;

static int draw_level(const void *state, const void *arg, gsl_rng *rng)
{
    (void)state;
    const score_posterior *p = arg;
    double draw[DSIM_MAX_LEVELS];
    for (int l = 0; l < p->n_levels; l++)
        draw[l] = p->mean[l] + p->sd[l] * dsim_rng_gaussian(rng);
    return dsim__argmax(draw, p->n_levels);
}

/* The quadrature's probability of `level` (the caller's distribution when it has it), or where that is too
   small to trust, a sampled one. */
static double lin_ts_propensity(const void *state, const dsim_context *ctx, int level, const double *distribution,
                                gsl_rng *rng)
{
    const lin_ts_state *s = state;
    score_posterior p = {.n_levels = s->arms.n_levels};
    double probs[DSIM_MAX_LEVELS];
    if (!distribution) {
        lin_ts_distribution(s, ctx, NULL, probs);
        distribution = probs;
    }
    if (distribution[level] >= MIN_QUADRATURE_PROPENSITY)
        return distribution[level];
    lin_ts_scores(s, ctx, p.mean, p.sd);
    return dsim__sampled_propensity(draw_level, s, &p, level, rng);
}

/* The propensity comes from lin_ts_propensity() (the wrapper asks it). */
static void lin_ts_act(void *state, const dsim_context *ctx, const double *truth, gsl_rng *rng, bool want_propensity,
                       dsim_action *out)
{
    (void)truth, (void)want_propensity;
    lin_ts_state *s = state;
    score_posterior p = {.n_levels = s->arms.n_levels};
    dsim__linear_arms_scores_for(&s->arms, ctx, p.mean, p.sd);
    widths_to_sd(s, p.sd);
    out->level = draw_level(s, &p, rng);
    out->propensity = NAN;
}

static int lin_ts_learn(void *state, const dsim_context *ctx, const dsim_feedback *fb)
{
    return dsim__linear_arms_learn(&((lin_ts_state *)state)->arms, ctx, fb);
}

static double *lin_ts_knob(void *state, const char **name)
{
    *name = "v";
    return &((lin_ts_state *)state)->v;
}

/* Each level's posterior mean reward for this context (in reward units). */
static void lin_ts_values(const void *state, const dsim_context *ctx, double *out)
{
    dsim__linear_arms_means(&((const lin_ts_state *)state)->arms, ctx, out);
}

const dsim_policy_type dsim_policy_lin_ts = {
    .version = DSIM_POLICY_TYPE_VERSION,
    .name = "lin_ts",
    .summary = "linear Thompson sampling, disjoint arms: Gaussian posterior on each level's ridge weights",
    .params = lin_ts_params,
    .n_params = N_PARAMS,
    .state_size = sizeof(lin_ts_state),
    .flags = DSIM_POLICY_CONTEXTUAL,
    .init = lin_ts_init,
    .act = lin_ts_act,
    .distribution = lin_ts_distribution,
    .learn = lin_ts_learn,
    .values = lin_ts_values,
    .knob = lin_ts_knob,
    .free = lin_ts_free,
    .propensity = lin_ts_propensity,
};
