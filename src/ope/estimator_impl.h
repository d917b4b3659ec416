/*
 * estimator_impl.h — an offline estimator as a plug-in table (estimator_types.c lists them).
 *
 * Every estimator's per-row term is a + b / w̄ (w̄ the mean weight over the rows judged): the plain ones have
 * b = 0, the self-normalised ones put their weighted part in b. The running sums, both intervals, the
 * bootstrap and the paired differences (estimators.c) are written once for that form.
 */
#ifndef DSIM_OPE_ESTIMATOR_IMPL_H
#define DSIM_OPE_ESTIMATOR_IMPL_H

#include "dsim/ope.h"

typedef struct {
    const char *name;    /* as --estimators takes it */
    const char *summary; /* one line */
    /* Row i's term as a + b / w̄. */
    void (*parts)(const dsim_ope_terms *t, const dsim_ope_tuning *tuning, size_t i, double *a, double *b);
} dsim__ope_estimator_type;

/* NULL-terminated; an estimator's index in it is its dsim_ope_estimator. */
extern const dsim__ope_estimator_type *const dsim__ope_estimators[];

#endif
