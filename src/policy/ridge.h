/*
 * ridge.h — online ridge regression on a Cholesky factor, shared by the linear agents (linucb, lin_ts,
 * logistic_ts, greedy_regression, linear_q).
 *
 * The Gram matrix A = λI + Σ w x xᵀ is kept as its Cholesky factor L (A = L Lᵀ) and updated in O(d²) by a
 * rank-one update, which keeps A positive definite by construction and stays accurate over 10^7 updates
 * where a Sherman–Morrison inverse drifts. Plain loops rather than BLAS: at d ≤ 64 the call overhead
 * dominates, and fixed loop order gives the same bits with every BLAS build.
 */
#ifndef DSIM_POLICY_RIDGE_H
#define DSIM_POLICY_RIDGE_H

#include <stdbool.h>
#include <stdint.h>

typedef struct {
    int d;
    double *chol;  /* (d, d) lower factor L, column-major: L(i, k) = chol[k d + i], i ≥ k */
    double *b;     /* (d,) Σ w y x */
    double *theta; /* (d,) A⁻¹ b, kept current */
    double *inv_diag; /* (d,) 1 / L(k, k): the solves multiply instead of dividing */
    uint64_t n;    /* updates so far */
} dsim__ridge;

/** A = λ I, b = 0. @return 0 or DSIM_ENOMEM. */
int dsim__ridge_init(dsim__ridge *r, int d, double lambda);
void dsim__ridge_free(dsim__ridge *r);

/**
 * A ← A + w x xᵀ, b ← b + w y x, θ ← A⁻¹ b.
 * @return 0, or DSIM_ENUMERIC when x, y or w is not finite or the factor lost positive definiteness.
 */
int dsim__ridge_update(dsim__ridge *r, const double *x, double y, double w);

/** A ← A + w x xᵀ only (b and θ untouched). Same errors. */
int dsim__ridge_add_outer(dsim__ridge *r, const double *x, double w);

/** @return θ · x. */
double dsim__ridge_predict(const dsim__ridge *r, const double *x);

/** @return xᵀ A⁻¹ x (the squared confidence width), by one triangular solve. */
double dsim__ridge_width2(const dsim__ridge *r, const double *x);

/**
 * The same update as dsim__ridge_update with w = 1 when z = L⁻¹ x under the current factor is known:
 * θ ← θ + A⁻¹x (y − θ·x) / (1 + xᵀA⁻¹x) (Sherman–Morrison on one vector: A'⁻¹x = A⁻¹x / (1 + xᵀA⁻¹x)),
 * which needs one backward solve instead of two solves. Same errors.
 */
int dsim__ridge_update_known(dsim__ridge *r, const double *x, const double *z, double y);

/** out ← A⁻¹ v. */
void dsim__ridge_solve(const dsim__ridge *r, const double *v, double *out);

#endif
