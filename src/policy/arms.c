/*
 * arms.c — per-level running statistics and small decision helpers shared by the policy types.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "dsim/error.h"
#include "policy/policy_impl.h"

void dsim__arms_init(dsim__arms *arms, int n_levels)
{
    memset(arms, 0, sizeof *arms);
    arms->n_levels = n_levels;
}

void dsim__arms_update(dsim__arms *arms, int level, double reward)
{
    arms->total++;
    arms->count[level]++;
    arms->mean[level] += (reward - arms->mean[level]) / (double)arms->count[level];
}

int dsim__argmax(const double *values, int n)
{
    int best = 0;
    for (int i = 1; i < n; i++)
        if (values[i] > values[best])
            best = i;
    return best;
}

void dsim__one_hot(double *probs, int n, int level)
{
    for (int i = 0; i < n; i++)
        probs[i] = i == level ? 1.0 : 0.0;
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
    return -1;
}
