/*
 * linear_q.c — Q-learning with linear function approximation on the context features:
 * Q(x, a) = w_a · x, and when the shopper comes back with features x' (Sutton & Barto 2018, §10.1,
 * semi-gradient Q-learning),
 *
 *   w_a ← w_a + α [ r + γ max_b w_b · x' − w_a · x ] x / max(1, ‖x‖²),
 *
 * the step normalised by ‖x‖² (normalised LMS) so one α suits feature sets of any size. r is the
 * visit's objective scaled by the largest reward a visit can bring.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "policy/policy_impl.h"

enum { P_ALPHA, P_GAMMA, P_EPSILON, P_TEMPERATURE, P_EXPLORE_DECAY, N_PARAMS };

static const dsim_param_spec lq_params[N_PARAMS] = {
    {"alpha", 0.02, 1e-6, 1, "learning rate α (normalised by ‖x‖²)"},
    {"gamma", 0.9, 0, 0.9999, "discount factor γ per visit of the same shopper"},
    {"epsilon", 0.05, 0, 1, "ε-greedy exploration (when temperature = 0)"},
    {"temperature", 0, 0, 1e6, "softmax temperature τ over scaled values (0: ε-greedy)"},
    {"explore_decay", 0, 0, 1e6, "ε_t, τ_t = ε, τ / (1 + explore_decay · visits learned from)"},
};

typedef struct {
    int n_levels;
    dsim__feature_map map;
    double alpha, gamma, scale;
    dsim__exploration explore;
    uint64_t updates;
    double w[DSIM_MAX_LEVELS][DSIM_MAX_FEATURE_DIM];
    dsim__pending pending;
} lq_state;

static int lq_init(void *state, const dsim_policy_env *env, const double *params)
{
    lq_state *s = state;
    s->n_levels = env->n_levels;
    int rc = dsim__feature_map_init(&s->map, env, DSIM_MAX_FEATURE_DIM);
    if (rc)
        return rc;
    s->alpha = params[P_ALPHA];
    s->gamma = params[P_GAMMA];
    s->scale = env->reward_scale;
    s->explore = (dsim__exploration){params[P_EPSILON], params[P_TEMPERATURE], params[P_EXPLORE_DECAY]};
    return dsim__pending_init(&s->pending, env->n_customers, s->map.dim);
}

static void lq_free(void *state)
{
    dsim__pending_free(&((lq_state *)state)->pending);
}

static void values_of(const lq_state *s, const double *x, double *out)
{
    for (int l = 0; l < s->n_levels; l++) {
        double v = 0;
        for (int i = 0; i < s->map.dim; i++)
            v += s->w[l][i] * x[i];
        out[l] = v;
    }
}

static void lq_values(const void *state, const dsim_context *ctx, double *out)
{
    const lq_state *s = state;
    double x[DSIM_MAX_FEATURE_DIM];
    dsim__feature_map_build(&s->map, ctx, x);
    values_of(s, x, out);
}

static void lq_distribution(const void *state, const dsim_context *ctx, const double *truth, double *probs)
{
    (void)truth;
    const lq_state *s = state;
    double q[DSIM_MAX_LEVELS];
    lq_values(s, ctx, q);
    dsim__explore_distribution(&s->explore, s->updates, q, s->n_levels, probs);
}

static void lq_act(void *state, const dsim_context *ctx, const double *truth, gsl_rng *rng, bool want_propensity,
                   dsim_action *out)
{
    (void)want_propensity;
    double probs[DSIM_MAX_LEVELS];
    lq_distribution(state, ctx, truth, probs);
    dsim__draw_action(probs, ((lq_state *)state)->n_levels, rng, out);
}

static int lq_learn(void *state, const dsim_context *ctx, const dsim_feedback *fb)
{
    lq_state *s = state;
    uint32_t u = ctx->shopper;
    int rc = dsim__pending_check(&s->pending, u);
    if (rc)
        return rc;
    double x_next[DSIM_MAX_FEATURE_DIM], q_next[DSIM_MAX_LEVELS];
    dsim__feature_map_build(&s->map, ctx, x_next);
    float *kept = s->pending.features + (size_t)u * (size_t)s->map.dim;
    s->updates++;
    if (s->pending.level[u]) {
        int a = s->pending.level[u] - 1;
        double x[DSIM_MAX_FEATURE_DIM], norm2 = 0, current = 0;
        for (int i = 0; i < s->map.dim; i++) {
            x[i] = kept[i];
            norm2 += x[i] * x[i];
            current += s->w[a][i] * x[i];
        }
        values_of(s, x_next, q_next);
        double best = q_next[dsim__argmax(q_next, s->n_levels)];
        double step = s->alpha * (s->pending.reward[u] + s->gamma * best - current) / fmax(1.0, norm2);
        if (!isfinite(step)) /* refuse before the weights absorb it */
            return dsim_error_set(DSIM_ENUMERIC, "linear Q weights diverged (TD error %g); lower alpha", step);
        for (int i = 0; i < s->map.dim; i++)
            s->w[a][i] += step * x[i];
    }
    for (int i = 0; i < s->map.dim; i++)
        kept[i] = (float)x_next[i];
    s->pending.level[u] = (uint8_t)(fb->level + 1);
    s->pending.reward[u] = (float)(fb->reward / s->scale);
    return DSIM_OK;
}

const dsim_policy_type dsim_policy_linear_q = {
    .version = DSIM_POLICY_TYPE_VERSION,
    .name = "linear_q",
    .summary = "Q-learning with linear function approximation on the context features",
    .params = lq_params,
    .n_params = N_PARAMS,
    .state_size = sizeof(lq_state),
    .flags = DSIM_POLICY_CONTEXTUAL | DSIM_POLICY_PER_VISIT,
    .init = lq_init,
    .act = lq_act,
    .distribution = lq_distribution,
    .learn = lq_learn,
    .free = lq_free,
    .values = lq_values,
};
