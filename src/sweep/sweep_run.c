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
    for (int p = 0; p < DSIM_SWEEP_MAX_POLICIES; p++) {
        dsim_policy_config_free(r->cell_policies[p]);
        r->cell_policies[p] = NULL;
    }
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
        for (int p = 0; p < r->sw->n_policies && !rc; p++)
            rc = dsim_sweep_cell_policy(r->sw, r->policies, t.cell, p, &r->cell_policies[p]);
        if (rc) {
            dsim_sweep_runner_clear(r);
            return rc;
        }
        r->cell = t.cell;
    }
    *sc = r->scenario;
    *seed = r->scenario->seed + (uint64_t)t.seed_index;
    return DSIM_OK;
}

/* ---- computing one ---------------------------------------------------------------------------------------- */

/* The study run of a task whose scenario the runner holds. */
static dsim_study_run study_run(const dsim_sweep_runner *r, const dsim_scenario *sc, uint64_t seed, size_t task)
{
    dsim_study_run run = DSIM_STUDY_RUN_INIT;
    run.scenario = sc;
    int p = dsim_sweep_task_of(r->sw, task).policy;
    run.policy = r->cell_policies[p] ? r->cell_policies[p] : r->policies[p];
    run.seed = seed;
    run.sim.visits = r->sw->visits;
    run.origin.source = DSIM_SOURCE_SWEEP;
    run.stop = r->stop;
    return run;
}

int dsim_sweep_run_task(dsim_sweep_runner *r, size_t task, dsim_study_result *out)
{
    const dsim_scenario *sc = NULL;
    uint64_t seed = 0;
    out->head.task = task;
    int rc = dsim_sweep_runner_task(r, task, &sc, &seed);
    if (rc) {
        memset(&out->head, 0, sizeof out->head);
        out->head.task = task;
        out->head.status = rc;
        dsim__strlcpy(out->head.error, dsim_errmsg(), sizeof out->head.error);
        return DSIM_OK;
    }
    dsim_study_run run = study_run(r, sc, seed, task);
    return dsim_study_simulate(&run, out);
}

/* ---- storing one ------------------------------------------------------------------------------------------ */

typedef struct {
    int64_t sweep_id;
    dsim_sweep_task task;
    uint64_t seed;
    const dsim_sweep *sw;
} sweep_link;

static int link_to_sweep(dsim_store *st, void *user)
{
    const sweep_link *l = user;
    char axes[512];
    dsim_sweep_describe_cell(l->sw, l->task.cell, axes, sizeof axes);
    return dsim_store_sweep_link(st, l->sweep_id, l->task.cell, l->task.policy, l->seed, axes);
}

int dsim_sweep_store_result(dsim_sweep_runner *r, dsim_store *st, int64_t sweep_id, const dsim_study_result *res)
{
    const dsim_scenario *sc = NULL;
    uint64_t seed = 0;
    int64_t run_id;
    int rc = dsim_sweep_runner_task(r, res->head.task, &sc, &seed);
    if (rc && res->head.status != DSIM_OK) /* no scenario to record the run against: its own error says why */
        return dsim_error_set(res->head.status, "%s", res->head.error);
    if (rc)
        return rc;
    sweep_link link = {sweep_id, dsim_sweep_task_of(r->sw, res->head.task), seed, r->sw};
    dsim_study_run run = study_run(r, sc, seed, res->head.task);
    run.before_end = link_to_sweep;
    run.user = &link;
    return dsim_study_store(st, &run, res, &run_id);
}
