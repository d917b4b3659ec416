/*
 * thompson.c — Thompson sampling on conversion × value per level.
 *
 * Each level l has a Beta(α0 + purchases_l, β0 + visits_l − purchases_l) posterior on its conversion
 * probability θ_l and a running mean v̂_l of the reward per purchase (started from the catalog's mean price
 * after the discount, minus mean cost for profit, with `value_prior_weight` pseudo-purchases). A visit
 * draws θ_l for every level and gives argmax θ_l · v̂_l (Chapelle & Li 2011, Beta-Bernoulli).
 *
 * The probability of each level under this draw has no closed form. distribution() estimates it, like the
 * Open Bandit Pipeline does for its Bernoulli TS logs, from `propensity_draws` posterior draws on a stream
 * keyed by the number of updates so far (deterministic for a given state; a level rarer than about
 * 1 / draws may get no mass). The propensity of the level actually chosen, which IPS divides by, is
 * estimated apart by inverse binomial sampling (dsim__sampled_propensity): never 0, its inverse unbiased;
 * the policy wrapper asks for it only when its caller wants a propensity (it costs Beta samples).
 *
 * With `discount = γ < 1`, every visit first shrinks all evidence toward the prior by γ — discounted
 * Thompson sampling (Raj & Kalyani 2017) — so the posterior reflects roughly the last 1/(1 − γ) visits and
 * follows a market that shifts.
 */
#include <math.h>
#include <stdlib.h>

#include <gsl/gsl_randist.h>

#include "dsim/rng.h"
#include "policy/policy_impl.h"

enum { P_ALPHA, P_BETA, P_VALUE_WEIGHT, P_DRAWS, P_DISCOUNT, N_PARAMS };

static const dsim_param_spec ts_params[N_PARAMS] = {
    {"prior_alpha", 1, 1e-6, 1e6, "Beta prior α on each level's conversion probability"},
    {"prior_beta", 1, 1e-6, 1e6, "Beta prior β"},
    {"value_prior_weight", 1, 0, 1e6, "pseudo-purchases behind the prior reward per purchase"},
    {"propensity_draws", 256, 1, 1e6, "posterior draws used to estimate the action distribution"},
    {"discount", 1, 0.5, 1, "γ: evidence is multiplied by γ every visit (1: a stationary market)"},
};

typedef struct {
    int n_levels;
    double alpha[DSIM_MAX_LEVELS], beta[DSIM_MAX_LEVELS];
    double value_sum[DSIM_MAX_LEVELS], value_weight[DSIM_MAX_LEVELS];
    double prior_alpha, prior_beta, prior_value_sum[DSIM_MAX_LEVELS], prior_value_weight, discount;
    uint64_t updates, seed;
    int draws;
    gsl_rng *dist_rng; /* owned: for the Monte Carlo distribution */
} ts_state;

static int ts_init(void *state, const dsim_policy_env *env, const double *params)
{
    ts_state *s = state;
    s->n_levels = env->n_levels;
    s->seed = env->seed;
    s->draws = (int)params[P_DRAWS];
    s->discount = params[P_DISCOUNT];
    s->prior_alpha = params[P_ALPHA];
    s->prior_beta = params[P_BETA];
    s->prior_value_weight = params[P_VALUE_WEIGHT];
    for (int l = 0; l < env->n_levels; l++) {
        double prior_value = dsim__sale_value(env, l);
        s->alpha[l] = params[P_ALPHA];
        s->beta[l] = params[P_BETA];
        s->value_weight[l] = params[P_VALUE_WEIGHT];
        s->value_sum[l] = s->prior_value_sum[l] = prior_value * params[P_VALUE_WEIGHT];
    }
    s->dist_rng = dsim_rng_alloc();
    return s->dist_rng ? DSIM_OK : dsim_error_set(DSIM_ENOMEM, "out of memory");
}

static void ts_free(void *state)
{
    gsl_rng_free(((ts_state *)state)->dist_rng);
}

static double ts_value(const ts_state *s, int l)
{
    return s->value_weight[l] > 0 ? s->value_sum[l] / s->value_weight[l] : 0.0;
}

static int ts_draw(const ts_state *s, gsl_rng *rng)
{
    double score[DSIM_MAX_LEVELS];
    for (int l = 0; l < s->n_levels; l++)
        score[l] = gsl_ran_beta(rng, s->alpha[l], s->beta[l]) * ts_value(s, l);
    return dsim__argmax(score, s->n_levels);
}

static void ts_distribution(const void *state, const dsim_context *ctx, const double *truth, double *probs)
{
    (void)ctx, (void)truth;
    const ts_state *s = state;
    for (int l = 0; l < s->n_levels; l++)
        probs[l] = 0;
    dsim_rng_key(s->dist_rng, s->seed, DSIM_STREAM_POLICY_DIST, s->updates);
    for (int i = 0; i < s->draws; i++)
        probs[ts_draw(s, s->dist_rng)] += 1.0 / s->draws;
}

static int ts_draw_fn(const void *state, const void *arg, gsl_rng *rng)
{
    (void)arg;
    return ts_draw(state, rng);
}

/* The distribution is a Monte Carlo estimate, no use for a propensity: always sampled. */
static double ts_propensity(const void *state, const dsim_context *ctx, int level, const double *distribution,
                            gsl_rng *rng)
{
    (void)ctx, (void)distribution;
    return dsim__sampled_propensity(ts_draw_fn, state, NULL, level, rng);
}

/* The propensity comes from ts_propensity() (the wrapper asks it). */
static void ts_act(void *state, const dsim_context *ctx, const double *truth, gsl_rng *rng, bool want_propensity,
                   dsim_action *out)
{
    (void)ctx, (void)truth, (void)want_propensity;
    out->level = ts_draw(state, rng);
    out->propensity = NAN;
}

static int ts_learn(void *state, const dsim_context *ctx, const dsim_feedback *fb)
{
    (void)ctx;
    ts_state *s = state;
    s->updates++;
    if (s->discount < 1) {
        double g = s->discount;
        for (int l = 0; l < s->n_levels; l++) {
            s->alpha[l] = s->prior_alpha + g * (s->alpha[l] - s->prior_alpha);
            s->beta[l] = s->prior_beta + g * (s->beta[l] - s->prior_beta);
            s->value_sum[l] = s->prior_value_sum[l] + g * (s->value_sum[l] - s->prior_value_sum[l]);
            s->value_weight[l] = s->prior_value_weight + g * (s->value_weight[l] - s->prior_value_weight);
        }
    }
    if (fb->purchased) {
        s->alpha[fb->level] += 1;
        s->value_sum[fb->level] += fb->reward;
        s->value_weight[fb->level] += 1;
    } else {
        s->beta[fb->level] += 1;
    }
    return DSIM_OK;
}

/* The posterior mean of each level's reward: P(sale) times the value of a sale. */
static void ts_values(const void *state, const dsim_context *ctx, double *out)
{
    (void)ctx;
    const ts_state *s = state;
    for (int l = 0; l < s->n_levels; l++)
        out[l] = s->alpha[l] / (s->alpha[l] + s->beta[l]) * ts_value(s, l);
}

const dsim_policy_type dsim_policy_thompson = {
    .version = DSIM_POLICY_TYPE_VERSION,
    .name = "thompson",
    .summary = "Thompson sampling: Beta posterior on conversion × mean reward per purchase, per level",
    .params = ts_params,
    .n_params = N_PARAMS,
    .state_size = sizeof(ts_state),
    .init = ts_init,
    .act = ts_act,
    .distribution = ts_distribution,
    .learn = ts_learn,
    .values = ts_values,
    .free = ts_free,
    .propensity = ts_propensity,
};
