/*
 * sweep_chart.c — a stored sweep as a chart, from the same per-cell statistics `dsim sweep --summary` prints
 * (dsim_sweep_summarize): one axis, each policy's paired Δ to the first against the axis value with its 95 %
 * interval; two axes, a heatmap of which policy is best in each cell, by how much, and whether significantly.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dsim/chart.h"
#include "dsim/error.h"
#include "dsim/metrics.h"
#include "report/report_impl.h"

typedef struct {
    const dsim_sweep *sw;
    int objective; /* metric index of the objective (reward) */
    dsim_chart *c;
} sweep_fill;

static void axis_name(const dsim_sweep_axis *a, char *out, size_t n)
{
    if (a->section[0])
        snprintf(out, n, "%s.%s", a->section, a->key);
    else
        snprintf(out, n, "%s", a->key);
}

static bool numeric_axis(const dsim_sweep_axis *a)
{
    for (int i = 0; i < a->n_values; i++)
        if (a->words[i][0])
            return false;
    return true;
}

static void value_label(const dsim_sweep_axis *a, int i, char *out, size_t n)
{
    if (a->words[i][0])
        snprintf(out, n, "%s", a->words[i]);
    else
        snprintf(out, n, "%.6g", a->values[i]);
}

static int one_axis_cell(const dsim_sweep_cell_summary *cell, void *user)
{
    sweep_fill *f = user;
    size_t i = cell->cell;
    bool single = f->sw->n_policies == 1;
    for (int p = 0; p < f->c->n_series; p++) {
        dsim_chart_series *s = &f->c->series[p];
        const dsim_sweep_policy_summary *ps = &cell->policies[p];
        dsim_estimate e = single ? ps->metrics[f->objective] : ps->delta;
        s->y[i] = ps->runs ? e.mean : NAN;
        s->lo[i] = isnan(e.half_width) || !ps->runs ? NAN : e.mean - e.half_width;
        s->hi[i] = isnan(e.half_width) || !ps->runs ? NAN : e.mean + e.half_width;
    }
    return 0;
}

static int one_axis(dsim_store *st, const dsim_sweep *sw, const char *const *names, int64_t id, dsim_chart *c)
{
    const dsim_sweep_axis *a = &sw->axes[0];
    bool numeric = numeric_axis(a);
    char axis[3 * DSIM_NAME_MAX + 2];
    axis_name(a, axis, sizeof axis);
    c->style = DSIM_CHART_POINTS;
    c->zero_line = sw->n_policies > 1;
    snprintf(c->x_label, sizeof c->x_label, "%.90s", axis);
    if (sw->n_policies > 1) {
        snprintf(c->title, sizeof c->title, "Objective minus %.60s's, by %.60s", names[0], axis);
        snprintf(c->y_label, sizeof c->y_label, "paired Δ objective per run");
        snprintf(c->subtitle, sizeof c->subtitle, "%d seeds per cell; bars: 95 %% interval of the paired difference",
                 sw->seeds);
    } else {
        snprintf(c->title, sizeof c->title, "Objective by %.100s", axis);
        snprintf(c->y_label, sizeof c->y_label, "objective per run");
        snprintf(c->subtitle, sizeof c->subtitle, "%d seeds per cell; bars: 95 %% interval across seeds", sw->seeds);
    }
    if (!numeric) {
        c->n_categories = a->n_values;
        if (!(c->categories = calloc((size_t)a->n_values, sizeof *c->categories)))
            return dsim_error_set(DSIM_ENOMEM, "out of memory");
        for (int i = 0; i < a->n_values; i++)
            value_label(a, i, c->categories[i], sizeof c->categories[i]);
    }
    for (int p = 0; p < sw->n_policies; p++) {
        dsim_chart_series *s;
        int rc = dsim_chart_add_series(c, names[p], p, (size_t)a->n_values, true, &s);
        if (rc)
            return rc;
        for (int i = 0; i < a->n_values; i++)
            s->x[i] = numeric ? a->values[i] : i;
    }
    sweep_fill f = {sw, dsim__metric_index("reward"), c};
    return dsim_sweep_summarize(st, sw, id, one_axis_cell, &f);
}

/* The best policy's margin over the runner-up, in % of the runner-up's objective. */
static int heatmap_cell(const dsim_sweep_cell_summary *cell, void *user)
{
    sweep_fill *f = user;
    dsim_chart_series *s = &f->c->series[0];
    size_t n1 = (size_t)f->sw->axes[1].n_values;
    size_t i0 = cell->cell / n1, i1 = cell->cell % n1;
    size_t k = i1 * (size_t)f->sw->axes[0].n_values + i0; /* rows: axis 2, columns: axis 1 */
    s->y[k] = NAN;
    if (cell->best < 0)
        return 0;
    double best = cell->policies[cell->best].metrics[f->objective].mean, second = -INFINITY;
    for (int p = 0; p < f->sw->n_policies; p++)
        if (p != cell->best && cell->policies[p].runs)
            second = fmax(second, cell->policies[p].metrics[f->objective].mean);
    double margin = isfinite(second) && second != 0 ? 100 * (best - second) / fabs(second) : NAN;
    s->y[k] = isfinite(margin) ? margin : 0;
    s->mark[k] = cell->significant == 1;
    s->color_of[k] = cell->best;
    return 0;
}

static int two_axes(dsim_store *st, const dsim_sweep *sw, const char *const *names, int64_t id, dsim_chart *c)
{
    const dsim_sweep_axis *a = &sw->axes[0], *b = &sw->axes[1];
    char ax[3 * DSIM_NAME_MAX + 2], bx[3 * DSIM_NAME_MAX + 2];
    axis_name(a, ax, sizeof ax);
    axis_name(b, bx, sizeof bx);
    c->style = DSIM_CHART_HEATMAP;
    snprintf(c->title, sizeof c->title, "Best policy by %.60s and %.60s", ax, bx);
    snprintf(c->subtitle, sizeof c->subtitle,
             "the best policy and its margin over the runner-up; * and strong colour: significantly best; %d seeds",
             sw->seeds);
    snprintf(c->x_label, sizeof c->x_label, "%.90s", ax);
    snprintf(c->y_label, sizeof c->y_label, "%.90s", bx);
    snprintf(c->legend_title, sizeof c->legend_title, "best policy");
    c->n_categories = a->n_values;
    c->n_rows = b->n_values;
    c->categories = calloc((size_t)a->n_values, sizeof *c->categories);
    c->row_labels = calloc((size_t)b->n_values, sizeof *c->row_labels);
    if (!c->categories || !c->row_labels)
        return dsim_error_set(DSIM_ENOMEM, "out of memory");
    for (int i = 0; i < a->n_values; i++)
        value_label(a, i, c->categories[i], sizeof c->categories[i]);
    for (int i = 0; i < b->n_values; i++)
        value_label(b, i, c->row_labels[i], sizeof c->row_labels[i]);
    size_t cells = sw->n_cells;
    dsim_chart_series *s;
    int rc = dsim_chart_add_series(c, "margin", 0, cells, false, &s);
    if (!rc && (!(s->mark = calloc(cells, sizeof *s->mark)) || !(s->color_of = calloc(cells, sizeof *s->color_of)) ||
                !(s->text = calloc(cells, sizeof *s->text))))
        rc = dsim_error_set(DSIM_ENOMEM, "out of memory");
    if (!rc)
        s->no_legend = true;
    /* The legend lists the policies by colour: empty series that only name them. */
    for (int p = 0; !rc && p < sw->n_policies; p++) {
        dsim_chart_series *l;
        rc = dsim_chart_add_series(c, names[p], p, 0, false, &l);
    }
    sweep_fill f = {sw, dsim__metric_index("reward"), c};
    if (!rc)
        rc = dsim_sweep_summarize(st, sw, id, heatmap_cell, &f);
    /* Each cell's words, now that its best policy is known. */
    for (size_t k = 0; !rc && k < cells; k++)
        if (isfinite(s->y[k]))
            snprintf(s->text[k], sizeof s->text[k], "%.40s\n+%.1f %%%s", names[s->color_of[k]], s->y[k],
                     s->mark[k] > 0 ? " *" : "");
    return rc;
}

int dsim_chart_from_sweep(dsim_store *st, const dsim_sweep *sw, const char *const *names, int64_t sweep_id,
                          dsim_figure *out)
{
    memset(out, 0, sizeof *out);
    if (sw->n_axes < 1 || sw->n_axes > 2)
        return dsim_error_set(DSIM_EINVAL, "%s: a sweep chart draws one or two axes; this sweep has %d", sw->path,
                              sw->n_axes);
    out->n_panels = 1;
    out->columns = 1;
    int rc = sw->n_axes == 1 ? one_axis(st, sw, names, sweep_id, &out->panel[0])
                             : two_axes(st, sw, names, sweep_id, &out->panel[0]);
    snprintf(out->title, sizeof out->title, "%s", out->panel[0].title);
    if (rc)
        dsim_figure_clear(out);
    return rc;
}
