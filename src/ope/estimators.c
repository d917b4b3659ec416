/*
 * estimators.c — the off-policy estimators, their intervals and the importance weights' diagnostics.
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
 * The normal interval is the mean ± z_0.975 × the terms' standard error; the bootstrap interval is the
 * 2.5 % and 97.5 % quantiles of the estimate over resamples of the rows (with replacement).
 */
#include "dsim/ope.h"

#include <math.h>
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

static size_t row_of(const size_t *index, size_t k)
{
    return index ? index[k] : k;
}

/* Row i's term; `mean_w` is only read by the self-normalised estimators. */
static double term(dsim_ope_estimator e, const dsim_ope_terms *t, const dsim_ope_tuning *tuning, size_t i,
                   double mean_w)
{
    double w = t->w[i], r = t->r[i], residual = r - t->q_taken[i];
    switch (e) {
    case DSIM_OPE_DM:
        return t->q_pi[i];
    case DSIM_OPE_IPS:
        return w * r;
    case DSIM_OPE_CIPS:
        return fmin(w, tuning->clip) * r;
    case DSIM_OPE_SNIPS:
        return mean_w > 0 ? w * r / mean_w : 0.0;
    case DSIM_OPE_DR:
        return t->q_pi[i] + w * residual;
    case DSIM_OPE_SNDR:
        return t->q_pi[i] + (mean_w > 0 ? w * residual / mean_w : 0.0);
    case DSIM_OPE_SWITCH_DR:
        return t->q_pi[i] + (w <= tuning->switch_tau ? w * residual : 0.0);
    case DSIM_OPE_DROS:
        return t->q_pi[i] + tuning->shrink * w / (w * w + tuning->shrink) * residual;
    case DSIM_OPE_COUNT:
        break;
    }
    return NAN;
}

static double mean_weight(const dsim_ope_terms *t, const size_t *index, size_t n)
{
    double sum = 0;
    for (size_t k = 0; k < n; k++)
        sum += t->w[row_of(index, k)];
    return n ? sum / (double)n : 0.0;
}

double dsim_ope_estimate(dsim_ope_estimator e, const dsim_ope_terms *t, const dsim_ope_tuning *tuning,
                         const size_t *index, size_t n)
{
    double mean_w = mean_weight(t, index, n), sum = 0;
    for (size_t k = 0; k < n; k++)
        sum += term(e, t, tuning, row_of(index, k), mean_w);
    return n ? sum / (double)n : NAN;
}

void dsim_ope_diagnose(const dsim_ope_terms *t, dsim_ope_diagnostics *out)
{
    double sum = 0, sum2 = 0, max = 0;
    for (size_t i = 0; i < t->n; i++) {
        sum += t->w[i];
        sum2 += t->w[i] * t->w[i];
        max = fmax(max, t->w[i]);
    }
    *out = (dsim_ope_diagnostics){
        .ess = sum2 > 0 ? sum * sum / sum2 : 0.0,
        .max_weight = max,
        .mean_weight = t->n ? sum / (double)t->n : 0.0,
        .support_violation = t->support_violation,
    };
}

int dsim_ope_evaluate(dsim_ope_estimator e, const dsim_ope_terms *t, const dsim_ope_tuning *tuning, int bootstrap,
                      uint64_t seed, dsim_ope_result *out)
{
    size_t n = t->n;
    double *terms = calloc(n ? n : 1, sizeof(double));
    if (!terms)
        return dsim_error_set(DSIM_ENOMEM, "out of memory evaluating %s", names[e]);
    double mean_w = mean_weight(t, NULL, n);
    for (size_t i = 0; i < n; i++)
        terms[i] = term(e, t, tuning, i, mean_w);
    double value = gsl_stats_mean(terms, 1, n);
    double se = n > 1 ? gsl_stats_sd_m(terms, 1, n, value) / sqrt((double)n) : NAN;
    double z = gsl_cdf_ugaussian_Pinv(0.975);
    *out = (dsim_ope_result){value, value - z * se, value + z * se, NAN, NAN};
    free(terms);
    if (bootstrap <= 0 || n == 0)
        return DSIM_OK;

    size_t *index = malloc(sizeof(size_t) * n);
    double *estimates = malloc(sizeof(double) * (size_t)bootstrap);
    gsl_rng *rng = dsim_rng_alloc();
    int rc = DSIM_OK;
    if (!index || !estimates || !rng) {
        rc = dsim_error_set(DSIM_ENOMEM, "out of memory bootstrapping %s", names[e]);
    } else {
        for (int b = 0; b < bootstrap; b++) {
            dsim_rng_key(rng, seed, DSIM_STREAM_BOOTSTRAP, (uint64_t)b);
            for (size_t k = 0; k < n; k++)
                index[k] = (size_t)gsl_rng_uniform_int(rng, n);
            estimates[b] = dsim_ope_estimate(e, t, tuning, index, n);
        }
        gsl_sort(estimates, 1, (size_t)bootstrap);
        out->bootstrap_lo = gsl_stats_quantile_from_sorted_data(estimates, 1, (size_t)bootstrap, 0.025);
        out->bootstrap_hi = gsl_stats_quantile_from_sorted_data(estimates, 1, (size_t)bootstrap, 0.975);
    }
    free(index);
    free(estimates);
    gsl_rng_free(rng);
    return rc;
}
