/*
 * ridge.c — online ridge regression on a Cholesky factor with rank-one updates (see ridge.h).
 */
#include "policy/ridge.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "dsim/error.h"
#include "dsim/features.h"

#define L(r, i, k) ((r)->chol[(size_t)(k) * (size_t)(r)->d + (size_t)(i)])

int dsim__ridge_init(dsim__ridge *r, int d, double lambda)
{
    memset(r, 0, sizeof *r);
    if (d < 1 || d > DSIM_MAX_FEATURE_DIM)
        return dsim_error_set(DSIM_ECONFIG, "a model of %d features (expected 1 to %d)", d, DSIM_MAX_FEATURE_DIM);
    r->d = d;
    r->chol = calloc((size_t)d * (size_t)d + 3 * (size_t)d, sizeof(double));
    if (!r->chol)
        return dsim_error_set(DSIM_ENOMEM, "out of memory for a %d-feature model", d);
    r->b = r->chol + (size_t)d * (size_t)d;
    r->theta = r->b + d;
    r->inv_diag = r->theta + d;
    for (int k = 0; k < d; k++) {
        L(r, k, k) = sqrt(lambda);
        r->inv_diag[k] = 1.0 / L(r, k, k);
    }
    return DSIM_OK;
}

void dsim__ridge_free(dsim__ridge *r)
{
    free(r->chol);
    r->chol = r->b = r->theta = r->inv_diag = NULL;
}

/* z ← L⁻¹ v (column-oriented forward substitution: the inner loop runs down a contiguous column). */
static void forward(const dsim__ridge *r, const double *v, double *z)
{
    int d = r->d;
    memcpy(z, v, sizeof(double) * (size_t)d);
    for (int k = 0; k < d; k++) {
        z[k] *= r->inv_diag[k];
        const double *col = &L(r, 0, k);
        for (int i = k + 1; i < d; i++)
            z[i] -= col[i] * z[k];
    }
}

/* Σ_{i ≥ from} col_i v_i in four interleaved partial sums: a fixed order (the same bits everywhere) that
   breaks the chain of dependent additions a plain sum would be. */
static inline __attribute__((always_inline)) double column_dot(const double *col, const double *v, int from, int d)
{
    double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    int i = from;
    for (; i + 4 <= d; i += 4) {
        s0 += col[i] * v[i];
        s1 += col[i + 1] * v[i + 1];
        s2 += col[i + 2] * v[i + 2];
        s3 += col[i + 3] * v[i + 3];
    }
    for (; i < d; i++)
        s0 += col[i] * v[i];
    return (s0 + s1) + (s2 + s3);
}

/* out ← L⁻ᵀ z (backward substitution; row k of Lᵀ is column k of L). */
static void backward(const dsim__ridge *r, const double *z, double *out)
{
    int d = r->d;
    for (int k = d - 1; k >= 0; k--)
        out[k] = (z[k] - column_dot(&L(r, 0, k), out, k + 1, d)) * r->inv_diag[k];
}

void dsim__ridge_solve(const dsim__ridge *r, const double *v, double *out)
{
    double z[DSIM_MAX_FEATURE_DIM];
    forward(r, v, z);
    backward(r, z, out);
}

/*
 * L ← chol(L Lᵀ + u uᵀ) by Givens rotations (Golub & Van Loan §6.5.4): for each column k,
 *   ρ = √(L_kk² + u_k²),  c = ρ / L_kk,  s = u_k / L_kk,  L_kk ← ρ,
 *   L_ik ← (L_ik + s u_i) / c,  u_i ← c u_i − s L_ik   for i > k.
 * (√ rather than hypot: entries grow like √n, far from overflow, and hypot costs several times more.)
 * An update only adds, so L_kk can only grow: a diagonal that is not finite and positive means the
 * numbers overflowed, and the model refuses to go on rather than produce NaN.
 */
int dsim__ridge_add_outer(dsim__ridge *r, const double *x, double w)
{
    int d = r->d;
    if (!(w >= 0) || !isfinite(w))
        return dsim_error_set(DSIM_ENUMERIC, "model update with weight %g (expected a finite weight >= 0)", w);
    double u[DSIM_MAX_FEATURE_DIM];
    double sw = sqrt(w);
    for (int i = 0; i < d; i++) {
        if (!isfinite(x[i]))
            return dsim_error_set(DSIM_ENUMERIC, "model update with a non-finite feature %d (%g)", i, x[i]);
        u[i] = sw * x[i];
    }
    for (int k = 0; k < d; k++) {
        if (u[k] == 0)
            continue;
        double *col = &L(r, 0, k);
        /* one division per column: 1/L_kk is kept, and 1/ρ serves both 1/c and the new 1/L_kk */
        double lkk = col[k], inv_lkk = r->inv_diag[k], rho = sqrt(lkk * lkk + u[k] * u[k]), inv_rho = 1.0 / rho;
        double c = rho * inv_lkk, s = u[k] * inv_lkk, inv_c = lkk * inv_rho;
        col[k] = rho;
        r->inv_diag[k] = inv_rho;
        for (int i = k + 1; i < d; i++) {
            col[i] = (col[i] + s * u[i]) * inv_c;
            u[i] = c * u[i] - s * col[i];
        }
        if (!(rho > 0) || !isfinite(rho) || !isfinite(c))
            return dsim_error_set(DSIM_ENUMERIC,
                                  "model matrix is no longer positive definite (diagonal %d = %g after %llu updates)",
                                  k, rho, (unsigned long long)r->n);
    }
    r->n++;
    return DSIM_OK;
}

int dsim__ridge_update(dsim__ridge *r, const double *x, double y, double w)
{
    if (!isfinite(y))
        return dsim_error_set(DSIM_ENUMERIC, "model update with a non-finite target %g", y);
    int rc = dsim__ridge_add_outer(r, x, w);
    if (rc)
        return rc;
    for (int i = 0; i < r->d; i++)
        r->b[i] += w * y * x[i];
    dsim__ridge_solve(r, r->b, r->theta);
    return DSIM_OK;
}

int dsim__ridge_update_known(dsim__ridge *r, const double *x, const double *z, double y)
{
    if (!isfinite(y))
        return dsim_error_set(DSIM_ENUMERIC, "model update with a non-finite target %g", y);
    double v[DSIM_MAX_FEATURE_DIM], z2 = 0, error = y - dsim__ridge_predict(r, x);
    for (int i = 0; i < r->d; i++)
        z2 += z[i] * z[i];
    backward(r, z, v);
    int rc = dsim__ridge_add_outer(r, x, 1.0);
    if (rc)
        return rc;
    double gain = error / (1.0 + z2);
    for (int i = 0; i < r->d; i++) {
        r->b[i] += y * x[i];
        r->theta[i] += gain * v[i];
    }
    return DSIM_OK;
}

double dsim__ridge_predict(const dsim__ridge *r, const double *x)
{
    return column_dot(r->theta, x, 0, r->d);
}

double dsim__ridge_width2(const dsim__ridge *r, const double *x)
{
    double z[DSIM_MAX_FEATURE_DIM], s = 0;
    forward(r, x, z);
    for (int i = 0; i < r->d; i++)
        s += z[i] * z[i];
    return s;
}
