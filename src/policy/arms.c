/*
 * arms.c — per-level running statistics and small decision helpers shared by the policy types.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dsim/error.h"
#include "policy/policy_impl.h"

int dsim__arms_init(dsim__arms *arms, int n_levels, uint32_t window)
{
    memset(arms, 0, sizeof *arms);
    arms->n_levels = n_levels;
    arms->window = window;
    if (window) {
        arms->ring_level = malloc(window);
        arms->ring_reward = malloc(sizeof(double) * window);
        if (!arms->ring_level || !arms->ring_reward) {
            dsim__arms_free(arms);
            return dsim_error_set(DSIM_ENOMEM, "window = %u: out of memory", window);
        }
    }
    return DSIM_OK;
}

void dsim__arms_free(dsim__arms *arms)
{
    free(arms->ring_level);
    free(arms->ring_reward);
    arms->ring_level = NULL;
    arms->ring_reward = NULL;
}

static void refresh_mean(dsim__arms *arms, int level)
{
    arms->mean[level] = arms->count[level] ? arms->sum[level] / (double)arms->count[level] : 0.0;
}

/* The window's sums are kept by adding and subtracting; once per window they are summed afresh from the
 * ring so that rounding cannot accumulate over a long run. */
static void resum_window(dsim__arms *arms)
{
    for (int l = 0; l < arms->n_levels; l++)
        arms->sum[l] = 0;
    for (uint32_t i = 0; i < arms->window; i++)
        arms->sum[arms->ring_level[i]] += arms->ring_reward[i];
    for (int l = 0; l < arms->n_levels; l++)
        refresh_mean(arms, l);
}

void dsim__arms_update(dsim__arms *arms, int level, double reward)
{
    if (!arms->window) {
        arms->pushed++;
        arms->total++;
        arms->count[level]++;
        arms->mean[level] += (reward - arms->mean[level]) / (double)arms->count[level];
        return;
    }
    uint32_t slot = (uint32_t)(arms->pushed % arms->window);
    if (arms->pushed >= arms->window) {
        int old = arms->ring_level[slot];
        arms->count[old]--;
        arms->sum[old] -= arms->ring_reward[slot];
        refresh_mean(arms, old);
    } else {
        arms->total++;
    }
    arms->ring_level[slot] = (uint8_t)level;
    arms->ring_reward[slot] = reward;
    arms->count[level]++;
    arms->sum[level] += reward;
    refresh_mean(arms, level);
    if (++arms->pushed % arms->window == 0)
        resum_window(arms);
}

int dsim__argmax(const double *values, int n)
{
    int best = 0;
    for (int i = 1; i < n; i++)
        if (values[i] > values[best])
            best = i;
    return best;
}

void dsim__draw_action(const double *probs, int n, gsl_rng *rng, dsim_action *out)
{
    double u = gsl_rng_uniform(rng), cumulative = 0;
    int level = n - 1;
    for (int l = 0; l < n - 1; l++)
        if (u < (cumulative += probs[l])) {
            level = l;
            break;
        }
    out->level = level;
    out->propensity = probs[level];
}

void dsim__one_hot(double *probs, int n, int level)
{
    for (int i = 0; i < n; i++)
        probs[i] = i == level ? 1.0 : 0.0;
}

uint64_t dsim__decision_index(const dsim_context *ctx)
{
    return ctx->for_item ? ctx->visit * DSIM_MAX_SLATE + (uint64_t)ctx->item_position : ctx->visit;
}

double dsim__sampled_propensity(dsim__draw_fn draw, const void *state, const void *arg, int level, gsl_rng *rng)
{
    uint64_t wins = 0, draws = 0;
    while (wins < DSIM__PROPENSITY_WINS && draws < DSIM__PROPENSITY_MAX_DRAWS) {
        draws++;
        wins += draw(state, arg, rng) == level;
    }
    if (wins == DSIM__PROPENSITY_WINS)
        return (double)wins / (double)draws;
    return ((double)wins + 1) / ((double)draws + 1);
}

int dsim__level_from_percent(const dsim_policy_env *env, double percent, const char *param)
{
    for (int l = 0; l < env->n_levels; l++)
        if (fabs(env->levels[l] * 100.0 - percent) < 1e-6)
            return l;
    char list[256] = "";
    size_t used = 0;
    for (int l = 0; l < env->n_levels && used < sizeof list; l++)
        used += (size_t)snprintf(list + used, sizeof list - used, "%s%g", l ? ", " : "", env->levels[l] * 100.0);
    dsim_error_set(DSIM_ECONFIG, "%s = %g: the scenario offers no such level (its levels: %s %%)", param, percent,
                   list);
    dsim__policy_blame(param);
    return -1;
}

double dsim__reward_unit(const dsim_policy_env *env)
{
    double unit = dsim__sale_value(env, 0);
    return unit > 0 ? unit : env->reward_scale;
}

double dsim__sale_value(const dsim_policy_env *env, int level)
{
    double paid = env->mean_price * (1 - env->levels[level]);
    switch (env->objective) {
    case DSIM_OBJECTIVE_REVENUE:
        return paid;
    case DSIM_OBJECTIVE_PROFIT:
        return paid - env->mean_cost;
    case DSIM_OBJECTIVE_CONVERSIONS:
        break;
    }
    return 1.0;
}
