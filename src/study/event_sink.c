/*
 * event_sink.c — a run's logged decisions written to the database by a second thread, so that the simulation and
 * SQLite's inserts run on two cores instead of taking turns on one.
 *
 * The run's thread pushes events into a bounded ring (it waits when the ring is full); the writer thread
 * pops and inserts them. Both threads use the store's one connection (SQLite serialises its calls), inside
 * the run's transaction; dsim__event_sink_finish() drains the ring and joins the writer before the run is
 * committed. The first insert error stops the writer and is returned by the next push or by finish.
 */
#include "study/event_sink.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "dsim/error.h"

enum { RING = 1024 };

struct dsim__event_sink {
    dsim_store *store;
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t not_empty, not_full;
    dsim_log_event ring[RING];
    size_t head, tail; /* pop at head, push at tail; count = tail − head */
    bool closing;
    int rc;            /* the writer's first error */
    char message[1024];
};

static void *write_loop(void *arg)
{
    dsim__event_sink *w = arg;
    dsim_log_event e;
    pthread_mutex_lock(&w->lock);
    for (;;) {
        while (w->head == w->tail && !w->closing)
            pthread_cond_wait(&w->not_empty, &w->lock);
        if (w->head == w->tail)
            break; /* closing and drained */
        e = w->ring[w->head % RING];
        pthread_mutex_unlock(&w->lock);
        int rc = w->rc ? w->rc : dsim_store_event_add(w->store, &e);
        pthread_mutex_lock(&w->lock);
        if (rc && !w->rc) {
            w->rc = rc;
            snprintf(w->message, sizeof w->message, "%s", dsim_errmsg());
        }
        w->head++;
        pthread_cond_signal(&w->not_full);
    }
    pthread_mutex_unlock(&w->lock);
    return NULL;
}

int dsim__event_sink_start(dsim__event_sink **out, dsim_store *store)
{
    dsim__event_sink *w = calloc(1, sizeof *w);
    if (!w)
        return dsim_error_set(DSIM_ENOMEM, "out of memory starting the event writer");
    w->store = store;
    pthread_mutex_init(&w->lock, NULL);
    pthread_cond_init(&w->not_empty, NULL);
    pthread_cond_init(&w->not_full, NULL);
    if (pthread_create(&w->thread, NULL, write_loop, w) != 0) {
        free(w);
        return dsim_error_set(DSIM_ENOMEM, "cannot start the event writer thread");
    }
    *out = w;
    return DSIM_OK;
}

int dsim__event_sink_push(dsim__event_sink *w, const dsim_log_event *e)
{
    pthread_mutex_lock(&w->lock);
    while (w->tail - w->head == RING && !w->rc)
        pthread_cond_wait(&w->not_full, &w->lock);
    int rc = w->rc;
    if (!rc) {
        dsim_log_event *slot = &w->ring[w->tail % RING];
        /* Only the distribution's used part: the rest of the slot is never read. */
        memcpy(slot, e, offsetof(dsim_log_event, distribution));
        memcpy(slot->distribution, e->distribution, sizeof(double) * (size_t)e->n_actions);
        w->tail++;
        pthread_cond_signal(&w->not_empty);
    }
    pthread_mutex_unlock(&w->lock);
    return rc ? dsim_error_set(rc, "%s", w->message) : DSIM_OK;
}

int dsim__event_sink_finish(dsim__event_sink *w)
{
    if (!w)
        return DSIM_OK;
    pthread_mutex_lock(&w->lock);
    w->closing = true;
    pthread_cond_signal(&w->not_empty);
    pthread_mutex_unlock(&w->lock);
    pthread_join(w->thread, NULL);
    int rc = w->rc ? dsim_error_set(w->rc, "%s", w->message) : DSIM_OK;
    pthread_mutex_destroy(&w->lock);
    pthread_cond_destroy(&w->not_empty);
    pthread_cond_destroy(&w->not_full);
    free(w);
    return rc;
}
