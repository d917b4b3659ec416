/*
 * reward_model.h — the cross-fitted ridge reward model of the direct method (reward_model.c).
 */
#ifndef DSIM_OPE_REWARD_MODEL_H
#define DSIM_OPE_REWARD_MODEL_H

#include "dsim/ope.h"

struct dsim_ope_reward_model {
    int folds, dim, n_actions;
    double ridge;
    double *gram[DSIM_OPE_MAX_ACTIONS];   /* per action (folds, dim, dim), lower triangle; NULL: never taken */
    double *moment[DSIM_OPE_MAX_ACTIONS]; /* per action (folds, dim) */
    double *shift;                        /* (dim − 1) the first row's context, subtracted in the sums */
    bool shifted;
    double *theta;        /* (folds, n_actions, dim), once finished */
    double *mean, *scale; /* (dim − 1) standardisation of the context columns */
};

/** q̂(x_i, a) from the model that did not see row i's fold. */
double dsim_ope_reward_model_predict(const dsim_ope_reward_model *m, const dsim_ope_log *log, size_t i, int action);


#endif
