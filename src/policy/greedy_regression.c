/*
 * greedy_regression.c — the plain recipe: regress the visit's outcome on what the shop sees and the
 * discount, and give the level with the best prediction (ε-greedy exploration optional).
 *
 * One ridge model on φ(x, d) = (x, d·x, d²·x), x the context features (default: bias, slate_score,
 * slate_price) and d the discount fraction, so the effect of the discount may bend and may differ by
 * context. The target is the scaled objective, or with `predict_purchase = 1` the purchase itself, whose
 * prediction is then multiplied by the value of a sale at that level (catalog mean price after the discount,
 * minus mean cost for profit). A baseline for the learning agents: no exploration bonus, no posterior.
 */
#include <math.h>

#include "policy/policy_impl.h"

enum { P_EPSILON, P_LAMBDA, P_PURCHASE, N_PARAMS };

static const dsim_param_spec gr_params[N_PARAMS] = {
    {"epsilon", 0.05, 0, 1, "probability of a uniformly random level"},
    {"lambda", 1, 1e-6, 1e6, "ridge penalty λ"},
    {"predict_purchase", 0, 0, 1, "1: regress purchase and multiply by the sale's value; 0: regress the objective"},
};

typedef struct {
    dsim__feature_map map;
    dsim__ridge model; /* on φ: 3 × map.dim columns */
    int n_levels;
    double epsilon, sale_value[DSIM_MAX_LEVELS];
    bool predict_purchase;
} gr_state;

static int gr_init(void *state, const dsim_policy_env *env, const double *params)
{
    gr_state *s = state;
    s->n_levels = env->n_levels;
    s->epsilon = params[P_EPSILON];
    s->predict_purchase = params[P_PURCHASE] > 0.5;
    int rc = dsim__feature_map_init(&s->map, env, DSIM_MAX_FEATURE_DIM / 3);
    if (rc)
        return rc;
    for (int l = 0; l < env->n_levels; l++)
        s->sale_value[l] = dsim__sale_value(env, l) / dsim__reward_unit(env);
    return dsim__ridge_init(&s->model, 3 * s->map.dim, params[P_LAMBDA]);
}

static void gr_free(void *state)
{
    dsim__ridge_free(&((gr_state *)state)->model);
}

/* φ(x, d) = (x, d x, d² x) */
static void design(const gr_state *s, const double *x, double d, double *phi)
{
    int k = s->map.dim;
    for (int i = 0; i < k; i++) {
        phi[i] = x[i];
        phi[k + i] = d * x[i];
        phi[2 * k + i] = d * d * x[i];
    }
}

static void gr_values(const void *state, const dsim_context *ctx, double *out)
{
    const gr_state *s = state;
    double x[DSIM_MAX_FEATURE_DIM], phi[DSIM_MAX_FEATURE_DIM];
    dsim__feature_map_build(&s->map, ctx, x);
    for (int l = 0; l < s->n_levels; l++) {
        design(s, x, s->map.env.levels[l], phi);
        double predicted = dsim__ridge_predict(&s->model, phi);
        out[l] = s->predict_purchase ? fmin(1.0, fmax(0.0, predicted)) * s->sale_value[l] : predicted;
    }
}

static void gr_distribution(const void *state, const dsim_context *ctx, const double *truth, double *probs)
{
    (void)truth;
    const gr_state *s = state;
    double v[DSIM_MAX_LEVELS];
    gr_values(s, ctx, v);
    dsim__exploration e = {.epsilon = s->epsilon};
    dsim__explore_distribution(&e, 0, v, s->n_levels, probs);
}

static void gr_act(void *state, const dsim_context *ctx, const double *truth, gsl_rng *rng, bool want_propensity,
                   dsim_action *out)
{
    (void)want_propensity;
    double probs[DSIM_MAX_LEVELS];
    gr_distribution(state, ctx, truth, probs);
    dsim__draw_action(probs, ((gr_state *)state)->n_levels, rng, out);
}

static int gr_learn(void *state, const dsim_context *ctx, const dsim_feedback *fb)
{
    gr_state *s = state;
    double x[DSIM_MAX_FEATURE_DIM], phi[DSIM_MAX_FEATURE_DIM];
    dsim__feature_map_build(&s->map, ctx, x);
    design(s, x, s->map.env.levels[fb->level], phi);
    double target = s->predict_purchase ? (fb->purchased ? 1.0 : 0.0) : fb->reward / dsim__reward_unit(&s->map.env);
    return dsim__ridge_update(&s->model, phi, target, 1.0);
}

const dsim_policy_type dsim_policy_greedy_regression = {
    .version = DSIM_POLICY_TYPE_VERSION,
    .name = "greedy_regression",
    .summary = "regress the outcome on context × discount (ridge) and give the best predicted level; ε-greedy",
    .params = gr_params,
    .n_params = N_PARAMS,
    .state_size = sizeof(gr_state),
    .flags = DSIM_POLICY_CONTEXTUAL,
    .default_features =
        (1u << DSIM_FEATURE_BIAS) | (1u << DSIM_FEATURE_SLATE_SCORE) | (1u << DSIM_FEATURE_SLATE_PRICE),
    .init = gr_init,
    .act = gr_act,
    .distribution = gr_distribution,
    .learn = gr_learn,
    .free = gr_free,
    .values = gr_values,
};
