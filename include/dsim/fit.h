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

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dsim/store.h"

#define DSIM_FIT_MAX_SEGMENTS 8
#define DSIM_FIT_PARAMS 3 /* per segment: α (base utility), β (discount), ρ (discount over the reference) */
/* The free parameters of K segments, π_1 … π_{K−1} then θ_1 … θ_K: 4K − 1 of them. */
#define DSIM_FIT_MAX_FREE (DSIM_FIT_MAX_SEGMENTS * (DSIM_FIT_PARAMS + 1) - 1)

/** Visits grouped by shopper, with each visit's covariates (1, d, d − r) and outcome. */
typedef struct {
    size_t n_shoppers, n_visits;
    size_t *first;    /* (n_shoppers + 1): shopper i's visits are first[i] … first[i + 1] − 1, in log order */
    double *x;        /* (n_visits, DSIM_FIT_PARAMS) */
    unsigned char *y; /* (n_visits,) 1: purchased */
    double *price;    /* (n_visits,) the list price of what was shown (a slate's mean), or NULL: unknown. The
                         model ignores it; the calibration check asks whether the shoppers did too. */
    double *reward;   /* (n_visits,) what the visit earned, the scenario's objective, or NULL: unknown (a CSV) */
} dsim_fit_data;

/**
 * Group `n` visits, in log order, by shopper and give each its reference discount: each shopper's starts at
 * `reference0` and moves r ← memory·r + (1 − memory)·d after each of their visits. `discount` is the fraction
 * offered (0.1 for 10 %); `price` and `reward` (either NULL: unknown) the list price of what each visit
 * showed and what it earned. @return 0, DSIM_EINVAL (a discount outside [0, 1], no visits) or DSIM_ENOMEM.
 */
int dsim_fit_data_build(dsim_fit_data *out, const uint64_t *shopper, const double *discount,
                        const unsigned char *purchased, const double *price, const double *reward, size_t n,
                        double memory, double reference0);
/** Free what the data holds and zero it. */
void dsim_fit_data_clear(dsim_fit_data *d);

/**
 * The data of run `run_id`, logged with --log-events: every visit's shopper, discount (its level's percent),
 * purchase, the slate's mean list price and the reward, in log order, built as dsim_fit_data_build() builds it. @return 0, DSIM_ENOTFOUND, DSIM_EINVAL (no
 * events, or a run of discount scope item) or DSIM_ESTORE.
 */
int dsim_fit_data_from_run(dsim_store *st, int64_t run_id, double memory, double reference0, dsim_fit_data *out);

/**
 * A shop's visit log as a CSV file (docs/fit.md): columns shopper, discount_percent and purchased, optionally
 * time or visit (non-decreasing), price, propensity, and others it ignores; built as dsim_fit_data_build() builds it.
 * @return 0, DSIM_ECONFIG ("FILE: row R, column C: …", shared with dsim ope's reader), DSIM_EIO or DSIM_ENOMEM.
 */
int dsim_fit_data_read_csv(const char *path, double memory, double reference0, dsim_fit_data *out);
/**
 * The same, where the discount may also be given as a level: a column discount_level (0-based) instead of
 * discount_percent, each level the fraction levels[level] (a scenario's [discounts] levels). @param levels
 * (n_levels,), or NULL when the log must give percent.
 */
int dsim_fit_data_read_csv_levels(const char *path, const double *levels, int n_levels, double memory,
                                  double reference0, dsim_fit_data *out);

/**
 * Whether the log can identify every parameter: some visits bought and some did not (α), the discount varies
 * (β), and the reference discount varies apart from it (ρ). @return 0, or DSIM_EINVAL naming the parameter
 * that cannot be identified and why.
 */
int dsim_fit_check_identified(const dsim_fit_data *d);

/** A fitted mixture, segments ordered by ascending α; standard errors NAN where the information is singular. */
typedef struct {
    int k;
    double share[DSIM_FIT_MAX_SEGMENTS], share_se[DSIM_FIT_MAX_SEGMENTS];
    double theta[DSIM_FIT_MAX_SEGMENTS][DSIM_FIT_PARAMS], theta_se[DSIM_FIT_MAX_SEGMENTS][DSIM_FIT_PARAMS];
    /* The estimate's covariance over the free parameters (π_1 … π_{k−1}, θ_1 … θ_k), its first 4k − 1 rows and
       columns; cov_known false when it was not computed or the information is singular. */
    double cov[DSIM_FIT_MAX_FREE][DSIM_FIT_MAX_FREE];
    bool cov_known;
    double loglik; /* of the data at the estimate */
    double bic;    /* −2 loglik + (4k − 1) ln(shoppers) */
    int iterations; /* EM steps over all starts, then BFGS steps */
    bool converged;
} dsim_fit_model;

typedef struct {
    int starts;         /* random starts; the best log-likelihood after their EM iterations is polished */
    uint64_t seed;      /* of the starts */
    int max_iterations; /* EM iterations per start */
    double tolerance;   /* the polish stops when the gradient of −ℓ per shopper is shorter than this */
    const volatile sig_atomic_t *stop; /* once set, the fit ends DSIM_EINTERRUPTED at its next pass; may be NULL */
} dsim_fit_options;

#define DSIM_FIT_OPTIONS_INIT {8, 1, 20, 1e-7, NULL}

/** @return the shoppers a mixture of `k` segments needs: ten per parameter, 10 (4k − 1). */
size_t dsim_fit_shoppers_needed(int k);
/** @return 0 when the log has the shoppers `k` segments need, else DSIM_EINVAL saying so. */
int dsim_fit_check_shoppers(const dsim_fit_data *d, int k);

/**
 * Fit a mixture of `k` segments (1 … DSIM_FIT_MAX_SEGMENTS) by maximum likelihood: from each random start a
 * few iterations of EM (each M-step a Newton step of every segment's weighted logistic regression), then the
 * best start polished by GSL's BFGS on the log-likelihood itself with its exact score. Refuses a log of fewer
 * shoppers than dsim_fit_shoppers_needed(k) (dsim_fit_check_shoppers). @return 0, DSIM_EINVAL,
 * DSIM_EINTERRUPTED (o->stop was set) or DSIM_ENOMEM.
 */
int dsim_fit_em(const dsim_fit_data *d, int k, const dsim_fit_options *o, dsim_fit_model *out);

/**
 * Move `m` (a fit, perhaps of other data) to the maximum of `d`'s likelihood nearest it: BFGS from its
 * parameters, no random starts; its log-likelihood and BIC are `d`'s after, its standard errors NAN (not
 * computed: the calibration check needs none). @return 0 or DSIM_ENOMEM.
 */
int dsim_fit_refine(const dsim_fit_data *d, dsim_fit_model *m);

/**
 * Standard errors by the bootstrap over shoppers: `resamples` resamples of the shoppers drawn with replacement
 * (by o->seed), each fitted by BFGS from `m`; `m`'s standard errors become the resamples' standard deviations
 * (its estimates are kept). @return 0, DSIM_EINVAL (fewer than 2 resamples), DSIM_EINTERRUPTED (o->stop) or
 * DSIM_ENOMEM.
 */
int dsim_fit_bootstrap(const dsim_fit_data *d, dsim_fit_model *m, int resamples, const dsim_fit_options *o);

/**
 * A market drawn from the estimate's uncertainty: the free parameters from the normal of mean `m`'s estimates
 * and covariance m->cov (draw number `draw` of `seed`), redrawn while a share falls outside (0.001, 1). What a
 * policy earns across such markets is the fitted world's value with the fit's uncertainty in it.
 * @return 0, DSIM_EINVAL (no covariance) or DSIM_ENUMERIC (no draw with valid shares in 1000 tries).
 */
int dsim_fit_draw(const dsim_fit_model *m, uint64_t seed, uint64_t draw, dsim_fit_model *out);

/** The log-likelihood of the data under `m`'s shares and θ (its k segments). @return it, or NAN (memory). */
double dsim_fit_loglik(const dsim_fit_data *d, const dsim_fit_model *m);

/**
 * The scenario text of a fit: `base` (a scenario's INI text) with its leading story comment, its segments and
 * its demand key replaced: `comment` (lines, each written as "; LINE") first, demand = logit, and a segment
 * fittedK per segment of `m` with its share and (α, β, ρ) as logit_base, logit_discount and logit_reference,
 * and the memory and starting reference the fit assumed. @return 0 (`*out` malloc'ed) or DSIM_ENOMEM.
 */
int dsim_fit_scenario_text(const char *base, const dsim_fit_model *m, const char *comment, double memory,
                           double reference0, char **out);

/** Visits grouped for the calibration check: conversion observed and predicted over visits with a key in
    [low, high] (the discount as a fraction, or the predicted probability). */
typedef struct {
    double low, high;
    size_t visits;
    double observed, predicted;
} dsim_fit_group;

#define DSIM_FIT_MAX_GROUPS 16

/**
 * The calibration check on held-out shoppers: per discount offered (each distinct one, or ten groups of equal
 * size when there are more than DSIM_FIT_MAX_GROUPS) and per decile of predicted probability, with a Wald test
 * of observed = predicted in every group whose covariance is summed over shoppers (W ~ χ² with as many degrees
 * of freedom as groups when the model is right; p NAN when the covariance is singular).
 */
typedef struct {
    size_t shoppers, visits;
    int folds;
    int n_levels, n_deciles, n_returning;
    dsim_fit_group level[DSIM_FIT_MAX_GROUPS], decile[DSIM_FIT_MAX_GROUPS], returning[DSIM_FIT_MAX_GROUPS];
    double level_chi2, level_p, decile_chi2, decile_p, returning_chi2, returning_p;
    double price_spread;        /* RMS of log price shown about each shopper's mean; NAN: the log has no prices */
    bool price_tested;          /* the score test of an omitted price effect was made (price_spread ≥ 0.01) */
    double price_effect;        /* its one-step estimate: log-odds per unit of log price above the shopper's mean */
    double price_z, price_p;    /* its normal statistic and two-sided p */
} dsim_fit_calibration;

/**
 * Check `m` on shoppers it never saw: the shoppers are split at random (by `seed`) into `folds` folds, and each
 * fold's visits are predicted by `m` refitted (dsim_fit_refine) on the other folds. Each visit is predicted as
 * a new shopper's, p = Σ_k π_k σ(x·θ_k), grouped by
 * discount (level) and by decile of p (decile); and as a returning shopper's, the segments weighted by their
 * posterior given the shopper's earlier visits, grouped by decile of that prediction (returning). When the
 * log has prices that vary within shoppers, a score test of `m` (on all the data) against the same model plus
 * an effect of the price shown, relative to the shopper's own mean (price_*).
 */
int dsim_fit_calibrate(const dsim_fit_data *d, const dsim_fit_model *m, int folds, uint64_t seed,
                       dsim_fit_calibration *out);

#endif
