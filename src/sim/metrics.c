/*
 * metrics.c — figures derived from a run's totals, and confidence intervals across seeds (GSL).
 */
#include "dsim/metrics.h"

#include <math.h>
#include <stdbool.h>
#include <string.h>

#include <gsl/gsl_cdf.h>
#include <gsl/gsl_statistics_double.h>

static double ratio(double num, double den)
{
    return den > 0 ? num / den : 0.0;
}

static double m_visits(const dsim_metrics *m) { return (double)m->visits; }
static double m_lost(const dsim_metrics *m) { return (double)m->lost_visits; }
static double m_clicks(const dsim_metrics *m) { return (double)m->clicks; }
static double m_purchases(const dsim_metrics *m) { return (double)m->purchases; }
static double m_ctr(const dsim_metrics *m) { return ratio((double)m->clicks, (double)m->impressions); }
static double m_conversion(const dsim_metrics *m) { return ratio((double)m->purchases, (double)m->visits); }
static double m_conversion_click(const dsim_metrics *m) { return ratio((double)m->purchases, (double)m->clicks); }
static double m_revenue(const dsim_metrics *m) { return m->revenue; }
static double m_profit(const dsim_metrics *m) { return m->profit; }
static double m_spend(const dsim_metrics *m) { return m->discount_spend; }
static double m_avg_discount(const dsim_metrics *m) { return ratio(m->discount_offered, (double)m->visits); }
static double m_discounted_share(const dsim_metrics *m) { return ratio((double)m->discounted_visits, (double)m->visits); }
static double m_revenue_per_visit(const dsim_metrics *m) { return ratio(m->revenue, (double)m->arrivals); }
static double m_reward(const dsim_metrics *m) { return m->reward; }
static double m_regret(const dsim_metrics *m) { return m->regret; }
static double m_churned(const dsim_metrics *m) { return (double)m->churned; }
static double m_top3(const dsim_metrics *m) { return ratio((double)m->top3_purchases, (double)m->purchases); }
static double m_precision(const dsim_metrics *m) { return ratio(m->precision_sum, (double)m->quality_visits); }
static double m_recall(const dsim_metrics *m) { return ratio(m->recall_sum, (double)m->quality_visits); }
static double m_ndcg(const dsim_metrics *m) { return ratio(m->ndcg_sum, (double)m->quality_visits); }

const dsim_metric_def dsim_metrics_defs[] = {
    {"visits", "visits", "visits", m_visits},
    {"lost_visits", "lost", "visits", m_lost},
    {"clicks", "clicks", "clicks", m_clicks},
    {"purchases", "purchases", "purchases", m_purchases},
    {"ctr", "CTR", "clicks/impression", m_ctr},
    {"conversion", "conversion", "purchases/visit", m_conversion},
    {"conversion_per_click", "conv/click", "purchases/click", m_conversion_click},
    {"revenue", "revenue", "currency", m_revenue},
    {"profit", "profit", "currency", m_profit},
    {"discount_spend", "disc. spend", "currency", m_spend},
    {"avg_discount", "avg disc.", "fraction/visit", m_avg_discount},
    {"discounted_share", "disc. share", "fraction of visits", m_discounted_share},
    {"revenue_per_visit", "rev/visit", "currency/arrival", m_revenue_per_visit},
    {"reward", "reward", "objective", m_reward},
    {"regret", "myopic regret", "objective lost vs the myopic oracle", m_regret},
    {"churned", "churned", "shoppers", m_churned},
    {"top3_purchase_share", "top-3 share", "fraction of purchases", m_top3},
    {"precision_at_k", "precision@K", "relevant/shown", m_precision},
    {"recall_at_k", "recall@K", "shown/relevant", m_recall},
    {"ndcg_at_k", "NDCG@K", "of a perfect slate", m_ndcg},
};

const size_t dsim_metrics_n_defs = sizeof dsim_metrics_defs / sizeof dsim_metrics_defs[0];

void dsim_metrics_add(dsim_metrics *sum, const dsim_metrics *m)
{
    sum->arrivals += m->arrivals;
    sum->visits += m->visits;
    sum->lost_visits += m->lost_visits;
    sum->impressions += m->impressions;
    sum->clicks += m->clicks;
    sum->purchases += m->purchases;
    sum->top3_purchases += m->top3_purchases;
    sum->discounted_visits += m->discounted_visits;
    sum->churned += m->churned;
    sum->revenue += m->revenue;
    sum->profit += m->profit;
    sum->discount_spend += m->discount_spend;
    sum->discount_offered += m->discount_offered;
    sum->reward += m->reward;
    sum->regret += m->regret;
    sum->quality_visits += m->quality_visits;
    sum->precision_sum += m->precision_sum;
    sum->recall_sum += m->recall_sum;
    sum->ndcg_sum += m->ndcg_sum;
    for (int l = 0; l < DSIM_MAX_LEVELS; l++)
        sum->level_count[l] += m->level_count[l];
    sum->delayed_purchases += m->delayed_purchases;
    sum->late_purchases += m->late_purchases;
    sum->pending_purchases += m->pending_purchases;
}

void dsim_segment_metrics_add(dsim_segment_metrics *sum, const dsim_segment_metrics *m)
{
    for (int g = 0; g < DSIM_MAX_SEGMENTS; g++)
        dsim_metrics_add(&sum->segment[g], &m->segment[g]);
}

const dsim_metric_def *dsim_metrics_find(const char *name)
{
    for (size_t i = 0; i < dsim_metrics_n_defs; i++)
        if (strcmp(dsim_metrics_defs[i].name, name) == 0)
            return &dsim_metrics_defs[i];
    return NULL;
}

dsim_ranking_quality dsim_metrics_ranking_quality(const uint32_t *slate, int k, const uint32_t *relevant, int r)
{
    double hits = 0, dcg = 0, ideal = 0;
    for (int j = 0; j < k; j++) {
        bool hit = false;
        for (int i = 0; i < r && !hit; i++)
            hit = slate[j] == relevant[i];
        hits += hit;
        dcg += hit ? 1.0 / log2(j + 2.0) : 0.0;
        ideal += j < r ? 1.0 / log2(j + 2.0) : 0.0;
    }
    return (dsim_ranking_quality){hits / k, hits / r, ideal > 0 ? dcg / ideal : 0.0};
}

/* mean ± t_{quantile, n−1} · s / √n */
static dsim_estimate estimate_mean(const double *x, size_t n, double quantile)
{
    dsim_estimate e = {.mean = NAN, .half_width = NAN, .n = n};
    if (n == 0)
        return e;
    e.mean = gsl_stats_mean(x, 1, n);
    if (n >= 2)
        e.half_width = gsl_cdf_tdist_Pinv(quantile, (double)(n - 1)) * gsl_stats_sd_m(x, 1, n, e.mean) / sqrt((double)n);
    return e;
}

dsim_estimate dsim_metrics_estimate_mean(const double *x, size_t n)
{
    return estimate_mean(x, n, 0.975);
}

dsim_estimate dsim_metrics_estimate_mean_at(const double *x, size_t n, double confidence)
{
    return estimate_mean(x, n, 1 - (1 - confidence) / 2);
}
