/*
 * exp3.c — Exp3 (Auer, Cesa-Bianchi, Freund & Schapire 2002) for markets that may change adversarially:
 *
 *   p_l = (1 − γ) e^{w_l} / Σ_m e^{w_m} + γ / K,     after giving l:  w_l ← w_l + γ (r / p_l) / K,
 *
 * with the reward r scaled to [0, 1] by the largest reward a visit can bring (a loss-making sale counts
 * as 0). Weights are kept in the log domain and shifted so the largest is 0, so they never overflow.
 * The action distribution is p itself, exactly.
 */
#include <math.h>

#include "policy/policy_impl.h"

enum { P_GAMMA, N_PARAMS };

static const dsim_param_spec exp3_params[N_PARAMS] = {
    {"gamma", 0.05, 1e-6, 1, "exploration share γ (also the learning rate)"},
};

typedef struct {
    int n_levels;
    double gamma, scale;
    double log_weight[DSIM_MAX_LEVELS];
} exp3_state;

static int exp3_init(void *state, const dsim_policy_env *env, const double *params)
{
    exp3_state *s = state;
    s->n_levels = env->n_levels;
    s->gamma = params[P_GAMMA];
    s->scale = env->reward_scale;
    return DSIM_OK;
}

static void exp3_distribution(const void *state, const dsim_context *ctx, const double *truth, double *probs)
{
    (void)ctx, (void)truth;
    const exp3_state *s = state;
    double sum = 0;
    for (int l = 0; l < s->n_levels; l++)
        sum += probs[l] = exp(s->log_weight[l]);
    for (int l = 0; l < s->n_levels; l++)
        probs[l] = (1 - s->gamma) * probs[l] / sum + s->gamma / s->n_levels;
}

static void exp3_act(void *state, const dsim_context *ctx, const double *truth, gsl_rng *rng, bool want_propensity,
                     dsim_action *out)
{
    (void)want_propensity;
    const exp3_state *s = state;
    double probs[DSIM_MAX_LEVELS];
    exp3_distribution(s, ctx, truth, probs);
    dsim__draw_action(probs, s->n_levels, rng, out);
}

static int exp3_learn(void *state, const dsim_context *ctx, const dsim_feedback *fb)
{
    exp3_state *s = state;
    double probs[DSIM_MAX_LEVELS] = {0};
    exp3_distribution(s, ctx, NULL, probs);
    double r = fmin(1.0, fmax(0.0, fb->reward / s->scale)), p = fb->propensity > 0 ? fb->propensity : probs[fb->level];
    s->log_weight[fb->level] += s->gamma * r / p / s->n_levels;
    double top = s->log_weight[0];
    for (int l = 1; l < s->n_levels; l++)
        top = fmax(top, s->log_weight[l]);
    for (int l = 0; l < s->n_levels; l++)
        s->log_weight[l] -= top;
    return DSIM_OK;
}

const dsim_policy_type dsim_policy_exp3 = {
    .version = DSIM_POLICY_TYPE_VERSION,
    .name = "exp3",
    .summary = "Exp3: exponential weights on importance-weighted rewards, for shifting or adversarial markets",
    .params = exp3_params,
    .n_params = N_PARAMS,
    .state_size = sizeof(exp3_state),
    .flags = DSIM_POLICY_IMPORTANCE_WEIGHTED,
    .init = exp3_init,
    .act = exp3_act,
    .distribution = exp3_distribution,
    .learn = exp3_learn,
};
