/*
 * log_impl.h — shared by the log readers (log_table.c, log_csv.c) and the stream (log_stream.c).
 */
#ifndef DSIM_OPE_LOG_IMPL_H
#define DSIM_OPE_LOG_IMPL_H

#include "dsim/ope.h"

/* A stream's reading a chunk at a time: every chunk_rows rows are handed to on_chunk and the log emptied, so
   it holds one chunk; first_row numbers its row 0 in the whole log. */
struct dsim__ope_chunking {
    size_t chunk_rows;
    int (*on_chunk)(dsim_ope_log *chunk, void *data);
    void *data;
};

/** In chunked reading, hand the rows held on (the readers call it at the end). @return 0 or what on_chunk
 *  returned. */
int dsim__ope_log_flush(dsim_ope_log *log);

/** Empty a log for a reader, keeping its chunked reading (a stream's) if it has one. */
void dsim__ope_log_reset(dsim_ope_log *log);

/* The readers, into a log that is initialised (zeroed, or a stream's chunked log). */
int dsim__ope_read_csv(dsim_ope_log *log, const char *path, bool obd, bool skip_bad_rows, size_t *skipped);
int dsim__ope_read_db(dsim_ope_log *log, struct dsim_store *st, const char *db, int64_t run_id);

#endif
