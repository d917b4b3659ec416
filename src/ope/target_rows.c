/*
 * target_rows.c — a target policy given row by row (target_rows.h): what a candidate model, scored
 * outside dsim, would do on each logged row — the Open Bandit Pipeline's `action_dist`, handed over as CSV.
 *
 * The file may be as long as the log, so it is not held in memory: each row's probabilities go as float64
 * to a record of an unlinked spill file (width doubles a record): record `row` for a file keyed by row
 * number, with a byte per log row saying it was given; for a file keyed by visit id, records in the file's
 * order and a sorted index of (visit, record), so any ids cost no more than the lines given. A row's lines
 * must be together (long form: one line per action); a row or visit given twice is refused. The evaluation
 * reads the records back a block at a time, in the log's order, so memory stays bounded whatever the
 * log's length.
 */
#include "ope/target_rows.h"

#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/csv_rows.h"
#include "core/grow.h"
#include "core/spill.h"
#include "core/text.h"
#include "dsim/error.h"
#include "dsim/ope.h"
#include "dsim/scenario.h"

enum { CACHE_ROWS = 4096 };

typedef struct {
    uint64_t visit;
    size_t record;
} visit_record;

struct dsim__row_target {
    char path[DSIM_PATH_MAX];
    char spill_path[DSIM_PATH_MAX];
    int fd;          /* the spill: record r at r · width doubles */
    int width;       /* actions per record */
    size_t n_rows;   /* the log's */
    bool by_visit;   /* rows are named by the log's visit ids, not their numbers */
    uint8_t *given;  /* by row: (n_rows) 1 where the file gave the row */
    visit_record *index; /* by visit: (n_records) sorted by visit once read */
    size_t n_records, index_capacity;
    double *cache;   /* (CACHE_ROWS, width) records cache_first … cache_first + cache_n − 1 */
    size_t cache_first, cache_n;
    /* while reading the file: the record being built from a row's lines */
    int row_col, action_col, probability_col;
    int pi_col[DSIM_OPE_MAX_ACTIONS]; /* wide: the column of pi_a, −1 when absent */
    bool wide;
    bool building;
    uint64_t key;    /* the row (or visit) whose lines are being read */
    size_t key_line; /* its first line */
    double record[DSIM_OPE_MAX_ACTIONS];
    bool action_given[DSIM_OPE_MAX_ACTIONS];
};

static int header_has_row(char **fields, int n, size_t row, void *data)
{
    (void)row;
    for (int i = 0; i < n; i++)
        if (strcmp(fields[i], "row") == 0 || strcmp(fields[i], "visit") == 0)
            *(int *)data = 1;
    return 1; /* the header is enough */
}

int dsim__is_row_target(const char *path)
{
    int has = 0;
    dsim__csv_each(path, header_has_row, &has);
    return has;
}

/* The record being built, to the spill: at its row's place, or next in the file's order (by visit). */
static int flush_record(dsim__row_target *t)
{
    if (!t->building)
        return DSIM_OK;
    t->building = false;
    size_t record = (size_t)t->key;
    if (t->by_visit) {
        visit_record *grown = dsim__grown(t->index, &t->index_capacity, t->n_records + 1, sizeof *grown, 1024);
        if (!grown)
            return dsim_error_set(DSIM_ENOMEM, "out of memory reading %s", t->path);
        t->index = grown;
        record = t->n_records;
        t->index[t->n_records++] = (visit_record){t->key, record};
    } else {
        if (t->given[record])
            return dsim_error_set(DSIM_ECONFIG, "%s: row %zu: row %zu of the log is given again (a row's lines must "
                                  "be together)", t->path, t->key_line, record);
        t->given[record] = 1;
    }
    size_t bytes = sizeof(double) * (size_t)t->width;
    if (pwrite(t->fd, t->record, bytes, (off_t)(record * bytes)) != (ssize_t)bytes)
        return dsim_error_set(DSIM_EIO, "%s: writing the temporary file %s: %s", t->path, t->spill_path,
                              strerror(errno));
    return DSIM_OK;
}

static int read_header(dsim__row_target *t, char **fields, int n)
{
    t->row_col = t->action_col = t->probability_col = -1;
    for (int a = 0; a < DSIM_OPE_MAX_ACTIONS; a++)
        t->pi_col[a] = -1;
    for (int i = 0; i < n; i++) {
        unsigned long long a;
        if (strcmp(fields[i], "row") == 0 || strcmp(fields[i], "visit") == 0)
            t->row_col = i, t->by_visit = fields[i][0] == 'v';
        else if (strcmp(fields[i], "action") == 0)
            t->action_col = i;
        else if (strcmp(fields[i], "probability") == 0)
            t->probability_col = i;
        else if (strncmp(fields[i], "pi_", 3) == 0 && dsim__parse_u64(fields[i] + 3, &a) &&
                 a < (unsigned long long)t->width)
            t->pi_col[a] = i, t->wide = true;
        else if (strncmp(fields[i], "pi_", 3) == 0)
            return dsim_error_set(DSIM_ECONFIG, "%s: row 1, column %s: the log has actions 0 … %d", t->path,
                                  fields[i], t->width - 1);
        else
            return dsim_error_set(DSIM_ECONFIG, "%s: row 1: unknown column `%s` (a per-row target has row, then "
                                  "action and probability, or pi_0 … pi_K)", t->path, fields[i]);
    }
    if (t->wide && (t->action_col >= 0 || t->probability_col >= 0))
        return dsim_error_set(DSIM_ECONFIG, "%s: row 1: either action and probability (long) or pi_0 … pi_K "
                              "(wide), not both", t->path);
    if (!t->wide && (t->action_col < 0 || t->probability_col < 0))
        return dsim_error_set(DSIM_ECONFIG, "%s: row 1: a per-row target needs action and probability, or pi_0 "
                              "… pi_K", t->path);
    return DSIM_OK;
}

static int bad(const dsim__row_target *t, size_t line, const char *column, const char *value, const char *what)
{
    return dsim_error_set(DSIM_ECONFIG, "%s: row %zu, column %s: '%s' %s", t->path, line, column, value, what);
}

static int parse_probability(const dsim__row_target *t, size_t line, const char *column, const char *text,
                             double *out)
{
    double p;
    if (!dsim__parse_double(text, &p) || p < 0 || p > 1)
        return bad(t, line, column, text, "is not a probability in [0, 1]");
    *out = p;
    return DSIM_OK;
}

static int read_line(char **fields, int n, size_t line, void *data)
{
    dsim__row_target *t = data;
    if (line == 1)
        return read_header(t, fields, n);
    unsigned long long key;
    const char *name = t->by_visit ? "visit" : "row";
    if (t->row_col >= n || !dsim__parse_u64(fields[t->row_col], &key) ||
        (!t->by_visit && key >= (unsigned long long)t->n_rows))
        return bad(t, line, name, t->row_col < n ? fields[t->row_col] : "",
                   t->by_visit ? "is not a visit id (a whole number)"
                               : "is not a row of the log (0 … rows − 1, in the log's order)");
    if (!t->building || key != t->key) { /* a new row: the last one is complete */
        int rc = flush_record(t);
        if (rc)
            return rc;
        t->building = true;
        t->key = key;
        t->key_line = line;
        memset(t->record, 0, sizeof t->record);
        memset(t->action_given, 0, sizeof t->action_given);
    } else if (t->wide) {
        return dsim_error_set(DSIM_ECONFIG, "%s: row %zu: %s %llu is given again (line %zu had it)", t->path, line,
                              name, key, t->key_line);
    }
    if (t->wide) {
        for (int a = 0; a < t->width; a++) {
            char column[16];
            snprintf(column, sizeof column, "pi_%d", a);
            int rc = t->pi_col[a] < 0 ? DSIM_OK
                     : t->pi_col[a] >= n ? bad(t, line, column, "", "is missing")
                                         : parse_probability(t, line, column, fields[t->pi_col[a]], &t->record[a]);
            if (rc)
                return rc;
        }
        return DSIM_OK;
    }
    unsigned long long action;
    if (t->action_col >= n || !dsim__parse_u64(fields[t->action_col], &action) || action >= (unsigned long long)t->width)
        return bad(t, line, "action", t->action_col < n ? fields[t->action_col] : "", "is not an action of the log");
    if (t->action_given[action])
        return dsim_error_set(DSIM_ECONFIG, "%s: row %zu: %s %llu, action %llu is given again", t->path, line, name,
                              key, action);
    t->action_given[action] = true;
    if (t->probability_col >= n)
        return bad(t, line, "probability", "", "is missing");
    return parse_probability(t, line, "probability", fields[t->probability_col], &t->record[action]);
}

static int by_visit(const void *a, const void *b)
{
    uint64_t x = ((const visit_record *)a)->visit, y = ((const visit_record *)b)->visit;
    return (x > y) - (x < y);
}

/* By visit: the index sorted, each visit once. */
static int finish_index(dsim__row_target *t)
{
    if (!t->by_visit)
        return DSIM_OK;
    if (t->n_records > 1) /* a table of no lines has no index to sort */
        qsort(t->index, t->n_records, sizeof *t->index, by_visit);
    for (size_t i = 1; i < t->n_records; i++)
        if (t->index[i].visit == t->index[i - 1].visit)
            return dsim_error_set(DSIM_ECONFIG, "%s: visit %llu is given twice (a visit's lines must be together)",
                                  t->path, (unsigned long long)t->index[i].visit);
    return DSIM_OK;
}

int dsim__row_target_read(dsim__row_target **out, const char *path, size_t n_rows, int n_actions)
{
    dsim__row_target *t = calloc(1, sizeof *t);
    if (!t)
        return dsim_error_set(DSIM_ENOMEM, "out of memory");
    dsim__strlcpy(t->path, path, sizeof t->path);
    t->width = n_actions;
    t->n_rows = n_rows;
    t->fd = dsim__spill_open(t->spill_path, sizeof t->spill_path, "dsim_target", "a per-row target");
    t->given = calloc(n_rows ? n_rows : 1, 1);
    t->cache = malloc(sizeof(double) * CACHE_ROWS * (size_t)n_actions);
    int rc = t->fd < 0 ? DSIM_EIO
             : !t->given || !t->cache ? dsim_error_set(DSIM_ENOMEM, "out of memory reading %s", path)
                                      : dsim__csv_each(path, read_line, t);
    if (!rc)
        rc = flush_record(t);
    if (!rc)
        rc = finish_index(t);
    if (rc) {
        dsim__row_target_free(t);
        return rc;
    }
    *out = t;
    return DSIM_OK;
}

bool dsim__row_target_by_visit(const dsim__row_target *t)
{
    return t->by_visit;
}

/* The record of a row, or of a visit. @return false if the file does not give it. */
static bool record_of(const dsim__row_target *t, size_t row, const uint64_t *visit, size_t *record)
{
    if (!t->by_visit) {
        *record = row;
        return row < t->n_rows && t->given[row];
    }
    size_t lo = 0, hi = t->n_records;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (t->index[mid].visit < *visit)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo == t->n_records || t->index[lo].visit != *visit)
        return false;
    *record = t->index[lo].record;
    return true;
}

int dsim__row_target_probabilities(dsim__row_target *t, size_t row, const uint64_t *visit, double *pi, int n_actions)
{
    if (t->by_visit && !visit)
        return dsim_error_set(DSIM_ECONFIG, "%s names rows by visit, and the log has no visit ids (name them by row)",
                              t->path);
    const char *name = t->by_visit ? "visit" : "row";
    size_t key = t->by_visit ? (size_t)*visit : row, record;
    if (!record_of(t, row, visit, &record))
        return dsim_error_set(DSIM_ECONFIG, "%s gives no probabilities for %s %zu of the log", t->path, name, key);
    size_t n_records = t->by_visit ? t->n_records : t->n_rows;
    if (record < t->cache_first || record >= t->cache_first + t->cache_n) {
        size_t n = n_records - record < CACHE_ROWS ? n_records - record : CACHE_ROWS;
        size_t bytes = n * (size_t)t->width * sizeof(double);
        off_t at = (off_t)((uint64_t)record * (uint64_t)t->width * sizeof(double));
        ssize_t got = pread(t->fd, t->cache, bytes, at);
        if (got < 0)
            return dsim_error_set(DSIM_EIO, "%s: reading the temporary file %s: %s", t->path, t->spill_path,
                                  strerror(errno));
        memset((char *)t->cache + got, 0, bytes - (size_t)got); /* past the file's end: never written, zeros */
        t->cache_first = record;
        t->cache_n = n;
    }
    const double *v = t->cache + (record - t->cache_first) * (size_t)t->width;
    double sum = 0;
    for (int a = 0; a < n_actions; a++)
        sum += pi[a] = a < t->width ? v[a] : 0.0;
    if (fabs(sum - 1) > 1e-6)
        return dsim_error_set(DSIM_ECONFIG, "%s: the probabilities of %s %zu sum to %.9g, expected 1", t->path, name,
                              key, sum);
    return DSIM_OK;
}

void dsim__row_target_free(dsim__row_target *t)
{
    if (!t)
        return;
    if (t->fd >= 0)
        close(t->fd);
    free(t->given);
    free(t->index);
    free(t->cache);
    free(t);
}
