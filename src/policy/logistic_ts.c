/*
 * logistic_ts.c — Thompson sampling with a Bayesian logistic regression of purchase on the context
 * features per level (a GLM bandit; Chapelle & Li 2011 §3), under a Laplace approximation updated online:
 *
 *   p̂ = σ(m_l · x),   P_l ← P_l + p̂(1 − p̂) x xᵀ,   m_l ← m_l + P_l⁻¹ x (y − p̂)
 *
 * (one Newton step per observation on the Gaussian posterior N(m_l, P_l⁻¹), P_l = λI at the start; the
 * precision is the Cholesky ridge factor, so it stays positive definite). A visit draws
 * g_l ~ N(m_l·x, v² xᵀP_l⁻¹x) and gives argmax σ(g_l) · value_l, value_l the running mean reward of a sale
 * at level l (started, like `thompson`, from the catalog's mean price after the discount).
 * The distribution has no closed form; like `thompson` it is estimated from `propensity_draws` draws on a
 * stream keyed by the number of updates, and the chosen level's propensity by inverse binomial sampling
 * (dsim__sampled_propensity: never 0, its inverse unbiased).
 */
#include <math.h>

#include "dsim/rng.h"
#include "policy/policy_impl.h"

enum { P_V, P_LAMBDA, P_DRAWS, N_PARAMS };

static const dsim_param_spec lts_params[N_PARAMS] = {
    {"v", 1, 0, 100, "posterior scale v (1: the Laplace posterior itself)"},
    {"lambda", 1, 1e-6, 1e6, "prior precision λ of each level's weights"},
    {"propensity_draws", 256, 1, 1e6, "posterior draws used to estimate the action distribution"},
};

typedef struct {
    dsim__linear_arms arms; /* model[l].theta holds the posterior mean m_l */
    double v, value_sum[DSIM_MAX_LEVELS], value_weight[DSIM_MAX_LEVELS];
    int draws;
    uint64_t updates, seed;
    gsl_rng *dist_rng;
} lts_state;

static int lts_init(void *state, const dsim_policy_env *env, const double *params)
{
    lts_state *s = state;
    s->v = params[P_V];
    s->draws = (int)params[P_DRAWS];
    s->seed = env->seed;
    int rc = dsim__linear_arms_init(&s->arms, env, params[P_LAMBDA]);
    if (rc)
        return rc;
    for (int l = 0; l < env->n_levels; l++) {
        s->value_sum[l] = dsim__sale_value(env, l);
        s->value_weight[l] = 1;
    }
    s->dist_rng = dsim_rng_alloc();
    return s->dist_rng ? DSIM_OK : dsim_error_set(DSIM_ENOMEM, "out of memory");
}

static void lts_free(void *state)
{
    lts_state *s = state;
    dsim__linear_arms_free(&s->arms);
    gsl_rng_free(s->dist_rng);
}

static void lts_posterior(const lts_state *s, const dsim_context *ctx, double *mean, double *sd)
{
    double x[DSIM_MAX_FEATURE_DIM];
    dsim__feature_map_build(&s->arms.map, ctx, x);
    dsim__linear_arms_scores(&s->arms, x, mean, sd);
    for (int l = 0; l < s->arms.n_levels; l++)
        sd[l] = s->v * sqrt(sd[l]);
}

static int lts_draw(const lts_state *s, const double *mean, const double *sd, gsl_rng *rng)
{
    double score[DSIM_MAX_LEVELS];
    for (int l = 0; l < s->arms.n_levels; l++) {
        double g = mean[l] + sd[l] * dsim_rng_gaussian(rng);
        score[l] = s->value_sum[l] / s->value_weight[l] / (1 + exp(-g));
    }
    return dsim__argmax(score, s->arms.n_levels);
}

static void lts_distribution(const void *state, const dsim_context *ctx, const double *truth, double *probs)
{
    (void)truth;
    const lts_state *s = state;
    double mean[DSIM_MAX_LEVELS], sd[DSIM_MAX_LEVELS];
    lts_posterior(s, ctx, mean, sd);
    for (int l = 0; l < s->arms.n_levels; l++)
        probs[l] = 0;
    dsim_rng_key(s->dist_rng, s->seed, DSIM_STREAM_POLICY_DIST, s->updates);
    for (int i = 0; i < s->draws; i++)
        probs[lts_draw(s, mean, sd, s->dist_rng)] += 1.0 / s->draws;
}

typedef struct {
    double mean[DSIM_MAX_LEVELS], sd[DSIM_MAX_LEVELS];
} lts_posterior_scores;

static int lts_draw_fn(const void *state, const void *arg, gsl_rng *rng)
{
    const lts_posterior_scores *post = arg;
    return lts_draw(state, post->mean, post->sd, rng);
}

/* The distribution is a Monte Carlo estimate, no use for a propensity: always sampled. */
static double lts_propensity(const void *state, const dsim_context *ctx, int level, const double *distribution,
                             gsl_rng *rng)
{
    (void)distribution;
    lts_posterior_scores post;
    lts_posterior(state, ctx, post.mean, post.sd);
    return dsim__sampled_propensity(lts_draw_fn, state, &post, level, rng);
}

/* The propensity comes from lts_propensity() (the wrapper asks it). */
static void lts_act(void *state, const dsim_context *ctx, const double *truth, gsl_rng *rng, bool want_propensity,
                    dsim_action *out)
{
    (void)truth, (void)want_propensity;
    const lts_state *s = state;
    double mean[DSIM_MAX_LEVELS], sd[DSIM_MAX_LEVELS];
    lts_posterior(s, ctx, mean, sd);
    out->level = lts_draw(s, mean, sd, rng);
    out->propensity = NAN;
}

static int lts_learn(void *state, const dsim_context *ctx, const dsim_feedback *fb)
{
    lts_state *s = state;
    dsim__ridge *m = &s->arms.model[fb->level];
    double x[DSIM_MAX_FEATURE_DIM], step[DSIM_MAX_FEATURE_DIM];
    dsim__feature_map_build(&s->arms.map, ctx, x);
    double p = 1 / (1 + exp(-dsim__ridge_predict(m, x))), y = fb->purchased ? 1.0 : 0.0;
    /* p(1 − p) ≥ 1e-9 keeps the curvature positive where the model is already certain */
    int rc = dsim__ridge_add_outer(m, x, fmax(p * (1 - p), 1e-9));
    if (rc)
        return rc;
    dsim__ridge_solve(m, x, step);
    for (int i = 0; i < s->arms.map.dim; i++)
        m->theta[i] += step[i] * (y - p);
    s->updates++;
    if (fb->purchased) {
        s->value_sum[fb->level] += fb->reward;
        s->value_weight[fb->level] += 1;
    }
    return DSIM_OK;
}

const dsim_policy_type dsim_policy_logistic_ts = {
    .version = DSIM_POLICY_TYPE_VERSION,
    .name = "logistic_ts",
    .summary = "Thompson sampling on a Bayesian logistic regression of purchase per level (online Laplace)",
    .params = lts_params,
    .n_params = N_PARAMS,
    .state_size = sizeof(lts_state),
    .flags = DSIM_POLICY_CONTEXTUAL,
    .init = lts_init,
    .act = lts_act,
    .distribution = lts_distribution,
    .learn = lts_learn,
    .free = lts_free,
    .propensity = lts_propensity,
};
