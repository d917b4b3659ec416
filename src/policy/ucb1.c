/*
 * ucb1.c — UCB1 (Auer, Cesa-Bianchi & Fischer 2002): give the level with the highest upper confidence
 * bound  x̄_l + c · sqrt(2 ln n / n_l), rewards scaled to [0, 1] by the largest reward a visit can bring.
 * Each level is tried once first. Deterministic: ties go to the lower level.
 *
 * With `window = W`, means and counts cover only the last W visits and n = min(t, W): sliding-window UCB
 * (Garivier & Moulines 2011), which forgets a market that has shifted (a level that drops out of the
 * window is tried again).
 */
#include <string.h>
#include <math.h>

#include "policy/policy_impl.h"

typedef struct {
    dsim__arms arms;
    double c, scale;
} ucb_state;

static const dsim_param_spec ucb_params[] = {
    {"c", 1.0, 0, 100, "exploration weight (1 is UCB1 as published)"},
    {"window", 0, 0, 1e8, "sliding window in visits (0: all visits)"},
};

static int ucb_init(void *state, const dsim_policy_env *env, const double *params)
{
    ucb_state *s = state;
    s->c = params[0];
    s->scale = env->reward_scale;
    return dsim__arms_init(&s->arms, env->n_levels, (uint32_t)params[1]);
}

static void ucb_free(void *state)
{
    dsim__arms_free(&((ucb_state *)state)->arms);
}

static int ucb_choose(const ucb_state *s)
{
    int n = s->arms.n_levels;
    double bound[DSIM_MAX_LEVELS];
    for (int l = 0; l < n; l++) {
        if (s->arms.count[l] == 0)
            return l;
        bound[l] = s->arms.mean[l] / s->scale + s->c * sqrt(2.0 * log((double)s->arms.total) / (double)s->arms.count[l]);
    }
    return dsim__argmax(bound, n);
}

static void ucb_act(void *state, const dsim_context *ctx, const double *truth, gsl_rng *rng, bool want_propensity,
                    dsim_action *out)
{
    (void)ctx, (void)truth, (void)rng, (void)want_propensity;
    out->level = ucb_choose(state);
    out->propensity = 1.0;
}

static void ucb_distribution(const void *state, const dsim_context *ctx, const double *truth, double *probs)
{
    (void)ctx, (void)truth;
    const ucb_state *s = state;
    dsim__one_hot(probs, s->arms.n_levels, ucb_choose(s));
}

static int ucb_learn(void *state, const dsim_context *ctx, const dsim_feedback *fb)
{
    (void)ctx;
    dsim__arms_update(&((ucb_state *)state)->arms, fb->level, fb->reward);
    return DSIM_OK;
}

/* The mean reward each level has brought so far. */
static void ucb_values(const void *state, const dsim_context *ctx, double *out)
{
    (void)ctx;
    const ucb_state *s = state;
    memcpy(out, s->arms.mean, sizeof(double) * (size_t)s->arms.n_levels);
}

static double *ucb_knob(void *state, const char **name)
{
    *name = "c";
    return &((ucb_state *)state)->c;
}

const dsim_policy_type dsim_policy_ucb1 = {
    .version = DSIM_POLICY_TYPE_VERSION,
    .name = "ucb1",
    .summary = "UCB1 on each level's mean reward (Auer et al. 2002)",
    .params = ucb_params,
    .n_params = 2,
    .state_size = sizeof(ucb_state),
    .free = ucb_free,
    .init = ucb_init,
    .act = ucb_act,
    .distribution = ucb_distribution,
    .learn = ucb_learn,
    .knob = ucb_knob,
    .values = ucb_values,
};
