/*
 * fit_check.c — what a fit can be trusted with: before it, whether the log can identify each parameter at all;
 * after it, a calibration check of the fitted model on shoppers it never saw (dsim/fit.h).
 *
 * The calibration check compares, in groups of visits (by the discount offered, and by decile of predicted
 * probability), the purchases observed with those the fitted mixture predicts for a new shopper with the same
 * discount history: p_t = Σ_k π_k σ(x_t·θ_k). Visits of one shopper are dependent (they share a segment), so
 * the test of "observed − predicted = 0 in every group" is a Wald test whose covariance is summed over
 * shoppers: with c_i the vector of shopper i's (y − p) summed per group and D = Σ_i c_i,
 *     W = Dᵀ (Σ_i c_i c_iᵀ)⁻¹ D,  χ² with as many degrees of freedom as groups when the model is right.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_blas.h>
#include <gsl/gsl_cdf.h>
#include <gsl/gsl_linalg.h>

#include "dsim/error.h"
#include "dsim/fit.h"

enum { P = DSIM_FIT_PARAMS };

/* ---- identification ------------------------------------------------------------------------------------ */

int dsim_fit_check_identified(const dsim_fit_data *d)
{
    size_t bought = 0, n = d->n_visits;
    double mean[P] = {0}, cov[P][P] = {{0}};
    for (size_t t = 0; t < n; t++) {
        bought += d->y[t];
        for (int a = 0; a < P; a++)
            mean[a] += d->x[t * P + a] / (double)n;
    }
    if (bought == 0 || bought == n)
        return dsim_error_set(DSIM_EINVAL, "every one of the %zu visits ended %s: logit_base (α) cannot be "
                                           "identified (its estimate would be infinite)",
                              n, bought ? "in a purchase" : "without a purchase");
    for (size_t t = 0; t < n; t++)
        for (int a = 1; a < P; a++)
            for (int b = 1; b < P; b++)
                cov[a][b] += (d->x[t * P + a] - mean[a]) * (d->x[t * P + b] - mean[b]) / (double)n;
    if (!(cov[1][1] > 1e-12))
        return dsim_error_set(DSIM_EINVAL, "every visit was offered the same discount (%g %%): logit_discount (β) "
                                           "cannot be identified; a log needs visits at two or more discounts "
                                           "(a randomised logging policy gives them)",
                              100 * mean[1]);
    /* The part of d − r that d does not explain: zero when every shopper's reference never moves (one visit
       each, or memory 1), so that ρ (d − r) is β d under another name. */
    double residual = cov[2][2] - cov[1][2] * cov[1][2] / cov[1][1];
    if (!(residual > 1e-9 * cov[1][1]))
        return dsim_error_set(DSIM_EINVAL, "the reference discount never moves apart from the discount (%s): "
                                           "logit_reference (ρ) cannot be identified apart from logit_discount (β); "
                                           "it needs shoppers seen on several visits at different discounts",
                              d->n_visits == d->n_shoppers ? "every shopper has one visit" : "memory 1?");
    return DSIM_OK;
}

/* ---- shoppers held out --------------------------------------------------------------------------------- */

static uint64_t splitmix64(uint64_t x)
{
    x += 0x9e3779b97f4a7c15ull;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
    return x ^ (x >> 31);
}

/* Copy the shoppers `pick` selects (pick[i] == want) into `out`. */
static int copy_shoppers(const dsim_fit_data *all, const unsigned char *pick, unsigned char want, dsim_fit_data *out)
{
    size_t shoppers = 0, visits = 0;
    for (size_t i = 0; i < all->n_shoppers; i++)
        if (pick[i] == want)
            shoppers++, visits += all->first[i + 1] - all->first[i];
    out->first = malloc((shoppers + 1) * sizeof *out->first);
    out->x = malloc((visits ? visits : 1) * P * sizeof *out->x);
    out->y = malloc(visits ? visits : 1);
    if (!out->first || !out->x || !out->y)
        return dsim_error_set(DSIM_ENOMEM, "out of memory");
    size_t v = 0;
    for (size_t i = 0; i < all->n_shoppers; i++) {
        if (pick[i] != want)
            continue;
        size_t from = all->first[i], n = all->first[i + 1] - from;
        out->first[out->n_shoppers++] = v;
        memcpy(&out->x[v * P], &all->x[from * P], n * P * sizeof *out->x);
        memcpy(&out->y[v], &all->y[from], n);
        v += n;
    }
    out->first[out->n_shoppers] = v;
    out->n_visits = v;
    return DSIM_OK;
}

int dsim_fit_data_split(const dsim_fit_data *all, double held_out, uint64_t seed, dsim_fit_data *train,
                        dsim_fit_data *test)
{
    memset(train, 0, sizeof *train);
    memset(test, 0, sizeof *test);
    unsigned char *pick = malloc(all->n_shoppers ? all->n_shoppers : 1);
    if (!pick)
        return dsim_error_set(DSIM_ENOMEM, "out of memory");
    for (size_t i = 0; i < all->n_shoppers; i++)
        pick[i] = (double)(splitmix64(seed ^ splitmix64(i)) >> 11) * 0x1p-53 < held_out;
    int rc = copy_shoppers(all, pick, 0, train);
    if (!rc)
        rc = copy_shoppers(all, pick, 1, test);
    free(pick);
    if (rc) {
        dsim_fit_data_clear(train);
        dsim_fit_data_clear(test);
    }
    return rc;
}

/* ---- the calibration check ----------------------------------------------------------------------------- */

static double mixture_probability(const dsim_fit_model *m, const double *x)
{
    double p = 0;
    for (int c = 0; c < m->k; c++)
        p += m->share[c] / (1 + exp(-(x[0] * m->theta[c][0] + x[1] * m->theta[c][1] + x[2] * m->theta[c][2])));
    return p;
}

typedef struct {
    double key;
    size_t visit;
} keyed;

static int by_key(const void *a, const void *b)
{
    const keyed *x = a, *y = b;
    return (x->key > y->key) - (x->key < y->key);
}

/*
 * Groups of visits: each distinct key its own group when there are at most `distinct` of them (discount
 * levels), otherwise `quantiles` groups of equal counts in key order. group[t] gets visit t's group.
 */
static int group_by(const double *key, size_t n, int distinct, int quantiles, int *group, dsim_fit_group *g)
{
    keyed *k = malloc(n * sizeof *k);
    if (!k)
        return -1;
    for (size_t t = 0; t < n; t++)
        k[t] = (keyed){key[t], t};
    qsort(k, n, sizeof *k, by_key);
    int values = 0;
    for (size_t t = 0; t < n && values <= distinct; t++)
        values += t == 0 || k[t].key != k[t - 1].key;
    int n_groups = 0;
    for (size_t t = 0; t < n; t++) {
        bool next = values <= distinct ? t == 0 || k[t].key != k[t - 1].key
                                       : t == 0 || (t * (size_t)quantiles / n != (t - 1) * (size_t)quantiles / n &&
                                                    k[t].key != k[t - 1].key);
        if (next) {
            g[n_groups] = (dsim_fit_group){.low = k[t].key};
            n_groups++;
        }
        group[k[t].visit] = n_groups - 1;
        g[n_groups - 1].high = k[t].key;
    }
    free(k);
    return n_groups;
}

/* The groups' observed and predicted conversion and the Wald test across shoppers (the header comment). */
static int wald(const dsim_fit_data *d, const double *p, const int *group, int n_groups, dsim_fit_group *g,
                double *chi2, double *p_value)
{
    gsl_matrix *cov = gsl_matrix_calloc((size_t)n_groups, (size_t)n_groups);
    gsl_vector *sum = gsl_vector_calloc((size_t)n_groups), *x = gsl_vector_alloc((size_t)n_groups);
    double c[DSIM_FIT_MAX_GROUPS];
    if (!cov || !sum || !x) {
        gsl_matrix_free(cov);
        gsl_vector_free(sum);
        gsl_vector_free(x);
        return dsim_error_set(DSIM_ENOMEM, "out of memory");
    }
    for (size_t i = 0; i < d->n_shoppers; i++) {
        memset(c, 0, sizeof c);
        for (size_t t = d->first[i]; t < d->first[i + 1]; t++) {
            dsim_fit_group *gt = &g[group[t]];
            gt->visits++;
            gt->observed += d->y[t];
            gt->predicted += p[t];
            c[group[t]] += d->y[t] - p[t];
        }
        for (int a = 0; a < n_groups; a++) {
            *gsl_vector_ptr(sum, (size_t)a) += c[a];
            for (int b = 0; b < n_groups && c[a] != 0; b++)
                *gsl_matrix_ptr(cov, (size_t)a, (size_t)b) += c[a] * c[b];
        }
    }
    for (int a = 0; a < n_groups; a++) {
        g[a].observed /= (double)g[a].visits;
        g[a].predicted /= (double)g[a].visits;
    }
    *chi2 = NAN, *p_value = NAN;
    if (gsl_linalg_cholesky_decomp1(cov) == GSL_SUCCESS && gsl_linalg_cholesky_solve(cov, sum, x) == GSL_SUCCESS) {
        gsl_blas_ddot(sum, x, chi2);
        *p_value = gsl_cdf_chisq_Q(*chi2, n_groups);
    }
    gsl_matrix_free(cov);
    gsl_vector_free(sum);
    gsl_vector_free(x);
    return DSIM_OK;
}

int dsim_fit_calibrate(const dsim_fit_data *test, const dsim_fit_model *m, dsim_fit_calibration *out)
{
    memset(out, 0, sizeof *out);
    size_t n = test->n_visits;
    if (n == 0 || test->n_shoppers < 2 * DSIM_FIT_MAX_GROUPS)
        return dsim_error_set(DSIM_EINVAL, "%zu held-out shoppers are too few for a calibration check (at least %d)",
                              test->n_shoppers, 2 * DSIM_FIT_MAX_GROUPS);
    double *p = malloc(n * sizeof *p), *d = malloc(n * sizeof *d);
    int *group = malloc(n * sizeof *group);
    int rc = p && d && group ? DSIM_OK : dsim_error_set(DSIM_ENOMEM, "out of memory");
    for (size_t t = 0; !rc && t < n; t++) {
        p[t] = mixture_probability(m, &test->x[t * P]);
        d[t] = test->x[t * P + 1];
    }
    out->shoppers = test->n_shoppers;
    out->visits = n;
    if (!rc) {
        out->n_levels = group_by(d, n, DSIM_FIT_MAX_GROUPS, 10, group, out->level);
        rc = out->n_levels < 0 ? dsim_error_set(DSIM_ENOMEM, "out of memory")
                               : wald(test, p, group, out->n_levels, out->level, &out->level_chi2, &out->level_p);
    }
    if (!rc) {
        out->n_deciles = group_by(p, n, 0, 10, group, out->decile);
        rc = out->n_deciles < 0 ? dsim_error_set(DSIM_ENOMEM, "out of memory")
                                : wald(test, p, group, out->n_deciles, out->decile, &out->decile_chi2, &out->decile_p);
    }
    free(p);
    free(d);
    free(group);
    return rc;
}
