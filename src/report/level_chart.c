/*
 * level_chart.c — the charts of who gets which discount: the share of each policy's decisions at each level
 * (over all its seeds), and the same per hidden segment with each segment's profit per policy.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dsim/chart.h"
#include "dsim/error.h"
#include "dsim/metrics.h"
#include "report/report_impl.h"

/* The discount levels any of the runs used, ascending. */
typedef struct {
    int n;
    double percent[DSIM_MAX_LEVELS];
} level_set;

static int level_index(const level_set *ls, double percent)
{
    for (int k = 0; k < ls->n; k++)
        if (fabs(ls->percent[k] - percent) < 1e-9)
            return k;
    return -1;
}

static void add_level(level_set *ls, double percent)
{
    if (level_index(ls, percent) >= 0 || ls->n == DSIM_MAX_LEVELS)
        return;
    int k = ls->n++;
    while (k > 0 && ls->percent[k - 1] > percent) {
        ls->percent[k] = ls->percent[k - 1];
        k--;
    }
    ls->percent[k] = percent;
}

static void level_name(double percent, char *out, size_t n)
{
    snprintf(out, n, "%g %%", percent);
}

/* Stacked bars: a bar per policy, its decisions' shares by level. visits[p][k]: policy p's decisions at level
   k of `ls`. */
static int level_bars(const dsim__chart_runs *g, const level_set *ls, double (*visits)[DSIM_MAX_LEVELS],
                      dsim_chart *c)
{
    c->style = DSIM_CHART_STACKED_BARS;
    c->n_categories = g->n_policies;
    c->categories = calloc((size_t)g->n_policies, sizeof *c->categories);
    if (!c->categories)
        return dsim_error_set(DSIM_ENOMEM, "out of memory");
    for (int p = 0; p < g->n_policies; p++)
        snprintf(c->categories[p], sizeof c->categories[p], "%s", g->policy[p].name);
    snprintf(c->y_label, sizeof c->y_label, "share of decisions (%%)");
    snprintf(c->x_label, sizeof c->x_label, "policy");
    snprintf(c->legend_title, sizeof c->legend_title, "discount");
    double top = ls->n ? ls->percent[ls->n - 1] : 1;
    int first = ls->n > DSIM_CHART_MAX_SERIES ? ls->n - DSIM_CHART_MAX_SERIES : 0; /* the highest, if too many */
    for (int k = first; k < ls->n; k++) {
        char name[32];
        level_name(ls->percent[k], name, sizeof name);
        dsim_chart_series *s;
        int rc = dsim_chart_add_series(c, name, dsim_chart_ramp(top > 0 ? ls->percent[k] / top : 0),
                                       (size_t)g->n_policies, false, &s);
        if (rc)
            return rc;
        for (int p = 0; p < g->n_policies; p++) {
            double total = 0;
            for (int j = 0; j < ls->n; j++)
                total += visits[p][j];
            s->x[p] = p;
            s->y[p] = total > 0 ? 100 * visits[p][k] / total : 0;
        }
    }
    return DSIM_OK;
}

/* Decisions at each level of `ls`, per policy, summed over its runs: the run's own (segment < 0) or a segment's. */
static void count_levels(const dsim__chart_runs *g, const dsim_run_segments *segs, int segment, const level_set *ls,
                         double (*visits)[DSIM_MAX_LEVELS])
{
    size_t r = 0;
    for (int p = 0; p < g->n_policies; p++) {
        memset(visits[p], 0, sizeof visits[p]);
        for (size_t k = 0; k < g->policy[p].n_runs; k++, r++) {
            const dsim_run_row *row = &g->policy[p].runs[k].row;
            int n = segment < 0 ? row->n_levels : segs[r].n_levels;
            for (int j = 0; j < n; j++) {
                double percent = segment < 0 ? row->level_percent[j] : segs[r].level_percent[j];
                double v = segment < 0 ? (double)row->level_visits[j] : (double)segs[r].level_visits[segment][j];
                int at = level_index(ls, percent);
                if (at >= 0)
                    visits[p][at] += v;
            }
        }
    }
}

/* The last panel of the segments chart: each segment's profit per policy, mean ± 95 % across seeds. */
static int segment_profit(const dsim__chart_runs *g, const dsim_run_segments *segs, dsim_chart *c)
{
    const dsim_run_segments *s0 = &segs[0];
    int profit = dsim__metric_index("profit");
    c->style = DSIM_CHART_GROUPED_BARS;
    snprintf(c->title, sizeof c->title, "Profit per segment");
    snprintf(c->subtitle, sizeof c->subtitle, "mean across seeds; bars: 95 %% interval");
    snprintf(c->y_label, sizeof c->y_label, "profit (currency)");
    snprintf(c->x_label, sizeof c->x_label, "segment");
    c->n_categories = s0->n;
    c->categories = calloc((size_t)s0->n, sizeof *c->categories);
    if (!c->categories)
        return dsim_error_set(DSIM_ENOMEM, "out of memory");
    for (int j = 0; j < s0->n; j++)
        snprintf(c->categories[j], sizeof c->categories[j], "%s", s0->name[j]);
    size_t r = 0;
    for (int p = 0; p < g->n_policies; p++) {
        dsim_chart_series *s;
        int rc = dsim_chart_add_series(c, g->policy[p].name, p, (size_t)s0->n, true, &s);
        if (rc)
            return rc;
        double *sample = malloc((g->policy[p].n_runs + 1) * sizeof *sample);
        if (!sample)
            return dsim_error_set(DSIM_ENOMEM, "out of memory");
        for (int j = 0; j < s0->n; j++) {
            size_t m = 0;
            for (size_t k = 0; k < g->policy[p].n_runs; k++)
                sample[m++] = segs[r + k].summary[j][profit];
            dsim_estimate e = dsim_metrics_estimate_mean(sample, m);
            s->x[j] = j;
            s->y[j] = e.mean;
            s->lo[j] = isnan(e.half_width) ? NAN : e.mean - e.half_width;
            s->hi[j] = isnan(e.half_width) ? NAN : e.mean + e.half_width;
        }
        free(sample);
        r += g->policy[p].n_runs;
    }
    return DSIM_OK;
}

static int load_segments(dsim_store *st, const dsim__chart_runs *g, dsim_run_segments *segs)
{
    size_t r = 0;
    for (int p = 0; p < g->n_policies; p++)
        for (size_t k = 0; k < g->policy[p].n_runs; k++, r++) {
            int64_t id = g->policy[p].runs[k].row.id;
            int rc = dsim_store_run_segments(st, id, &segs[r]);
            if (rc)
                return rc;
            if (segs[r].n == 0)
                return dsim_error_set(DSIM_EINVAL, "run %lld has no per-segment results (stored by an older dsim)",
                                      (long long)id);
            if (segs[r].n != segs[0].n)
                return dsim_error_set(DSIM_EINVAL, "runs %lld and %lld have different segments",
                                      (long long)g->policy[0].runs[0].row.id, (long long)id);
        }
    return DSIM_OK;
}

static int build(dsim_store *st, const dsim__chart_runs *g, size_t n_runs, bool by_segment, dsim_figure *out)
{
    level_set ls = {0};
    for (int p = 0; p < g->n_policies; p++)
        for (size_t k = 0; k < g->policy[p].n_runs; k++)
            for (int j = 0; j < g->policy[p].runs[k].row.n_levels; j++)
                add_level(&ls, g->policy[p].runs[k].row.level_percent[j]);
    double(*visits)[DSIM_MAX_LEVELS] = calloc(DSIM_CHART_MAX_SERIES, sizeof *visits);
    dsim_run_segments *segs = by_segment ? calloc(n_runs, sizeof *segs) : NULL;
    if (!visits || (by_segment && !segs)) {
        free(visits);
        free(segs);
        return dsim_error_set(DSIM_ENOMEM, "out of memory");
    }
    int rc = by_segment ? load_segments(st, g, segs) : DSIM_OK;
    out->columns = 1;
    if (!rc && !by_segment) {
        dsim_chart *c = &out->panel[out->n_panels++];
        count_levels(g, NULL, -1, &ls, visits);
        rc = level_bars(g, &ls, visits, c);
        snprintf(c->title, sizeof c->title, "Discount levels given");
        snprintf(c->subtitle, sizeof c->subtitle, "scenario %s; share of each policy's decisions, all seeds",
                 g->scenario);
    }
    for (int j = 0; !rc && by_segment && j < segs[0].n && out->n_panels < DSIM_CHART_MAX_PANELS - 1; j++) {
        dsim_chart *c = &out->panel[out->n_panels++];
        count_levels(g, segs, j, &ls, visits);
        rc = level_bars(g, &ls, visits, c);
        snprintf(c->title, sizeof c->title, "Segment %s: discount levels given", segs[0].name[j]);
        snprintf(c->subtitle, sizeof c->subtitle, "%.0f %% of shoppers (hidden truth); all seeds",
                 100 * segs[0].share[j]);
    }
    if (!rc && by_segment) {
        rc = segment_profit(g, segs, &out->panel[out->n_panels++]);
        out->columns = 2;
    }
    snprintf(out->title, sizeof out->title, "%s", by_segment ? "Discounts and profit by segment" :
                                                                   "Discount levels given");
    free(visits);
    free(segs);
    return rc;
}

int dsim__chart_levels(dsim_store *st, const int64_t *ids, size_t n, bool by_segment, dsim_figure *out)
{
    dsim__chart_runs g;
    int rc = dsim__chart_runs_load(st, ids, n, false, &g);
    if (rc)
        return rc;
    rc = build(st, &g, n, by_segment, out);
    dsim__chart_runs_clear(&g);
    if (rc)
        dsim_figure_clear(out);
    return rc;
}
