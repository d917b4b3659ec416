/*
 * replay.c — `dsim dash --db FILE [RUN...]`: stored runs shown in the dashboard's views, read only. The
 * runs' summaries, level counts and series are turned back into what the live dashboard draws from.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/dash/dash.h"
#include "dsim/error.h"
#include "dsim/store.h"

typedef struct {
    dash_view *s;
    int p;
    size_t reward_col, purchases_col, visits_col;
} series_reader;

static size_t column(const char *name)
{
    for (size_t i = 0; i < dsim_metrics_n_defs; i++)
        if (strcmp(dsim_metrics_defs[i].name, name) == 0)
            return i;
    return 0;
}

static int add_checkpoint(uint64_t visit, const double *v, void *data)
{
    series_reader *r = data;
    dash_view *s = r->s;
    if (r->p == 0 && s->n_points < DASH_POINTS)
        s->series_visit[s->n_points] = visit;
    size_t i = 0;
    while (i < s->n_points && s->series_visit[i] < visit)
        i++;
    if (i >= DASH_POINTS)
        return DSIM_OK;
    if (r->p == 0)
        s->n_points = i + 1;
    s->series[r->p][i] = v[r->reward_col];
    s->conversion[r->p][i] = v[r->visits_col] > 0 ? v[r->purchases_col] / v[r->visits_col] : 0.0;
    return DSIM_OK;
}

/* The totals the table shows, back from a summary's named figures and its level counts. */
static void metrics_of(const double *v, int n_levels, const uint64_t *level_visits, dsim_metrics *m)
{
    memset(m, 0, sizeof *m);
    m->visits = (uint64_t)v[column("visits")];
    m->purchases = (uint64_t)v[column("purchases")];
    m->revenue = v[column("revenue")];
    m->profit = v[column("profit")];
    m->discount_spend = v[column("discount_spend")];
    m->discount_offered = v[column("avg_discount")] * (double)m->visits;
    m->regret = v[column("regret")];
    m->reward = v[column("reward")];
    for (int l = 0; l < n_levels; l++)
        m->level_count[l] = level_visits[l];
}

/* A run's totals by segment, from its per-segment rows (none for a run stored before schema version 11). */
static int segments_of(dsim_store *st, int64_t run, dsim_segment_metrics *out)
{
    dsim_run_segments *rows = malloc(sizeof *rows);
    if (!rows)
        return dsim_error_set(DSIM_ENOMEM, "out of memory");
    int rc = dsim_store_run_segments(st, run, rows);
    memset(out, 0, sizeof *out);
    for (int g = 0; !rc && g < rows->n; g++)
        metrics_of(rows->summary[g], rows->n_levels, rows->level_visits[g], &out->segment[g]);
    free(rows);
    return rc;
}

int dash_replay(dsim_store *st, const char *db, const int64_t *runs, int n_runs, dash_view *s,
                dsim_scenario **sc_out, dsim_policy_config **configs)
{
    memset(s, 0, sizeof *s);
    s->n_seeds = 1;
    s->finished = true;
    int rc = DSIM_OK;
    for (int p = 0; p < n_runs && !rc; p++) {
        dsim_run_row row;
        if ((rc = dsim_store_run_get(st, runs[p], &row)))
            break;
        if (!row.has_summary) {
            rc = dsim_error_set(DSIM_ENOTFOUND, "%s: run %lld has no summary (status %s)", db, (long long)runs[p],
                                row.status);
        } else if (p == 0 && dsim_scenario_parse(sc_out, row.scenario_text, row.scenario_name)) {
            rc = DSIM_ECONFIG;
        } else {
            char text[256];
            snprintf(text, sizeof text, "[policy]\ntype = %s\n", row.policy_type);
            if (dsim_policy_config_parse(&configs[p], text, row.policy_name))
                rc = dsim_policy_config_parse(&configs[p], "[policy]\ntype = none\n", row.policy_name);
        }
        if (!rc) {
            metrics_of(row.summary, row.n_levels, row.level_visits, &s->metrics[p]);
            s->seed_metrics[p][0] = s->metrics[p];
            rc = segments_of(st, runs[p], &s->segments[p]);
            s->seed_segments[p][0] = s->segments[p];
            s->done = s->metrics[p].visits > s->done ? s->metrics[p].visits : s->done;
            s->configs[p] = configs[p];
            s->mark[p] = p;
            s->n_policies = p + 1;
            size_t used = strlen(s->note);
            snprintf(s->note + used, sizeof s->note - used, "%srun %lld %s seed %llu", p ? ", " : "replay (read only): ",
                     (long long)runs[p], row.policy_name, (unsigned long long)row.seed);
            series_reader r = {s, p, column("reward"), column("purchases"), column("visits")};
            if (!rc)
                rc = dsim_store_series_each(st, runs[p], add_checkpoint, &r);
        }
        dsim_store_row_clear(&row);
    }
    s->sc = *sc_out;
    s->horizon = s->done;
    return rc;
}
