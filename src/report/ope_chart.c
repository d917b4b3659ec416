/*
 * ope_chart.c — one stored offline evaluation as a forest plot: a row per target × estimator with its
 * estimate and 95 % interval (the bootstrap's where it was computed, else the normal one), the simulator's truth
 * where `dsim ope --truth` ran it, and the logging policy's own value as a dashed line.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dsim/chart.h"
#include "dsim/error.h"
#include "report/report_impl.h"

typedef struct {
    size_t n, cap;
    char (*label)[DSIM_CHART_LABEL_MAX];
    char (*target)[DSIM_CHART_LABEL_MAX];
    double *y, *lo, *hi, *truth;
    bool bootstrap;
} forest_rows;

static int add_row(const dsim_ope_row *row, void *data)
{
    forest_rows *f = data;
    if (f->n == f->cap) {
        size_t cap = f->cap ? 2 * f->cap : 32;
        void *p[6] = {realloc(f->label, cap * sizeof *f->label), NULL, NULL, NULL, NULL, NULL};
        if (p[0])
            f->label = p[0];
        if ((p[1] = realloc(f->target, cap * sizeof *f->target)))
            f->target = p[1];
        if ((p[2] = realloc(f->y, cap * sizeof *f->y)))
            f->y = p[2];
        if ((p[3] = realloc(f->lo, cap * sizeof *f->lo)))
            f->lo = p[3];
        if ((p[4] = realloc(f->hi, cap * sizeof *f->hi)))
            f->hi = p[4];
        if ((p[5] = realloc(f->truth, cap * sizeof *f->truth)))
            f->truth = p[5];
        for (int i = 0; i < 6; i++)
            if (!p[i])
                return dsim_error_set(DSIM_ENOMEM, "out of memory");
        f->cap = cap;
    }
    bool boot = isfinite(row->bootstrap_lo);
    snprintf(f->label[f->n], sizeof f->label[0], "%s · %s", row->policy, row->estimator);
    snprintf(f->target[f->n], sizeof f->target[0], "%s", row->policy);
    f->y[f->n] = row->estimate;
    f->lo[f->n] = boot ? row->bootstrap_lo : row->normal_lo;
    f->hi[f->n] = boot ? row->bootstrap_hi : row->normal_hi;
    f->truth[f->n] = row->truth;
    f->bootstrap |= boot;
    f->n++;
    return DSIM_OK;
}

static void rows_free(forest_rows *f)
{
    free(f->label);
    free(f->target);
    free(f->y);
    free(f->lo);
    free(f->hi);
    free(f->truth);
}

static int fill(const forest_rows *f, const char *log, double logged, dsim_chart *c)
{
    c->style = DSIM_CHART_FOREST;
    snprintf(c->title, sizeof c->title, "Offline estimates of each target's value");
    const char *slash = strrchr(log, '/'); /* the log's file name: its directory says nothing here */
    snprintf(c->subtitle, sizeof c->subtitle, "log %.60s; bars: 95 %% %s interval; ◇ truth (on-policy run); dashed: "
             "the logging policy", slash ? slash + 1 : log, f->bootstrap ? "bootstrap" : "normal");
    snprintf(c->x_label, sizeof c->x_label, "value per decision (the log's reward)");
    snprintf(c->y_label, sizeof c->y_label, "%s", "");
    c->ref_x = logged;
    c->n_categories = (int)f->n;
    if (!(c->categories = calloc(f->n, sizeof *c->categories)))
        return dsim_error_set(DSIM_ENOMEM, "out of memory");
    dsim_chart_series *s;
    int rc = dsim_chart_add_series(c, "estimates", 0, f->n, true, &s);
    if (!rc && (!(s->mark = calloc(f->n, sizeof *s->mark)) || !(s->color_of = calloc(f->n, sizeof *s->color_of))))
        rc = dsim_error_set(DSIM_ENOMEM, "out of memory");
    if (rc)
        return rc;
    s->no_legend = true;
    /* A colour per target, in the order the targets were given; the legend names them. */
    char targets[DSIM_CHART_MAX_SERIES][DSIM_CHART_LABEL_MAX];
    int n_targets = 0;
    for (size_t i = 0; i < f->n; i++) {
        int t = 0;
        while (t < n_targets && strcmp(targets[t], f->target[i]))
            t++;
        if (t == n_targets && n_targets < DSIM_CHART_MAX_SERIES - 1) {
            snprintf(targets[n_targets++], sizeof targets[0], "%s", f->target[i]);
            dsim_chart_series *l;
            if ((rc = dsim_chart_add_series(c, f->target[i], t, 0, false, &l)))
                return rc;
            s = &c->series[0];
        }
        memcpy(c->categories[i], f->label[i], sizeof c->categories[i]);
        s->x[i] = (double)i;
        s->y[i] = f->y[i];
        s->lo[i] = f->lo[i];
        s->hi[i] = f->hi[i];
        s->mark[i] = f->truth[i];
        s->color_of[i] = t;
    }
    return DSIM_OK;
}

int dsim_chart_from_ope(dsim_store *st, int64_t evaluation, dsim_figure *out)
{
    memset(out, 0, sizeof *out);
    forest_rows f = {0};
    char log[512];
    double logged = NAN;
    int rc = dsim_store_evaluation_each(st, evaluation, log, sizeof log, &logged, add_row, &f);
    if (!rc && f.n == 0)
        rc = dsim_error_set(DSIM_EINVAL, "evaluation %lld has no estimates", (long long)evaluation);
    if (!rc) {
        out->n_panels = 1;
        out->columns = 1;
        rc = fill(&f, log, logged, &out->panel[0]);
        snprintf(out->title, sizeof out->title, "%s", out->panel[0].title);
    }
    rows_free(&f);
    if (rc)
        dsim_figure_clear(out);
    return rc;
}
