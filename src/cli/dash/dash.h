/*
 * dash.h — `dsim dash`: policies competing live in the terminal (dash.c), the simulation in a worker
 * thread (worker.c) and the screen in the main thread.
 */
#ifndef DSIM_DASH_DASH_H
#define DSIM_DASH_DASH_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "dsim/policy.h"
#include "dsim/scenario.h"
#include "dsim/sim.h"

#define DASH_MAX_POLICIES 8
#define DASH_MAX_SEEDS 10
#define DASH_POINTS 1024 /* series points kept; halved (every other one) when full */
#define DASH_MAX_MARKS 16
#define DASH_MAX_SPEED 100000 /* visits per tick at which the worker stops pausing between ticks */
#define DASH_MAX_CHANGES 64
#define DASH_PROFILES 3 /* shoppers a policy's learned values are shown for: new, regular, deal-trained */

/* What the main thread asks, what the worker reports: everything under `lock`. */
typedef struct {
    pthread_mutex_t lock;
    /* setup, read-only once the worker runs */
    const dsim_scenario *sc;
    const dsim_policy_config *configs[DASH_MAX_POLICIES];
    int n_policies;
    uint64_t seed, horizon; /* seeds seed … seed + n_seeds − 1 */
    int n_seeds;
    /* requests */
    bool paused, quit, step;
    int speed;        /* visits per policy and tick */
    int shock;        /* index into sc->shocks to apply now, or −1 */
    bool custom_pending;          /* a market change made with the keys, to apply now */
    dsim_shock_config custom;
    /* reports */
    dsim_metrics seed_metrics[DASH_MAX_POLICIES][DASH_MAX_SEEDS];
    dsim_metrics metrics[DASH_MAX_POLICIES]; /* summed over the seeds */
    double series[DASH_MAX_POLICIES][DASH_POINTS];     /* cumulative objective, mean over the seeds */
    double conversion[DASH_MAX_POLICIES][DASH_POINTS]; /* purchases per visit so far, all seeds */
    uint64_t series_visit[DASH_POINTS];
    size_t n_points;
    uint64_t every;   /* visits between series points */
    uint64_t done;    /* visits so far (every policy alike) */
    double rate;      /* visits per second, all policies together */
    uint64_t mark_visit[DASH_MAX_MARKS]; /* live shocks, for the chart */
    int n_marks;
    char change[DASH_MAX_CHANGES][128]; /* every live change, in order */
    uint64_t change_visit[DASH_MAX_CHANGES];
    int n_changes;
    double outside_utility;             /* V0 as the keys have set it */
    int selected;     /* the policy whose learned values are shown, or −1 */
    double knob_factor;            /* request: multiply the selected policy's knob by this (0: none) */
    const dsim_policy_config *add; /* request: a policy to add (caught up to the current visit), or NULL */
    int remove;                    /* request: the policy to drop, or −1 */
    bool restart;                  /* request: start every policy again on the next unused seeds */
    char knob_name[32];            /* the selected policy's live parameter, "" if it has none */
    double knob_value;
    bool values_known;                 /* its type keeps value estimates */
    double values[DASH_PROFILES][DSIM_MAX_LEVELS]; /* per shopper profile and level, its first seed */
    char error[512];  /* the worker stopped on this */
    bool finished;    /* the horizon was reached */
} dash_shared;

/** The shoppers a policy's learned values are shown for, as the contexts it would see (worker.c). */
extern const char *const dash_profile_names[DASH_PROFILES];

/** The worker thread's body: runs the policies' sims in lockstep until `quit`. */
void *dash_worker(void *shared);

/** The whole `dsim dash` session on a terminal. @return the exit status. */
int dash_run(dash_shared *s, const char *db);

/** Stored runs in the same views, read only (keys m, l, ?, q). @return the exit status. */
int dash_show(const dash_shared *s, const char *db);

struct dsim_store;
/** Fill `s` from stored runs (replay.c); the scenario (of the first run) and the configs are made here and
 *  owned by the caller. @return 0, DSIM_ENOTFOUND or DSIM_ESTORE. */
int dash_replay(struct dsim_store *st, const char *db, const int64_t *runs, int n_runs, dash_shared *s,
                dsim_scenario **sc, dsim_policy_config **configs);

#endif
