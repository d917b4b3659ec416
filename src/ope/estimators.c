/*
 * estimators.c — the off-policy estimators, their intervals and the importance weights' diagnostics, over
 * a log of any length in bounded memory.
 *
 * Definitions as in the Open Bandit Pipeline's documentation (Saito et al. 2021, obp.ope), so that results
 * compare with it. For row i with logged action a_i, propensity p_i, reward r_i, weight w_i = π(a_i|x_i)/p_i,
 * q̂_i = q̂(x_i, a_i) and q̂_π,i = Σ_a π(a|x_i) q̂(x_i, a), every estimate is the mean of a per-row term:
 *
 *   DM         q̂_π,i                                         (direct method)
 *   IPS        w_i r_i                                        (Horvitz & Thompson 1952)
 *   clipped    min(w_i, λ) r_i                                (IPS with clipping, OBP's lambda_)
 *   SNIPS      w_i r_i / w̄                                    (Swaminathan & Joachims 2015), w̄ = mean w
 *   DR         q̂_π,i + w_i (r_i − q̂_i)                        (Dudík, Langford & Li 2011)
 *   SNDR       q̂_π,i + w_i (r_i − q̂_i) / w̄                   (self-normalised DR)
 *   Switch-DR  q̂_π,i + 1[w_i ≤ τ] w_i (r_i − q̂_i)            (Wang, Agarwal & Dudík 2017)
 *   DR-os      q̂_π,i + λ w_i / (w_i² + λ) (r_i − q̂_i)        (Su, Dimakopoulou, Krishnamurthy & Dudík 2020)
 *
 * Each term is written a_i + b_i / w̄ (b = 0 but for the self-normalised two), so that running sums of a,
 * b, w and of the second moments of a, b and w (about the first row's, against cancellation) give every
 * estimate and its normal interval without keeping the rows: the log can stream through (dsim_ope_sums).
 * The normal interval is the estimate ± z_0.975 × its standard error: the terms' own for the plain
 * estimators; for the self-normalised ones (SNIPS, SNDR), a ratio of two means, the delta method's, from
 * the influence terms φ_i = a_i + (b_i − β w_i) / w̄ with β = Σb / Σw (the ratio; Swaminathan & Joachims
 * 2015, §4): treating w̄ as a constant overstates the spread, since w̄ and Σb move together.
 * DM's interval is conditional on the fitted reward model: it counts the rows' spread around the model's
 * predictions, not the model's own error, so it can miss the truth by the model's bias.
 * The bootstrap interval is the 2.5 % and 97.5 % quantiles of the estimate over resamples with
 * replacement of the rows, or, past DSIM_OPE_BLOCKS rows, of as many blocks of rows dealt at random (a
 * keyed hash of the row number): the sums of a block are all a resample needs, so memory stays bounded,
 * and for a mean of independent rows resampling random blocks gives the same spread as resampling rows.
 */
#include "dsim/ope.h"

#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_cdf.h>
#include <gsl/gsl_sort.h>
#include <gsl/gsl_statistics_double.h>

#include "dsim/error.h"
#include "dsim/rng.h"
#include "ope/estimator_impl.h"

int dsim_ope_estimator_count(void)
{
    int n = 0;
    while (dsim__ope_estimators[n])
        n++;
    return n;
}

const char *dsim_ope_estimator_name(dsim_ope_estimator e)
{
    return (int)e >= 0 && (int)e < dsim_ope_estimator_count() ? dsim__ope_estimators[e]->name : NULL;
}

int dsim_ope_estimator_find(const char *name)
{
    for (int e = 0; dsim__ope_estimators[e]; e++)
        if (strcmp(dsim__ope_estimators[e]->name, name) == 0)
            return e;
    return -1;
}

void dsim_ope_terms_clear(dsim_ope_terms *t)
{
    free(t->w);
    free(t->r);
    free(t->q_taken);
    free(t->q_pi);
    memset(t, 0, sizeof *t);
}

/* Row i's term as a + b / w̄. */
static void parts(dsim_ope_estimator e, const dsim_ope_terms *t, const dsim_ope_tuning *tuning, size_t i,
                  double *a, double *b)
{
    dsim__ope_estimators[e]->parts(t, tuning, i, a, b);
}

/* The mean of a + b / w̄ from the sums (a self-normalised term is 0 where every weight is 0). */
static double mean_of(double n, double sum_w, double sum_a, double sum_b)
{
    return n > 0 ? (sum_a + (sum_w > 0 ? sum_b * n / sum_w : 0.0)) / n : NAN;
}

static size_t row_of(const size_t *index, size_t k)
{
    return index ? index[k] : k;
}

double dsim_ope_estimate(dsim_ope_estimator e, const dsim_ope_terms *t, const dsim_ope_tuning *tuning,
                         const size_t *index, size_t n)
{
    double sum_w = 0, sum_a = 0, sum_b = 0, a, b;
    for (size_t k = 0; k < n; k++) {
        size_t i = row_of(index, k);
        parts(e, t, tuning, i, &a, &b);
        sum_w += t->w[i];
        sum_a += a;
        sum_b += b;
    }
    return mean_of((double)n, sum_w, sum_a, sum_b);
}

/* ---- running sums: a log streamed through in chunks ------------------------------------------------------ */

typedef struct {
    double a, b;
} block_sums;

/*
 * Second moments of a row vector x (up to 6 terms) about its first row x₀, so that a variance does not
 * cancel when the terms are far from 0 relative to their spread: Σ (x − x₀)(x − x₀)ᵀ, upper triangle.
 */
enum { MAX_TERMS = 6 };
typedef struct {
    double x0[MAX_TERMS], sum_xx[MAX_TERMS][MAX_TERMS];
} moments;

static void moments_add(moments *m, const double *x, int dim, bool first_row)
{
    if (first_row)
        memcpy(m->x0, x, sizeof(double) * (size_t)dim);
    for (int j = 0; j < dim; j++)
        for (int k = j; k < dim; k++)
            m->sum_xx[j][k] += (x[j] - m->x0[j]) * (x[k] - m->x0[k]);
}

/* The sample variance of the linear combination g·x over n rows whose mean is `mean`:
   gᵀ (Σ (x − x₀)(x − x₀)ᵀ − n (x̄ − x₀)(x̄ − x₀)ᵀ) g / (n − 1), at least 0; NAN below 2 rows. */
static double moments_variance(const moments *m, const double *g, const double *mean, int dim, double n)
{
    if (n < 2)
        return NAN;
    double d[MAX_TERMS], var = 0;
    for (int j = 0; j < dim; j++)
        d[j] = mean[j] - m->x0[j];
    for (int j = 0; j < dim; j++)
        for (int k = 0; k < dim; k++)
            var += g[j] * g[k] * (m->sum_xx[j < k ? j : k][j < k ? k : j] - n * d[j] * d[k]);
    return fmax(var / (n - 1), 0.0);
}

struct dsim_ope_sums {
    dsim_ope_tuning tuning;
    uint64_t seed;
    int n_est;                 /* estimators in the list (the blocks' stride) */
    bool by_row;               /* up to DSIM_OPE_BLOCKS rows: each row is its own block */
    size_t n_blocks;           /* rows up to DSIM_OPE_BLOCKS, else DSIM_OPE_BLOCKS */
    double n, sum_w, sum_w2, max_w, violations, sum_r;
    double sum_a[DSIM_OPE_MAX_ESTIMATORS], sum_b[DSIM_OPE_MAX_ESTIMATORS];
    moments own[DSIM_OPE_MAX_ESTIMATORS]; /* of (a, b, w) */
    double *block_n, *block_w;   /* (n_blocks) */
    block_sums *blocks;          /* (n_blocks, n_est) */
    /* Paired with a base target (dsim_ope_sums_add_paired): of (a, b, w, a_base, b_base, w_base). */
    bool paired;
    moments pair[DSIM_OPE_MAX_ESTIMATORS];
};

int dsim_ope_sums_alloc(dsim_ope_sums **out, const dsim_ope_tuning *tuning, size_t n_rows, uint64_t seed)
{
    dsim_ope_sums *s = calloc(1, sizeof *s);
    size_t m = n_rows < DSIM_OPE_BLOCKS ? (n_rows ? n_rows : 1) : DSIM_OPE_BLOCKS;
    if (s) {
        s->block_n = calloc(m, sizeof(double));
        s->block_w = calloc(m, sizeof(double));
        s->n_est = dsim_ope_estimator_count();
        s->blocks = calloc(m * (size_t)s->n_est, sizeof(block_sums));
    }
    if (!s || !s->block_n || !s->block_w || !s->blocks) {
        dsim_ope_sums_free(s);
        return dsim_error_set(DSIM_ENOMEM, "out of memory for the estimators' sums");
    }
    s->tuning = *tuning;
    s->seed = seed;
    s->by_row = n_rows <= DSIM_OPE_BLOCKS;
    s->n_blocks = m;
    *out = s;
    return DSIM_OK;
}

void dsim_ope_sums_free(dsim_ope_sums *s)
{
    if (!s)
        return;
    free(s->block_n);
    free(s->block_w);
    free(s->blocks);
    free(s);
}

/* The block of row `row`: the row itself in a short log, else a keyed hash of it (splitmix64's finaliser). */
static size_t block_of(const dsim_ope_sums *s, size_t row)
{
    if (s->by_row)
        return row % s->n_blocks;
    uint64_t z = (uint64_t)row + s->seed * 0x9e3779b97f4a7c15ULL + 0x632be59bd9b4e5b9ULL;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return (size_t)((z ^ (z >> 31)) % s->n_blocks);
}

static void add_terms(dsim_ope_sums *s, const dsim_ope_terms *t, size_t first_row)
{
    for (size_t i = 0; i < t->n; i++) {
        double w = t->w[i];
        size_t k = block_of(s, first_row + i);
        s->n += 1;
        s->sum_w += w;
        s->sum_w2 += w * w;
        s->sum_r += t->r[i];
        s->max_w = fmax(s->max_w, w);
        s->block_n[k] += 1;
        s->block_w[k] += w;
        block_sums *bs = s->blocks + k * (size_t)s->n_est;
        for (int e = 0; e < s->n_est; e++) {
            double x[3] = {0, 0, w};
            parts((dsim_ope_estimator)e, t, &s->tuning, i, &x[0], &x[1]);
            moments_add(&s->own[e], x, 3, s->n == 1);
            s->sum_a[e] += x[0];
            s->sum_b[e] += x[1];
            bs[e].a += x[0];
            bs[e].b += x[1];
        }
    }
    s->violations += t->support_violation * (double)t->n;
}

void dsim_ope_sums_add(dsim_ope_sums *s, const dsim_ope_terms *t, size_t first_row)
{
    s->paired = false; /* rows without their base's: no difference can be taken */
    add_terms(s, t, first_row);
}

size_t dsim_ope_sums_rows(const dsim_ope_sums *s)
{
    return (size_t)s->n;
}

void dsim_ope_sums_diagnose(const dsim_ope_sums *s, dsim_ope_diagnostics *out)
{
    *out = (dsim_ope_diagnostics){
        .ess = s->sum_w2 > 0 ? s->sum_w * s->sum_w / s->sum_w2 : 0.0,
        .max_weight = s->max_w,
        .mean_weight = s->n > 0 ? s->sum_w / s->n : 0.0,
        .support_violation = s->n > 0 ? s->violations / s->n : 0.0,
        .logged_value = s->n > 0 ? s->sum_r / s->n : NAN,
    };
}

/*
 * The percentile bootstrap interval of the estimate (minus the base target's, when `base` is given: the
 * same resample of blocks for both, so the difference is paired), into out->bootstrap_lo/hi.
 */
static int bootstrap_interval(const dsim_ope_sums *s, const dsim_ope_sums *base, dsim_ope_estimator e, int bootstrap,
                              uint64_t seed, dsim_ope_result *out)
{
    if (bootstrap <= 0 || s->n == 0)
        return DSIM_OK;
    double *estimates = malloc(sizeof(double) * (size_t)bootstrap);
    gsl_rng *rng = dsim_rng_alloc();
    int rc = DSIM_OK;
    if (!estimates || !rng) {
        rc = dsim_error_set(DSIM_ENOMEM, "out of memory bootstrapping %s", dsim_ope_estimator_name(e));
    } else {
        size_t m = s->n_blocks;
        for (int b = 0; b < bootstrap; b++) {
            dsim_rng_key(rng, seed, DSIM_STREAM_BOOTSTRAP, (uint64_t)b);
            double rn = 0, rw = 0, ra = 0, rb = 0, bw = 0, ba = 0, bb = 0;
            for (size_t k = 0; k < m; k++) {
                size_t pick = (size_t)gsl_rng_uniform_int(rng, m);
                rn += s->block_n[pick];
                rw += s->block_w[pick];
                ra += s->blocks[pick * (size_t)s->n_est + (size_t)e].a;
                rb += s->blocks[pick * (size_t)s->n_est + (size_t)e].b;
                if (base) {
                    bw += base->block_w[pick];
                    ba += base->blocks[pick * (size_t)s->n_est + (size_t)e].a;
                    bb += base->blocks[pick * (size_t)s->n_est + (size_t)e].b;
                }
            }
            estimates[b] = mean_of(rn, rw, ra, rb) - (base ? mean_of(rn, bw, ba, bb) : 0.0);
        }
        gsl_sort(estimates, 1, (size_t)bootstrap);
        out->bootstrap_lo = gsl_stats_quantile_from_sorted_data(estimates, 1, (size_t)bootstrap, 0.025);
        out->bootstrap_hi = gsl_stats_quantile_from_sorted_data(estimates, 1, (size_t)bootstrap, 0.975);
    }
    free(estimates);
    gsl_rng_free(rng);
    return rc;
}

/* One target's influence term φ = a + inv (b − β w), inv = 1/w̄ and β = Σb/Σw, as the linear combination g
   of its row (a, b, w), and that row's mean. */
static void influence(const dsim_ope_sums *s, dsim_ope_estimator e, double *g, double *mean)
{
    double n = s->n, inv = s->sum_w > 0 ? n / s->sum_w : 0.0, beta = s->sum_w > 0 ? s->sum_b[e] / s->sum_w : 0.0;
    g[0] = 1, g[1] = inv, g[2] = -beta * inv;
    mean[0] = n > 0 ? s->sum_a[e] / n : 0.0, mean[1] = n > 0 ? s->sum_b[e] / n : 0.0;
    mean[2] = n > 0 ? s->sum_w / n : 0.0;
}

int dsim_ope_sums_evaluate(const dsim_ope_sums *s, dsim_ope_estimator e, int bootstrap, uint64_t seed,
                           dsim_ope_result *out)
{
    double n = s->n, value = mean_of(n, s->sum_w, s->sum_a[e], s->sum_b[e]);
    /* The variance of the influence terms φ = a + (b − β w) / w̄ (β = 0 for the plain estimators, whose φ
       are their terms), a linear combination of (a, b, w). */
    double g[3], mean[3];
    influence(s, e, g, mean);
    double se = sqrt(moments_variance(&s->own[e], g, mean, 3, n) / n), z = gsl_cdf_ugaussian_Pinv(0.975);
    *out = (dsim_ope_result){value, value - z * se, value + z * se, NAN, NAN};
    return bootstrap_interval(s, NULL, e, bootstrap, seed, out);
}

void dsim_ope_sums_add_paired(dsim_ope_sums *s, const dsim_ope_terms *t, const dsim_ope_terms *base, size_t first_row)
{
    bool first = s->n == 0;
    if (first)
        s->paired = true;
    for (size_t i = 0; i < t->n && i < base->n; i++)
        for (int e = 0; e < s->n_est; e++) {
            double x[6] = {0, 0, t->w[i], 0, 0, base->w[i]};
            parts((dsim_ope_estimator)e, t, &s->tuning, i, &x[0], &x[1]);
            parts((dsim_ope_estimator)e, base, &s->tuning, i, &x[3], &x[4]);
            moments_add(&s->pair[e], x, 6, first && i == 0);
        }
    add_terms(s, t, first_row);
}

/* The difference of two targets' influence terms on the same row is the linear combination (g, −g') of
   (a, b, w, a', b', w'). */
int dsim_ope_sums_difference(const dsim_ope_sums *s, const dsim_ope_sums *base, dsim_ope_estimator e, int bootstrap,
                             uint64_t seed, dsim_ope_result *out)
{
    if (!s->paired || base->n != s->n || base->n_blocks != s->n_blocks)
        return dsim_error_set(DSIM_EINVAL, "a difference of estimates needs sums added paired, on the same rows");
    double n = s->n;
    double value = mean_of(n, s->sum_w, s->sum_a[e], s->sum_b[e]) - mean_of(n, base->sum_w, base->sum_a[e], base->sum_b[e]);
    double g[6], mean[6];
    influence(s, e, g, mean);
    influence(base, e, g + 3, mean + 3);
    for (int j = 3; j < 6; j++)
        g[j] = -g[j];
    double se = sqrt(moments_variance(&s->pair[e], g, mean, 6, n) / n), z = gsl_cdf_ugaussian_Pinv(0.975);
    *out = (dsim_ope_result){value, value - z * se, value + z * se, NAN, NAN};
    return bootstrap_interval(s, base, e, bootstrap, seed, out);
}

/* ---- a log held whole ------------------------------------------------------------------------------------- */

void dsim_ope_diagnose(const dsim_ope_terms *t, dsim_ope_diagnostics *out)
{
    dsim_ope_tuning tuning = DSIM_OPE_TUNING_INIT;
    dsim_ope_sums *s = NULL;
    if (dsim_ope_sums_alloc(&s, &tuning, 1, 0)) {
        *out = (dsim_ope_diagnostics){0};
        return;
    }
    dsim_ope_sums_add(s, t, 0);
    dsim_ope_sums_diagnose(s, out);
    dsim_ope_sums_free(s);
}

int dsim_ope_evaluate(dsim_ope_estimator e, const dsim_ope_terms *t, const dsim_ope_tuning *tuning, int bootstrap,
                      uint64_t seed, dsim_ope_result *out)
{
    dsim_ope_sums *s = NULL;
    int rc = dsim_ope_sums_alloc(&s, tuning, t->n, seed);
    if (rc)
        return rc;
    dsim_ope_sums_add(s, t, 0);
    rc = dsim_ope_sums_evaluate(s, e, bootstrap, seed, out);
    dsim_ope_sums_free(s);
    return rc;
}
