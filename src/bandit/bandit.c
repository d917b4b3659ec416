/*
 * bandit.c — the K-armed problems of dsim/bandit.h: drawing a problem from its configuration, each arm's
 * expected reward in closed form, and the round loop that runs one policy on it.
 */
#include "dsim/bandit.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_fit.h>
#include <gsl/gsl_randist.h>

#include "dsim/error.h"
#include "dsim/rng.h"
#include "sim/learning.h"

struct dsim_bandit {
    const dsim_bandit_config *cfg;
    uint64_t seed;
    int n_arms, best;
    double levels[DSIM_MAX_LEVELS]; /* discount off the highest price; level 0 = highest price */
    double price[DSIM_MAX_LEVELS];  /* by level */
    double mean[DSIM_MAX_LEVELS];   /* expected reward by level */
    /* valuation */
    double *share, *valuation;      /* (segments,) */
    gsl_ran_discrete_t *segment_table;
    dsim_unit_outcome *units;       /* (consumers,) one round's consumers */
    gsl_rng *rng;
};

static double clamp01(double x)
{
    return x < 0 ? 0 : x > 1 ? 1 : x;
}

/* P(v + U[−δ, δ] ≥ p) */
static double buy_probability(double valuation, double perturbation, double price)
{
    if (perturbation <= 0)
        return valuation >= price;
    return clamp01((valuation + perturbation - price) / (2 * perturbation));
}

static double expected_reward(const dsim_bandit *b, int level)
{
    const dsim_bandit_config *c = b->cfg;
    double p = b->price[level];
    switch (c->kind) {
    case DSIM_BANDIT_BERNOULLI:
        return c->means[level];
    case DSIM_BANDIT_LINEAR:
        return p * (c->intercept - c->slope * p);
    case DSIM_BANDIT_VALUATION: {
        double demand = 0;
        for (int s = 0; s < c->segments; s++)
            demand += b->share[s] * buy_probability(b->valuation[s], c->perturbation, p);
        return p * demand;
    }
    }
    return 0;
}

/* Segment shares ~ Dirichlet(α) (equal when α = 0) and valuations ~ Beta(a, b), from the seed's streams. */
static int draw_segments(dsim_bandit *b)
{
    const dsim_bandit_config *c = b->cfg;
    size_t n = (size_t)c->segments;
    b->share = malloc(sizeof(double) * n);
    b->valuation = malloc(sizeof(double) * n);
    b->units = malloc(sizeof(dsim_unit_outcome) * (size_t)c->consumers);
    if (!b->share || !b->valuation || !b->units)
        return dsim_error_set(DSIM_ENOMEM, "out of memory for %d segments", c->segments);
    double total = 0;
    for (size_t s = 0; s < n; s++) {
        dsim_rng_key(b->rng, b->seed, DSIM_STREAM_POPULATION, s);
        b->valuation[s] = gsl_ran_beta(b->rng, c->valuation_a, c->valuation_b);
        /* Dirichlet(α) as normalised Gamma(α, 1) draws, one per segment's own stream */
        b->share[s] = c->share_concentration > 0 ? gsl_ran_gamma(b->rng, c->share_concentration, 1.0) : 1.0;
        total += b->share[s];
    }
    for (size_t s = 0; s < n; s++)
        b->share[s] /= total;
    b->segment_table = gsl_ran_discrete_preproc(n, b->share);
    return b->segment_table ? DSIM_OK : dsim_error_set(DSIM_ENOMEM, "out of memory for %d segments", c->segments);
}

int dsim_bandit_alloc(dsim_bandit **out, const dsim_bandit_config *cfg, uint64_t seed)
{
    *out = NULL;
    dsim_bandit *b = calloc(1, sizeof *b);
    if (!b || !(b->rng = dsim_rng_alloc())) {
        free(b);
        return dsim_error_set(DSIM_ENOMEM, "out of memory");
    }
    b->cfg = cfg;
    b->seed = seed;
    b->n_arms = cfg->n_arms;
    /* Levels go from the highest price down, so that level 0 is "no discount". */
    double top = cfg->kind == DSIM_BANDIT_BERNOULLI ? 1.0 : cfg->prices[cfg->n_arms - 1];
    for (int l = 0; l < b->n_arms; l++) {
        b->price[l] = cfg->kind == DSIM_BANDIT_BERNOULLI ? 1.0 : cfg->prices[cfg->n_arms - 1 - l];
        b->levels[l] = 1.0 - b->price[l] / top;
    }
    int rc = cfg->kind == DSIM_BANDIT_VALUATION ? draw_segments(b) : DSIM_OK;
    if (rc) {
        dsim_bandit_free(b);
        return rc;
    }
    for (int l = 0; l < b->n_arms; l++) {
        b->mean[l] = expected_reward(b, l);
        if (b->mean[l] > b->mean[b->best])
            b->best = l;
    }
    *out = b;
    return DSIM_OK;
}

void dsim_bandit_free(dsim_bandit *b)
{
    if (!b)
        return;
    free(b->share);
    free(b->valuation);
    free(b->units);
    gsl_ran_discrete_free(b->segment_table);
    gsl_rng_free(b->rng);
    free(b);
}

const double *dsim_bandit_arm_means(const dsim_bandit *b) { return b->mean; }
int dsim_bandit_best_arm(const dsim_bandit *b) { return b->best; }

void dsim_bandit_policy_env(const dsim_bandit *b, dsim_policy_env *env)
{
    const dsim_bandit_config *c = b->cfg;
    bool pricing = c->kind != DSIM_BANDIT_BERNOULLI;
    /* The largest reward a round can bring without noise: the scale rewards are divided by. */
    double scale = 0;
    for (int l = 0; l < b->n_arms; l++)
        scale = fmax(scale, c->kind == DSIM_BANDIT_LINEAR ? b->mean[l] : b->price[l]);
    *env = (dsim_policy_env){
        .n_levels = b->n_arms,
        .levels = b->levels,
        .objective = pricing ? DSIM_OBJECTIVE_REVENUE : DSIM_OBJECTIVE_CONVERSIONS,
        .reward_scale = scale > 0 ? scale : 1.0,
        .mean_price = b->price[0],
        .mean_cost = 0,
        .n_categories = 1,
        .n_customers = 1,
        .seed = b->seed,
        .n_groups = c->kind == DSIM_BANDIT_VALUATION ? (uint32_t)c->segments : 0,
    };
}

/* One round's reward for the arm at `level`, from the round's own stream; fills fb. */
static void play(dsim_bandit *b, uint64_t round, int level, dsim_feedback *fb)
{
    const dsim_bandit_config *c = b->cfg;
    double p = b->price[level];
    dsim_rng_key(b->rng, b->seed, DSIM_STREAM_CHOICE, round);
    *fb = (dsim_feedback){.level = level, .position = -1};
    switch (c->kind) {
    case DSIM_BANDIT_BERNOULLI:
        fb->reward = gsl_rng_uniform(b->rng) < c->means[level] ? 1.0 : 0.0;
        break;
    case DSIM_BANDIT_LINEAR:
        fb->reward = b->mean[level] + c->noise_sd * gsl_ran_gaussian_ziggurat(b->rng, 1.0);
        break;
    case DSIM_BANDIT_VALUATION: {
        int buyers = 0;
        for (int i = 0; i < c->consumers; i++) {
            size_t s = gsl_ran_discrete(b->rng, b->segment_table);
            double v = b->valuation[s] + c->perturbation * (2.0 * gsl_rng_uniform(b->rng) - 1.0);
            b->units[i] = (dsim_unit_outcome){.group = (uint32_t)s, .bought = v >= p};
            buyers += b->units[i].bought;
        }
        fb->reward = p * buyers / c->consumers;
        fb->n_units = c->consumers;
        fb->units = b->units;
        break;
    }
    }
    fb->purchased = fb->reward > 0;
    fb->revenue = fb->profit = fb->reward;
}

/* Checkpoint i of n at round ⌈T^{(i+1)/n}⌉, evenly spaced in ln t, distinct and ending at T. */
static int checkpoints(uint64_t rounds, int n, uint64_t *at)
{
    int m = 0;
    for (int i = 0; i < n; i++) {
        uint64_t t = (uint64_t)ceil(pow((double)rounds, (double)(i + 1) / n));
        if (t > rounds)
            t = rounds;
        if (m == 0 || t > at[m - 1])
            at[m++] = t;
    }
    return m;
}

int dsim_bandit_run(dsim_bandit *b, dsim_policy *policy, uint64_t rounds, dsim_bandit_result *out)
{
    memset(out, 0, sizeof *out);
    out->rounds = rounds ? rounds : b->cfg->rounds;
    out->optimum = b->mean[b->best];
    out->n_checkpoints = checkpoints(out->rounds, b->cfg->checkpoints, out->checkpoint_round);
    gsl_rng *policy_rng = dsim_rng_alloc();
    if (!policy_rng)
        return dsim_error_set(DSIM_ENOMEM, "out of memory");
    int rc = DSIM_OK, next = 0;
    uint64_t every = b->cfg->update_every > 1 ? (uint64_t)b->cfg->update_every : 1;
    bool keep_propensity = every > 1 && (dsim_policy_config_of(policy)->type->flags & DSIM_POLICY_IMPORTANCE_WEIGHTED);
    dsim__learning batch;
    dsim__learning_init(&batch, DSIM_DELAYED_NAIVE, 0);
    dsim_context ctx = {.slate_size = 0, .budget_left = 1.0, .days_since_visit = -1, .days_since_purchase = -1};
    for (uint64_t t = 0; t < out->rounds && !rc; t++) {
        dsim_action action;
        dsim_feedback fb;
        ctx.visit = t;
        ctx.day = (double)t;
        dsim_rng_key(policy_rng, b->seed, DSIM_STREAM_POLICY, t);
        dsim_policy_act(policy, &ctx, b->mean, policy_rng, keep_propensity, &action);
        play(b, t, action.level, &fb);
        fb.propensity = keep_propensity ? action.propensity : 0;
        if (every == 1)
            rc = dsim_policy_learn(policy, &ctx, &fb);
        else if (!(rc = dsim__learning_push(&batch, &ctx, &fb, ctx.day, ctx.day)) && (t + 1) % every == 0)
            rc = dsim__learning_update(&batch, policy, ctx.day);
        out->pulls[action.level]++;
        out->reward += fb.reward;
        out->expected_reward += b->mean[action.level];
        out->regret += out->optimum - b->mean[action.level];
        if (next < out->n_checkpoints && t + 1 == out->checkpoint_round[next])
            out->checkpoint_regret[next++] = out->regret;
    }
    gsl_rng_free(policy_rng);
    dsim__learning_free(&batch);
    return rc;
}

double dsim_bandit_percent_of_optimum(const dsim_bandit_result *r)
{
    return 100.0 * r->expected_reward / ((double)r->rounds * r->optimum);
}

static double bernoulli_kl(double p, double q)
{
    double a = p > 0 ? p * log(p / q) : 0, b = p < 1 ? (1 - p) * log((1 - p) / (1 - q)) : 0;
    return a + b;
}

double dsim_bandit_lai_robbins(const dsim_bandit *b)
{
    if (b->cfg->kind != DSIM_BANDIT_BERNOULLI)
        return NAN;
    double best = b->mean[b->best], c = 0;
    for (int l = 0; l < b->n_arms; l++)
        if (b->mean[l] < best)
            c += (best - b->mean[l]) / bernoulli_kl(b->mean[l], best);
    return c;
}

double dsim_bandit_regret_slope(const dsim_bandit_result *r, double from)
{
    double x[DSIM_BANDIT_MAX_CHECKPOINTS], y[DSIM_BANDIT_MAX_CHECKPOINTS];
    double first = pow((double)r->rounds, from);
    size_t n = 0;
    for (int i = 0; i < r->n_checkpoints; i++) {
        if ((double)r->checkpoint_round[i] < first)
            continue;
        x[n] = log((double)r->checkpoint_round[i]);
        y[n++] = r->checkpoint_regret[i];
    }
    double intercept, slope, c00, c01, c11, sumsq;
    if (n < 3 || gsl_fit_linear(x, 1, y, 1, n, &intercept, &slope, &c00, &c01, &c11, &sumsq))
        return NAN;
    return slope;
}
