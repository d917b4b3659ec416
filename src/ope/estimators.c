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

static const char *const names[DSIM_OPE_COUNT] = {"dm", "ips", "cips", "snips", "dr", "sndr", "switch-dr", "dr-os"};

const char *dsim_ope_estimator_name(dsim_ope_estimator e)
{
    return e < DSIM_OPE_COUNT ? names[e] : "?";
}

void dsim_ope_terms_free(dsim_ope_terms *t)
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
    double w = t->w[i], r = t->r[i], residual = r - t->q_taken[i];
    *b = 0.0;
    switch (e) {
    case DSIM_OPE_DM:
        *a = t->q_pi[i];
        return;
    case DSIM_OPE_IPS:
        *a = w * r;
        return;
    case DSIM_OPE_CIPS:
        *a = fmin(w, tuning->clip) * r;
        return;
    case DSIM_OPE_SNIPS:
        *a = 0.0;
        *b = w * r;
        return;
    case DSIM_OPE_DR:
        *a = t->q_pi[i] + w * residual;
        return;
    case DSIM_OPE_SNDR:
        *a = t->q_pi[i];
        *b = w * residual;
        return;
    case DSIM_OPE_SWITCH_DR:
        *a = t->q_pi[i] + (w <= tuning->switch_tau ? w * residual : 0.0);
        return;
    case DSIM_OPE_DROS:
        *a = t->q_pi[i] + tuning->shrink * w / (w * w + tuning->shrink) * residual;
        return;
    case DSIM_OPE_COUNT:
        break;
    }
    *a = NAN;
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

struct dsim_ope_sums {
    dsim_ope_tuning tuning;
    uint64_t seed;
    bool by_row;               /* up to DSIM_OPE_BLOCKS rows: each row is its own block */
    size_t n_blocks;           /* rows up to DSIM_OPE_BLOCKS, else DSIM_OPE_BLOCKS */
    double n, sum_w, sum_w2, max_w, violations;
    double sum_a[DSIM_OPE_COUNT], sum_b[DSIM_OPE_COUNT];
    /* Second moments about the first row's (a₀, b₀), so the variance does not cancel when the terms are
       far from 0 relative to their spread. */
    double a0[DSIM_OPE_COUNT], b0[DSIM_OPE_COUNT], w0;
    double sum_aa[DSIM_OPE_COUNT], sum_ab[DSIM_OPE_COUNT], sum_bb[DSIM_OPE_COUNT];
    double sum_aw[DSIM_OPE_COUNT], sum_bw[DSIM_OPE_COUNT], sum_ww; /* with w − w₀, for the delta method */
    double *block_n, *block_w; /* (n_blocks) */
    block_sums *blocks;        /* (n_blocks, DSIM_OPE_COUNT) */
    /* Paired with a base target (dsim_ope_sums_add_paired): per estimator, the row vector
       x = (a, b, w, a_base, b_base, w_base), its first row x₀ and Σ (x − x₀)(x − x₀)ᵀ. */
    bool paired;
    double x0[DSIM_OPE_COUNT][6], sum_xx[DSIM_OPE_COUNT][6][6];
};

int dsim_ope_sums_alloc(dsim_ope_sums **out, const dsim_ope_tuning *tuning, size_t n_rows, uint64_t seed)
{
    dsim_ope_sums *s = calloc(1, sizeof *s);
    size_t m = n_rows < DSIM_OPE_BLOCKS ? (n_rows ? n_rows : 1) : DSIM_OPE_BLOCKS;
    if (s) {
        s->block_n = calloc(m, sizeof(double));
        s->block_w = calloc(m, sizeof(double));
        s->blocks = calloc(m * DSIM_OPE_COUNT, sizeof(block_sums));
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
        if (s->n == 1)
            s->w0 = w;
        double dw = w - s->w0;
        s->sum_ww += dw * dw;
        s->sum_w += w;
        s->sum_w2 += w * w;
        s->max_w = fmax(s->max_w, w);
        s->block_n[k] += 1;
        s->block_w[k] += w;
        block_sums *bs = s->blocks + k * DSIM_OPE_COUNT;
        for (int e = 0; e < DSIM_OPE_COUNT; e++) {
            double a, b;
            parts((dsim_ope_estimator)e, t, &s->tuning, i, &a, &b);
            if (s->n == 1) {
                s->a0[e] = a;
                s->b0[e] = b;
            }
            double da = a - s->a0[e], db = b - s->b0[e];
            s->sum_a[e] += a;
            s->sum_b[e] += b;
            s->sum_aa[e] += da * da;
            s->sum_ab[e] += da * db;
            s->sum_bb[e] += db * db;
            s->sum_aw[e] += da * dw;
            s->sum_bw[e] += db * dw;
            bs[e].a += a;
            bs[e].b += b;
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
        rc = dsim_error_set(DSIM_ENOMEM, "out of memory bootstrapping %s", names[e]);
    } else {
        size_t m = s->n_blocks;
        for (int b = 0; b < bootstrap; b++) {
            dsim_rng_key(rng, seed, DSIM_STREAM_BOOTSTRAP, (uint64_t)b);
            double rn = 0, rw = 0, ra = 0, rb = 0, bw = 0, ba = 0, bb = 0;
            for (size_t k = 0; k < m; k++) {
                size_t pick = (size_t)gsl_rng_uniform_int(rng, m);
                rn += s->block_n[pick];
                rw += s->block_w[pick];
                ra += s->blocks[pick * DSIM_OPE_COUNT + (size_t)e].a;
                rb += s->blocks[pick * DSIM_OPE_COUNT + (size_t)e].b;
                if (base) {
                    bw += base->block_w[pick];
                    ba += base->blocks[pick * DSIM_OPE_COUNT + (size_t)e].a;
                    bb += base->blocks[pick * DSIM_OPE_COUNT + (size_t)e].b;
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

int dsim_ope_sums_evaluate(const dsim_ope_sums *s, dsim_ope_estimator e, int bootstrap, uint64_t seed,
                           dsim_ope_result *out)
{
    double n = s->n, value = mean_of(n, s->sum_w, s->sum_a[e], s->sum_b[e]);
    /* The influence terms φ = a + (b − β w) / w̄ about φ₀ = a₀ + (b₀ − β w₀) / w̄ (β = 0 for the plain
       estimators, whose φ are their terms): Σ (φ − φ₀)² − n (φ̄ − φ₀)², over n − 1. */
    double inv = s->sum_w > 0 ? n / s->sum_w : 0.0, beta = s->sum_w > 0 ? s->sum_b[e] / s->sum_w : 0.0;
    double mean_phi = value - beta; /* φ̄ = ā + b̄ / w̄ − β */
    double phi0 = s->a0[e] + inv * (s->b0[e] - beta * s->w0);
    double mean_d = n > 0 ? mean_phi - phi0 : 0.0;
    double c = beta * inv; /* φ − φ₀ = (a − a₀) + inv (b − b₀) − c (w − w₀) */
    double sum_sq = s->sum_aa[e] + inv * inv * s->sum_bb[e] + c * c * s->sum_ww + 2 * inv * s->sum_ab[e] -
                    2 * c * s->sum_aw[e] - 2 * inv * c * s->sum_bw[e];
    double var = n > 1 ? fmax(sum_sq - n * mean_d * mean_d, 0.0) / (n - 1) : NAN;
    double se = sqrt(var / n), z = gsl_cdf_ugaussian_Pinv(0.975);
    *out = (dsim_ope_result){value, value - z * se, value + z * se, NAN, NAN};
    return bootstrap_interval(s, NULL, e, bootstrap, seed, out);
}

void dsim_ope_sums_add_paired(dsim_ope_sums *s, const dsim_ope_terms *t, const dsim_ope_terms *base, size_t first_row)
{
    bool first = s->n == 0;
    if (first)
        s->paired = true;
    for (size_t i = 0; i < t->n && i < base->n; i++)
        for (int e = 0; e < DSIM_OPE_COUNT; e++) {
            double x[6];
            parts((dsim_ope_estimator)e, t, &s->tuning, i, &x[0], &x[1]);
            parts((dsim_ope_estimator)e, base, &s->tuning, i, &x[3], &x[4]);
            x[2] = t->w[i];
            x[5] = base->w[i];
            if (first && i == 0)
                memcpy(s->x0[e], x, sizeof x);
            for (int j = 0; j < 6; j++)
                for (int k = 0; k < 6; k++)
                    s->sum_xx[e][j][k] += (x[j] - s->x0[e][j]) * (x[k] - s->x0[e][k]);
        }
    add_terms(s, t, first_row);
}

/*
 * One target's influence term is φ = a + inv (b − β w) for inv = 1/w̄ and β = Σb/Σw (β = 0 for the plain
 * estimators): linear in its (a, b, w) with coefficients (1, inv, −β inv). The difference of two targets'
 * φ on the same row is linear in x = (a, b, w, a', b', w') with g = (1, inv, −β inv, −1, −inv', β' inv'), so
 * its variance is gᵀ Σ g, Σ the covariance of x (from the moments about x₀).
 */
int dsim_ope_sums_difference(const dsim_ope_sums *s, const dsim_ope_sums *base, dsim_ope_estimator e, int bootstrap,
                             uint64_t seed, dsim_ope_result *out)
{
    if (!s->paired || base->n != s->n || base->n_blocks != s->n_blocks)
        return dsim_error_set(DSIM_EINVAL, "a difference of estimates needs sums added paired, on the same rows");
    double n = s->n;
    double value = mean_of(n, s->sum_w, s->sum_a[e], s->sum_b[e]) - mean_of(n, base->sum_w, base->sum_a[e], base->sum_b[e]);
    double inv = s->sum_w > 0 ? n / s->sum_w : 0.0, beta = s->sum_w > 0 ? s->sum_b[e] / s->sum_w : 0.0;
    double inv_b = base->sum_w > 0 ? n / base->sum_w : 0.0, beta_b = base->sum_w > 0 ? base->sum_b[e] / base->sum_w : 0.0;
    double g[6] = {1, inv, -beta * inv, -1, -inv_b, beta_b * inv_b};
    double sum[6] = {s->sum_a[e], s->sum_b[e], s->sum_w, base->sum_a[e], base->sum_b[e], base->sum_w};
    double mean_d[6], var = NAN;
    for (int j = 0; j < 6; j++)
        mean_d[j] = n > 0 ? sum[j] / n - s->x0[e][j] : 0.0;
    if (n > 1) {
        var = 0;
        for (int j = 0; j < 6; j++)
            for (int k = 0; k < 6; k++)
                var += g[j] * g[k] * (s->sum_xx[e][j][k] - n * mean_d[j] * mean_d[k]) / (n - 1);
        var = fmax(var, 0.0);
    }
    double se = sqrt(var / n), z = gsl_cdf_ugaussian_Pinv(0.975);
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
