/*
 * study_run.c — one run of `dsim run`: the sim advanced checkpoint by checkpoint into the store (so a long
 * run is visible as it goes), its decisions logged when asked, a progress line on a terminal, Ctrl-C
 * honoured; the run is marked done, failed or interrupted, never left looking complete. (A sweep's runs
 * are computed whole by workers instead: src/sweep/sweep_run.c.)
 */
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/event_writer.h"
#include "dsim/error.h"
#include "dsim/sim.h"

volatile sig_atomic_t cli_interrupted;

static void on_signal(int sig)
{
    (void)sig;
    cli_interrupted = 1;
}

void cli_catch_interrupts(void)
{
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
}

/* ---- progress ---------------------------------------------------------------------------------------- */

void cli_progress_show(cli_progress *p, const char *policy, uint64_t seed, uint64_t done, uint64_t total, int force)
{
    if (!p->enabled)
        return;
    double t = cli_now_seconds();
    if (!force && t - p->last_shown < 0.1)
        return;
    p->last_shown = t;
    double rate = done / fmax(t - p->started, 1e-9);
    fprintf(stderr, "\r\033[Krun %d/%d  %-16s seed %-6llu %5.1f%%  %.2f M visits/s", p->run, p->n_runs, policy,
            (unsigned long long)seed, 100.0 * (double)done / (double)total, rate / 1e6);
    fflush(stderr);
}

/* ---- one run ------------------------------------------------------------------------------------------ */

/* Simulate and store one (policy, seed) run. @return EXIT_OK, EXIT_RUNTIME or EXIT_INTERRUPTED. */
/* The event of one decision: the visit's (item −1), or in scope item the decision of slate position
   `item`, which earns what that item earned. */
static dsim_log_event event_of(const dsim_visit_record *r, int item)
{
    bool mine = item < 0 || r->outcome.position == item;
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
static int advance_logging(dsim_sim *sim, cli_event_writer *writer, uint64_t n)
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
            rc = cli_event_writer_push(writer, &e);
        }
        for (int j = 0; j < r.n_item_decisions && rc == DSIM_OK; j++) {
            dsim_log_event e = event_of(&r, j);
            rc = cli_event_writer_push(writer, &e);
        }
    }
    return rc;
}

int cli_run_one(dsim_store *store, const dsim_scenario *sc, const dsim_policy_config *cfg, uint64_t seed,
                const dsim_sim_options *options, cli_progress *prog, dsim_metrics *final, int64_t *run_id)
{
    bool log_events = options->log_decisions;
    uint64_t horizon = options->visits ? options->visits : dsim_scenario_horizon(sc);
    int rc = dsim_store_run_begin(store, sc, cfg, seed, horizon, NULL, run_id);
    if (rc) {
        cli_error("%s", dsim_errmsg());
        return EXIT_RUNTIME;
    }
    dsim_sim *sim = NULL;
    cli_event_writer *writer = NULL;
    if ((rc = dsim_sim_create(&sim, sc, cfg, seed, options)) ||
        (log_events && (rc = cli_event_writer_start(&writer, store)))) {
        dsim_sim_free(sim);
        char msg[1024];
        snprintf(msg, sizeof msg, "%s", dsim_errmsg());
        dsim_store_run_end(store, DSIM_RUN_FAILED, NULL, msg);
        cli_error("%s", msg);
        return EXIT_RUNTIME;
    }
    uint64_t every = horizon / (uint64_t)sc->checkpoints;
    if (every == 0)
        every = 1;
    prog->started = cli_now_seconds();
    while (!cli_interrupted &&
           (rc = log_events ? advance_logging(sim, writer, every) : dsim_sim_advance(sim, every)) == DSIM_OK) {
        dsim_sim_metrics(sim, final);
        if ((rc = dsim_store_series_add(store, dsim_sim_visits_done(sim), final)))
            break;
        cli_progress_show(prog, cfg->name, seed, dsim_sim_visits_done(sim), horizon, 0);
    }
    dsim_sim_metrics(sim, final);
    dsim_sim_free(sim);
    int written = cli_event_writer_finish(writer); /* every queued event is in before the run ends */
    if (written && rc == DSIM_DONE)
        rc = written;
    if (cli_interrupted) {
        dsim_store_run_end(store, DSIM_RUN_INTERRUPTED, final, "interrupted by a signal");
        return EXIT_INTERRUPTED;
    }
    if (rc != DSIM_DONE) {
        char msg[1024];
        snprintf(msg, sizeof msg, "%s", dsim_errmsg());
        dsim_store_run_end(store, DSIM_RUN_FAILED, final, msg);
        cli_error("%s", msg);
        return EXIT_RUNTIME;
    }
    if (dsim_store_run_end(store, DSIM_RUN_DONE, final, NULL)) {
        cli_error("%s", dsim_errmsg());
        return EXIT_RUNTIME;
    }
    return EXIT_OK;
}
