/*
 * latent_logit.c — the latent-class logit of dsim/fit.h fitted by EM, with the observed information.
 *
 * Likelihood. Shopper i has visits t with covariates x_it = (1, d_it, d_it − r_it) and outcomes y_it ∈ {0, 1};
 * in segment k a purchase has probability p_kit = σ(x_it·θ_k), θ_k = (α_k, β_k, ρ_k). A shopper is in one
 * segment for all their visits, segment k with probability π_k:
 *
 *     ℓ(π, θ) = Σ_i log Σ_k π_k Π_t p_kit^y_it (1 − p_kit)^(1 − y_it).
 *
 * EM. E-step: τ_ik = π_k L_ik / Σ_j π_j L_ij (shopper i's posterior of segment k). M-step: π_k = mean_i τ_ik,
 * and θ_k maximises Σ_i τ_ik Σ_t [y log p + (1 − y) log(1 − p)], whose gradient is Σ_i τ_ik Σ_t (y − p) x
 * (gsl_multimin's BFGS). Each EM step cannot lower ℓ; several random starts guard against a poor local maximum.
 *
 * Standard errors. The score of ℓ itself is exact at any parameters: ∂ℓ/∂θ_k = Σ_i τ_ik Σ_t (y − p_kit) x_it
 * and, with π_K = 1 − Σ_{k<K} π_k, ∂ℓ/∂π_k = Σ_i (τ_ik/π_k − τ_iK/π_K). The observed information is minus the
 * Hessian of ℓ, taken by central differences of that score; its inverse is the estimate's covariance.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_linalg.h>
#include <gsl/gsl_multimin.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

#include "dsim/error.h"
#include "dsim/fit.h"

enum { P = DSIM_FIT_PARAMS };

/* ---- data ------------------------------------------------------------------------------------------------- */

typedef struct {
    uint64_t shopper;
    size_t visit; /* its place in the log */
} visit_key;

static int by_shopper(const void *a, const void *b)
{
    const visit_key *x = a, *y = b;
    if (x->shopper != y->shopper)
        return x->shopper < y->shopper ? -1 : 1;
    return (x->visit > y->visit) - (x->visit < y->visit);
}

void dsim_fit_data_clear(dsim_fit_data *d)
{
    free(d->first);
    free(d->x);
    free(d->y);
    memset(d, 0, sizeof *d);
}

int dsim_fit_data_build(dsim_fit_data *out, const uint64_t *shopper, const double *discount,
                        const unsigned char *purchased, size_t n, double memory, double reference0)
{
    memset(out, 0, sizeof *out);
    if (n == 0)
        return dsim_error_set(DSIM_EINVAL, "no visits to fit");
    for (size_t t = 0; t < n; t++)
        if (!(discount[t] >= 0 && discount[t] <= 1))
            return dsim_error_set(DSIM_EINVAL, "visit %zu: a discount of %g, expected a fraction in [0, 1]", t + 1,
                                  discount[t]);
    visit_key *keys = malloc(n * sizeof *keys);
    out->x = malloc(n * P * sizeof *out->x);
    out->y = malloc(n);
    out->first = malloc((n + 1) * sizeof *out->first);
    if (!keys || !out->x || !out->y || !out->first) {
        free(keys);
        dsim_fit_data_clear(out);
        return dsim_error_set(DSIM_ENOMEM, "out of memory for %zu visits", n);
    }
    for (size_t t = 0; t < n; t++)
        keys[t] = (visit_key){shopper[t], t};
    qsort(keys, n, sizeof *keys, by_shopper);
    double r = reference0;
    for (size_t j = 0; j < n; j++) {
        size_t t = keys[j].visit;
        if (j == 0 || keys[j].shopper != keys[j - 1].shopper) { /* a new shopper: their own memory starts */
            out->first[out->n_shoppers++] = j;
            r = reference0;
        }
        double d = discount[t];
        out->x[j * P + 0] = 1;
        out->x[j * P + 1] = d;
        out->x[j * P + 2] = d - r;
        out->y[j] = purchased[t] ? 1 : 0;
        r = memory * r + (1 - memory) * d;
    }
    out->first[out->n_shoppers] = n;
    out->n_visits = n;
    free(keys);
    return DSIM_OK;
}

/* ---- the likelihood ------------------------------------------------------------------------------------------ */

/* log σ(z) and log(1 − σ(z)) without overflow. */
static double log_sigmoid(double z)
{
    return z >= 0 ? -log1p(exp(-z)) : z - log1p(exp(z));
}

static double dot(const double *x, const double *theta)
{
    return x[0] * theta[0] + x[1] * theta[1] + x[2] * theta[2];
}

/* The E-step at (share, theta): tau (n_shoppers, k) and the log-likelihood. */
static double posteriors(const dsim_fit_data *d, int k, const double *share, const double (*theta)[P], double *tau)
{
    double ll = 0;
    for (size_t i = 0; i < d->n_shoppers; i++) {
        double s[DSIM_FIT_MAX_SEGMENTS], top = -INFINITY;
        for (int c = 0; c < k; c++) {
            s[c] = share[c] > 0 ? log(share[c]) : -INFINITY;
            for (size_t t = d->first[i]; t < d->first[i + 1] && isfinite(s[c]); t++) {
                double z = dot(&d->x[t * P], theta[c]);
                s[c] += d->y[t] ? log_sigmoid(z) : log_sigmoid(-z);
            }
            top = fmax(top, s[c]);
        }
        double sum = 0;
        for (int c = 0; c < k; c++)
            sum += exp(s[c] - top);
        for (int c = 0; c < k; c++)
            tau[i * (size_t)k + (size_t)c] = exp(s[c] - top) / sum;
        ll += top + log(sum);
    }
    return ll;
}

/* ---- the M-step of one segment: BFGS on its weighted log-likelihood ---------------------------------------- */

typedef struct {
    const dsim_fit_data *d;
    const double *tau;
    int k, c;
} segment_problem;

/* Minus the weighted log-likelihood of segment c and its gradient (either may be NULL). */
static void weighted(const gsl_vector *v, void *params, double *f, gsl_vector *g)
{
    const segment_problem *sp = params;
    const dsim_fit_data *d = sp->d;
    double theta[P] = {gsl_vector_get(v, 0), gsl_vector_get(v, 1), gsl_vector_get(v, 2)};
    double value = 0, grad[P] = {0};
    for (size_t i = 0; i < d->n_shoppers; i++) {
        double w = sp->tau[i * (size_t)sp->k + (size_t)sp->c];
        if (w < 1e-12)
            continue;
        for (size_t t = d->first[i]; t < d->first[i + 1]; t++) {
            const double *x = &d->x[t * P];
            double z = dot(x, theta);
            value -= w * (d->y[t] ? log_sigmoid(z) : log_sigmoid(-z));
            double residual = d->y[t] - 1 / (1 + exp(-z));
            for (int j = 0; j < P; j++)
                grad[j] -= w * residual * x[j];
        }
    }
    if (f)
        *f = value;
    for (int j = 0; g && j < P; j++)
        gsl_vector_set(g, (size_t)j, grad[j]);
}

static double weighted_f(const gsl_vector *v, void *params)
{
    double f;
    weighted(v, params, &f, NULL);
    return f;
}

static void weighted_df(const gsl_vector *v, void *params, gsl_vector *g)
{
    weighted(v, params, NULL, g);
}

static void weighted_fdf(const gsl_vector *v, void *params, double *f, gsl_vector *g)
{
    weighted(v, params, f, g);
}

static int maximise_segment(const dsim_fit_data *d, const double *tau, int k, int c, double *theta)
{
    segment_problem sp = {d, tau, k, c};
    gsl_multimin_function_fdf fn = {weighted_f, weighted_df, weighted_fdf, P, &sp};
    gsl_vector *v = gsl_vector_alloc(P);
    gsl_multimin_fdfminimizer *m = gsl_multimin_fdfminimizer_alloc(gsl_multimin_fdfminimizer_vector_bfgs2, P);
    if (!v || !m) {
        gsl_vector_free(v);
        gsl_multimin_fdfminimizer_free(m);
        return dsim_error_set(DSIM_ENOMEM, "out of memory");
    }
    for (int j = 0; j < P; j++)
        gsl_vector_set(v, (size_t)j, theta[j]);
    gsl_multimin_fdfminimizer_set(m, &fn, v, 0.1, 0.1);
    for (int iter = 0; iter < 20; iter++) { /* a generalised EM step: improving θ_k is enough */
        if (gsl_multimin_fdfminimizer_iterate(m))
            break; /* no further progress along the line: at the optimum to working precision */
        if (gsl_multimin_test_gradient(m->gradient, 1e-7 * (1 + fabs(m->f))) == GSL_SUCCESS)
            break;
    }
    for (int j = 0; j < P; j++)
        theta[j] = gsl_vector_get(m->x, (size_t)j);
    gsl_vector_free(v);
    gsl_multimin_fdfminimizer_free(m);
    return DSIM_OK;
}

/* ---- EM ------------------------------------------------------------------------------------------------------ */

static int em_from(const dsim_fit_data *d, int k, const dsim_fit_options *o, double *tau, dsim_fit_model *m)
{
    for (int it = 1; it <= o->max_iterations; it++) {
        for (int c = 0; c < k; c++) { /* M-step */
            double sum = 0;
            for (size_t i = 0; i < d->n_shoppers; i++)
                sum += tau[i * (size_t)k + (size_t)c];
            m->share[c] = sum / (double)d->n_shoppers;
            int rc = maximise_segment(d, tau, k, c, m->theta[c]);
            if (rc)
                return rc;
        }
        double before = m->loglik;
        m->loglik = posteriors(d, k, m->share, (const double(*)[P])m->theta, tau); /* E-step */
        m->iterations = it;
        if (it > 1 && m->loglik - before < o->tolerance * (double)d->n_shoppers) {
            m->converged = true;
            break;
        }
    }
    return DSIM_OK;
}

/* The score of ℓ at (share, theta) in the free parameters: π_1 … π_{k−1}, then θ_1 … θ_k. */
static void score(const dsim_fit_data *d, int k, const double *par, double *tau, double *g)
{
    double share[DSIM_FIT_MAX_SEGMENTS], theta[DSIM_FIT_MAX_SEGMENTS][P];
    double last = 1;
    for (int c = 0; c < k - 1; c++)
        last -= share[c] = par[c];
    share[k - 1] = last;
    for (int c = 0; c < k; c++)
        for (int j = 0; j < P; j++)
            theta[c][j] = par[k - 1 + c * P + j];
    posteriors(d, k, share, (const double(*)[P])theta, tau);
    int n_free = k - 1 + k * P;
    memset(g, 0, (size_t)n_free * sizeof *g);
    for (size_t i = 0; i < d->n_shoppers; i++) {
        const double *ti = &tau[i * (size_t)k];
        for (int c = 0; c < k - 1; c++)
            g[c] += ti[c] / share[c] - ti[k - 1] / share[k - 1];
        for (int c = 0; c < k; c++)
            for (size_t t = d->first[i]; t < d->first[i + 1]; t++) {
                const double *x = &d->x[t * P];
                double residual = d->y[t] - 1 / (1 + exp(-dot(x, theta[c])));
                for (int j = 0; j < P; j++)
                    g[k - 1 + c * P + j] += ti[c] * residual * x[j];
            }
    }
}

/* Standard errors from the inverse of the observed information (central differences of the score). */
static void standard_errors(const dsim_fit_data *d, dsim_fit_model *m, double *tau)
{
    int k = m->k, n = k - 1 + k * P;
    double par[DSIM_FIT_MAX_SEGMENTS * (P + 1)], gp[DSIM_FIT_MAX_SEGMENTS * (P + 1)],
        gm[DSIM_FIT_MAX_SEGMENTS * (P + 1)];
    for (int c = 0; c < k - 1; c++)
        par[c] = m->share[c];
    for (int c = 0; c < k; c++)
        for (int j = 0; j < P; j++)
            par[k - 1 + c * P + j] = m->theta[c][j];
    gsl_matrix *info = gsl_matrix_alloc((size_t)n, (size_t)n);
    for (int c = 0; c < k; c++) {
        m->share_se[c] = NAN;
        for (int j = 0; j < P; j++)
            m->theta_se[c][j] = NAN;
    }
    if (!info)
        return;
    for (int a = 0; a < n; a++) {
        double h = 1e-5 * fmax(1, fabs(par[a])), keep = par[a];
        par[a] = keep + h;
        score(d, k, par, tau, gp);
        par[a] = keep - h;
        score(d, k, par, tau, gm);
        par[a] = keep;
        for (int b = 0; b < n; b++)
            gsl_matrix_set(info, (size_t)a, (size_t)b, -(gp[b] - gm[b]) / (2 * h));
    }
    for (int a = 0; a < n; a++) /* symmetric, as the exact information is */
        for (int b = 0; b < a; b++) {
            double v = (gsl_matrix_get(info, (size_t)a, (size_t)b) + gsl_matrix_get(info, (size_t)b, (size_t)a)) / 2;
            gsl_matrix_set(info, (size_t)a, (size_t)b, v);
            gsl_matrix_set(info, (size_t)b, (size_t)a, v);
        }
    gsl_set_error_handler_off();
    if (gsl_linalg_cholesky_decomp1(info) == GSL_SUCCESS && gsl_linalg_cholesky_invert(info) == GSL_SUCCESS) {
        double last = 0; /* var(π_k) = 1ᵀ V 1 over the free shares */
        for (int c = 0; c < k - 1; c++) {
            m->share_se[c] = sqrt(gsl_matrix_get(info, (size_t)c, (size_t)c));
            for (int e = 0; e < k - 1; e++)
                last += gsl_matrix_get(info, (size_t)c, (size_t)e);
        }
        m->share_se[k - 1] = k > 1 ? sqrt(last) : 0;
        for (int c = 0; c < k; c++)
            for (int j = 0; j < P; j++) {
                size_t a = (size_t)(k - 1 + c * P + j);
                m->theta_se[c][j] = sqrt(gsl_matrix_get(info, a, a));
            }
    }
    gsl_matrix_free(info);
    score(d, k, par, tau, gp); /* tau back at the estimate */
}

static int by_alpha(const void *a, const void *b)
{
    const double *x = a, *y = b;
    return (x[1] > y[1]) - (x[1] < y[1]);
}

/* Segments in ascending α, so that a fit's labels are the same whatever start won. */
static void order_segments(dsim_fit_model *m)
{
    double rows[DSIM_FIT_MAX_SEGMENTS][2 + P];
    for (int c = 0; c < m->k; c++) {
        rows[c][0] = m->share[c];
        for (int j = 0; j < P; j++)
            rows[c][1 + j] = m->theta[c][j];
    }
    qsort(rows, (size_t)m->k, sizeof rows[0], by_alpha);
    for (int c = 0; c < m->k; c++) {
        m->share[c] = rows[c][0];
        for (int j = 0; j < P; j++)
            m->theta[c][j] = rows[c][1 + j];
    }
}

int dsim_fit_em(const dsim_fit_data *d, int k, const dsim_fit_options *o, dsim_fit_model *out)
{
    memset(out, 0, sizeof *out);
    if (k < 1 || k > DSIM_FIT_MAX_SEGMENTS)
        return dsim_error_set(DSIM_EINVAL, "%d segments: expected 1 to %d", k, DSIM_FIT_MAX_SEGMENTS);
    if (d->n_shoppers < (size_t)(4 * k))
        return dsim_error_set(DSIM_EINVAL, "%zu shoppers cannot identify %d segments (%d parameters)", d->n_shoppers,
                              k, 4 * k - 1);
    double *tau = malloc(d->n_shoppers * (size_t)k * sizeof *tau);
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    if (!tau || !rng) {
        free(tau);
        gsl_rng_free(rng);
        return dsim_error_set(DSIM_ENOMEM, "out of memory");
    }
    gsl_rng_set(rng, o->seed);
    dsim_fit_model best = {.loglik = -INFINITY};
    int rc = DSIM_OK;
    for (int s = 0; s < (k == 1 ? 1 : o->starts) && !rc; s++) {
        /* A start: every shopper's segment weights drawn at random, θ from there by the first M-step. */
        dsim_fit_model m = {.k = k, .loglik = -INFINITY};
        double alpha[DSIM_FIT_MAX_SEGMENTS], w[DSIM_FIT_MAX_SEGMENTS];
        for (int c = 0; c < k; c++)
            alpha[c] = 1;
        for (size_t i = 0; i < d->n_shoppers; i++) {
            gsl_ran_dirichlet(rng, (size_t)k, alpha, w);
            memcpy(&tau[i * (size_t)k], w, (size_t)k * sizeof *w);
        }
        rc = em_from(d, k, o, tau, &m);
        if (!rc && m.loglik > best.loglik)
            best = m;
    }
    if (!rc) {
        order_segments(&best);
        best.bic = -2 * best.loglik + (4.0 * k - 1) * log((double)d->n_shoppers);
        standard_errors(d, &best, tau);
        *out = best;
    }
    free(tau);
    gsl_rng_free(rng);
    return rc;
}

double dsim_fit_loglik(const dsim_fit_data *d, const dsim_fit_model *m)
{
    double *tau = malloc(d->n_shoppers * (size_t)(m->k > 0 ? m->k : 1) * sizeof *tau);
    double ll = tau ? posteriors(d, m->k, m->share, (const double(*)[P])m->theta, tau) : NAN;
    free(tau);
    return ll;
}
