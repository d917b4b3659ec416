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

/*
 * The dashboard's two threads share three things, all under `lock`:
 *   view      what the worker publishes (the race as it stands); the screen copies it and draws the copy;
 *   controls  settings the screen sets and the worker reads every tick (pause, speed, the policy shown);
 *   queue     one-shot commands the screen pushes and the worker carries out in order at its next tick.
 * What only the screen keeps (the live changes, the outside option as the keys set it) lives in dash.c.
 */
typedef struct {
    /* setup, before the worker starts */
    const dsim_scenario *sc;
    const dsim_policy_config *configs[DASH_MAX_POLICIES];
    int mark[DASH_MAX_POLICIES]; /* each policy's marker and colour, kept when another is dropped */
    int n_policies;
    uint64_t seed, horizon; /* seeds seed … seed + n_seeds − 1 */
    int n_seeds;
    /* reports */
    dsim_metrics seed_metrics[DASH_MAX_POLICIES][DASH_MAX_SEEDS];
    dsim_metrics metrics[DASH_MAX_POLICIES]; /* summed over the seeds */
    dsim_segment_metrics seed_segments[DASH_MAX_POLICIES][DASH_MAX_SEEDS]; /* by hidden segment */
    dsim_segment_metrics segments[DASH_MAX_POLICIES];                     /* summed over the seeds */
    double series[DASH_MAX_POLICIES][DASH_POINTS];     /* cumulative objective, mean over the seeds */
    double conversion[DASH_MAX_POLICIES][DASH_POINTS]; /* purchases per visit so far, all seeds */
    uint64_t series_visit[DASH_POINTS];
    size_t n_points;
    uint64_t every;   /* visits between series points */
    uint64_t done;    /* visits so far (every policy alike) */
    double rate;      /* visits per second, all policies together */
    uint64_t mark_visit[DASH_MAX_MARKS]; /* live shocks, for the chart */
    int n_marks;
    char knob_name[32];               /* the shown policy's live parameter, "" if it has none */
    double knob_value;
    bool values_known;                /* its type keeps value estimates */
    double values[DASH_PROFILES][DSIM_MAX_LEVELS]; /* per shopper profile and level, its first seed */
    char note[512];   /* a replay: which runs (and seeds) are shown */
    char error[512];  /* the worker stopped on this */
    bool finished;    /* the horizon was reached */
} dash_view;

typedef struct {
    bool paused;
    bool quit;    /* the worker ends at its next tick */
    int speed;    /* visits per policy and tick */
    int selected; /* the policy whose learned values are shown, or −1 (the worker resets it when it drops one) */
} dash_controls;

typedef enum {
    DASH_STEP,    /* one visit, when paused */
    DASH_SHOCK,   /* the scenario's shock `index`, now */
    DASH_MARKET,  /* `shock`, a market change made with the keys, now */
    DASH_KNOB,    /* the shown policy's live parameter × `value` */
    DASH_ADD,     /* `policy`, caught up to the current visit */
    DASH_REMOVE,  /* policy `index` */
    DASH_RESTART, /* every policy again, on the next unused seeds */
} dash_command_kind;

typedef struct {
    dash_command_kind kind;
    int index;
    double value;
    dsim_shock_config shock;
    const dsim_policy_config *policy;
} dash_command;

#define DASH_QUEUE 64

typedef struct {
    pthread_mutex_t lock;
    dash_view view;
    dash_controls controls;
    dash_command queue[DASH_QUEUE]; /* a ring: pushed at tail, carried out from head */
    size_t head, tail;
} dash_shared;

/** Queue a command for the worker (the caller holds the lock). @return false when the queue is full. */
bool dash_push(dash_shared *s, dash_command c);

/** The shoppers a policy's learned values are shown for, as the contexts it would see (worker.c). */
extern const char *const dash_profile_names[DASH_PROFILES];

/** The worker thread's body: runs the policies' sims in lockstep until `quit`. */
void *dash_worker(void *shared);

/** The whole `dsim dash` session on a terminal. @return the exit status. */
int dash_run(dash_shared *s, const char *db);

/** Stored runs in the same views, read only (keys m, l, ?, q). @return the exit status. */
int dash_show(const dash_view *v, const char *db);

struct dsim_store;
/** Fill `s` from stored runs (replay.c); the scenario (of the first run) and the configs are made here and
 *  owned by the caller. @return 0, DSIM_ENOTFOUND or DSIM_ESTORE. */
int dash_replay(struct dsim_store *st, const char *db, const int64_t *runs, int n_runs, dash_view *v,
                dsim_scenario **sc, dsim_policy_config **configs);

#endif
