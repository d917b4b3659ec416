/*
 * reward_model.c — the direct method's reward model q̂(x, a), fitted on the log by cross-fitting.
 *
 * One ridge regression per action on φ(x) = (1, standardised context columns), solved by Cholesky (GSL)
 * from its normal equations: θ_a = (Σ φφᵀ + λI)⁻¹ Σ φ r over the rows where a was taken. Rows are dealt
 * into K folds (row i into fold i mod K), and the model that predicts a row of fold k is fitted on the other
 * K − 1 folds only, so no row is predicted by a model trained on it (Chernozhukov et al.'s cross-fitting,
 * as in OBP's `fit_predict(n_folds=K)`). The sums are kept per fold and action, so fitting all K models
 * costs one pass over the log.
 */
#include "ope/reward_model.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_errno.h>
#include <gsl/gsl_linalg.h>

#include "dsim/error.h"

static void features(const dsim_ope_reward_model *m, const dsim_ope_log *log, size_t i, double *phi)
{
    phi[0] = 1.0;
    const float *x = log->context + i * (size_t)log->n_context;
    for (int j = 0; j < log->n_context; j++)
        phi[j + 1] = (x[j] - m->mean[j]) / m->scale[j];
}

int dsim_ope_reward_model_fit(dsim_ope_reward_model *m, const dsim_ope_log *log, int folds, double ridge)
{
    memset(m, 0, sizeof *m);
    int p = log->n_context + 1, A = log->n_actions;
    m->folds = folds;
    m->dim = p;
    m->n_actions = A;
    size_t pp = (size_t)p * (size_t)p, models = (size_t)folds * (size_t)A;
    double *gram = calloc(models * pp, sizeof(double)), *moment = calloc(models * (size_t)p, sizeof(double));
    m->theta = calloc(models * (size_t)p, sizeof(double));
    m->mean = calloc((size_t)p, sizeof(double));
    m->scale = calloc((size_t)p, sizeof(double));
    double *phi = malloc(sizeof(double) * (size_t)p), *a = malloc(sizeof(double) * pp);
    int rc = DSIM_OK;
    if (!gram || !moment || !m->theta || !m->mean || !m->scale || !phi || !a) {
        rc = dsim_error_set(DSIM_ENOMEM, "out of memory fitting the reward model");
        goto done;
    }
    /* Standardise the context columns (a zero spread becomes 1). */
    for (size_t i = 0; i < log->n; i++)
        for (int j = 0; j < log->n_context; j++)
            m->mean[j] += log->context[i * (size_t)log->n_context + j];
    for (int j = 0; j < log->n_context; j++)
        m->mean[j] /= (double)log->n;
    for (size_t i = 0; i < log->n; i++)
        for (int j = 0; j < log->n_context; j++) {
            double dev = log->context[i * (size_t)log->n_context + j] - m->mean[j];
            m->scale[j] += dev * dev;
        }
    for (int j = 0; j < log->n_context; j++) {
        m->scale[j] = sqrt(m->scale[j] / (double)log->n);
        if (!(m->scale[j] > 0))
            m->scale[j] = 1.0;
    }
    /* Per fold and action: Σ φφᵀ and Σ φ r. */
    for (size_t i = 0; i < log->n; i++) {
        size_t model = (i % (size_t)folds) * (size_t)A + (size_t)log->action[i];
        features(m, log, i, phi);
        double *g = gram + model * pp, *b = moment + model * (size_t)p;
        for (int r = 0; r < p; r++) {
            for (int c = 0; c <= r; c++)
                g[r * p + c] += phi[r] * phi[c];
            b[r] += phi[r] * log->reward[i];
        }
    }
    gsl_set_error_handler_off();
    for (int k = 0; k < folds && !rc; k++)
        for (int act = 0; act < A && !rc; act++) {
            double *theta = m->theta + ((size_t)k * (size_t)A + (size_t)act) * (size_t)p;
            memset(a, 0, sizeof(double) * pp);
            for (int other = 0; other < folds; other++) {
                if (other == k && folds > 1)
                    continue;
                size_t model = (size_t)other * (size_t)A + (size_t)act;
                for (size_t e = 0; e < pp; e++)
                    a[e] += gram[model * pp + e];
                for (int r = 0; r < p; r++)
                    theta[r] += moment[model * (size_t)p + (size_t)r];
            }
            for (int r = 0; r < p; r++) {
                a[r * p + r] += ridge;
                for (int c = 0; c < r; c++)
                    a[c * p + r] = a[r * p + c];
            }
            gsl_matrix_view av = gsl_matrix_view_array(a, (size_t)p, (size_t)p);
            gsl_vector_view tv = gsl_vector_view_array(theta, (size_t)p);
            if (gsl_linalg_cholesky_decomp1(&av.matrix) || gsl_linalg_cholesky_svx(&av.matrix, &tv.vector))
                rc = dsim_error_set(DSIM_ENUMERIC, "the reward model of action %d is not positive definite", act);
        }
done:
    free(gram);
    free(moment);
    free(phi);
    free(a);
    if (rc)
        dsim_ope_reward_model_free(m);
    return rc;
}

double dsim_ope_reward_model_predict(const dsim_ope_reward_model *m, const dsim_ope_log *log, size_t i, int action)
{
    double phi[DSIM_OPE_MAX_CONTEXT + 1];
    features(m, log, i, phi);
    const double *theta = m->theta + ((i % (size_t)m->folds) * (size_t)m->n_actions + (size_t)action) * (size_t)m->dim;
    double q = 0;
    for (int r = 0; r < m->dim; r++)
        q += theta[r] * phi[r];
    return q;
}

void dsim_ope_reward_model_free(dsim_ope_reward_model *m)
{
    free(m->theta);
    free(m->mean);
    free(m->scale);
    memset(m, 0, sizeof *m);
}

int dsim_ope_model_fit(dsim_ope_reward_model **out, const dsim_ope_log *log, int folds, double ridge)
{
    dsim_ope_reward_model *m = malloc(sizeof *m);
    if (!m)
        return dsim_error_set(DSIM_ENOMEM, "out of memory fitting the reward model");
    int rc = dsim_ope_reward_model_fit(m, log, folds, ridge);
    if (rc) {
        free(m);
        return rc;
    }
    *out = m;
    return DSIM_OK;
}

void dsim_ope_model_free(dsim_ope_reward_model *m)
{
    if (m)
        dsim_ope_reward_model_free(m);
    free(m);
}
