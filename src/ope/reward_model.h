/*
 * reward_model.h — the cross-fitted ridge reward model of the direct method (reward_model.c).
 */
#ifndef DSIM_OPE_REWARD_MODEL_H
#define DSIM_OPE_REWARD_MODEL_H

#include "dsim/ope.h"

struct dsim_ope_reward_model {
    int folds, dim, n_actions;
    double *theta;        /* (folds, n_actions, dim) */
    double *mean, *scale; /* (dim − 1) standardisation of the context columns */
};

/** Fit K = `folds` models per action with ridge penalty `ridge`. @return 0, DSIM_ENOMEM or DSIM_ENUMERIC. */
int dsim_ope_reward_model_fit(dsim_ope_reward_model *m, const dsim_ope_log *log, int folds, double ridge);

/** q̂(x_i, a) from the model that did not see row i's fold. */
double dsim_ope_reward_model_predict(const dsim_ope_reward_model *m, const dsim_ope_log *log, size_t i, int action);

void dsim_ope_reward_model_free(dsim_ope_reward_model *m);

#endif
