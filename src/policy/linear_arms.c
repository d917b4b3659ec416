/*
 * linear_arms.c — per-level ridge models on context features, and the probability that each of several
 * independent Gaussian scores is the largest (the action distribution of the linear Thompson agents).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_errno.h>
#include <gsl/gsl_cdf.h>
#include <gsl/gsl_integration.h>
#include <gsl/gsl_math.h>

#include "core/clones.h"
#include "policy/policy_impl.h"

int dsim__feature_map_init(dsim__feature_map *m, const dsim_policy_env *env, int max_dim)
{
    m->mask = env->features;
    m->env = *env;
    m->dim = dsim_features_dim(env->features, env);
    if (m->dim < 1 || m->dim > max_dim)
        return dsim_error_set(DSIM_ECONFIG, "features: %d columns (expected 1 to %d)", m->dim, max_dim);
    return DSIM_OK;
}

void dsim__feature_map_build(const dsim__feature_map *m, const dsim_context *ctx, double *x)
{
    dsim_features_build(m->mask, &m->env, ctx, x);
}

int dsim__linear_arms_init(dsim__linear_arms *a, const dsim_policy_env *env, double lambda)
{
    memset(a, 0, sizeof *a);
    a->n_levels = env->n_levels;
    int rc = dsim__feature_map_init(&a->map, env, DSIM_MAX_FEATURE_DIM);
    if (rc)
        return rc;
    a->memo.z = malloc(sizeof(double) * (size_t)a->n_levels * (size_t)a->map.dim);
    a->memo.made_at = malloc(sizeof(uint64_t) * (size_t)a->n_levels);
    if (!a->memo.z || !a->memo.made_at)
        return dsim_error_set(DSIM_ENOMEM, "out of memory for %d levels", a->n_levels);
    for (int l = 0; l < a->n_levels; l++) {
        rc = dsim__ridge_init(&a->model[l], a->map.dim, lambda);
        if (rc)
            return rc;
    }
    if (a->n_levels <= DSIM__WIDE_LANES) {
        size_t d = (size_t)a->map.dim;
        a->wide.factor = calloc(d * d * DSIM__WIDE_LANES, sizeof(double));
        a->wide.inv_diag = malloc(sizeof(double) * d * DSIM__WIDE_LANES);
        a->wide.synced_at = malloc(sizeof(uint64_t) * (size_t)a->n_levels);
        if (!a->wide.factor || !a->wide.inv_diag || !a->wide.synced_at)
            return dsim_error_set(DSIM_ENOMEM, "out of memory for %d levels", a->n_levels);
        for (size_t i = 0; i < d * DSIM__WIDE_LANES; i++)
            a->wide.inv_diag[i] = 1.0; /* unused lanes: harmless numbers */
        for (int l = 0; l < a->n_levels; l++)
            a->wide.synced_at[l] = UINT64_MAX;
    }
    return DSIM_OK;
}

void dsim__linear_arms_free(dsim__linear_arms *a)
{
    for (int l = 0; l < a->n_levels; l++)
        dsim__ridge_free(&a->model[l]);
    free(a->memo.z);
    free(a->memo.made_at);
    free(a->wide.factor);
    free(a->wide.inv_diag);
    free(a->wide.synced_at);
    a->memo.z = NULL;
    a->memo.made_at = NULL;
    a->wide.factor = a->wide.inv_diag = NULL;
    a->wide.synced_at = NULL;
}

/*
 * Every level's forward solve z_l = L_l⁻¹ x at once, column by column: each solve alone is a chain of
 * dependent steps, and interleaving the levels' chains lets the processor overlap them. z (n, dim) receives
 * the solves.
 */
static void scores(const dsim__linear_arms *a, const double *x, double *mean, double *width2, double *z)
{
    int d = a->map.dim, n = a->n_levels;
    for (int l = 0; l < n; l++) {
        mean[l] = dsim__ridge_predict(&a->model[l], x);
        memcpy(z + (size_t)l * (size_t)d, x, sizeof(double) * (size_t)d);
    }
    for (int k = 0; k < d; k++)
        for (int l = 0; l < n; l++) {
            const dsim__ridge *m = &a->model[l];
            const double *col = m->chol + (size_t)k * (size_t)d;
            double *zl = z + (size_t)l * (size_t)d;
            double zk = zl[k] *= m->inv_diag[k];
            for (int i = k + 1; i < d; i++)
                zl[i] -= col[i] * zk;
        }
    for (int l = 0; l < n; l++) {
        const double *zl = z + (size_t)l * (size_t)d;
        double s = 0;
        for (int i = 0; i < d; i++)
            s += zl[i] * zl[i];
        width2[l] = s;
    }
}

void dsim__linear_arms_means(const dsim__linear_arms *a, const dsim_context *ctx, double *mean)
{
    double x[DSIM_MAX_FEATURE_DIM];
    dsim__feature_map_build(&a->map, ctx, x);
    for (int l = 0; l < a->n_levels; l++)
        mean[l] = dsim__ridge_predict(&a->model[l], x);
}

void dsim__linear_arms_scores(const dsim__linear_arms *a, const double *x, double *mean, double *width2)
{
    double z[DSIM_MAX_LEVELS * DSIM_MAX_FEATURE_DIM];
    scores(a, x, mean, width2, z);
}

/* Bring the interleaved copy of every level updated since up to date. */
static void sync_wide(dsim__linear_arms *a)
{
    int d = a->map.dim;
    for (int l = 0; l < a->n_levels; l++) {
        const dsim__ridge *m = &a->model[l];
        if (a->wide.synced_at[l] == m->n)
            continue;
        for (int k = 0; k < d; k++) {
            a->wide.inv_diag[(size_t)k * DSIM__WIDE_LANES + (size_t)l] = m->inv_diag[k];
            for (int i = k + 1; i < d; i++)
                a->wide.factor[((size_t)k * (size_t)d + (size_t)i) * DSIM__WIDE_LANES + (size_t)l] =
                    m->chol[(size_t)k * (size_t)d + (size_t)i];
        }
        a->wide.synced_at[l] = m->n;
    }
}

/*
 * The same solves as scores(), with the same operations in the same order per level (so the same bits),
 * but run across the levels as lanes of one vector loop on the interleaved factors.
 */
DSIM_CLONES("arch=x86-64-v3", "default") static void scores_wide(dsim__linear_arms *a, const double *x, double *mean, double *width2, double *z)
{
    enum { W = DSIM__WIDE_LANES };
    int d = a->map.dim, n = a->n_levels;
    double zw[DSIM_MAX_FEATURE_DIM][W], sum[W] = {0};
    sync_wide(a);
    for (int l = 0; l < n; l++)
        mean[l] = dsim__ridge_predict(&a->model[l], x);
    for (int i = 0; i < d; i++)
        for (int l = 0; l < W; l++)
            zw[i][l] = x[i];
    for (int k = 0; k < d; k++) {
        double zk[W];
        const double *inv = a->wide.inv_diag + (size_t)k * W;
        for (int l = 0; l < W; l++) {
            zk[l] = zw[k][l] * inv[l];
            sum[l] += zk[l] * zk[l];
        }
        for (int l = 0; l < n; l++)
            z[(size_t)l * (size_t)d + (size_t)k] = zk[l];
        for (int i = k + 1; i < d; i++) {
            const double *f = a->wide.factor + ((size_t)k * (size_t)d + (size_t)i) * W;
            for (int l = 0; l < W; l++)
                zw[i][l] -= f[l] * zk[l];
        }
    }
    for (int l = 0; l < n; l++)
        width2[l] = sum[l];
}

void dsim__linear_arms_scores_for(dsim__linear_arms *a, const dsim_context *ctx, double *mean, double *width2)
{
    dsim__feature_map_build(&a->map, ctx, a->memo.x);
    if (a->wide.factor)
        scores_wide(a, a->memo.x, mean, width2, a->memo.z);
    else
        scores(a, a->memo.x, mean, width2, a->memo.z);
    a->memo.valid = true;
    a->memo.visit = ctx->visit;
    a->memo.shopper = ctx->shopper;
    a->memo.item = ctx->for_item ? ctx->item_position : -1;
    for (int l = 0; l < a->n_levels; l++)
        a->memo.made_at[l] = a->model[l].n;
}

int dsim__linear_arms_learn(dsim__linear_arms *a, const dsim_context *ctx, const dsim_feedback *fb)
{
    int l = fb->level;
    double y = fb->reward / dsim__reward_unit(&a->map.env);
    dsim__ridge *m = &a->model[l];
    bool remembered = a->memo.valid && a->memo.visit == ctx->visit && a->memo.shopper == ctx->shopper &&
                      a->memo.item == (ctx->for_item ? ctx->item_position : -1) && a->memo.made_at[l] == m->n;
    if (remembered)
        return dsim__ridge_update_known(m, a->memo.x, a->memo.z + (size_t)l * (size_t)a->map.dim, y);
    double x[DSIM_MAX_FEATURE_DIM];
    dsim__feature_map_build(&a->map, ctx, x);
    return dsim__ridge_update(m, x, y, 1.0);
}

/*
 * P(l is the argmax) = ∫ φ(s) Π_{m≠l} Φ((μ_l + σ_l s − μ_m) / σ_m) ds  for σ_l > 0,
 * over s ∈ [−9, 9] by GSL's adaptive QAGP with a breakpoint where each factor steps (s = (μ_m − μ_l)/σ_l):
 * a score far more certain than l's makes its factor a near step function that fixed-node rules miss.
 * A score with σ = 0 is a point mass: it wins when every other score falls below it. The results are
 * renormalised so they sum to exactly 1 (quadrature error is below 1e-10).
 */
typedef struct {
    const double *mean, *sd;
    int n, l;
} win_integrand;

static double win_density(double s, void *params)
{
    const win_integrand *w = params;
    double t = w->mean[w->l] + w->sd[w->l] * s, p = exp(-0.5 * s * s) / sqrt(2 * M_PI);
    for (int m = 0; m < w->n && p > 0; m++)
        if (m != w->l)
            p *= w->sd[m] > 0 ? gsl_cdf_ugaussian_P((t - w->mean[m]) / w->sd[m]) : (w->mean[m] <= t);
    return p;
}

static int compare_doubles(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double win_probability(gsl_integration_workspace *ws, const double *mean, const double *sd, int n, int l)
{
    if (!(sd[l] > 0)) {
        double p = 1;
        for (int m = 0; m < n; m++)
            if (m != l)
                p *= sd[m] > 0 ? gsl_cdf_ugaussian_P((mean[l] - mean[m]) / sd[m])
                               : (mean[m] < mean[l] || (mean[m] == mean[l] && m > l)); /* ties: lowest wins */
        return p;
    }
    double points[DSIM_MAX_LEVELS + 2];
    size_t n_points = 0;
    points[n_points++] = -9;
    points[n_points++] = 9;
    for (int m = 0; m < n; m++) {
        double s = (mean[m] - mean[l]) / sd[l];
        if (m != l && s > -9 && s < 9)
            points[n_points++] = s;
    }
    qsort(points, n_points, sizeof points[0], compare_doubles);
    win_integrand w = {mean, sd, n, l};
    gsl_function f = {win_density, &w};
    double result, error;
    /* A roundoff warning still leaves a usable result (GSL's abort handler is off: dsim_policy_alloc). */
    gsl_integration_qagp(&f, points, n_points, 1e-11, 1e-9, ws->limit, ws, &result, &error);
    return result;
}

gsl_integration_workspace *dsim__gaussian_argmax_workspace(void)
{
    return gsl_integration_workspace_alloc(256);
}

void dsim__gaussian_argmax_probabilities(gsl_integration_workspace *ws, const double *mean, const double *sd, int n,
                                         double *probs)
{
    double sum = 0;
    for (int l = 0; l < n; l++)
        sum += probs[l] = win_probability(ws, mean, sd, n, l);
    for (int l = 0; l < n; l++)
        probs[l] = sum > 0 ? probs[l] / sum : 1.0 / n;
}
