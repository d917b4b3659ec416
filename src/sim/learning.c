/*
 * learning.c — the queue of decisions a policy has yet to learn from, and the updates that drain it
 * (learning.h).
 */
#include "sim/learning.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/grow.h"
#include "dsim/error.h"

int dsim__learning_init(dsim__learning *q, dsim_delayed_feedback mode, double window)
{
    *q = (dsim__learning){.mode = mode, .window = window};
    return DSIM_OK;
}

void dsim__learning_free(dsim__learning *q)
{
    free(q->ring);
    free(q->units);
    *q = (dsim__learning){0};
}

static int grow_ring(dsim__learning *q)
{
    size_t cap = q->cap ? 2 * q->cap : 256;
    dsim__decision *ring = malloc(sizeof *ring * cap);
    if (!ring)
        return dsim_error_set(DSIM_ENOMEM, "out of memory queueing decisions for a policy's next update");
    for (size_t i = 0; i < q->n; i++) /* unwrapped, oldest first */
        ring[i] = q->ring[(q->head + i) % q->cap];
    free(q->ring);
    q->ring = ring;
    q->cap = cap;
    q->head = 0;
    return DSIM_OK;
}

static int keep_units(dsim__learning *q, const dsim_feedback *fb, size_t *at)
{
    *at = q->n_units;
    if (fb->n_units <= 0)
        return DSIM_OK;
    size_t need = q->n_units + (size_t)fb->n_units;
    dsim_unit_outcome *units = dsim__grown(q->units, &q->units_cap, need, sizeof *units, 1024);
    if (!units)
        return dsim_error_set(DSIM_ENOMEM, "out of memory queueing decisions for a policy's next update");
    q->units = units;
    memcpy(q->units + q->n_units, fb->units, sizeof *fb->units * (size_t)fb->n_units);
    q->n_units = need;
    return DSIM_OK;
}

int dsim__learning_push(dsim__learning *q, const dsim_context *ctx, const dsim_feedback *fb, double day,
                        double reported)
{
    int rc;
    if (q->n == q->cap && (rc = grow_ring(q)))
        return rc;
    dsim__decision *d = &q->ring[(q->head + q->n) % q->cap];
    if ((rc = keep_units(q, fb, &d->units_at)))
        return rc;
    d->ctx = *ctx;
    d->fb = *fb;
    d->day = day;
    d->reported = reported;
    int k = ctx->slate_size > 0 ? ctx->slate_size : 0;
    if (k && ctx->slate)
        memcpy(d->slate, ctx->slate, sizeof(uint32_t) * (size_t)k);
    if (k && ctx->scores)
        memcpy(d->scores, ctx->scores, sizeof(float) * (size_t)k);
    q->n++;
    return DSIM_OK;
}

/* The feedback of `d` as the policy gets it at `now`: a purchase not yet credited is a visit without one. (Its
   units are left as they are: only the bandits' rounds carry units, and their rewards are never late.) */
static dsim_feedback known_at(const dsim__learning *q, dsim__decision *d, double now)
{
    dsim_feedback fb = d->fb;
    fb.units = fb.n_units > 0 ? q->units + d->units_at : NULL;
    if (fb.purchased && !dsim__learning_credited(q, d->day, d->reported, now)) {
        fb.purchased = false;
        fb.position = -1;
        fb.reward = fb.revenue = fb.profit = 0;
    }
    return fb;
}

int dsim__learning_update(dsim__learning *q, dsim_policy *policy, double now)
{
    int rc = DSIM_OK;
    while (q->n > 0 && rc == DSIM_OK) {
        dsim__decision *d = &q->ring[q->head];
        /* Visits queue in arrival order, so their windows close in that order too. */
        if (q->mode == DSIM_DELAYED_WAIT && d->day + q->window > now)
            break;
        if (d->ctx.slate) /* repointed here: the ring may have moved since the push */
            d->ctx.slate = d->slate;
        if (d->ctx.scores)
            d->ctx.scores = d->scores;
        dsim_feedback fb = known_at(q, d, q->mode == DSIM_DELAYED_WAIT ? INFINITY : now);
        rc = dsim_policy_learn(policy, &d->ctx, &fb);
        q->head = (q->head + 1) % q->cap;
        q->n--;
    }
    if (q->n == 0) { /* every queued unit has been learned from */
        q->n_units = q->head = 0;
    } else if (q->n_units > 0 && q->ring[q->head].units_at > 0) { /* drop the units learned from */
        size_t gone = q->ring[q->head].units_at;
        memmove(q->units, q->units + gone, sizeof *q->units * (q->n_units - gone));
        q->n_units -= gone;
        for (size_t i = 0; i < q->n; i++)
            q->ring[(q->head + i) % q->cap].units_at -= gone;
    }
    return rc;
}
