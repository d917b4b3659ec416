/*
 * target_rows.c — a target policy given row by row (target_rows.h): what a candidate model, scored
 * outside dsim, would do on each logged row — the Open Bandit Pipeline's `action_dist`, handed over as CSV.
 *
 * The file may be as long as the log, so it is not held in memory: each row's probabilities go as float64
 * to record `row` (or `visit`: the spill file is sparse, so gaps in the ids cost no disk) of an unlinked
 * spill file (width floats a record; a record never written reads as
 * zeros), with one bit per row saying it was given. The evaluation reads the records back a block of rows
 * at a time, in the log's order, so memory stays bounded whatever the log's length.
 */
#include "ope/target_rows.h"

#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/csv_rows.h"
#include "core/spill.h"
#include "core/text.h"
#include "dsim/error.h"
#include "dsim/ope.h"
#include "dsim/scenario.h"

enum { CACHE_ROWS = 4096 };
#define MAX_VISIT (1ull << 40) /* visit ids a per-row target may name (its spill file is sparse) */

struct dsim__row_target {
    char path[DSIM_PATH_MAX];
    char spill_path[DSIM_PATH_MAX];
    int fd;          /* the spill: record r at r · width floats */
    int width;       /* actions per record */
    size_t n_rows;   /* the log's */
    bool by_visit;   /* records are keyed by the log's visit ids, not its row numbers */
    size_t n_keys;   /* records the bitmap covers: n_rows, or past the largest visit given */
    uint8_t *given;  /* (n_keys) 1 where the file gave the row (visit) a probability */
    double *cache;   /* (CACHE_ROWS, width) records cache_first … cache_first + cache_n − 1 */
    size_t cache_first, cache_n;
    /* while reading the file */
    int row_col, action_col, probability_col;
    int pi_col[DSIM_OPE_MAX_ACTIONS]; /* wide: the column of pi_a, −1 when absent */
    bool wide;
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

static int write_at(dsim__row_target *t, const double *v, size_t count, size_t row, int action)
{
    off_t at = (off_t)(((uint64_t)row * (uint64_t)t->width + (uint64_t)action) * sizeof(double));
    if (pwrite(t->fd, v, count * sizeof(double), at) != (ssize_t)(count * sizeof(double)))
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
    unsigned long long row;
    const char *key = t->by_visit ? "visit" : "row";
    if (t->row_col >= n || !dsim__parse_u64(fields[t->row_col], &row) ||
        row >= (t->by_visit ? MAX_VISIT : (unsigned long long)t->n_rows))
        return bad(t, line, key, t->row_col < n ? fields[t->row_col] : "",
                   t->by_visit ? "is not a visit id (a whole number below 2^40)"
                               : "is not a row of the log (0 … rows − 1, in the log's order)");
    if (row >= t->n_keys) { /* by visit: the bitmap grows to the largest id seen */
        size_t keys = 2 * (size_t)row + 1;
        uint8_t *given = realloc(t->given, keys);
        if (!given)
            return dsim_error_set(DSIM_ENOMEM, "out of memory reading %s", t->path);
        memset(given + t->n_keys, 0, keys - t->n_keys);
        t->given = given;
        t->n_keys = keys;
    }
    t->given[row] = 1;
    double v[DSIM_OPE_MAX_ACTIONS] = {0};
    if (t->wide) {
        for (int a = 0; a < t->width; a++) {
            char column[16];
            snprintf(column, sizeof column, "pi_%d", a);
            int rc = t->pi_col[a] < 0 ? DSIM_OK
                     : t->pi_col[a] >= n ? bad(t, line, column, "", "is missing")
                                         : parse_probability(t, line, column, fields[t->pi_col[a]], &v[a]);
            if (rc)
                return rc;
        }
        return write_at(t, v, (size_t)t->width, row, 0);
    }
    unsigned long long action;
    if (t->action_col >= n || !dsim__parse_u64(fields[t->action_col], &action) || action >= (unsigned long long)t->width)
        return bad(t, line, "action", t->action_col < n ? fields[t->action_col] : "", "is not an action of the log");
    if (t->probability_col >= n)
        return bad(t, line, "probability", "", "is missing");
    int rc = parse_probability(t, line, "probability", fields[t->probability_col], &v[0]);
    return rc ? rc : write_at(t, v, 1, row, (int)action);
}

int dsim__row_target_read(dsim__row_target **out, const char *path, size_t n_rows, int n_actions)
{
    dsim__row_target *t = calloc(1, sizeof *t);
    if (!t)
        return dsim_error_set(DSIM_ENOMEM, "out of memory");
    dsim__strlcpy(t->path, path, sizeof t->path);
    t->width = n_actions;
    t->n_rows = t->n_keys = n_rows;
    t->fd = dsim__spill_open(t->spill_path, sizeof t->spill_path, "dsim_target", "a per-row target");
    t->given = calloc(n_rows ? n_rows : 1, 1);
    t->cache = malloc(sizeof(double) * CACHE_ROWS * (size_t)n_actions);
    int rc = t->fd < 0 ? DSIM_EIO
             : !t->given || !t->cache ? dsim_error_set(DSIM_ENOMEM, "out of memory reading %s", path)
                                      : dsim__csv_each(path, read_line, t);
    if (rc) {
        dsim__row_target_free(t);
        return rc;
    }
    *out = t;
    return DSIM_OK;
}

int dsim__row_target_probabilities(dsim__row_target *t, size_t row, const uint64_t *visit, double *pi, int n_actions)
{
    if (t->by_visit && !visit)
        return dsim_error_set(DSIM_ECONFIG, "%s names rows by visit, and the log has no visit ids (name them by row)",
                              t->path);
    const char *key = t->by_visit ? "visit" : "row";
    if (t->by_visit)
        row = (size_t)*visit;
    if (row >= t->n_keys || !t->given[row])
        return dsim_error_set(DSIM_ECONFIG, "%s gives no probabilities for %s %zu of the log", t->path, key, row);
    if (row < t->cache_first || row >= t->cache_first + t->cache_n) {
        size_t n = t->n_keys - row < CACHE_ROWS ? t->n_keys - row : CACHE_ROWS;
        size_t bytes = n * (size_t)t->width * sizeof(double);
        off_t at = (off_t)((uint64_t)row * (uint64_t)t->width * sizeof(double));
        ssize_t got = pread(t->fd, t->cache, bytes, at);
        if (got < 0)
            return dsim_error_set(DSIM_EIO, "%s: reading the temporary file %s: %s", t->path, t->spill_path,
                                  strerror(errno));
        memset((char *)t->cache + got, 0, bytes - (size_t)got); /* past the file's end: never written, zeros */
        t->cache_first = row;
        t->cache_n = n;
    }
    const double *v = t->cache + (row - t->cache_first) * (size_t)t->width;
    double sum = 0;
    for (int a = 0; a < n_actions; a++)
        sum += pi[a] = a < t->width ? v[a] : 0.0;
    if (fabs(sum - 1) > 1e-6)
        return dsim_error_set(DSIM_ECONFIG, "%s: the probabilities of %s %zu sum to %.9g, expected 1", t->path, key,
                              row, sum);
    return DSIM_OK;
}

void dsim__row_target_free(dsim__row_target *t)
{
    if (!t)
        return;
    if (t->fd >= 0)
        close(t->fd);
    free(t->given);
    free(t->cache);
    free(t);
}
