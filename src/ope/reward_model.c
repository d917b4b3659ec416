/*
 * reward_model.c — the direct method's reward model q̂(x, a), fitted on the log by cross-fitting.
 *
 * One ridge regression per action on φ(x) = (1, standardised context columns), solved by Cholesky (GSL)
 * from its normal equations: θ_a = (Σ φφᵀ + λI)⁻¹ Σ φ r over the rows where a was taken. Rows are dealt
 * into K folds (row i of the whole log into fold i mod K), and the model that predicts a row of fold k is
 * fitted on the other K − 1 folds only, so no row is predicted by a model trained on it (Chernozhukov et
 * al.'s cross-fitting, as in OBP's `fit_predict(n_folds=K)`). The sums are kept per fold and action, so
 * fitting all K models costs one pass over the log, which may stream through in chunks.
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

int dsim_ope_model_begin(dsim_ope_reward_model **out, int n_context, int folds, double ridge)
{
    dsim_ope_reward_model *m = calloc(1, sizeof *m);
    if (!m)
        return dsim_error_set(DSIM_ENOMEM, "out of memory fitting the reward model");
    m->folds = folds;
    m->dim = n_context + 1;
    m->ridge = ridge;
    m->shift = calloc((size_t)m->dim, sizeof(double));
    m->mean = calloc((size_t)m->dim, sizeof(double));
    m->scale = calloc((size_t)m->dim, sizeof(double));
    if (!m->shift || !m->mean || !m->scale) {
        dsim_ope_model_free(m);
        return dsim_error_set(DSIM_ENOMEM, "out of memory fitting the reward model");
    }
    *out = m;
    return DSIM_OK;
}

/*
 * Per fold and action: Σ yyᵀ and Σ y r over y = (1, x − c), c the first row's context. The shift keeps the
 * sums well conditioned; the standardisation, known only at the end, is then applied to the sums exactly.
 */
int dsim_ope_model_add(dsim_ope_reward_model *m, const dsim_ope_log *chunk)
{
    int p = m->dim;
    size_t pp = (size_t)p * (size_t)p;
    if (chunk->n && !m->shifted) {
        for (int j = 0; j < p - 1; j++)
            m->shift[j] = chunk->context[j];
        m->shifted = true;
    }
    double y[DSIM_OPE_MAX_CONTEXT + 1];
    for (size_t i = 0; i < chunk->n; i++) {
        int a = chunk->action[i];
        if (!m->gram[a]) {
            m->gram[a] = calloc((size_t)m->folds * pp, sizeof(double));
            m->moment[a] = calloc((size_t)m->folds * (size_t)p, sizeof(double));
            if (!m->gram[a] || !m->moment[a])
                return dsim_error_set(DSIM_ENOMEM, "out of memory fitting the reward model");
        }
        size_t fold = (chunk->first_row + i) % (size_t)m->folds;
        double *g = m->gram[a] + fold * pp, *b = m->moment[a] + fold * (size_t)p, r = chunk->reward[i];
        const float *x = chunk->context + i * (size_t)chunk->n_context;
        y[0] = 1.0;
        for (int j = 0; j < p - 1; j++)
            y[j + 1] = x[j] - m->shift[j];
        for (int u = 0; u < p; u++) {
            for (int v = 0; v <= u; v++)
                g[u * p + v] += y[u] * y[v];
            b[u] += y[u] * r;
        }
    }
    return DSIM_OK;
}

/* The context's mean and spread (population; a zero spread becomes 1) from the sums of every model. */
static void standardisation(dsim_ope_reward_model *m, double *delta)
{
    int p = m->dim;
    size_t pp = (size_t)p * (size_t)p;
    double n = 0, s1[DSIM_OPE_MAX_CONTEXT + 1] = {0}, s2[DSIM_OPE_MAX_CONTEXT + 1] = {0};
    for (int a = 0; a < DSIM_OPE_MAX_ACTIONS; a++)
        for (int k = 0; m->gram[a] && k < m->folds; k++) {
            const double *g = m->gram[a] + (size_t)k * pp;
            n += g[0];
            for (int j = 1; j < p; j++) {
                s1[j] += g[j * p];
                s2[j] += g[j * p + j];
            }
        }
    for (int j = 1; j < p; j++) {
        delta[j] = n > 0 ? s1[j] / n : 0.0;
        double var = n > 0 ? s2[j] / n - delta[j] * delta[j] : 0.0;
        m->mean[j - 1] = m->shift[j - 1] + delta[j];
        m->scale[j - 1] = var > 0 ? sqrt(var) : 1.0;
    }
}

int dsim_ope_model_finish(dsim_ope_reward_model *m, int n_actions)
{
    int p = m->dim, rc = DSIM_OK;
    size_t pp = (size_t)p * (size_t)p;
    m->n_actions = n_actions;
    m->theta = calloc((size_t)m->folds * (size_t)n_actions * (size_t)p, sizeof(double));
    double *g = malloc(sizeof(double) * pp), *a = malloc(sizeof(double) * pp), *b = malloc(sizeof(double) * (size_t)p);
    double delta[DSIM_OPE_MAX_CONTEXT + 1] = {0};
    if (!m->theta || !g || !a || !b) {
        rc = dsim_error_set(DSIM_ENOMEM, "out of memory fitting the reward model");
        goto done;
    }
    standardisation(m, delta);
    const double *scale = m->scale - 1; /* scale[j] for φ_j, j ≥ 1 */
    gsl_set_error_handler_off();
    for (int k = 0; k < m->folds && !rc; k++)
        for (int act = 0; act < n_actions && !rc; act++) {
            /* The other folds' sums (all of them with one fold), symmetric. */
            memset(g, 0, sizeof(double) * pp);
            memset(b, 0, sizeof(double) * (size_t)p);
            for (int other = 0; other < m->folds && m->gram[act]; other++) {
                if (other == k && m->folds > 1)
                    continue;
                for (size_t e = 0; e < pp; e++)
                    g[e] += m->gram[act][(size_t)other * pp + e];
                for (int u = 0; u < p; u++)
                    b[u] += m->moment[act][(size_t)other * (size_t)p + (size_t)u];
            }
            for (int u = 0; u < p; u++)
                for (int v = 0; v < u; v++)
                    g[v * p + u] = g[u * p + v];
            /* φ = T y with φ_0 = y_0 and φ_j = (y_j − δ_j y_0) / s_j: A = T G Tᵀ + λI, θ-side T b. */
            double *theta = m->theta + ((size_t)k * (size_t)n_actions + (size_t)act) * (size_t)p;
            for (int u = 0; u < p; u++) {
                for (int v = 0; v < p; v++) {
                    double t = g[u * p + v] - (v ? delta[v] * g[u * p] : 0.0) - (u ? delta[u] * g[v] : 0.0) +
                               (u && v ? delta[u] * delta[v] * g[0] : 0.0);
                    a[u * p + v] = t / ((u ? scale[u] : 1.0) * (v ? scale[v] : 1.0)) + (u == v ? m->ridge : 0.0);
                }
                theta[u] = (b[u] - (u ? delta[u] * b[0] : 0.0)) / (u ? scale[u] : 1.0);
            }
            gsl_matrix_view av = gsl_matrix_view_array(a, (size_t)p, (size_t)p);
            gsl_vector_view tv = gsl_vector_view_array(theta, (size_t)p);
            if (gsl_linalg_cholesky_decomp1(&av.matrix) || gsl_linalg_cholesky_svx(&av.matrix, &tv.vector))
                rc = dsim_error_set(DSIM_ENUMERIC, "the reward model of action %d is not positive definite", act);
        }
done:
    free(g);
    free(a);
    free(b);
    return rc;
}

double dsim_ope_reward_model_predict(const dsim_ope_reward_model *m, const dsim_ope_log *log, size_t i, int action)
{
    double phi[DSIM_OPE_MAX_CONTEXT + 1];
    features(m, log, i, phi);
    if (action >= m->n_actions)
        return 0.0; /* an action the model was never set up for */
    size_t fold = (log->first_row + i) % (size_t)m->folds;
    const double *theta = m->theta + (fold * (size_t)m->n_actions + (size_t)action) * (size_t)m->dim;
    double q = 0;
    for (int r = 0; r < m->dim; r++)
        q += theta[r] * phi[r];
    return q;
}

void dsim_ope_model_free(dsim_ope_reward_model *m)
{
    if (!m)
        return;
    for (int a = 0; a < DSIM_OPE_MAX_ACTIONS; a++) {
        free(m->gram[a]);
        free(m->moment[a]);
    }
    free(m->theta);
    free(m->shift);
    free(m->mean);
    free(m->scale);
    free(m);
}

int dsim_ope_model_fit(dsim_ope_reward_model **out, const dsim_ope_log *log, int folds, double ridge)
{
    dsim_ope_reward_model *m = NULL;
    int rc = dsim_ope_model_begin(&m, log->n_context, folds, ridge);
    if (!rc)
        rc = dsim_ope_model_add(m, log);
    if (!rc)
        rc = dsim_ope_model_finish(m, log->n_actions);
    if (rc) {
        dsim_ope_model_free(m);
        return rc;
    }
    *out = m;
    return DSIM_OK;
}
