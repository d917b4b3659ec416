/*
 * fit_check.c — what a fit can be trusted with: before it, whether the log can identify each parameter at all;
 * after it, a calibration check of the fitted model on shoppers it never saw: the shoppers are split into folds
 * and each fold predicted by the model refitted on the others (dsim/fit.h).
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
#include <gsl/gsl_errno.h>
#include <gsl/gsl_linalg.h>

#include "dsim/error.h"
#include "dsim/fit.h"
#include "fit/fit_impl.h"

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

/* Copy the shoppers `pick` selects (pick[i] == want, or != want when `others`) into `out`. */
static int copy_shoppers(const dsim_fit_data *all, const unsigned char *pick, unsigned char want, bool others,
                         dsim_fit_data *out)
{
    memset(out, 0, sizeof *out);
    size_t shoppers = 0, visits = 0;
    for (size_t i = 0; i < all->n_shoppers; i++)
        if ((pick[i] == want) != others)
            shoppers++, visits += all->first[i + 1] - all->first[i];
    out->first = malloc((shoppers + 1) * sizeof *out->first);
    out->x = malloc((visits ? visits : 1) * P * sizeof *out->x);
    out->y = malloc(visits ? visits : 1);
    out->price = all->price ? malloc((visits ? visits : 1) * sizeof *out->price) : NULL;
    if (!out->first || !out->x || !out->y || (all->price && !out->price)) {
        dsim_fit_data_clear(out);
        return dsim_error_set(DSIM_ENOMEM, "out of memory");
    }
    size_t v = 0;
    for (size_t i = 0; i < all->n_shoppers; i++) {
        if ((pick[i] == want) == others)
            continue;
        size_t from = all->first[i], n = all->first[i + 1] - from;
        out->first[out->n_shoppers++] = v;
        memcpy(&out->x[v * P], &all->x[from * P], n * P * sizeof *out->x);
        memcpy(&out->y[v], &all->y[from], n);
        if (all->price)
            memcpy(&out->price[v], &all->price[from], n * sizeof *out->price);
        v += n;
    }
    out->first[out->n_shoppers] = v;
    out->n_visits = v;
    return DSIM_OK;
}

/* Each shopper's fold, 0 … folds − 1, drawn at random by `seed`. */
static void assign_folds(size_t n_shoppers, int folds, uint64_t seed, unsigned char *fold)
{
    for (size_t i = 0; i < n_shoppers; i++)
        fold[i] = (unsigned char)((double)(splitmix64(seed ^ splitmix64(i)) >> 11) * 0x1p-53 * folds);
}

/* ---- the calibration check ----------------------------------------------------------------------------- */

static double segment_probability(const dsim_fit_model *m, int c, const double *x)
{
    return 1 / (1 + exp(-(x[0] * m->theta[c][0] + x[1] * m->theta[c][1] + x[2] * m->theta[c][2])));
}

/*
 * Each visit's purchase probability twice: as a new shopper's, p = Σ_k π_k σ(x·θ_k), and as a returning
 * shopper's, with the segments weighted by their posterior given the shopper's earlier visits in the log. The
 * second tests what the first cannot: how much a shopper's past says about their next visit (a continuum of
 * shoppers fitted by a few segments can match the population and still mispredict the individual).
 */
static void predict(const dsim_fit_data *d, const dsim_fit_model *m, const unsigned char *fold, int f, double *fresh,
                    double *known)
{
    for (size_t i = 0; i < d->n_shoppers; i++) {
        if (fold[i] != f)
            continue;
        double log_w[DSIM_FIT_MAX_SEGMENTS];
        for (int c = 0; c < m->k; c++)
            log_w[c] = log(m->share[c]);
        for (size_t t = d->first[i]; t < d->first[i + 1]; t++) {
            double top = -INFINITY, total = 0, w[DSIM_FIT_MAX_SEGMENTS], q[DSIM_FIT_MAX_SEGMENTS];
            for (int c = 0; c < m->k; c++)
                top = fmax(top, log_w[c]);
            for (int c = 0; c < m->k; c++)
                total += w[c] = exp(log_w[c] - top);
            fresh[t] = known[t] = 0;
            for (int c = 0; c < m->k; c++) {
                q[c] = segment_probability(m, c, &d->x[t * P]);
                fresh[t] += m->share[c] * q[c];
                known[t] += w[c] / total * q[c];
                log_w[c] += log(d->y[t] ? q[c] : 1 - q[c]);
            }
        }
    }
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
    size_t quantile = 0; /* the quantile the current group began in: ties may carry a group past its end */
    for (size_t t = 0; t < n; t++) {
        bool next = values <= distinct ? t == 0 || k[t].key != k[t - 1].key
                                       : t == 0 || (t * (size_t)quantiles / n > quantile && k[t].key != k[t - 1].key);
        if (next) {
            quantile = t * (size_t)quantiles / n;
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
    /* A singular covariance (a group no shopper's residual moves) leaves the test undefined: NAN, not GSL's
       default handler, which aborts. */
    gsl_error_handler_t *handler = gsl_set_error_handler_off();
    if (gsl_linalg_cholesky_decomp1(cov) == GSL_SUCCESS && gsl_linalg_cholesky_solve(cov, sum, x) == GSL_SUCCESS) {
        gsl_blas_ddot(sum, x, chi2);
        *p_value = gsl_cdf_chisq_Q(*chi2, n_groups);
    }
    gsl_set_error_handler(handler);
    gsl_matrix_free(cov);
    gsl_vector_free(sum);
    gsl_vector_free(x);
    return DSIM_OK;
}

/*
 * The model ignores the price of what a visit showed. A score (Lagrange multiplier) test asks whether the log
 * says otherwise: add γ·z to every segment's logit, z the log list price shown minus the shopper's own mean
 * (so that prices which differ between shoppers, as tastes and segments do, are not mistaken for an effect),
 * and take the score of ℓ at γ = 0, U = Σ_i Σ_t (y − p̄_it) z_t with p̄_it = Σ_k τ_ik σ(x_t·θ_k) and τ the
 * shopper's posterior. Its variance is summed over shoppers, Σ_i (Σ_t (y − p̄) z)², so z = U/√V is normal
 * when the model is right; U over the information Σ Σ_k τ p (1 − p) z² is the one-step estimate of γ.
 * (Prices as they differ between shoppers cannot be tested this way: they go with tastes, and tastes with
 * segments, so a correct model would fail such a test.)
 */
static int price_test(const dsim_fit_data *d, const dsim_fit_model *m, dsim_fit_calibration *out)
{
    double score = 0, variance = 0, information = 0, spread = 0;
    double *tau = malloc(d->n_shoppers * (size_t)m->k * sizeof *tau);
    int rc = tau ? dsim__fit_posteriors(d, m, tau) : dsim_error_set(DSIM_ENOMEM, "out of memory");
    for (size_t i = 0; !rc && i < d->n_shoppers; i++) {
        size_t from = d->first[i], to = d->first[i + 1];
        const double *ti = &tau[i * (size_t)m->k];
        double mean = 0, mine = 0;
        for (size_t t = from; t < to; t++)
            mean += log(d->price[t]) / (double)(to - from);
        for (size_t t = from; t < to; t++) {
            double z = log(d->price[t]) - mean, p = 0, w = 0;
            for (int c = 0; c < m->k; c++) {
                double q = segment_probability(m, c, &d->x[t * P]);
                p += ti[c] * q;
                w += ti[c] * q * (1 - q);
            }
            mine += (d->y[t] - p) * z;
            information += w * z * z;
            spread += z * z / (double)d->n_visits;
        }
        score += mine;
        variance += mine * mine;
    }
    free(tau);
    if (rc)
        return rc;
    /* A shop that shows each shopper the same slate (as dsim's ranker does) has no price variation within
       shoppers to test with: 1 % of log price (about 1 % of price) is too little to say anything. */
    out->price_spread = sqrt(spread);
    out->price_tested = out->price_spread >= 0.01;
    if (out->price_tested) {
        out->price_effect = information > 0 ? score / information : NAN;
        out->price_z = variance > 0 ? score / sqrt(variance) : NAN;
        out->price_p = variance > 0 ? 2 * gsl_cdf_ugaussian_Q(fabs(out->price_z)) : NAN;
    }
    return DSIM_OK;
}

/* Every shopper's visits predicted by the model refitted without their fold. */
static int cross_predict(const dsim_fit_data *d, const dsim_fit_model *m, int folds, uint64_t seed, double *fresh,
                         double *known)
{
    unsigned char *fold = malloc(d->n_shoppers);
    if (!fold)
        return dsim_error_set(DSIM_ENOMEM, "out of memory");
    assign_folds(d->n_shoppers, folds, seed, fold);
    int rc = DSIM_OK;
    for (int f = 0; f < folds && !rc; f++) {
        dsim_fit_data train;
        dsim_fit_model refit = *m;
        rc = copy_shoppers(d, fold, (unsigned char)f, true, &train);
        if (!rc)
            rc = dsim_fit_refine(&train, &refit);
        if (!rc)
            predict(d, &refit, fold, f, fresh, known);
        dsim_fit_data_clear(&train);
    }
    free(fold);
    return rc;
}

int dsim_fit_calibrate(const dsim_fit_data *d, const dsim_fit_model *m, int folds, uint64_t seed,
                       dsim_fit_calibration *out)
{
    memset(out, 0, sizeof *out);
    size_t n = d->n_visits;
    if (folds < 2 || folds > 100)
        return dsim_error_set(DSIM_EINVAL, "%d folds: expected 2 to 100", folds);
    if (d->n_shoppers < (size_t)folds * 2 * DSIM_FIT_MAX_GROUPS)
        return dsim_error_set(DSIM_EINVAL, "%zu shoppers are too few for a calibration check in %d folds (at least "
                                           "%d)",
                              d->n_shoppers, folds, folds * 2 * DSIM_FIT_MAX_GROUPS);
    double *p = malloc(n * sizeof *p), *known = malloc(n * sizeof *known), *disc = malloc(n * sizeof *disc);
    int *group = malloc(n * sizeof *group);
    int rc = p && known && disc && group ? DSIM_OK : dsim_error_set(DSIM_ENOMEM, "out of memory");
    if (!rc)
        rc = cross_predict(d, m, folds, seed, p, known);
    for (size_t t = 0; !rc && t < n; t++)
        disc[t] = d->x[t * P + 1];
    out->shoppers = d->n_shoppers;
    out->visits = n;
    out->folds = folds;
    out->price_spread = NAN;
    if (!rc) {
        out->n_levels = group_by(disc, n, DSIM_FIT_MAX_GROUPS, 10, group, out->level);
        rc = out->n_levels < 0 ? dsim_error_set(DSIM_ENOMEM, "out of memory")
                               : wald(d, p, group, out->n_levels, out->level, &out->level_chi2, &out->level_p);
    }
    if (!rc) {
        out->n_deciles = group_by(p, n, 0, 10, group, out->decile);
        rc = out->n_deciles < 0 ? dsim_error_set(DSIM_ENOMEM, "out of memory")
                                : wald(d, p, group, out->n_deciles, out->decile, &out->decile_chi2, &out->decile_p);
    }
    if (!rc) {
        out->n_returning = group_by(known, n, 0, 10, group, out->returning);
        rc = out->n_returning < 0 ? dsim_error_set(DSIM_ENOMEM, "out of memory")
                                  : wald(d, known, group, out->n_returning, out->returning, &out->returning_chi2,
                                         &out->returning_p);
    }
    if (!rc && d->price)
        rc = price_test(d, m, out);
    free(p);
    free(known);
    free(disc);
    free(group);
    return rc;
}
