/*
 * log_stream.c — a log of any length in bounded memory (dsim_ope_stream): read once, its chunks spilled to
 * an unlinked temporary file, then read back a chunk at a time for each pass an evaluation makes (the
 * reward model's, the targets' training, the estimators'). Reading the spill is plain fread, far cheaper
 * than parsing the CSV again.
 *
 * Spill format, per chunk: the row count (size_t), then its columns as they are in memory: context
 * (n × n_context float), action (int16), position (int8), propensity and reward (double), and shopper
 * (uint32), visit (uint64) and the logged distribution (n × dist_width double) when the log has them.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/spill.h"
#include "dsim/error.h"
#include "dsim/ope.h"
#include "ope/log_impl.h"

struct dsim_ope_stream {
    dsim_ope_log log; /* read into; then the buffer chunks are read back into */
    struct dsim__ope_chunking chunking; /* the log's, while it is read */
    FILE *spill;
    bool read;        /* a stream holds one log: it is read once */
    char path[512];
};

/* The columns of a chunk, in spill order: where each lives and how long it is. */
typedef struct {
    void *data;
    size_t size;
} column;

static int columns_of(const dsim_ope_log *log, column *out)
{
    size_t n = log->n, k = 0;
    out[k++] = (column){log->context, n * (size_t)log->n_context * sizeof(float)};
    out[k++] = (column){log->action, n * sizeof(int16_t)};
    out[k++] = (column){log->position, n * sizeof(int8_t)};
    out[k++] = (column){log->propensity, n * sizeof(double)};
    out[k++] = (column){log->reward, n * sizeof(double)};
    if (log->shopper)
        out[k++] = (column){log->shopper, n * sizeof(uint32_t)};
    if (log->visit)
        out[k++] = (column){log->visit, n * sizeof(uint64_t)};
    if (log->logged_dist)
        out[k++] = (column){log->logged_dist, n * (size_t)log->dist_width * sizeof(double)};
    return (int)k;
}

static int spill_chunk(dsim_ope_log *log, void *data)
{
    dsim_ope_stream *s = data;
    column cols[8];
    int k = columns_of(log, cols);
    bool ok = fwrite(&log->n, sizeof log->n, 1, s->spill) == 1;
    for (int j = 0; j < k && ok; j++)
        ok = cols[j].size == 0 || fwrite(cols[j].data, cols[j].size, 1, s->spill) == 1;
    if (!ok)
        return dsim_error_set(DSIM_EIO, "%s: writing the log's temporary copy %s: %s", log->origin, s->path,
                              strerror(errno));
    return DSIM_OK;
}

int dsim_ope_stream_alloc(dsim_ope_stream **out, size_t chunk_rows)
{
    dsim_ope_stream *s = calloc(1, sizeof *s);
    if (!s)
        return dsim_error_set(DSIM_ENOMEM, "out of memory");
    int fd = dsim__spill_open(s->path, sizeof s->path, "dsim_log", "the log");
    if (fd < 0 || !(s->spill = fdopen(fd, "w+b"))) {
        int rc = fd < 0 ? DSIM_EIO
                        : dsim_error_set(DSIM_EIO, "cannot open the temporary file %s for the log: %s", s->path,
                                         strerror(errno));
        if (fd >= 0)
            close(fd);
        free(s);
        return rc;
    }
    s->chunking = (struct dsim__ope_chunking){chunk_rows, spill_chunk, s};
    s->log.chunking = &s->chunking;
    *out = s;
    return DSIM_OK;
}

void dsim_ope_stream_free(dsim_ope_stream *s)
{
    if (!s)
        return;
    if (s->spill)
        fclose(s->spill);
    dsim_ope_log_clear(&s->log);
    free(s);
}

const dsim_ope_log *dsim_ope_stream_header(const dsim_ope_stream *s)
{
    return &s->log;
}

/* Before a read: a stream holds one log. After it: everything spilled is on disk, or the error says why. */
static int begin_read(dsim_ope_stream *s)
{
    if (s->read)
        return dsim_error_set(DSIM_EINVAL, "a log stream is read once (%s was read into it)", s->log.origin);
    s->read = true;
    return DSIM_OK;
}

static int end_read(dsim_ope_stream *s, int rc)
{
    if (!rc && (fflush(s->spill) != 0 || ferror(s->spill)))
        rc = dsim_error_set(DSIM_EIO, "%s: writing the log's temporary copy %s: %s", s->log.origin, s->path,
                            strerror(errno));
    return rc;
}

int dsim_ope_stream_read_csv(dsim_ope_stream *s, const char *path, bool skip_bad_rows, size_t *skipped)
{
    int rc = begin_read(s);
    return rc ? rc : end_read(s, dsim__ope_read_csv(&s->log, path, false, skip_bad_rows, skipped));
}

int dsim_ope_stream_read_obd(dsim_ope_stream *s, const char *path)
{
    int rc = begin_read(s);
    return rc ? rc : end_read(s, dsim__ope_read_csv(&s->log, path, true, false, NULL));
}

int dsim_ope_stream_read_db(dsim_ope_stream *s, struct dsim_store *st, const char *db, int64_t run_id)
{
    int rc = begin_read(s);
    return rc ? rc : end_read(s, dsim__ope_read_db(&s->log, st, db, run_id));
}

/* Rows [k, k + n) of a chunk, without copying. */
static dsim_ope_log view(const dsim_ope_log *chunk, size_t k, size_t n)
{
    dsim_ope_log v = *chunk;
    v.context += k * (size_t)chunk->n_context;
    v.action += k;
    v.position += k;
    v.propensity += k;
    v.reward += k;
    if (v.shopper)
        v.shopper += k;
    if (v.visit)
        v.visit += k;
    if (v.logged_dist)
        v.logged_dist += k * (size_t)chunk->dist_width;
    v.first_row += k;
    v.n = n;
    v.chunking = NULL;
    return v;
}

int dsim_ope_stream_each(dsim_ope_stream *s, size_t from, size_t to,
                         int (*each)(const dsim_ope_log *chunk, void *data), void *data)
{
    dsim_ope_log *log = &s->log;
    size_t total = dsim_ope_log_rows(log), first = 0;
    if (to > total)
        to = total;
    if (fseek(s->spill, 0, SEEK_SET) != 0)
        return dsim_error_set(DSIM_EIO, "%s: reading the log's temporary copy %s: %s", log->origin, s->path,
                              strerror(errno));
    int rc = DSIM_OK;
    while (!rc && first < to) {
        size_t n;
        column cols[8];
        bool ok = fread(&n, sizeof n, 1, s->spill) == 1 && n <= log->capacity;
        log->n = ok ? n : 0;
        int k = columns_of(log, cols);
        for (int j = 0; j < k && ok; j++)
            ok = cols[j].size == 0 || fread(cols[j].data, cols[j].size, 1, s->spill) == 1;
        if (!ok) {
            rc = dsim_error_set(DSIM_EIO, "%s: the log's temporary copy %s is short", log->origin, s->path);
            break;
        }
        size_t lo = from > first ? from - first : 0, hi = to < first + n ? to - first : n;
        if (lo < hi) {
            dsim_ope_log chunk = *log;
            chunk.first_row = first;
            dsim_ope_log v = view(&chunk, lo, hi - lo);
            rc = each(&v, data);
        }
        first += n;
    }
    /* The reading log describes the whole log again: no rows held, all counted. */
    log->n = 0;
    return rc;
}
