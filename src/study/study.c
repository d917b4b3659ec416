/*
 * study.c — one run of a study (dsim/study.h): the checkpoint loop every run goes through, and the store's
 * side of a run (recorded, its checkpoints, the caller's hook, its end) written once for the three ways a run
 * reaches the store.
 */
#include "dsim/study.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/text.h"
#include "dsim/error.h"
#include "dsim/files.h"
#include "dsim/rank.h"
#include "study/event_sink.h"

int dsim_study_result_reserve(dsim_study_result *res, size_t n)
{
    if (n <= res->capacity)
        return DSIM_OK;
    dsim_study_point *p = realloc(res->points, n * sizeof *p);
    if (!p)
        return dsim_error_set(DSIM_ENOMEM, "out of memory for a run's %zu checkpoints", n);
    res->points = p;
    res->capacity = n;
    return DSIM_OK;
}

void dsim_study_result_clear(dsim_study_result *res)
{
    free(res->points);
    memset(res, 0, sizeof *res);
}

uint64_t dsim_study_horizon(const dsim_study_run *run)
{
    return run->sim.visits ? run->sim.visits : dsim_scenario_horizon(run->scenario);
}

uint64_t dsim_study_checkpoint_every(const dsim_scenario *sc, uint64_t horizon)
{
    uint64_t every = horizon / (uint64_t)sc->checkpoints;
    return every ? every : 1;
}

static bool stopped(const dsim_study_run *run)
{
    return run->stop && *run->stop;
}

static void fail(dsim_study_result *out, int rc)
{
    out->head.status = rc;
    dsim__strlcpy(out->head.error, dsim_errmsg(), sizeof out->head.error);
}

/* ---- logging decisions ------------------------------------------------------------------------------- */

/* The event of one decision: the visit's (item −1), or in scope item the decision of slate position
   `item`, which earns what that item earned. */
static dsim_log_event event_of(const dsim_visit_record *r, int item)
{
    /* A purchase the run's end does not know of (still to come, or after the attribution window) is logged as
       none: the log holds the reward as known when it was written. */
    bool mine = (item < 0 || r->outcome.position == item) && (r->outcome.position < 0 || r->purchase_known);
    dsim_log_event e = {.visit = r->visit,
                        .item = item,
                        .shopper = r->shopper,
                        .action = item < 0 ? r->action.level : r->item_levels[item],
                        .propensity = item < 0 ? r->action.propensity : r->item_propensity[item],
                        .reward = mine ? r->outcome.reward : 0.0,
                        .purchased = mine && r->outcome.position >= 0,
                        .position = mine ? r->outcome.position : -1,
                        .n_actions = r->n_actions};
    dsim_log_context_encode(item < 0 ? &r->context : &r->item_context[item], e.context);
    memcpy(e.distribution, item < 0 ? r->distribution : r->item_distribution[item],
           sizeof(double) * (size_t)r->n_actions);
    return e;
}

/* Advance n visits one at a time, logging each decision: the visit's, or in scope item each shown item's
   (a visit of a churned shopper decides nothing). */
static int advance_logging(dsim_sim *sim, dsim__event_sink *sink, uint64_t n)
{
    dsim_visit_record r;
    int rc = DSIM_OK;
    for (uint64_t i = 0; i < n && rc == DSIM_OK; i++) {
        if ((rc = dsim_sim_advance(sim, 1)))
            return rc;
        dsim_sim_last_visit(sim, &r);
        if (r.lost || r.n_actions == 0)
            continue;
        if (r.n_item_decisions == 0) {
            dsim_log_event e = event_of(&r, -1);
            rc = dsim__event_sink_push(sink, &e);
        }
        for (int j = 0; j < r.n_item_decisions && rc == DSIM_OK; j++) {
            dsim_log_event e = event_of(&r, j);
            rc = dsim__event_sink_push(sink, &e);
        }
    }
    return rc;
}

/* ---- the checkpoint loop ------------------------------------------------------------------------------ */

/*
 * Advance `sim` checkpoint by checkpoint to its horizon (or until stopped), each checkpoint into out's points
 * and, with a store, its open run; decisions into `sink` when there is one. @return what ended the loop:
 * DSIM_DONE at the horizon, or an error. out->head.final holds the totals either way.
 */
static int checkpoints(const dsim_study_run *run, dsim_sim *sim, dsim_store *st, dsim__event_sink *sink,
                       dsim_study_result *out)
{
    uint64_t horizon = out->head.horizon, every = dsim_study_checkpoint_every(run->scenario, horizon);
    int rc = dsim_study_result_reserve(out, horizon / every + 1);
    while (!rc && !stopped(run) && (rc = sink ? advance_logging(sim, sink, every) : dsim_sim_advance(sim, every)) == DSIM_OK) {
        dsim_study_point *p = &out->points[out->head.n_points++];
        p->visit = dsim_sim_visits_done(sim);
        dsim_sim_metrics(sim, &p->metrics);
        if (st && (rc = dsim_store_series_add(st, p->visit, &p->metrics)))
            break;
        if (run->progress)
            run->progress(run->user, p->visit, horizon);
    }
    dsim_sim_metrics(sim, &out->head.final);
    dsim_sim_segment_metrics(sim, &out->head.segments);
    return rc;
}

static void begin_result(const dsim_study_run *run, dsim_study_result *out)
{
    uint64_t task = out->head.task;
    memset(&out->head, 0, sizeof out->head);
    out->head.task = task;
    out->head.horizon = dsim_study_horizon(run);
}

int dsim_study_simulate(const dsim_study_run *run, dsim_study_result *out)
{
    begin_result(run, out);
    dsim_sim_options options = run->sim;
    options.log_decisions = false; /* no store to log them into */
    dsim_sim *sim = NULL;
    int rc = dsim_sim_create(&sim, run->scenario, run->policy, run->seed, &options);
    if (rc) {
        fail(out, rc);
        return DSIM_OK;
    }
    rc = checkpoints(run, sim, NULL, NULL, out);
    dsim_sim_free(sim);
    if (stopped(run))
        return dsim_error_set(DSIM_EINTERRUPTED, "interrupted");
    if (rc != DSIM_DONE)
        fail(out, rc);
    return DSIM_OK;
}

/* ---- the store's side ---------------------------------------------------------------------------------- */

static int record(dsim_store *st, const dsim_study_run *run, uint64_t visits, int64_t *run_id)
{
    dsim_run_origin origin = run->origin;
    if (!origin.planned_visits)
        origin.planned_visits = visits;
    return dsim_store_run_begin(st, run->scenario, run->policy, run->seed, visits, &origin, run_id);
}

/* End the open run: failed with its message when rc is an error (rc returned, its message kept), else the
   hook and done. */
static int finish(dsim_store *st, const dsim_study_run *run, int rc, const dsim_study_result_head *head)
{
    const dsim_metrics *final = head ? &head->final : NULL;
    const dsim_segment_metrics *segments = head ? &head->segments : NULL;
    if (!rc && run->before_end)
        rc = run->before_end(st, run->user);
    if (rc) {
        char msg[1024];
        dsim__strlcpy(msg, dsim_errmsg(), sizeof msg);
        dsim_store_run_end(st, DSIM_RUN_FAILED, final, segments, msg);
        return dsim_error_set(rc, "%s", msg);
    }
    return dsim_store_run_end(st, DSIM_RUN_DONE, final, segments, NULL);
}

int dsim_study_run_one(dsim_store *st, const dsim_study_run *run, dsim_study_result *out, int64_t *run_id)
{
    dsim_study_result local = {0};
    if (!out)
        out = &local;
    begin_result(run, out);
    int rc = record(st, run, out->head.horizon, run_id);
    if (rc) {
        fail(out, rc);
        dsim_study_result_clear(&local);
        return rc;
    }
    dsim_sim *sim = NULL;
    dsim__event_sink *sink = NULL;
    if ((rc = dsim_sim_create(&sim, run->scenario, run->policy, run->seed, &run->sim)) ||
        (run->sim.log_decisions && (rc = dsim__event_sink_start(&sink, st)))) {
        dsim_sim_free(sim);
        fail(out, rc);
        dsim_study_result_clear(&local);
        return finish(st, run, rc, NULL);
    }
    rc = checkpoints(run, sim, st, sink, out);
    dsim_sim_free(sim);
    int written = dsim__event_sink_finish(sink); /* every queued event is in before the run ends */
    if (written && rc == DSIM_DONE)
        rc = written;
    if (stopped(run)) {
        dsim_store_run_end(st, DSIM_RUN_INTERRUPTED, &out->head.final, NULL, "interrupted by a signal");
        rc = dsim_error_set(DSIM_EINTERRUPTED, "interrupted by a signal");
    } else {
        rc = finish(st, run, rc == DSIM_DONE ? DSIM_OK : rc, &out->head);
    }
    if (rc && rc != DSIM_EINTERRUPTED)
        fail(out, rc);
    dsim_study_result_clear(&local);
    return rc;
}

static int store_whole(dsim_store *st, const dsim_study_run *run, const dsim_study_result *res, int64_t *run_id)
{
    int rc = record(st, run, res->head.horizon, run_id);
    if (rc)
        return rc;
    if (res->head.status != DSIM_OK)
        return dsim_store_run_end(st, DSIM_RUN_FAILED, &res->head.final, NULL, res->head.error);
    for (uint32_t i = 0; i < res->head.n_points && !rc; i++)
        rc = dsim_store_series_add(st, res->points[i].visit, &res->points[i].metrics);
    return finish(st, run, rc, &res->head);
}

/* A computed run is one transaction, 'running' row included: in the database completely or not at all. */
int dsim_study_store(dsim_store *st, const dsim_study_run *run, const dsim_study_result *res, int64_t *run_id)
{
    bool was = dsim_store_set_whole_runs(st, true);
    int rc = store_whole(st, run, res, run_id);
    dsim_store_set_whole_runs(st, was);
    return rc;
}

/* ---- the inputs ------------------------------------------------------------------------------------------ */

int dsim_study_load(const char *scenario, const char *const *policies, int n_policies, dsim_scenario **sc,
                    dsim_policy_config **configs)
{
    char path[1024];
    int rc = dsim_files_find("scenarios", scenario, path, sizeof path);
    if (rc || (rc = dsim_scenario_load(sc, path)) || (rc = dsim_ranker_check(*sc)))
        return rc;
    for (int p = 0; p < n_policies && !rc; p++)
        if (!(rc = dsim_policy_config_resolve(&configs[p], policies[p])))
            rc = dsim_policy_config_check(configs[p], *sc);
    return rc;
}
