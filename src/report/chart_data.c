/*
 * chart_data.c — the numbers of the charts of runs: stored runs grouped by policy and paired by seed (common
 * random numbers), then the mean across seeds with a 95 % Student-t band, over the stored checkpoints. The
 * band of Δ is the paired one: the interval of the seed-by-seed differences, as `dsim run`'s Δ column.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dsim/chart.h"
#include "dsim/error.h"
#include "dsim/metrics.h"
#include "report/report_impl.h"

static const char *const kind_names[] = {"delta", "cumulative", "conversion", "regret", "levels", "segments"};

const char *dsim_plot_kind_name(dsim_plot_kind kind)
{
    return (unsigned)kind < sizeof kind_names / sizeof kind_names[0] ? kind_names[kind] : NULL;
}

int dsim__metric_index(const char *name)
{
    const dsim_metric_def *d = dsim_metrics_find(name);
    return d ? (int)(d - dsim_metrics_defs) : -1;
}

/* ---- the runs, by policy and seed ------------------------------------------------------------------------ */

static int collect_point(uint64_t visit, const double *values, void *data)
{
    dsim__chart_run *r = data;
    if (r->n == r->cap) {
        size_t cap = r->cap ? 2 * r->cap : 256;
        uint64_t *v = realloc(r->visit, cap * sizeof *v);
        if (v)
            r->visit = v;
        double *x = realloc(r->values, cap * dsim_metrics_n_defs * sizeof *x);
        if (x)
            r->values = x;
        if (!v || !x)
            return dsim_error_set(DSIM_ENOMEM, "out of memory for a run's series");
        r->cap = cap;
    }
    r->visit[r->n] = visit;
    memcpy(r->values + r->n * dsim_metrics_n_defs, values, dsim_metrics_n_defs * sizeof *values);
    r->n++;
    return DSIM_OK;
}

void dsim__chart_runs_clear(dsim__chart_runs *g)
{
    for (int p = 0; p < g->n_policies; p++)
        for (size_t k = 0; k < g->policy[p].n_runs; k++) {
            dsim__chart_run *r = &g->policy[p].runs[k];
            free(r->visit);
            free(r->values);
            dsim_store_row_clear(&r->row);
        }
    for (int p = 0; p < g->n_policies; p++)
        free(g->policy[p].runs);
    memset(g, 0, sizeof *g);
}

static int group_of(dsim__chart_runs *g, const char *name)
{
    for (int p = 0; p < g->n_policies; p++)
        if (!strcmp(g->policy[p].name, name))
            return p;
    if (g->n_policies == DSIM_CHART_MAX_SERIES)
        return dsim_error_set(DSIM_EINVAL, "a chart compares at most %d policies", DSIM_CHART_MAX_SERIES);
    snprintf(g->policy[g->n_policies].name, sizeof g->policy[0].name, "%s", name);
    return g->n_policies++;
}

int dsim__chart_runs_load(dsim_store *st, const int64_t *ids, size_t n, bool series, dsim__chart_runs *g)
{
    memset(g, 0, sizeof *g);
    if (!n)
        return dsim_error_set(DSIM_EINVAL, "no runs to chart");
    int rc = DSIM_OK;
    for (size_t i = 0; i < n && !rc; i++) {
        dsim_run_row row;
        rc = dsim_store_run_get(st, ids[i], &row);
        if (rc == DSIM_ENOTFOUND) {
            rc = dsim_error_set(DSIM_ENOTFOUND, "run %lld is not in the database (dsim list shows the runs)",
                                (long long)ids[i]);
            break;
        }
        if (rc)
            break;
        if (strcmp(row.status, "done") != 0) {
            rc = dsim_error_set(DSIM_EINVAL, "run %lld is %s, not finished: only finished runs are charted",
                                (long long)ids[i], row.status);
        } else if (g->n_policies && (strcmp(row.scenario_name, g->scenario) || strcmp(row.objective, g->objective))) {
            rc = dsim_error_set(DSIM_EINVAL,
                                "run %lld is of scenario %s (objective %s), run %lld of %s (%s): a chart compares "
                                "policies on one scenario",
                                (long long)ids[i], row.scenario_name, row.objective, (long long)ids[0], g->scenario,
                                g->objective);
        }
        int p = rc ? -1 : group_of(g, row.policy_name);
        if (p < 0) {
            rc = rc ? rc : p;
            dsim_store_row_clear(&row);
            break;
        }
        snprintf(g->scenario, sizeof g->scenario, "%s", row.scenario_name);
        snprintf(g->objective, sizeof g->objective, "%s", row.objective);
        dsim__chart_policy *pol = &g->policy[p];
        for (size_t k = 0; k < pol->n_runs; k++)
            if (pol->runs[k].row.seed == row.seed) {
                rc = dsim_error_set(DSIM_EINVAL, "runs %lld and %lld are both %s on seed %llu: give one of them",
                                    (long long)pol->runs[k].row.id, (long long)row.id, row.policy_name,
                                    (unsigned long long)row.seed);
            }
        dsim__chart_run *more = rc ? NULL : realloc(pol->runs, (pol->n_runs + 1) * sizeof *more);
        if (!more) {
            rc = rc ? rc : dsim_error_set(DSIM_ENOMEM, "out of memory");
            dsim_store_row_clear(&row);
            break;
        }
        pol->runs = more;
        dsim__chart_run *r = &pol->runs[pol->n_runs++];
        memset(r, 0, sizeof *r);
        r->row = row;
        if (series)
            rc = dsim_store_series_each(st, row.id, collect_point, r);
    }
    if (rc)
        dsim__chart_runs_clear(g);
    return rc;
}

/* The checkpoints every run has, as the first run of the first policy has them. */
static int common_checkpoints(const dsim__chart_runs *g, size_t *n)
{
    const dsim__chart_run *first = &g->policy[0].runs[0];
    *n = first->n;
    for (int p = 0; p < g->n_policies; p++)
        for (size_t k = 0; k < g->policy[p].n_runs; k++) {
            const dsim__chart_run *r = &g->policy[p].runs[k];
            if (r->n != first->n || (r->n && memcmp(r->visit, first->visit, r->n * sizeof *r->visit)))
                return dsim_error_set(DSIM_EINVAL,
                                      "runs %lld and %lld have different checkpoints (%zu and %zu): chart runs of "
                                      "the same horizon",
                                      (long long)first->row.id, (long long)r->row.id, first->n, r->n);
        }
    if (*n == 0)
        return dsim_error_set(DSIM_EINVAL, "run %lld has no stored checkpoints", (long long)first->row.id);
    return DSIM_OK;
}

/* The seed of the baseline's run paired with r, or NULL. */
static const dsim__chart_run *paired(const dsim__chart_policy *base, const dsim__chart_run *r)
{
    for (size_t k = 0; k < base->n_runs; k++)
        if (base->runs[k].row.seed == r->row.seed)
            return &base->runs[k];
    return NULL;
}

/* Where the figures a chart over time plots sit among a checkpoint's metrics (found once per chart). */
typedef struct {
    dsim_plot_kind kind;
    int reward, regret, visits, purchases;
} plotted_columns;

static plotted_columns columns_of(dsim_plot_kind kind)
{
    return (plotted_columns){kind, dsim__metric_index("reward"), dsim__metric_index("regret"),
                             dsim__metric_index("visits"), dsim__metric_index("purchases")};
}

/* What the chart plots of run r at checkpoint i. */
static double plotted(const dsim__chart_run *r, size_t i, const plotted_columns *pc)
{
    const double *v = r->values + i * dsim_metrics_n_defs;
    if (pc->kind == DSIM_PLOT_REGRET)
        return v[pc->regret];
    if (pc->kind != DSIM_PLOT_CONVERSION)
        return v[pc->reward];
    const double *before = i ? v - dsim_metrics_n_defs : NULL;
    double dv = v[pc->visits] - (before ? before[pc->visits] : 0);
    double dp = v[pc->purchases] - (before ? before[pc->purchases] : 0);
    return dv > 0 ? dp / dv : NAN;
}

void dsim__chart_objective_words(const char *objective, char *noun, size_t n, const char **unit)
{
    bool money = !strcmp(objective, "profit") || !strcmp(objective, "revenue");
    snprintf(noun, n, "%s", !strcmp(objective, "conversions") ? "purchases" : objective);
    *unit = money ? "currency" : "count";
}

/* The seeds behind each policy's line: its runs, or for Δ its runs on a seed the baseline ran too. */
static size_t seeds_behind(const dsim__chart_runs *g, int p, bool delta)
{
    size_t m = 0;
    for (size_t k = 0; k < g->policy[p].n_runs; k++)
        m += !delta || paired(&g->policy[0], &g->policy[p].runs[k]) != NULL;
    return m;
}

static void seeds_note(const dsim__chart_runs *g, char *out, size_t n, bool delta)
{
    size_t lo = SIZE_MAX, hi = 0;
    for (int p = 0; p < g->n_policies; p++) {
        size_t m = seeds_behind(g, p, delta);
        lo = m < lo ? m : lo;
        hi = m > hi ? m : hi;
    }
    char seeds[48];
    if (lo == hi)
        snprintf(seeds, sizeof seeds, "%zu seed%s", lo, lo == 1 ? "" : "s");
    else
        snprintf(seeds, sizeof seeds, "%zu to %zu seeds", lo, hi);
    if (hi < 2)
        snprintf(out, n, "scenario %s, %s: one seed, so no band", g->scenario, seeds);
    else
        snprintf(out, n, "scenario %s, mean of %s; band: 95 %% interval%s", g->scenario, seeds,
                 delta ? " of the paired difference (same seeds)" : " across seeds");
}

static int over_time(const dsim__chart_runs *g, dsim_plot_kind kind, dsim_chart *c)
{
    size_t n;
    int rc = common_checkpoints(g, &n);
    if (rc)
        return rc;
    char noun[32];
    const char *unit;
    dsim__chart_objective_words(g->objective, noun, sizeof noun, &unit);
    const dsim__chart_policy *base = &g->policy[0];
    bool delta = kind == DSIM_PLOT_DELTA;
    for (int p = 1; p < g->n_policies && delta; p++)
        if (!seeds_behind(g, p, true))
            return dsim_error_set(DSIM_EINVAL, "%s ran on no seed %s ran on: a difference needs the same seeds",
                                  g->policy[p].name, base->name);
    for (int p = 0; p < g->n_policies && (kind == DSIM_PLOT_CONVERSION || kind == DSIM_PLOT_REGRET); p++)
        for (size_t k = 0; k < g->policy[p].n_runs; k++)
            if (!strcmp(g->policy[p].runs[k].row.source, "dash"))
                return dsim_error_set(DSIM_EINVAL, "run %lld is a dashboard snapshot: its checkpoints keep the "
                                      "objective only, so it has no %s over time",
                                      (long long)g->policy[p].runs[k].row.id,
                                      kind == DSIM_PLOT_REGRET ? "regret" : "conversion");
    c->style = DSIM_CHART_LINES;
    c->zero_line = delta;
    snprintf(c->x_label, sizeof c->x_label, "visits");
    switch (kind) {
    case DSIM_PLOT_DELTA:
        snprintf(c->title, sizeof c->title, "Cumulative %s minus %s's", noun, base->name);
        snprintf(c->y_label, sizeof c->y_label, "Δ cumulative %s (%s)", noun, unit);
        break;
    case DSIM_PLOT_CUMULATIVE:
        snprintf(c->title, sizeof c->title, "Cumulative %s", noun);
        snprintf(c->y_label, sizeof c->y_label, "cumulative %s (%s)", noun, unit);
        break;
    case DSIM_PLOT_CONVERSION:
        snprintf(c->title, sizeof c->title, "Conversion between checkpoints");
        snprintf(c->y_label, sizeof c->y_label, "purchases per visit");
        break;
    default:
        snprintf(c->title, sizeof c->title, "Cumulative myopic regret");
        snprintf(c->y_label, sizeof c->y_label, "regret vs the myopic oracle (%s)", unit);
        break;
    }
    seeds_note(g, c->subtitle, sizeof c->subtitle, delta);
    size_t max_runs = 0;
    for (int p = 0; p < g->n_policies; p++)
        max_runs = g->policy[p].n_runs > max_runs ? g->policy[p].n_runs : max_runs;
    double *sample = malloc((max_runs ? max_runs : 1) * sizeof(double));
    if (!sample)
        return dsim_error_set(DSIM_ENOMEM, "out of memory");
    const dsim__chart_run *first = &base->runs[0];
    const plotted_columns pc = columns_of(kind);
    for (int p = 0; p < g->n_policies && !rc; p++) {
        const dsim__chart_policy *pol = &g->policy[p];
        dsim_chart_series *s;
        if ((rc = dsim_chart_add_series(c, pol->name, p, n, true, &s)))
            break;
        for (size_t i = 0; i < n; i++) {
            size_t m = 0;
            for (size_t k = 0; k < pol->n_runs; k++) {
                const dsim__chart_run *r = &pol->runs[k], *b = delta ? paired(base, r) : NULL;
                if (delta && !b)
                    continue;
                double v = plotted(r, i, &pc) - (delta ? plotted(b, i, &pc) : 0);
                if (isfinite(v))
                    sample[m++] = v;
            }
            dsim_estimate e = dsim_metrics_estimate_mean(sample, m);
            s->x[i] = (double)first->visit[i];
            s->y[i] = m ? e.mean : NAN;
            s->lo[i] = isnan(e.half_width) ? NAN : e.mean - e.half_width;
            s->hi[i] = isnan(e.half_width) ? NAN : e.mean + e.half_width;
        }
    }
    free(sample);
    return rc;
}

int dsim_chart_from_runs(dsim_store *st, const int64_t *ids, size_t n, dsim_plot_kind kind, dsim_figure *out)
{
    memset(out, 0, sizeof *out);
    if (kind == DSIM_PLOT_LEVELS || kind == DSIM_PLOT_SEGMENTS)
        return dsim__chart_levels(st, ids, n, kind == DSIM_PLOT_SEGMENTS, out);
    dsim__chart_runs g;
    int rc = dsim__chart_runs_load(st, ids, n, true, &g);
    if (rc)
        return rc;
    out->n_panels = 1;
    out->columns = 1;
    rc = over_time(&g, kind, &out->panel[0]);
    snprintf(out->title, sizeof out->title, "%s", out->panel[0].title);
    dsim__chart_runs_clear(&g);
    if (rc)
        dsim_figure_clear(out);
    return rc;
}
