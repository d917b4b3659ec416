/*
 * ope_chart.c — one stored offline evaluation as a forest plot: a row per target × estimator with its
 * estimate and 95 % interval (the bootstrap's where it was computed, else the normal one), the simulator's two
 * truths where `dsim ope --truth` gave them (on-policy ◇, on the logged visits ○), and the logging policy's own
 * value as a dashed line.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dsim/chart.h"
#include "dsim/error.h"
#include "core/grow.h"
#include "report/report_impl.h"

typedef struct {
    char label[DSIM_CHART_LABEL_MAX], target[DSIM_CHART_LABEL_MAX];
    double y, lo, hi;
    double truth, truth_logged; /* on-policy, and on the logged visits; NAN when unknown */
} forest_row;

typedef struct {
    size_t n, cap;
    forest_row *row;
    bool bootstrap, any_logged;
} forest_rows;

static int add_row(const dsim_ope_row *row, void *data)
{
    forest_rows *f = data;
    forest_row *grown = dsim__grown(f->row, &f->cap, f->n + 1, sizeof *f->row, 32);
    if (!grown)
        return dsim_error_set(DSIM_ENOMEM, "out of memory");
    f->row = grown;
    bool boot = isfinite(row->bootstrap_lo);
    forest_row *r = &f->row[f->n++];
    snprintf(r->label, sizeof r->label, "%s · %s", row->policy, row->estimator);
    snprintf(r->target, sizeof r->target, "%s", row->policy);
    r->y = row->estimate;
    r->lo = boot ? row->bootstrap_lo : row->normal_lo;
    r->hi = boot ? row->bootstrap_hi : row->normal_hi;
    r->truth = row->truth;
    r->truth_logged = row->truth_logged;
    f->bootstrap |= boot;
    f->any_logged |= isfinite(row->truth_logged);
    return DSIM_OK;
}

static int fill(const forest_rows *f, const char *log, double logged, dsim_chart *c)
{
    c->style = DSIM_CHART_FOREST;
    snprintf(c->title, sizeof c->title, "Offline estimates of each target's value");
    const char *slash = strrchr(log, '/'); /* the log's file name: its directory says nothing here */
    snprintf(c->subtitle, sizeof c->subtitle, "log %.60s; bars: 95 %% %s interval; truth: ◇ on-policy%s; dashed: "
             "the logger", slash ? slash + 1 : log, f->bootstrap ? "bootstrap" : "normal",
             f->any_logged ? ", ○ on the logged visits" : "");
    snprintf(c->x_label, sizeof c->x_label, "value per decision (the log's reward)");
    snprintf(c->y_label, sizeof c->y_label, "%s", "");
    c->ref_x = logged;
    c->n_categories = (int)f->n;
    if (!(c->categories = calloc(f->n, sizeof *c->categories)))
        return dsim_error_set(DSIM_ENOMEM, "out of memory");
    dsim_chart_series *s;
    int rc = dsim_chart_add_series(c, "estimates", 0, f->n, true, &s);
    if (!rc && (!(s->mark = calloc(f->n, sizeof *s->mark)) || !(s->color_of = calloc(f->n, sizeof *s->color_of)) ||
                (f->any_logged && !(s->mark2 = calloc(f->n, sizeof *s->mark2)))))
        rc = dsim_error_set(DSIM_ENOMEM, "out of memory");
    if (rc)
        return rc;
    s->no_legend = true;
    /* A colour per target, in the order the targets were given; the legend names them. */
    char targets[DSIM_CHART_MAX_SERIES][DSIM_CHART_LABEL_MAX];
    int n_targets = 0;
    for (size_t i = 0; i < f->n; i++) {
        int t = 0;
        const forest_row *r = &f->row[i];
        while (t < n_targets && strcmp(targets[t], r->target))
            t++;
        if (t == n_targets && n_targets < DSIM_CHART_MAX_SERIES - 1) {
            snprintf(targets[n_targets++], sizeof targets[0], "%s", r->target);
            dsim_chart_series *l;
            if ((rc = dsim_chart_add_series(c, r->target, t, 0, false, &l)))
                return rc;
            s = &c->series[0];
        }
        memcpy(c->categories[i], r->label, sizeof c->categories[i]);
        s->x[i] = (double)i;
        s->y[i] = r->y;
        s->lo[i] = r->lo;
        s->hi[i] = r->hi;
        s->mark[i] = r->truth;
        if (s->mark2)
            s->mark2[i] = r->truth_logged;
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
    free(f.row);
    if (rc)
        dsim_figure_clear(out);
    return rc;
}
