/*
 * study_run.c — one run of `dsim run` through the study service (dsim/study.h), with a progress line on a
 * terminal and Ctrl-C honoured: the run ends done, failed or interrupted, never left looking complete.
 */
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "dsim/error.h"
#include "dsim/sim.h"
#include "dsim/study.h"

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

typedef struct {
    cli_progress *prog;
    const char *policy;
    uint64_t seed;
} progress_of_run;

static void show_progress(void *user, uint64_t done, uint64_t horizon)
{
    progress_of_run *p = user;
    cli_progress_show(p->prog, p->policy, p->seed, done, horizon, 0);
}

int cli_run_one(dsim_store *store, const dsim_scenario *sc, const dsim_policy_config *cfg, uint64_t seed,
                const dsim_sim_options *options, cli_progress *prog, dsim_metrics *final, int64_t *run_id)
{
    progress_of_run user = {prog, cfg->name, seed};
    dsim_study_run run = DSIM_STUDY_RUN_INIT;
    run.scenario = sc;
    run.policy = cfg;
    run.seed = seed;
    run.sim = *options;
    run.stop = &cli_interrupted;
    run.progress = show_progress;
    run.user = &user;
    dsim_study_result res = {0};
    prog->started = cli_now_seconds();
    int rc = dsim_study_run_one(store, &run, &res, run_id);
    *final = res.head.final;
    dsim_study_result_clear(&res);
    if (rc == DSIM_EINTERRUPTED)
        return EXIT_INTERRUPTED;
    if (rc) {
        cli_error("%s", dsim_errmsg());
        return EXIT_RUNTIME;
    }
    return EXIT_OK;
}
