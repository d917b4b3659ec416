/*
 * event_writer.h — logged decisions inserted by a second thread (event_writer.c).
 */
#ifndef DSIM_CLI_EVENT_WRITER_H
#define DSIM_CLI_EVENT_WRITER_H

#include "dsim/store.h"

typedef struct cli_event_writer cli_event_writer;

/** Start a writer into the store's open run. @return 0 or DSIM_ENOMEM. */
int cli_event_writer_start(cli_event_writer **out, dsim_store *store);
/** Queue one event (waits while the queue is full). @return 0 or the writer's first insert error. */
int cli_event_writer_push(cli_event_writer *w, const dsim_log_event *e);
/** Write what is queued, stop the thread, free. NULL is a no-op. @return 0 or the first insert error. */
int cli_event_writer_finish(cli_event_writer *w);

#endif
