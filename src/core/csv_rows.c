/*
 * csv_rows.c — a CSV file as its header and then one callback per row, streamed through libcsv: memory
 * stays bounded by the longest row, and a line longer than DSIM__CSV_MAX_LINE stops the read with an error
 * instead of being buffered whole.
 */
#include "core/csv_rows.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <csv.h>

#include "core/file.h"
#include "dsim/error.h"

typedef struct {
    const char *path;
    dsim__csv_row_fn row;
    void *data;
    char *buf;        /* the current row's fields, each NUL-terminated */
    size_t used, cap;
    char *field[DSIM__CSV_MAX_FIELDS];
    size_t offset[DSIM__CSV_MAX_FIELDS];
    int n_fields;
    size_t rows; /* rows completed, the header included */
    int rc;
} reader;

static void on_field(void *text, size_t len, void *data)
{
    reader *r = data;
    if (r->rc)
        return;
    if (r->n_fields == DSIM__CSV_MAX_FIELDS) {
        r->rc = dsim_error_set(DSIM_ECONFIG, "%s: row %zu: more than %d columns", r->path, r->rows + 1,
                               DSIM__CSV_MAX_FIELDS);
        return;
    }
    const char *s = text;
    while (len && isspace((unsigned char)*s))
        s++, len--;
    while (len && isspace((unsigned char)s[len - 1]))
        len--;
    if (r->used + len + 1 > r->cap) {
        size_t cap = 2 * (r->used + len + 1);
        char *buf = realloc(r->buf, cap);
        if (!buf) {
            r->rc = dsim_error_set(DSIM_ENOMEM, "out of memory reading %s", r->path);
            return;
        }
        r->buf = buf;
        r->cap = cap;
    }
    memcpy(r->buf + r->used, s, len);
    r->buf[r->used + len] = '\0';
    r->offset[r->n_fields++] = r->used;
    r->used += len + 1;
}

static void on_row(int terminator, void *data)
{
    (void)terminator;
    reader *r = data;
    r->rows++;
    if (!r->rc) {
        for (int i = 0; i < r->n_fields; i++)
            r->field[i] = r->buf + r->offset[i];
        r->rc = r->row(r->field, r->n_fields, r->rows, r->data);
    }
    r->n_fields = 0;
    r->used = 0;
}

int dsim__csv_each(const char *path, dsim__csv_row_fn row, void *data)
{
    int rc = dsim__check_regular(path, "a CSV file", DSIM_ECONFIG);
    if (rc)
        return rc;
    FILE *f = fopen(path, "rb");
    if (!f)
        return dsim_error_set(DSIM_ECONFIG, "%s: cannot open: %s", path, strerror(errno));
    struct csv_parser parser;
    reader r = {.path = path, .row = row, .data = data};
    if (csv_init(&parser, 0) != 0) {
        fclose(f);
        return dsim_error_set(DSIM_ENOMEM, "out of memory reading %s", path);
    }
    char chunk[65536];
    size_t n, line = 0; /* bytes of the line in progress */
    bool first = true;
    while (!r.rc && (n = fread(chunk, 1, sizeof chunk, f)) > 0) {
        char *at = chunk;
        /* A UTF-8 byte-order mark (spreadsheets write one) is not part of the first column's name. */
        if (first && n >= 3 && memcmp(chunk, "\xEF\xBB\xBF", 3) == 0)
            at += 3, n -= 3;
        first = false;
        for (size_t i = 0; i < n; i++)
            line = at[i] == '\n' ? 0 : line + 1;
        if (line > DSIM__CSV_MAX_LINE) {
            r.rc = dsim_error_set(DSIM_ECONFIG, "%s: row %zu: a line longer than %d bytes (is this a CSV file?)", path,
                                  r.rows + 1, DSIM__CSV_MAX_LINE);
            break;
        }
        if (csv_parse(&parser, at, n, on_field, on_row, &r) != n && !r.rc)
            r.rc = dsim_error_set(DSIM_ECONFIG, "%s: row %zu: %s", path, r.rows + 1, csv_strerror(csv_error(&parser)));
    }
    if (!r.rc && ferror(f))
        r.rc = dsim_error_set(DSIM_ECONFIG, "%s: read error: %s", path, strerror(errno));
    if (!r.rc)
        csv_fini(&parser, on_field, on_row, &r);
    if (!r.rc && r.rows == 0)
        r.rc = dsim_error_set(DSIM_ECONFIG, "%s: empty; expected a header row and data rows", path);
    csv_free(&parser);
    free(r.buf);
    fclose(f);
    return r.rc;
}

int dsim__csv_header_check(const char *path, char **fields, int n)
{
    for (int i = 0; i < n; i++)
        for (int j = 0; j < i; j++)
            if (fields[i][0] && strcmp(fields[i], fields[j]) == 0)
                return dsim_error_set(DSIM_ECONFIG, "%s: row 1, column %d: `%s` appears twice (first in column %d)",
                                      path, i + 1, fields[i], j + 1);
    return DSIM_OK;
}

int dsim__csv_column(char **fields, int n, const char *name)
{
    for (int i = 0; i < n; i++)
        if (strcmp(fields[i], name) == 0)
            return i;
    return -1;
}

int dsim__csv_bad_width(const char *path, size_t row, int n, int width)
{
    return dsim_error_set(DSIM_ECONFIG, "%s: row %zu: %d columns; the header has %d", path, row, n, width);
}

int dsim__csv_bad_value(const char *path, size_t row, const char *column, const char *value, const char *why)
{
    return dsim_error_set(DSIM_ECONFIG, "%s: row %zu, column %s: '%s' %s", path, row, column, value, why);
}

int dsim__csv_missing_column(const char *path, const char *name, const char *needs)
{
    return dsim_error_set(DSIM_ECONFIG, "%s: row 1: no column `%s` (%s)", path, name, needs);
}
