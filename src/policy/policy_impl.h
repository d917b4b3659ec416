/*
 * policy_impl.h — helpers shared by the policy types in src/policy/: per-level reward statistics,
 * deterministic argmax, one-hot distributions and level lookup.
 */
#ifndef DSIM_POLICY_IMPL_H
#define DSIM_POLICY_IMPL_H

#include <gsl/gsl_integration.h>

#include "dsim/error.h"
#include "dsim/features.h"
#include "dsim/policy.h"
#include "policy/ridge.h"

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

/*
 * One ridge model per level on the context features (disjoint arms, Li et al. 2010): the common part of
 * linucb, lin_ts and logistic_ts. Rewards are divided by the env's reward_scale so that one exploration
 * weight suits every scenario.
 */
typedef struct {
    int n_levels, dim;
    uint32_t features;
    double scale;
    dsim_policy_env env;
    dsim__ridge model[DSIM_MAX_LEVELS];
} dsim__linear_arms;

int dsim__linear_arms_init(dsim__linear_arms *a, const dsim_policy_env *env, double lambda);
void dsim__linear_arms_free(dsim__linear_arms *a);
/** x ← the context's features. @param x (DSIM_MAX_FEATURE_DIM,) */
void dsim__linear_arms_features(const dsim__linear_arms *a, const dsim_context *ctx, double *x);
/** Update the model of the level given with the scaled reward. @return 0 or DSIM_ENUMERIC. */
int dsim__linear_arms_learn(dsim__linear_arms *a, const dsim_context *ctx, const dsim_feedback *fb);

/** The quadrature workspace of dsim__gaussian_argmax_probabilities (NULL when out of memory). */
gsl_integration_workspace *dsim__gaussian_argmax_workspace(void);
/** probs[l] ← P(l has the largest of independent N(mean_l, sd_l²) draws; ties to the lowest l). */
void dsim__gaussian_argmax_probabilities(gsl_integration_workspace *ws, const double *mean, const double *sd, int n,
                                         double *probs);

#endif
