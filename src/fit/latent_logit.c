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

#include <gsl/gsl_blas.h>
#include <gsl/gsl_linalg.h>
#include <gsl/gsl_multimin.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

#include "dsim/error.h"
#include "dsim/fit.h"
#include "fit/fit_impl.h"

enum { P = DSIM_FIT_PARAMS };

/* ---- the likelihood ------------------------------------------------------------------------------------------ */

static double dot(const double *x, const double *theta)
{
    return x[0] * theta[0] + x[1] * theta[1] + x[2] * theta[2];
}

/* What one pass over the data gathers at (share, theta); each part only if asked for. */
typedef struct {
    double *tau;                                     /* (n_shoppers, k): posteriors, or NULL */
    bool score, hessian;                             /* Σ_i τ_ik Σ_t (y − p) x and Σ_i τ_ik Σ_t p(1 − p) x xᵀ */
    double grad[DSIM_FIT_MAX_SEGMENTS][P];
    double hess[DSIM_FIT_MAX_SEGMENTS][P][P];
    double tau_sum[DSIM_FIT_MAX_SEGMENTS];           /* Σ_i τ_ik */
    double *p;                                       /* scratch: (longest history, k) purchase probabilities */
    double *outer; /* or NULL: Σ_i s_i s_iᵀ, s_i shopper i's score in (π_1 … π_{k−1}, θ_1 … θ_k) (needs score) */
    const double *weight; /* or NULL: each shopper counted this many times (a bootstrap resample) */
    const volatile sig_atomic_t *stop; /* or NULL: once set, EM and BFGS stop at their next pass */
} pass_sums;

static size_t longest_history(const dsim_fit_data *d)
{
    size_t most = 0;
    for (size_t i = 0; i < d->n_shoppers; i++)
        most = d->first[i + 1] - d->first[i] > most ? d->first[i + 1] - d->first[i] : most;
    return most;
}

/*
 * One pass: every shopper's log-likelihood under each segment, their posterior τ_i·, and the sums the score
 * and the M-step's Newton step need, all from one σ per visit and segment. @return ℓ(share, theta).
 */
static double pass(const dsim_fit_data *d, int k, const double *share, const double (*theta)[P], pass_sums *out)
{
    double ll = 0, log_share[DSIM_FIT_MAX_SEGMENTS];
    for (int c = 0; c < k; c++) {
        log_share[c] = share[c] > 0 ? log(share[c]) : -INFINITY;
        out->tau_sum[c] = 0;
    }
    memset(out->grad, 0, sizeof out->grad);
    memset(out->hess, 0, sizeof out->hess);
    for (size_t i = 0; i < d->n_shoppers; i++) {
        size_t from = d->first[i], n = d->first[i + 1] - from;
        double s[DSIM_FIT_MAX_SEGMENTS], top = -INFINITY, weight = out->weight ? out->weight[i] : 1;
        if (weight == 0)
            continue; /* not drawn into this resample (its τ is not needed) */
        for (int c = 0; c < k; c++) { /* one exp per visit: the likelihood as a product, logged when small */
            double product = 1;
            s[c] = log_share[c];
            for (size_t t = 0; t < n; t++) {
                double z = dot(&d->x[(from + t) * P], theta[c]), e = exp(-fabs(z));
                bool likely = (z >= 0) == (d->y[from + t] != 0); /* the outcome the model leans to */
                double q = likely ? 1 / (1 + e) : e / (1 + e);    /* P(the outcome seen) */
                out->p[t * (size_t)k + (size_t)c] = d->y[from + t] ? q : 1 - q;
                if (q > 1e-300) {
                    product *= q;
                    if (product < 1e-250)
                        s[c] += log(product), product = 1;
                } else {
                    s[c] += -fabs(z) - log1p(e);
                }
            }
            s[c] += log(product);
            top = fmax(top, s[c]);
        }
        double sum = 0, tau[DSIM_FIT_MAX_SEGMENTS];
        for (int c = 0; c < k; c++)
            sum += tau[c] = exp(s[c] - top);
        ll += weight * (top + log(sum));
        double mine[DSIM_FIT_MAX_FREE] = {0}; /* this shopper's score, for `outer` */
        for (int c = 0; c < k; c++) {
            tau[c] /= sum;
            out->tau_sum[c] += weight * tau[c];
            if (out->tau)
                out->tau[i * (size_t)k + (size_t)c] = tau[c];
            if (!out->score || tau[c] < 1e-300)
                continue;
            for (size_t t = 0; t < n; t++) {
                const double *x = &d->x[(from + t) * P];
                double p = out->p[t * (size_t)k + (size_t)c], r = weight * tau[c] * (d->y[from + t] - p);
                for (int a = 0; a < P; a++) {
                    out->grad[c][a] += r * x[a];
                    mine[k - 1 + c * P + a] += r * x[a];
                }
                if (!out->hessian)
                    continue;
                double w = weight * tau[c] * p * (1 - p);
                for (int a = 0; a < P; a++)
                    for (int b = 0; b <= a; b++)
                        out->hess[c][a][b] += w * x[a] * x[b];
            }
        }
        if (out->outer) {
            int m = k - 1 + k * P;
            for (int c = 0; c < k - 1; c++)
                mine[c] = tau[c] / share[c] - tau[k - 1] / share[k - 1];
            for (int a = 0; a < m; a++)
                for (int b = 0; b < m; b++)
                    out->outer[a * m + b] += weight * mine[a] * mine[b];
        }
    }
    return ll;
}

/* ---- EM: the starts ------------------------------------------------------------------------------------------ */

/*
 * θ += H⁻¹ g, H the weighted information of the segment: one Newton step of the segment's weighted logistic
 * regression, the M-step of a generalised EM (a step that improves, rather than maximises, suffices). Steps
 * are capped so that a segment with few shoppers cannot fly off in one iteration.
 */
static void newton_step(double (*hess)[P], const double *grad, double *theta)
{
    double a[P * P], step[P];
    for (int r = 0; r < P; r++)
        for (int c = 0; c < P; c++)
            a[r * P + c] = r >= c ? hess[r][c] : hess[c][r];
    gsl_matrix_view m = gsl_matrix_view_array(a, P, P);
    gsl_vector_const_view g = gsl_vector_const_view_array(grad, P);
    gsl_vector_view x = gsl_vector_view_array(step, P);
    if (gsl_linalg_cholesky_decomp1(&m.matrix) || gsl_linalg_cholesky_solve(&m.matrix, &g.vector, &x.vector))
        return; /* a segment without information this step: leave it */
    double largest = 0;
    for (int j = 0; j < P; j++)
        largest = fmax(largest, fabs(step[j]));
    double scale = largest > 5 ? 5 / largest : 1;
    for (int j = 0; j < P; j++)
        theta[j] += scale * step[j];
}

/* EM from `m`'s parameters for at most `iterations` steps, or until ℓ gains less than `tolerance` per shopper. */
static void em(const dsim_fit_data *d, int k, int iterations, double tolerance, pass_sums *sums, dsim_fit_model *m)
{
    sums->score = sums->hessian = true;
    double before = -INFINITY;
    for (int it = 0; it < iterations && !(sums->stop && *sums->stop); it++) {
        m->loglik = pass(d, k, m->share, (const double(*)[P])m->theta, sums);
        m->iterations++;
        if (m->loglik - before < tolerance * (double)d->n_shoppers)
            break;
        before = m->loglik;
        for (int c = 0; c < k; c++) {
            m->share[c] = sums->tau_sum[c] / (double)d->n_shoppers;
            newton_step(sums->hess[c], sums->grad[c], m->theta[c]);
        }
    }
    sums->score = sums->hessian = false;
}

/* ---- the polish: BFGS on ℓ itself ---------------------------------------------------------------------------- */

/*
 * EM slows to a crawl near the top of a mixture's likelihood (its rate is the fraction of missing
 * information); quasi-Newton on ℓ itself converges superlinearly from there. The variables are the shares'
 * logits η (π_k ∝ e^{η_k}, η_K = 0, so the shares stay a distribution) and every θ_k; the function is −ℓ per
 * shopper and its gradient the exact score: ∂ℓ/∂η_k = Σ_i (τ_ik − π_k), ∂ℓ/∂θ_k = Σ_i τ_ik Σ_t (y − p) x.
 *
 * BFGS starts from the identity as its Hessian, and β and ρ are nearly collinear (d and d − r move together),
 * so the search runs in whitened coordinates u: θ_k = θ⁰_k + L_k^{−T} u_k with L_k Lᵀ_k segment k's
 * complete-data information per shopper at the start, η_k = η⁰_k + u_k / √(π_k (1 − π_k)). There the Hessian
 * is near the identity and BFGS needs tens of steps, not hundreds.
 */
typedef struct {
    const dsim_fit_data *d;
    int k;
    pass_sums *sums;
    double origin[DSIM_FIT_MAX_FREE];
    double eta_scale[DSIM_FIT_MAX_SEGMENTS];
    double chol[DSIM_FIT_MAX_SEGMENTS][P * P]; /* L_k, lower triangle; the identity where it does not exist */
} polish_problem;

/* L^{−T} in (back substitution: a step in θ from one in u), or L^{−1} in (forward: g_u from g_θ). */
static void whiten(const double *l, const double *in, double *out, bool transpose)
{
    gsl_matrix_const_view m = gsl_matrix_const_view_array(l, P, P);
    gsl_vector_view v = gsl_vector_view_array(out, P);
    memcpy(out, in, P * sizeof *out);
    gsl_blas_dtrsv(CblasLower, transpose ? CblasTrans : CblasNoTrans, CblasNonUnit, &m.matrix, &v.vector);
}

static void unpack(const polish_problem *pp, const gsl_vector *u, double *share, double (*theta)[P])
{
    int k = pp->k;
    double eta[DSIM_FIT_MAX_SEGMENTS], top = 0, total = 0;
    for (int c = 0; c < k; c++) {
        eta[c] = c < k - 1 ? pp->origin[c] + gsl_vector_get(u, (size_t)c) * pp->eta_scale[c] : 0;
        top = fmax(top, eta[c]);
    }
    for (int c = 0; c < k; c++)
        total += share[c] = exp(eta[c] - top);
    for (int c = 0; c < k; c++) {
        double uc[P], step[P];
        share[c] /= total;
        for (int j = 0; j < P; j++)
            uc[j] = gsl_vector_get(u, (size_t)(k - 1 + c * P + j));
        whiten(pp->chol[c], uc, step, true);
        for (int j = 0; j < P; j++)
            theta[c][j] = pp->origin[k - 1 + c * P + j] + step[j];
    }
}

static void polish_fdf(const gsl_vector *u, void *params, double *f, gsl_vector *g)
{
    const polish_problem *pp = params;
    int k = pp->k;
    double share[DSIM_FIT_MAX_SEGMENTS], theta[DSIM_FIT_MAX_SEGMENTS][P], n = (double)pp->d->n_shoppers;
    unpack(pp, u, share, theta);
    pp->sums->score = g != NULL;
    double ll = pass(pp->d, k, share, (const double(*)[P])theta, pp->sums);
    pp->sums->score = false;
    if (f)
        *f = isfinite(ll) ? -ll / n : GSL_POSINF;
    for (int c = 0; g && c < k; c++) {
        double gt[P], gu[P];
        if (c < k - 1)
            gsl_vector_set(g, (size_t)c, -(pp->sums->tau_sum[c] - share[c] * n) / n * pp->eta_scale[c]);
        for (int j = 0; j < P; j++)
            gt[j] = -pp->sums->grad[c][j] / n;
        whiten(pp->chol[c], gt, gu, false);
        for (int j = 0; j < P; j++)
            gsl_vector_set(g, (size_t)(k - 1 + c * P + j), gu[j]);
    }
}

static double polish_f(const gsl_vector *u, void *params)
{
    double f;
    polish_fdf(u, params, &f, NULL);
    return f;
}

static void polish_df(const gsl_vector *u, void *params, gsl_vector *g)
{
    polish_fdf(u, params, NULL, g);
}

/* The whitening at `m`: each segment's complete-data information per shopper, and the shares' scales. */
static void set_origin(polish_problem *pp, const dsim_fit_model *m)
{
    int k = pp->k;
    double n = (double)pp->d->n_shoppers;
    pp->sums->score = pp->sums->hessian = true;
    pass(pp->d, k, m->share, (const double(*)[P])m->theta, pp->sums);
    pp->sums->score = pp->sums->hessian = false;
    for (int c = 0; c < k; c++) {
        if (c < k - 1) {
            pp->origin[c] = log(fmax(m->share[c], 1e-12) / fmax(m->share[k - 1], 1e-12));
            pp->eta_scale[c] = 1 / sqrt(fmax(m->share[c] * (1 - m->share[c]), 1e-6));
        }
        for (int j = 0; j < P; j++)
            pp->origin[k - 1 + c * P + j] = m->theta[c][j];
        double *l = pp->chol[c];
        for (int a = 0; a < P; a++)
            for (int b = 0; b < P; b++)
                l[a * P + b] = (a >= b ? pp->sums->hess[c][a][b] : pp->sums->hess[c][b][a]) / n;
        gsl_matrix_view v = gsl_matrix_view_array(l, P, P);
        bool ok = gsl_linalg_cholesky_decomp1(&v.matrix) == GSL_SUCCESS;
        for (int a = 0; a < P && ok; a++)
            ok = l[a * P + a] > 1e-8;
        for (int a = 0; a < P; a++) /* the lower triangle only, or the identity */
            for (int b = 0; b < P; b++)
                l[a * P + b] = !ok ? (a == b) : a >= b ? l[a * P + b] : 0;
    }
}

/* Maximise ℓ from `m` with gsl_multimin's BFGS; `m` gets the maximum, its ℓ and whether the gradient vanished. */
static int polish(const dsim_fit_data *d, int k, double tolerance, pass_sums *sums, dsim_fit_model *m)
{
    size_t n = (size_t)(k - 1 + k * P);
    polish_problem pp = {.d = d, .k = k, .sums = sums};
    set_origin(&pp, m);
    gsl_multimin_function_fdf fn = {polish_f, polish_df, polish_fdf, n, &pp};
    gsl_vector *u = gsl_vector_calloc(n);
    gsl_multimin_fdfminimizer *min = gsl_multimin_fdfminimizer_alloc(gsl_multimin_fdfminimizer_vector_bfgs2, n);
    if (!u || !min) {
        gsl_vector_free(u);
        gsl_multimin_fdfminimizer_free(min);
        return dsim_error_set(DSIM_ENOMEM, "out of memory");
    }
    gsl_multimin_fdfminimizer_set(min, &fn, u, 0.01, 0.1);
    m->converged = false;
    double checkpoint = min->f;
    for (int it = 1; it <= 200 && !m->converged && !(sums->stop && *sums->stop); it++) {
        m->iterations++;
        int status = gsl_multimin_fdfminimizer_iterate(min);
        m->converged = gsl_multimin_test_gradient(min->gradient, tolerance) == GSL_SUCCESS;
        if (status)
            break; /* no further progress along the line */
        /* A segment too many leaves ℓ flat along a ridge that BFGS crawls: stop when 20 steps gain less than
           0.001 in ℓ, converged or not (an interval's edge is ℓ 1.92 below the top). */
        if (it % 20 == 0) {
            if ((checkpoint - min->f) * (double)d->n_shoppers < 1e-3)
                break;
            checkpoint = min->f;
        }
    }
    /* A stall within a hair of a zero gradient is the optimum to working precision. */
    m->converged = m->converged || gsl_multimin_test_gradient(min->gradient, 100 * tolerance) == GSL_SUCCESS;
    unpack(&pp, min->x, m->share, m->theta);
    m->loglik = -min->f * (double)d->n_shoppers;
    gsl_vector_free(u);
    gsl_multimin_fdfminimizer_free(min);
    return DSIM_OK;
}

/* `m`'s free parameters: π_1 … π_{k−1} (π_k = 1 − Σ the others), then θ_1 … θ_k (the covariance's order). */
static void free_parameters(const dsim_fit_model *m, double *v)
{
    for (int c = 0; c < m->k - 1; c++)
        v[c] = m->share[c];
    for (int c = 0; c < m->k; c++)
        for (int j = 0; j < P; j++)
            v[m->k - 1 + c * P + j] = m->theta[c][j];
}

/* The shares and θ of k segments from their free parameters (free_parameters' inverse). */
static void from_free_parameters(int k, const double *v, double *share, double (*theta)[P])
{
    double last = 1;
    for (int c = 0; c < k - 1; c++)
        last -= share[c] = v[c];
    share[k - 1] = last;
    for (int c = 0; c < k; c++)
        for (int j = 0; j < P; j++)
            theta[c][j] = v[k - 1 + c * P + j];
}

/* The score of ℓ in the free parameters. */
static void score(const dsim_fit_data *d, int k, const double *par, pass_sums *sums, double *g)
{
    double share[DSIM_FIT_MAX_SEGMENTS], theta[DSIM_FIT_MAX_SEGMENTS][P];
    from_free_parameters(k, par, share, theta);
    sums->score = true;
    pass(d, k, share, (const double(*)[P])theta, sums);
    sums->score = false;
    for (int c = 0; c < k - 1; c++) /* ∂ℓ/∂π_c = Σ_i (τ_ic/π_c − τ_ik/π_k) */
        g[c] = sums->tau_sum[c] / share[c] - sums->tau_sum[k - 1] / share[k - 1];
    for (int c = 0; c < k; c++)
        for (int j = 0; j < P; j++)
            g[k - 1 + c * P + j] = sums->grad[c][j];
}

/* Standard errors from the inverse of the observed information (central differences of the exact score). */
static void standard_errors(const dsim_fit_data *d, dsim_fit_model *m, pass_sums *sums)
{
    int k = m->k, n = k - 1 + k * P;
    double par[DSIM_FIT_MAX_FREE], gp[DSIM_FIT_MAX_FREE], gm[DSIM_FIT_MAX_FREE];
    free_parameters(m, par);
    for (int c = 0; c < k; c++) {
        m->share_se[c] = NAN;
        for (int j = 0; j < P; j++)
            m->theta_se[c][j] = NAN;
    }
    m->cov_known = false;
    gsl_matrix *info = gsl_matrix_alloc((size_t)n, (size_t)n);
    if (!info)
        return;
    for (int a = 0; a < n; a++) {
        double h = 1e-5 * fmax(1, fabs(par[a])), keep = par[a];
        par[a] = keep + h;
        score(d, k, par, sums, gp);
        par[a] = keep - h;
        score(d, k, par, sums, gm);
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
    /* The sandwich H⁻¹ J H⁻¹, J = Σ_i s_i s_iᵀ over shoppers: the observed information's inverse H⁻¹ when the
       model is right (then J ≈ H), and still the estimate's covariance when the shoppers vary a little more
       than the model says. */
    gsl_matrix *outer = gsl_matrix_calloc((size_t)n, (size_t)n), *half = gsl_matrix_alloc((size_t)n, (size_t)n);
    if (outer && half && gsl_linalg_cholesky_decomp1(info) == GSL_SUCCESS &&
        gsl_linalg_cholesky_invert(info) == GSL_SUCCESS) {
        sums->outer = outer->data;
        score(d, k, par, sums, gp);
        sums->outer = NULL;
        gsl_blas_dsymm(CblasLeft, CblasUpper, 1, info, outer, 0, half);      /* H⁻¹ J */
        gsl_blas_dgemm(CblasNoTrans, CblasNoTrans, 1, half, info, 0, outer); /* H⁻¹ J H⁻¹ */
        double last = 0; /* var(π_k) = 1ᵀ V 1 over the free shares */
        for (int c = 0; c < k - 1; c++) {
            m->share_se[c] = sqrt(gsl_matrix_get(outer, (size_t)c, (size_t)c));
            for (int e = 0; e < k - 1; e++)
                last += gsl_matrix_get(outer, (size_t)c, (size_t)e);
        }
        m->share_se[k - 1] = k > 1 ? sqrt(last) : 0;
        for (int c = 0; c < k; c++)
            for (int j = 0; j < P; j++) {
                size_t a = (size_t)(k - 1 + c * P + j);
                m->theta_se[c][j] = sqrt(gsl_matrix_get(outer, a, a));
            }
        for (int a = 0; a < n; a++)
            for (int b = 0; b < n; b++)
                m->cov[a][b] = gsl_matrix_get(outer, (size_t)a, (size_t)b);
        m->cov_known = true;
    }
    gsl_matrix_free(outer);
    gsl_matrix_free(half);
    gsl_matrix_free(info);
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

/*
 * A start: one segment fitted to everyone, then each segment's θ moved from it at random (α by N(0, 1), β and ρ
 * by N(0, 3²) log-odds per unit discount) with equal shares, so that the segments begin apart and EM need not
 * break a symmetry by itself.
 */
static void draw_start(gsl_rng *rng, int k, const double *pooled, dsim_fit_model *m)
{
    static const double spread[P] = {1, 3, 3};
    for (int c = 0; c < k; c++) {
        m->share[c] = 1.0 / k;
        for (int j = 0; j < P; j++)
            m->theta[c][j] = pooled[j] + (k > 1 ? gsl_ran_gaussian(rng, spread[j]) : 0);
    }
}

size_t dsim_fit_shoppers_needed(int k)
{
    return k < 1 ? 0 : (size_t)(10 * (4 * k - 1));
}

int dsim_fit_check_shoppers(const dsim_fit_data *d, int k)
{
    if (d->n_shoppers >= dsim_fit_shoppers_needed(k))
        return DSIM_OK;
    return dsim_error_set(DSIM_EINVAL, "%zu shoppers are too few to fit %d segment%s: a mixture of K segments has "
                          "4K − 1 parameters and needs at least ten shoppers per parameter (%zu for %d)",
                          d->n_shoppers, k, k > 1 ? "s" : "", dsim_fit_shoppers_needed(k), k);
}

int dsim_fit_em(const dsim_fit_data *d, int k, const dsim_fit_options *o, dsim_fit_model *out)
{
    memset(out, 0, sizeof *out);
    if (k < 1 || k > DSIM_FIT_MAX_SEGMENTS)
        return dsim_error_set(DSIM_EINVAL, "%d segments: expected 1 to %d", k, DSIM_FIT_MAX_SEGMENTS);
    int rc = dsim_fit_check_shoppers(d, k);
    if (rc)
        return rc;
    pass_sums sums = {.p = malloc(longest_history(d) * (size_t)k * sizeof(double)), .stop = o->stop};
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    if (!sums.p || !rng) {
        free(sums.p);
        gsl_rng_free(rng);
        return dsim_error_set(DSIM_ENOMEM, "out of memory");
    }
    gsl_rng_set(rng, o->seed);
    gsl_error_handler_t *handler = gsl_set_error_handler_off();
    dsim_fit_model pooled = {.k = 1, .share = {1}};
    em(d, 1, 50, 1e-12, &sums, &pooled); /* Newton on one logistic regression: a few steps */
    dsim_fit_model best = {.loglik = -INFINITY};
    int iterations = 0;
    for (int s = 0; s < (k == 1 ? 1 : o->starts); s++) {
        dsim_fit_model m = {.k = k};
        draw_start(rng, k, pooled.theta[0], &m);
        em(d, k, o->max_iterations, 1e-7, &sums, &m);
        iterations += m.iterations;
        if (m.loglik > best.loglik)
            best = m;
    }
    best.iterations = iterations;
    if (k == 1)
        best = pooled;
    rc = polish(d, k, o->tolerance, &sums, &best);
    if (!rc && o->stop && *o->stop)
        rc = dsim_error_set(DSIM_EINTERRUPTED, "the fit of %d segments was interrupted", k);
    if (!rc) {
        order_segments(&best);
        best.bic = -2 * best.loglik + (4.0 * k - 1) * log((double)d->n_shoppers);
        standard_errors(d, &best, &sums);
        *out = best;
    }
    gsl_set_error_handler(handler);
    free(sums.p);
    gsl_rng_free(rng);
    return rc;
}

int dsim_fit_refine(const dsim_fit_data *d, dsim_fit_model *m)
{
    dsim_fit_options o = DSIM_FIT_OPTIONS_INIT;
    pass_sums sums = {.p = malloc(longest_history(d) * (size_t)m->k * sizeof(double))};
    if (!sums.p)
        return dsim_error_set(DSIM_ENOMEM, "out of memory");
    gsl_error_handler_t *handler = gsl_set_error_handler_off();
    m->iterations = 0;
    int rc = polish(d, m->k, o.tolerance, &sums, m);
    if (!rc) {
        order_segments(m);
        m->bic = -2 * m->loglik + (4.0 * m->k - 1) * log((double)d->n_shoppers);
        for (int c = 0; c < m->k; c++) {
            m->share_se[c] = NAN;
            for (int j = 0; j < P; j++)
                m->theta_se[c][j] = NAN;
        }
        m->cov_known = false;
    }
    gsl_set_error_handler(handler);
    free(sums.p);
    return rc;
}

/*
 * The bootstrap over shoppers: each resample draws the shoppers with replacement (a multinomial count per
 * shopper, used as a weight), and moves `m` to that resample's maximum by BFGS from `m` itself, so that a
 * segment keeps its label. The standard errors become the spread of the resamples' estimates, which sees the
 * sampling distribution as it is rather than as its quadratic approximation at the top.
 */
int dsim_fit_bootstrap(const dsim_fit_data *d, dsim_fit_model *m, int resamples, const dsim_fit_options *o)
{
    size_t n = d->n_shoppers;
    int k = m->k;
    pass_sums sums = {.p = malloc(longest_history(d) * (size_t)k * sizeof(double)), .stop = o->stop};
    double *weight = malloc(n * sizeof *weight), *uniform = malloc(n * sizeof *uniform);
    unsigned int *count = malloc(n * sizeof *count);
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    int rc = resamples < 2 ? dsim_error_set(DSIM_EINVAL, "%d resamples: a bootstrap needs at least 2", resamples)
             : !sums.p || !weight || !uniform || !count || !rng ? dsim_error_set(DSIM_ENOMEM, "out of memory")
                                                                 : DSIM_OK;
    if (rc)
        goto done;
    gsl_rng_set(rng, o->seed);
    for (size_t i = 0; i < n; i++)
        uniform[i] = 1;
    sums.weight = weight;
    gsl_error_handler_t *handler = gsl_set_error_handler_off();
    double sum[DSIM_FIT_MAX_SEGMENTS][P + 1] = {{0}}, square[DSIM_FIT_MAX_SEGMENTS][P + 1] = {{0}};
    int free_n = k - 1 + k * P;
    double free_sum[DSIM_FIT_MAX_FREE] = {0}, free_cross[DSIM_FIT_MAX_FREE][DSIM_FIT_MAX_FREE] = {{0}};
    for (int b = 0; b < resamples && !rc; b++) {
        gsl_ran_multinomial(rng, n, (unsigned int)n, uniform, count);
        for (size_t i = 0; i < n; i++)
            weight[i] = count[i];
        dsim_fit_model r = *m;
        r.iterations = 0;
        rc = polish(d, k, 1e-6, &sums, &r);
        if (!rc && o->stop && *o->stop)
            rc = dsim_error_set(DSIM_EINTERRUPTED, "the bootstrap was interrupted");
        for (int c = 0; c < k && !rc; c++)
            for (int j = 0; j <= P; j++) {
                double v = j == 0 ? r.share[c] : r.theta[c][j - 1];
                sum[c][j] += v;
                square[c][j] += v * v;
            }
        double v[DSIM_FIT_MAX_FREE];
        free_parameters(&r, v);
        for (int a = 0; a < free_n && !rc; a++) {
            free_sum[a] += v[a];
            for (int c = 0; c < free_n; c++)
                free_cross[a][c] += v[a] * v[c];
        }
    }
    for (int a = 0; a < free_n && !rc; a++) /* the resamples' covariance, as the standard errors are their SDs */
        for (int c = 0; c < free_n; c++)
            m->cov[a][c] = (free_cross[a][c] - free_sum[a] * free_sum[c] / resamples) / (resamples - 1);
    m->cov_known = !rc;
    for (int c = 0; c < k && !rc; c++)
        for (int j = 0; j <= P; j++) {
            double mean = sum[c][j] / resamples;
            double sd = sqrt(fmax(0, (square[c][j] - resamples * mean * mean) / (resamples - 1)));
            if (j == 0)
                m->share_se[c] = sd;
            else
                m->theta_se[c][j - 1] = sd;
        }
    gsl_set_error_handler(handler);
done:
    free(sums.p);
    free(weight);
    free(uniform);
    free(count);
    gsl_rng_free(rng);
    return rc;
}

/* One pass at `m`'s parameters: its log-likelihood, and each shopper's posterior into `tau` when not NULL. */
static int pass_at(const dsim_fit_data *d, const dsim_fit_model *m, double *tau, double *ll)
{
    pass_sums sums = {.tau = tau, .p = malloc(longest_history(d) * (size_t)(m->k > 0 ? m->k : 1) * sizeof(double))};
    if (!sums.p)
        return dsim_error_set(DSIM_ENOMEM, "out of memory");
    *ll = pass(d, m->k, m->share, (const double(*)[P])m->theta, &sums);
    free(sums.p);
    return DSIM_OK;
}

int dsim__fit_posteriors(const dsim_fit_data *d, const dsim_fit_model *m, double *tau)
{
    double ll;
    return pass_at(d, m, tau, &ll);
}

double dsim_fit_loglik(const dsim_fit_data *d, const dsim_fit_model *m)
{
    double ll;
    return pass_at(d, m, NULL, &ll) ? NAN : ll;
}

int dsim_fit_draw(const dsim_fit_model *m, uint64_t seed, uint64_t draw, dsim_fit_model *out)
{
    int k = m->k, n = k - 1 + k * P;
    if (!m->cov_known)
        return dsim_error_set(DSIM_EINVAL, "the fit of %d segments has no covariance to draw from", k);
    double l[DSIM_FIT_MAX_FREE * DSIM_FIT_MAX_FREE], mean[DSIM_FIT_MAX_FREE], v[DSIM_FIT_MAX_FREE];
    for (int a = 0; a < n; a++)
        for (int b = 0; b < n; b++)
            l[a * n + b] = m->cov[a][b];
    free_parameters(m, mean);
    gsl_error_handler_t *handler = gsl_set_error_handler_off();
    gsl_matrix_view chol = gsl_matrix_view_array(l, (size_t)n, (size_t)n);
    int rc = gsl_linalg_cholesky_decomp1(&chol.matrix) ? DSIM_EINVAL : DSIM_OK;
    gsl_set_error_handler(handler);
    if (rc)
        return dsim_error_set(rc, "the covariance of the fit of %d segments is not positive definite", k);
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    if (!rng)
        return dsim_error_set(DSIM_ENOMEM, "out of memory");
    gsl_rng_set(rng, seed * 0x9E3779B97F4A7C15ull + draw); /* one stream per (seed, draw) */
    rc = DSIM_ENUMERIC;
    for (int attempt = 0; attempt < 1000 && rc; attempt++) {
        double z[DSIM_FIT_MAX_FREE], last = 1;
        for (int a = 0; a < n; a++)
            z[a] = gsl_ran_gaussian(rng, 1);
        for (int a = 0; a < n; a++) { /* v = mean + L z, L lower triangular */
            v[a] = mean[a];
            for (int b = 0; b <= a; b++)
                v[a] += l[a * n + b] * z[b];
        }
        bool valid = true;
        for (int c = 0; c < k - 1; c++) {
            valid &= v[c] > 0.001 && v[c] < 1;
            last -= v[c];
        }
        if (valid && (k == 1 || last > 0.001))
            rc = DSIM_OK;
    }
    gsl_rng_free(rng);
    if (rc)
        return dsim_error_set(rc, "no draw from the fit of %d segments gave every share in (0.001, 1)", k);
    *out = *m;
    from_free_parameters(k, v, out->share, out->theta);
    return DSIM_OK;
}
