/*
 * policy_impl.h — helpers shared by the policy types in src/policy/: per-level reward statistics,
 * deterministic argmax, one-hot distributions and level lookup.
 */
#ifndef DSIM_POLICY_IMPL_H
#define DSIM_POLICY_IMPL_H

#include "dsim/error.h"
#include "dsim/policy.h"

/* Running count and mean reward of each level. */
typedef struct {
    int n_levels;
    uint64_t total;
    uint64_t count[DSIM_MAX_LEVELS];
    double mean[DSIM_MAX_LEVELS];
} dsim__arms;

void dsim__arms_init(dsim__arms *arms, int n_levels);
void dsim__arms_update(dsim__arms *arms, int level, double reward);

/** @return the index of the largest value; ties go to the lowest index (so results are deterministic). */
int dsim__argmax(const double *values, int n);

/** probs ← the distribution that puts all mass on `level`. */
void dsim__one_hot(double *probs, int n, int level);

/** @return the level whose fraction equals percent / 100, or -1 with an error message set. */
int dsim__level_from_percent(const dsim_policy_env *env, double percent, const char *param);

#endif
