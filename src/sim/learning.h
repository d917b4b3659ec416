/*
 * learning.h — when a policy learns, as shops really get feedback: decisions wait in a queue until an update
 * ([learning] update, update_every), and a purchase that comes days after its visit reaches the policy only
 * once it has happened (segment keys delay_immediate, delay_mean_days) and within the attribution window.
 * The visit loop (sim.c) and the plain bandits (bandit.c) share it; with per-visit updates and no delays
 * they bypass it and learn at once, as they always did.
 */
#ifndef DSIM_SIM_LEARNING_H
#define DSIM_SIM_LEARNING_H

#include <stddef.h>

#include "dsim/policy.h"

/* One decision waiting to be learned from; its context's slate and scores point into its own copies. */
typedef struct {
    dsim_context ctx;
    uint32_t slate[DSIM_MAX_SLATE];
    float scores[DSIM_MAX_SLATE];
    dsim_feedback fb;  /* the outcome once every purchase has happened (units: see units_at) */
    double day;        /* of the visit */
    double reported;   /* day the shop learns of the purchase: `day` for one at once, INFINITY for none */
    size_t units_at;   /* fb.units' offset in the queue's unit pool */
} dsim__decision;

typedef struct {
    dsim__decision *ring;   /* (cap,) oldest at head */
    size_t cap, head, n;
    dsim_unit_outcome *units; /* the consumers behind queued bandit rewards, in arrival order */
    size_t units_cap, n_units;
    dsim_delayed_feedback mode;
    double window;          /* attribution window, days */
} dsim__learning;

/** An empty queue; `window` in days. @return 0. */
int dsim__learning_init(dsim__learning *q, dsim_delayed_feedback mode, double window);
void dsim__learning_free(dsim__learning *q);

/** Queue a decision made on `ctx` (copied with its slate) with its full outcome `fb` (copied with its units),
 *  made on `day`, whose purchase the shop hears of on `reported` (INFINITY when there is none).
 *  @return 0 or DSIM_ENOMEM. */
int dsim__learning_push(dsim__learning *q, const dsim_context *ctx, const dsim_feedback *fb, double day,
                        double reported);

/**
 * An update at day `now`: the policy learns, in arrival order, what its mode lets it learn then. naive:
 * every queued decision, its purchase credited when reported by `now` and within the window (else a "no");
 * wait: the decisions whose window has closed by `now`, with every purchase credited within it.
 * @return 0, or the policy's error (DSIM_ENUMERIC).
 */
int dsim__learning_update(dsim__learning *q, dsim_policy *policy, double now);

/** @return true when a purchase reported on `reported` for a visit on `day` is credited to it by `now`. */
static inline bool dsim__learning_credited(const dsim__learning *q, double day, double reported, double now)
{
    return reported <= now && reported <= day + q->window;
}

#endif
