/*
 * fit_log.c — a run logged with --log-events as fitting data (dsim/fit.h): each decision's shopper, the discount
 * it gave (its level's percent, as the run stored its levels), whether the shopper bought, the slate's mean
 * list price and what the visit earned.
 */
#include <stdlib.h>
#include <string.h>

#include "dsim/error.h"
#include "dsim/fit.h"
#include "fit/fit_impl.h"

typedef struct {
    const dsim_run_row *run;
    dsim__fit_visits visits;
} collected;

static int collect(const dsim_log_event *e, void *data)
{
    collected *c = data;
    if (e->item >= 0)
        return dsim_error_set(DSIM_EINVAL, "run %lld decides a discount per shown item (scope item): fitting takes "
                                           "a visit's decisions",
                              (long long)c->run->id);
    if (e->action < 0 || e->action >= c->run->n_levels)
        return dsim_error_set(DSIM_EINVAL, "run %lld, visit %llu: level %d is not one of its %d levels",
                              (long long)c->run->id, (unsigned long long)e->visit, e->action, c->run->n_levels);
    /* context[11] is mean_price, the slate's mean list price (dsim_log_context_names) */
    return dsim__fit_visits_push(&c->visits, e->shopper, c->run->level_percent[e->action] / 100, e->purchased,
                                 e->context[11], e->reward);
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
    if (rc == DSIM_ENOTFOUND || (!rc && c.visits.n == 0))
        rc = dsim_error_set(DSIM_EINVAL, "run %lld has no logged events (run it with --log-events)",
                            (long long)run_id);
    if (!rc)
        rc = dsim__fit_visits_build(&c.visits, true, true, memory, reference0, out);
    dsim__fit_visits_clear(&c.visits);
    dsim_store_row_clear(&run);
    return rc;
}
