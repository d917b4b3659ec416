/*
 * epsilon_greedy.c — ε-greedy on each level's mean reward: explore uniformly with probability ε_t,
 * otherwise give the level with the best mean so far. ε_t = ε / (1 + decay · t); levels never tried come
 * first, in order, so every level is tried once before the means are trusted.
 */
#include <string.h>
#include <math.h>

#include "policy/policy_impl.h"

typedef struct {
    dsim__arms arms;
    double epsilon, decay;
} eg_state;

static const dsim_param_spec eg_params[] = {
    {"epsilon", 0.1, 0, 1, "exploration probability"},
    {"decay", 0, 0, 1e6, "ε_t = epsilon / (1 + decay · t), t = visits learned from"},
    {"window", 0, 0, 1e8, "sliding window in visits for the means (0: all visits)"},
};

static int eg_init(void *state, const dsim_policy_env *env, const double *params)
{
    eg_state *s = state;
    s->epsilon = params[0];
    s->decay = params[1];
    return dsim__arms_init(&s->arms, env->n_levels, (uint32_t)params[2]);
}

static void eg_free(void *state)
{
    dsim__arms_free(&((eg_state *)state)->arms);
}

static int eg_greedy(const eg_state *s)
{
    for (int l = 0; l < s->arms.n_levels; l++)
        if (s->arms.count[l] == 0)
            return l;
    return dsim__argmax(s->arms.mean, s->arms.n_levels);
}

static double eg_epsilon(const eg_state *s)
{
    return s->epsilon / (1.0 + s->decay * (double)s->arms.pushed);
}

static void eg_distribution(const void *state, const dsim_context *ctx, const double *truth, double *probs)
{
    (void)ctx, (void)truth;
    const eg_state *s = state;
    dsim__epsilon_greedy_distribution(eg_epsilon(s), eg_greedy(s), s->arms.n_levels, probs);
}

static void eg_act(void *state, const dsim_context *ctx, const double *truth, gsl_rng *rng, bool want_propensity,
                   dsim_action *out)
{
    (void)want_propensity;
    const eg_state *s = state;
    int n = s->arms.n_levels;
    /* Always two draws, so the stream stays aligned whichever branch is taken. */
    double u = gsl_rng_uniform(rng);
    int explore_level = (int)gsl_rng_uniform_int(rng, (unsigned long)n);
    out->level = u < eg_epsilon(s) ? explore_level : eg_greedy(s);
    double probs[DSIM_MAX_LEVELS];
    eg_distribution(state, ctx, truth, probs);
    out->propensity = probs[out->level];
}

static int eg_learn(void *state, const dsim_context *ctx, const dsim_feedback *fb)
{
    (void)ctx;
    dsim__arms_update(&((eg_state *)state)->arms, fb->level, fb->reward);
    return DSIM_OK;
}

/* The mean reward each level has brought so far. */
static void eg_values(const void *state, const dsim_context *ctx, double *out)
{
    (void)ctx;
    const eg_state *s = state;
    memcpy(out, s->arms.mean, sizeof(double) * (size_t)s->arms.n_levels);
}

static double *eg_knob(void *state, const char **name)
{
    *name = "epsilon";
    return &((eg_state *)state)->epsilon;
}

const dsim_policy_type dsim_policy_epsilon_greedy = {
    .version = DSIM_POLICY_TYPE_VERSION,
    .name = "epsilon_greedy",
    .summary = "ε-greedy on each level's mean reward",
    .params = eg_params,
    .n_params = 3,
    .free = eg_free,
    .state_size = sizeof(eg_state),
    .init = eg_init,
    .act = eg_act,
    .distribution = eg_distribution,
    .learn = eg_learn,
    .knob = eg_knob,
    .values = eg_values,
};
