/*
 * event_sink.h — a run's logged decisions inserted by a second thread (event_sink.c); the study's private sink.
 */
#ifndef DSIM_STUDY_EVENT_SINK_H
#define DSIM_STUDY_EVENT_SINK_H

#include "dsim/store.h"

typedef struct dsim__event_sink dsim__event_sink;

/** Start a sink writing into the store's open run. @return 0 or DSIM_ENOMEM. */
int dsim__event_sink_start(dsim__event_sink **out, dsim_store *store);
/** Queue one event (waits while the queue is full). @return 0 or the sink's first insert error. */
int dsim__event_sink_push(dsim__event_sink *w, const dsim_log_event *e);
/** Write what is queued, stop the thread, free. NULL is a no-op. @return 0 or the first insert error. */
int dsim__event_sink_finish(dsim__event_sink *w);

#endif
