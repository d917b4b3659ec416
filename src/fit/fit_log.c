/*
 * fit_log.c — a run logged with --log-events as fitting data (dsim/fit.h): each decision's shopper, the discount
 * it gave (its level's percent, as the run stored its levels), whether the shopper bought, and the slate's mean
 * list price.
 */
#include <stdlib.h>
#include <string.h>

#include "dsim/error.h"
#include "dsim/fit.h"

typedef struct {
    const dsim_run_row *run;
    uint64_t *shopper;
    double *discount, *price;
    unsigned char *bought;
    size_t n, cap;
    int error;
} collected;

static int collect(const dsim_log_event *e, void *data)
{
    collected *c = data;
    if (e->item >= 0)
        return c->error = dsim_error_set(DSIM_EINVAL, "run %lld decides a discount per shown item (scope item): "
                                         "fitting takes a visit's decisions", (long long)c->run->id);
    if (e->action < 0 || e->action >= c->run->n_levels)
        return c->error = dsim_error_set(DSIM_EINVAL, "run %lld, visit %llu: level %d is not one of its %d levels",
                                         (long long)c->run->id, (unsigned long long)e->visit, e->action,
                                         c->run->n_levels);
    if (c->n == c->cap) {
        size_t cap = c->cap ? 2 * c->cap : 4096;
        uint64_t *s = realloc(c->shopper, cap * sizeof *s);
        if (s)
            c->shopper = s;
        double *d = realloc(c->discount, cap * sizeof *d);
        if (d)
            c->discount = d;
        unsigned char *b = realloc(c->bought, cap);
        if (b)
            c->bought = b;
        double *p = realloc(c->price, cap * sizeof *p);
        if (p)
            c->price = p;
        if (!s || !d || !b || !p)
            return c->error = dsim_error_set(DSIM_ENOMEM, "out of memory for the run's events");
        c->cap = cap;
    }
    c->shopper[c->n] = e->shopper;
    c->discount[c->n] = c->run->level_percent[e->action] / 100;
    c->price[c->n] = e->context[11]; /* mean_price: the slate's mean list price (dsim_log_context_names) */
    c->bought[c->n++] = e->purchased;
    return DSIM_OK;
}

int dsim_fit_data_from_run(dsim_store *st, int64_t run_id, double memory, double reference0, dsim_fit_data *out)
{
    memset(out, 0, sizeof *out);
    dsim_run_row run;
    int rc = dsim_store_run_get(st, run_id, &run);
    if (rc)
        return rc;
    collected c = {.run = &run};
    rc = dsim_store_events_each(st, run_id, collect, &c);
    if (rc == DSIM_ENOTFOUND || (!rc && c.n == 0))
        rc = dsim_error_set(DSIM_EINVAL, "run %lld has no logged events (run it with --log-events)",
                            (long long)run_id);
    if (!rc)
        rc = dsim_fit_data_build(out, c.shopper, c.discount, c.bought, c.price, c.n, memory, reference0);
    free(c.shopper);
    free(c.discount);
    free(c.bought);
    free(c.price);
    dsim_store_row_clear(&run);
    return rc;
}
