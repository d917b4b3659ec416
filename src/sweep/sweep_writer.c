/*
 * sweep_writer.c — the single writer of a sweep (pool.h): it keeps every worker busy and stores each run as it
 * arrives, so the database has one writer however many processes or ranks compute.
 */
#include <string.h>
#include <time.h>

#include "core/text.h"
#include "dsim/error.h"
#include "sweep/pool.h"

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* The first error of the sweep, kept while later ones are met. */
typedef struct {
    int rc;
    char message[1024];
} first_error;

static void keep(first_error *e, int rc, const char *prefix)
{
    if (!e->rc) {
        e->rc = rc;
        snprintf(e->message, sizeof e->message, "%s%s", prefix, dsim_errmsg());
    }
}

int dsim_sweep_write(const dsim_sweep_pool_type *type, dsim_sweep_pool *pool, dsim_store *store,
                     dsim_sweep_runner *runner, int64_t sweep_id, const size_t *tasks, size_t n, dsim_sweep_writer *w)
{
    size_t next = 0;
    int busy = 0;
    first_error first = {0};
    for (int k = 0; k < type->n_workers(pool) && next < n; k++, busy++) {
        int rc = type->submit(pool, k, tasks[next++]);
        if (rc)
            return dsim_error_prefix(rc, "sweep: ");
    }
    dsim_study_result res = {0};
    while (busy > 0) {
        int worker, rc = type->collect(pool, &worker, &res);
        if (rc) {
            if (rc == DSIM_EINTERRUPTED)
                first.rc = 0; /* an interrupt ends the sweep as interrupted, whatever came before */
            keep(&first, rc, rc == DSIM_EINTERRUPTED ? "" : "sweep: ");
            break;
        }
        busy--;
        double t0 = now_seconds();
        rc = dsim_sweep_store_result(runner, store, sweep_id, &res);
        w->busy_seconds += now_seconds() - t0;
        if (rc) {
            keep(&first, rc, "");
        } else if (res.head.status != DSIM_OK) {
            w->n_failed++;
            if (w->failed)
                w->failed(w->user, &res);
        } else if (w->stored) {
            w->stored(w->user, &res);
        }
        bool handing = !first.rc && !w->n_failed;
        if (handing && next < n) {
            if ((rc = type->submit(pool, worker, tasks[next++])))
                keep(&first, rc, "sweep: ");
            else
                busy++;
        }
    }
    dsim_study_result_clear(&res);
    return first.rc ? dsim_error_set(first.rc, "%s", first.message) : DSIM_OK;
}
