/*
 * dsim/metrics.h — what a run accumulates, the named figures derived from it, and their mean and 95 %
 * confidence interval across seeds.
 *
 * One table of metric definitions (dsim_metrics_defs) drives the comparison table, the result database's
 * columns and `dsim show`, so a new figure is added in one place.
 */
#ifndef DSIM_METRICS_H
#define DSIM_METRICS_H

#include <stddef.h>
#include <stdint.h>

#include "dsim/scenario.h"

/** Running totals of one run (plain data; all sums since the start of the run). */
typedef struct {
    uint64_t arrivals;     /* visits attempted, including by shoppers who had churned */
    uint64_t visits;       /* visits by active shoppers */
    uint64_t lost_visits;  /* arrivals of shoppers who had churned */
    uint64_t impressions;  /* items shown */
    uint64_t clicks;
    uint64_t purchases;
    uint64_t top3_purchases;    /* purchases from the first three positions of the slate */
    uint64_t discounted_visits; /* visits offered a level > 0 % */
    uint64_t churned;           /* shoppers who left during the run */
    double revenue, profit, discount_spend; /* currency */
    double discount_offered;    /* Σ of the offered discount fraction over visits */
    double reward;              /* Σ of the objective */
    double regret;              /* Σ of per-visit pseudo-regret against the myopic oracle */
    uint64_t quality_visits;    /* visits whose ranking was measured against the truth */
    double precision_sum, recall_sum, ndcg_sum; /* Σ over those visits */
    uint64_t level_count[DSIM_MAX_LEVELS]; /* decisions given each level */
    /* Purchases that come after their visit ([segment.NAME] delay_immediate < 1) count above at the visit that
       caused them; the shop hears of them later. */
    uint64_t delayed_purchases; /* made after their visit */
    uint64_t late_purchases;    /* of those, after the attribution window: never credited to their visit */
    uint64_t pending_purchases; /* not yet happened at the current visit (a level, not a running total) */
} dsim_metrics;

/**
 * The same totals split by the shoppers' segment (index as in the scenario's [segment.NAME] sections). Segments
 * are the simulator's hidden truth: a shop cannot see them and no policy is ever told one; they are kept to
 * show whom a policy discounts and where its profit comes from.
 */
typedef struct {
    dsim_metrics segment[DSIM_MAX_SEGMENTS];
} dsim_segment_metrics;

/** Add every total of `m` to `sum` (the totals of several runs, e.g. a dashboard's seeds). */
void dsim_metrics_add(dsim_metrics *sum, const dsim_metrics *m);
/** Add every segment's totals of `m` to `sum`. */
void dsim_segment_metrics_add(dsim_segment_metrics *sum, const dsim_segment_metrics *m);

/** A named figure computed from the totals. */
typedef struct {
    const char *name;  /* column name in the database */
    const char *label; /* column head in tables */
    const char *unit;
    double (*value)(const dsim_metrics *m);
} dsim_metric_def;

extern const dsim_metric_def dsim_metrics_defs[];
extern const size_t dsim_metrics_n_defs;

/** @return the definition with this name, or NULL. */
const dsim_metric_def *dsim_metrics_find(const char *name);

/** How well a slate matches the truth (binary relevance). */
typedef struct {
    double precision; /* relevant items shown / K */
    double recall;    /* relevant items shown / R */
    double ndcg;      /* Σ_{j relevant} 1/log2(j + 2) over positions j, ÷ the same for a perfect slate */
} dsim_ranking_quality;

/**
 * Precision@K, recall@K and NDCG@K of a slate of k items against the r relevant ones (the shopper's true
 * top r, dsim_world_true_utilities()). Exact: no sampling.
 */
dsim_ranking_quality dsim_metrics_ranking_quality(const uint32_t *slate, int k, const uint32_t *relevant, int r);

/** Mean and confidence half-width (Student t) of a sample. */
typedef struct {
    double mean;
    double half_width; /* NAN when n < 2 */
    size_t n;
} dsim_estimate;

/** @param x (n,) @return mean ± t_{0.975, n−1} · s / √n. */
dsim_estimate dsim_metrics_estimate_mean(const double *x, size_t n);
/** The same at another confidence: mean ± t_{1−(1−confidence)/2, n−1} · s / √n. */
dsim_estimate dsim_metrics_estimate_mean_at(const double *x, size_t n, double confidence);

#endif
