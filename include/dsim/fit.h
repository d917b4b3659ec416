/*
 * dsim/fit.h — calibrating a market to a shop's own log: a finite mixture of binary logits over shoppers (the
 * latent-class logit of Kamakura & Russell 1989), fitted by EM, with standard errors from the observed
 * information and the BIC to choose the number of segments.
 *
 * The model is dsim's own family: in segment k, a visit offered discount d (a fraction) by a shopper whose
 * reference discount is r (what the shopper's own earlier visits taught: r ← λ·r + (1 − λ)·d after each visit,
 * as the world updates it) ends in a purchase with probability σ(α_k + β_k·d + ρ_k·(d − r)): α_k the segment's
 * base purchase utility, β_k its discount sensitivity, ρ_k the effect of a discount above (or below) what the
 * shopper has come to expect. A shopper belongs to one segment for all their visits.
 */
#ifndef DSIM_FIT_H
#define DSIM_FIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dsim/store.h"

#define DSIM_FIT_MAX_SEGMENTS 8
#define DSIM_FIT_PARAMS 3 /* per segment: α (base utility), β (discount), ρ (discount over the reference) */

/** Visits grouped by shopper, with each visit's covariates (1, d, d − r) and outcome. */
typedef struct {
    size_t n_shoppers, n_visits;
    size_t *first;    /* (n_shoppers + 1): shopper i's visits are first[i] … first[i + 1] − 1, in log order */
    double *x;        /* (n_visits, DSIM_FIT_PARAMS) */
    unsigned char *y; /* (n_visits,) 1: purchased */
} dsim_fit_data;

/**
 * Group `n` visits, in log order, by shopper and give each its reference discount: each shopper's starts at
 * `reference0` and moves r ← memory·r + (1 − memory)·d after each of their visits. `discount` is the fraction
 * offered (0.1 for 10 %). @return 0, DSIM_EINVAL (a discount outside [0, 1], no visits) or DSIM_ENOMEM.
 */
int dsim_fit_data_build(dsim_fit_data *out, const uint64_t *shopper, const double *discount,
                        const unsigned char *purchased, size_t n, double memory, double reference0);
/** Free what the data holds and zero it. */
void dsim_fit_data_clear(dsim_fit_data *d);

/**
 * The data of run `run_id`, logged with --log-events: every visit's shopper, discount (its level's percent) and
 * purchase, in log order, built as dsim_fit_data_build() builds it. @return 0, DSIM_ENOTFOUND, DSIM_EINVAL (no
 * events, or a run of discount scope item) or DSIM_ESTORE.
 */
int dsim_fit_data_from_run(dsim_store *st, int64_t run_id, double memory, double reference0, dsim_fit_data *out);

/** A fitted mixture, segments ordered by ascending α; standard errors NAN where the information is singular. */
typedef struct {
    int k;
    double share[DSIM_FIT_MAX_SEGMENTS], share_se[DSIM_FIT_MAX_SEGMENTS];
    double theta[DSIM_FIT_MAX_SEGMENTS][DSIM_FIT_PARAMS], theta_se[DSIM_FIT_MAX_SEGMENTS][DSIM_FIT_PARAMS];
    double loglik; /* of the data at the estimate */
    double bic;    /* −2 loglik + (4k − 1) ln(shoppers) */
    int iterations;
    bool converged;
} dsim_fit_model;

typedef struct {
    int starts;         /* random starts; the best log-likelihood is kept */
    uint64_t seed;      /* of the starts */
    int max_iterations; /* EM iterations per start */
    double tolerance;   /* stop when the log-likelihood gains less than this per shopper */
} dsim_fit_options;

#define DSIM_FIT_OPTIONS_INIT {8, 1, 500, 1e-9}

/**
 * Fit a mixture of `k` segments (1 … DSIM_FIT_MAX_SEGMENTS) by EM; each M-step maximises each segment's
 * weighted log-likelihood with GSL's BFGS and its analytic gradient. @return 0, DSIM_EINVAL or DSIM_ENOMEM.
 */
int dsim_fit_em(const dsim_fit_data *d, int k, const dsim_fit_options *o, dsim_fit_model *out);

/** The log-likelihood of the data under `m`'s shares and θ (its k segments). @return it, or NAN (memory). */
double dsim_fit_loglik(const dsim_fit_data *d, const dsim_fit_model *m);

#endif
