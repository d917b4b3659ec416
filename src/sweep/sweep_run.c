/*
 * sweep_run.c — a sweep's runs (dsim/sweep.h): numbering them, simulating one into a self-contained result
 * (so any worker process or MPI rank can compute it), and storing that result as one transaction, so that
 * a run is in the database for the sweep completely or not at all.
 */
#include "dsim/sweep.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/text.h"
#include "dsim/error.h"
#include "dsim/sim.h"

size_t dsim_sweep_n_tasks(const dsim_sweep *sw)
{
    return sw->n_cells * (size_t)sw->n_policies * (size_t)sw->seeds;
}

dsim_sweep_task dsim_sweep_task_of(const dsim_sweep *sw, size_t task)
{
    size_t per_cell = (size_t)sw->n_policies * (size_t)sw->seeds;
    return (dsim_sweep_task){.cell = task / per_cell,
                             .policy = (int)(task % per_cell / (size_t)sw->seeds),
                             .seed_index = (int)(task % (size_t)sw->seeds)};
}

void dsim_sweep_describe_cell(const dsim_sweep *sw, size_t cell, char *out, size_t n)
{
    size_t used = 0;
    out[0] = '\0';
    for (int i = 0; i < sw->n_axes && used < n; i++) {
        char v[DSIM_SWEEP_WORD_MAX];
        dsim_sweep_cell_value_text(sw, cell, i, v, sizeof v);
        used += (size_t)snprintf(out + used, n - used, "%s%s.%s=%s", i ? " " : "", sw->axes[i].section,
                                 sw->axes[i].key, v);
    }
}

/* ---- the runner ----------------------------------------------------------------------------------------- */

void dsim_sweep_runner_clear(dsim_sweep_runner *r)
{
    dsim_scenario_free(r->scenario);
    r->scenario = NULL;
}

int dsim_sweep_runner_task(dsim_sweep_runner *r, size_t task, const dsim_scenario **sc, uint64_t *seed)
{
    if (task >= dsim_sweep_n_tasks(r->sw))
        return dsim_error_set(DSIM_EINVAL, "%s: no run %zu (the sweep has %zu)", r->sw->path, task,
                              dsim_sweep_n_tasks(r->sw));
    dsim_sweep_task t = dsim_sweep_task_of(r->sw, task);
    if (!r->scenario || r->cell != t.cell) {
        dsim_sweep_runner_clear(r);
        int rc = dsim_sweep_cell_scenario(r->sw, r->base_text, t.cell, &r->scenario);
        if (rc)
            return rc;
        r->cell = t.cell;
    }
    *sc = r->scenario;
    *seed = r->scenario->seed + (uint64_t)t.seed_index;
    return DSIM_OK;
}

/* ---- a result ------------------------------------------------------------------------------------------ */

int dsim_sweep_result_reserve(dsim_sweep_result *res, size_t n)
{
    if (n <= res->capacity)
        return DSIM_OK;
    dsim_sweep_point *p = realloc(res->points, n * sizeof *p);
    if (!p)
        return dsim_error_set(DSIM_ENOMEM, "out of memory for a run's %zu checkpoints", n);
    res->points = p;
    res->capacity = n;
    return DSIM_OK;
}

void dsim_sweep_result_clear(dsim_sweep_result *res)
{
    free(res->points);
    memset(res, 0, sizeof *res);
}

/* ---- computing one ---------------------------------------------------------------------------------------- */

static void fail(dsim_sweep_result *out, int rc)
{
    out->head.status = rc;
    dsim__strlcpy(out->head.error, dsim_errmsg(), sizeof out->head.error);
}

int dsim_sweep_run_task(dsim_sweep_runner *r, size_t task, dsim_sweep_result *out)
{
    const dsim_scenario *sc;
    uint64_t seed;
    memset(&out->head, 0, sizeof out->head);
    out->head.task = task;
    int rc = dsim_sweep_runner_task(r, task, &sc, &seed);
    if (rc) {
        fail(out, rc);
        return DSIM_OK;
    }
    dsim_sim_options options = DSIM_SIM_OPTIONS_INIT;
    options.visits = r->sw->visits;
    uint64_t horizon = options.visits ? options.visits : dsim_scenario_horizon(sc);
    uint64_t every = horizon / (uint64_t)sc->checkpoints ? horizon / (uint64_t)sc->checkpoints : 1;
    out->head.horizon = horizon;
    if ((rc = dsim_sweep_result_reserve(out, horizon / every + 1))) {
        fail(out, rc);
        return DSIM_OK;
    }
    dsim_sim *sim = NULL;
    if ((rc = dsim_sim_create(&sim, sc, r->policies[dsim_sweep_task_of(r->sw, task).policy], seed, &options))) {
        fail(out, rc);
        return DSIM_OK;
    }
    while (!(r->stop && *r->stop) && (rc = dsim_sim_advance(sim, every)) == DSIM_OK) {
        dsim_sweep_point *p = &out->points[out->head.n_points++];
        p->visit = dsim_sim_visits_done(sim);
        dsim_sim_metrics(sim, &p->metrics);
    }
    dsim_sim_metrics(sim, &out->head.final);
    dsim_sim_free(sim);
    if (r->stop && *r->stop)
        return dsim_error_set(DSIM_EINTERRUPTED, "interrupted");
    if (rc != DSIM_DONE)
        fail(out, rc);
    return DSIM_OK;
}

/* ---- storing one ------------------------------------------------------------------------------------------ */

int dsim_sweep_store_result(dsim_sweep_runner *r, dsim_store *st, int64_t sweep_id, const dsim_sweep_result *res)
{
    const dsim_scenario *sc;
    uint64_t seed;
    int64_t run_id;
    dsim_sweep_task t = dsim_sweep_task_of(r->sw, res->head.task);
    int rc = dsim_sweep_runner_task(r, res->head.task, &sc, &seed);
    if (rc && res->head.status != DSIM_OK) /* no scenario to record the run against: its own error says why */
        return dsim_error_set(res->head.status, "%s", res->head.error);
    if (rc || (rc = dsim_store_run_begin(st, sc, r->policies[t.policy], seed, res->head.horizon,
                                         &(dsim_run_origin){DSIM_SOURCE_SWEEP, res->head.horizon, false}, &run_id)))
        return rc;
    if (res->head.status != DSIM_OK)
        return dsim_store_run_end(st, DSIM_RUN_FAILED, &res->head.final, res->head.error);
    for (uint32_t i = 0; i < res->head.n_points && !rc; i++)
        rc = dsim_store_series_add(st, res->points[i].visit, &res->points[i].metrics);
    char axes[512];
    dsim_sweep_describe_cell(r->sw, t.cell, axes, sizeof axes);
    if (rc || (rc = dsim_store_sweep_link(st, sweep_id, t.cell, t.policy, seed, axes))) {
        char msg[1024];
        dsim__strlcpy(msg, dsim_errmsg(), sizeof msg);
        dsim_store_run_end(st, DSIM_RUN_FAILED, &res->head.final, msg);
        return dsim_error_set(rc, "%s", msg);
    }
    return dsim_store_run_end(st, DSIM_RUN_DONE, &res->head.final, NULL);
}
