/*
 * vectors_file.c — embedding vectors from outside dsim: a NumPy .npy array or a CSV file with an id column
 * (read row by row by core/csv_rows.c), checked against the scenario.
 *
 * The .npy format (NumPy's format.py): the magic "\x93NUMPY", a version byte pair, the header's length
 * (2 bytes little-endian in version 1, 4 in versions 2 and 3), then the header, a Python dict literal with
 * 'descr', 'fortran_order' and 'shape', then the raw data. Only the three keys are read.
 */
#include "rank/vectors_file.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/csv_rows.h"
#include "core/file.h"
#include "core/text.h"
#include "dsim/error.h"

#define NPY_MAX_HEADER (1 << 20)

/* The file's path: as given when absolute (or when the scenario has no file), else next to the scenario. */
static void resolve(const dsim_scenario *sc, const char *path, char *out, size_t n)
{
    const char *slash = strrchr(sc->path, '/');
    if (path[0] == '/' || !sc->path[0] || !slash)
        snprintf(out, n, "%s", path);
    else
        snprintf(out, n, "%.*s/%s", (int)(slash - sc->path), sc->path, path);
}

/* ---- .npy ---------------------------------------------------------------------------------------------- */

/* The value of 'key' in the header dict: a pointer just past "'key':" and its blanks, or NULL. */
static const char *npy_value(const char *header, const char *key)
{
    char quoted[32];
    snprintf(quoted, sizeof quoted, "'%s'", key);
    const char *p = strstr(header, quoted);
    if (!p)
        return NULL;
    p += strlen(quoted);
    while (isspace((unsigned char)*p))
        p++;
    if (*p++ != ':')
        return NULL;
    while (isspace((unsigned char)*p))
        p++;
    return p;
}

typedef struct {
    char descr[16];
    bool fortran_order;
    int n_dims;
    unsigned long long shape[8];
} npy_header;

static int npy_parse_header(const char *file, const char *text, npy_header *h)
{
    const char *p = npy_value(text, "descr");
    if (!p || (*p != '\'' && *p != '"'))
        return dsim_error_set(DSIM_ECONFIG, "%s: .npy header has no 'descr' (the data type)", file);
    const char *end = strchr(p + 1, *p);
    if (!end || end - p - 1 >= (long)sizeof h->descr)
        return dsim_error_set(DSIM_ECONFIG, "%s: .npy header has a malformed 'descr'", file);
    snprintf(h->descr, sizeof h->descr, "%.*s", (int)(end - p - 1), p + 1);

    p = npy_value(text, "fortran_order");
    if (!p || (strncmp(p, "True", 4) != 0 && strncmp(p, "False", 5) != 0))
        return dsim_error_set(DSIM_ECONFIG, "%s: .npy header has no 'fortran_order' of True or False", file);
    h->fortran_order = p[0] == 'T';

    p = npy_value(text, "shape");
    if (!p || *p != '(')
        return dsim_error_set(DSIM_ECONFIG, "%s: .npy header has no 'shape' tuple", file);
    h->n_dims = 0;
    for (p++;;) {
        while (isspace((unsigned char)*p) || *p == ',')
            p++;
        if (*p == ')')
            break;
        char *after;
        errno = 0;
        unsigned long long v = strtoull(p, &after, 10);
        if (after == p || errno || h->n_dims == 8)
            return dsim_error_set(DSIM_ECONFIG, "%s: .npy header has a malformed 'shape'", file);
        h->shape[h->n_dims++] = v;
        p = after;
    }
    return DSIM_OK;
}

static int npy_read(const char *file, FILE *f, const char *what, uint32_t rows, int d, float *out)
{
    unsigned char lead[8], length[4] = {0};
    size_t got = fread(lead, 1, sizeof lead, f);
    if (got >= 6 && memcmp(lead, "\x93NUMPY", 6) != 0)
        return dsim_error_set(DSIM_ECONFIG, "%s: not a .npy file (it does not start with \\x93NUMPY)", file);
    if (got < 8)
        return dsim_error_set(DSIM_ECONFIG, "%s: truncated .npy header (%zu bytes)", file, got);
    int major = lead[6], len_bytes = major == 1 ? 2 : 4;
    if (major < 1 || major > 3)
        return dsim_error_set(DSIM_ECONFIG, "%s: .npy format version %d.%d; expected 1.0, 2.0 or 3.0", file, major,
                              lead[7]);
    /* The header's length, little-endian: 2 bytes in version 1.0, 4 in 2.0 (headers over 65,535 bytes) and 3.0
       (the same with a UTF-8 header). */
    if (fread(length, 1, (size_t)len_bytes, f) != (size_t)len_bytes)
        return dsim_error_set(DSIM_ECONFIG, "%s: truncated .npy header (no header length)", file);
    size_t header_len = length[0] | (size_t)length[1] << 8 | (size_t)length[2] << 16 | (size_t)length[3] << 24;
    if (header_len > NPY_MAX_HEADER)
        return dsim_error_set(DSIM_ECONFIG, "%s: .npy header of %zu bytes; at most %d expected", file, header_len,
                              NPY_MAX_HEADER);
    char *text = malloc(header_len + 1);
    if (!text)
        return dsim_error_set(DSIM_ENOMEM, "out of memory reading %s", file);
    got = fread(text, 1, header_len, f);
    text[got] = '\0';
    npy_header h;
    int rc = got < header_len ? dsim_error_set(DSIM_ECONFIG, "%s: truncated .npy header (%zu of its %zu bytes)", file,
                                               got, header_len)
                              : npy_parse_header(file, text, &h);
    free(text);
    if (rc)
        return rc;

    size_t size = strcmp(h.descr, "<f4") == 0 || strcmp(h.descr, "=f4") == 0   ? 4
                  : strcmp(h.descr, "<f8") == 0 || strcmp(h.descr, "=f8") == 0 ? 8
                                                                               : 0;
    if (!size)
        return dsim_error_set(DSIM_ECONFIG, "%s: data type '%s'; expected little-endian float32 or float64 ('<f4' "
                              "or '<f8')",
                              file, h.descr);
    if (h.n_dims != 2)
        return dsim_error_set(DSIM_ECONFIG, "%s: a %d-D array; expected 2-D (one row per %s, one column per "
                              "dimension)",
                              file, h.n_dims, what);
    if (h.shape[0] != rows)
        return dsim_error_set(DSIM_ECONFIG, "%s: %llu rows; expected %u, one per %s", file, h.shape[0], rows, what);
    if (h.shape[1] != (unsigned long long)d)
        return dsim_error_set(DSIM_ECONFIG, "%s: %llu columns; the scenario's embedding_dim is %d", file,
                              h.shape[1], d);

    size_t n = (size_t)rows * (size_t)d;
    unsigned char *data = malloc(n * size);
    if (!data)
        return dsim_error_set(DSIM_ENOMEM, "out of memory reading %s", file);
    got = fread(data, size, n, f);
    if (got < n) {
        free(data);
        return dsim_error_set(DSIM_ECONFIG, "%s: truncated data: %zu of %zu values", file, got, n);
    }
    for (size_t e = 0; e < n && !rc; e++) {
        size_t row = h.fortran_order ? e % rows : e / (size_t)d, col = h.fortran_order ? e / rows : e % (size_t)d;
        double v;
        if (size == 4) {
            float x;
            memcpy(&x, data + e * 4, 4);
            v = x;
        } else {
            memcpy(&v, data + e * 8, 8);
        }
        if (!isfinite((float)v))
            rc = dsim_error_set(DSIM_ECONFIG, "%s: element [%zu, %zu] (%s %zu): %g is not a finite float", file, row,
                                col, what, row, v);
        else if (out)
            out[row * (size_t)d + col] = (float)v;
    }
    free(data);
    return rc;
}

/* ---- CSV ----------------------------------------------------------------------------------------------- */

typedef struct {
    const char *file, *what;
    uint32_t rows;
    int d;
    float *out;
    float *values; /* (d,) of the current row */
    size_t *seen;  /* (rows,) the file row that gave each id, 0 for none yet */
    size_t data_rows;
} csv_state;

/* One row of the CSV (core/csv_rows.c): the header, then an id and d numbers. */
static int csv_row(char **fields, int n, size_t row, void *data)
{
    csv_state *st = data;
    if (row == 1 && n > 0 && strcmp(fields[0], "id") != 0)
        return dsim_error_set(DSIM_ECONFIG, "%s: row 1, column 1: expected the header `id`, got '%s' (the first row "
                              "names the columns: id, then one per dimension)",
                              st->file, fields[0]);
    if (n != st->d + 1)
        return dsim_error_set(DSIM_ECONFIG, "%s: row %zu: %d columns; expected %d (id, then one per dimension: the "
                              "scenario's embedding_dim is %d)",
                              st->file, row, n, st->d + 1, st->d);
    if (row == 1)
        return DSIM_OK;
    char *end;
    errno = 0;
    long id = strtol(fields[0], &end, 10);
    if (end == fields[0] || *end || errno || id < 0 || id >= (long)st->rows)
        return dsim_error_set(DSIM_ECONFIG, "%s: row %zu: id '%s' names no %s of the scenario (expected 0..%u)",
                              st->file, row, fields[0], st->what, st->rows - 1);
    if (st->seen[id])
        return dsim_error_set(DSIM_ECONFIG, "%s: row %zu: id %ld appears twice (first on row %zu)", st->file, row, id,
                              st->seen[id]);
    for (int c = 1; c <= st->d; c++) {
        double v = strtod(fields[c], &end);
        if (end == fields[c] || *end)
            return dsim_error_set(DSIM_ECONFIG, "%s: row %zu, column %d: expected a number, got '%s'", st->file, row,
                                  c + 1, fields[c]);
        if (!isfinite((float)v))
            return dsim_error_set(DSIM_ECONFIG, "%s: row %zu (%s %ld), column %d: %s is not a finite float", st->file,
                                  row, st->what, id, c + 1, fields[c]);
        st->values[c - 1] = (float)v;
    }
    st->seen[id] = row;
    st->data_rows++;
    if (st->out)
        memcpy(st->out + (size_t)id * (size_t)st->d, st->values, sizeof(float) * (size_t)st->d);
    return DSIM_OK;
}

static int csv_read(const char *file, const char *what, uint32_t rows, int d, float *out)
{
    csv_state st = {.file = file, .what = what, .rows = rows, .d = d, .out = out};
    st.values = malloc(sizeof(float) * (size_t)d);
    st.seen = calloc(rows, sizeof(size_t));
    int rc = st.values && st.seen ? dsim__csv_each(file, csv_row, &st)
                                  : dsim_error_set(DSIM_ENOMEM, "out of memory reading %s", file);
    for (uint32_t i = 0; i < rows && !rc; i++)
        if (!st.seen[i])
            rc = dsim_error_set(DSIM_ECONFIG, "%s: no row for %s %u (every %s needs a vector; %zu rows read)", file,
                                what, i, what, st.data_rows);
    free(st.values);
    free(st.seen);
    return rc;
}

int dsim__vectors_read(const dsim_scenario *sc, const char *path, const char *what, uint32_t rows, float *out)
{
    char file[2 * DSIM_PATH_MAX];
    resolve(sc, path, file, sizeof file);
    char kind[64];
    snprintf(kind, sizeof kind, "the %s embeddings", what);
    int rc = dsim__check_regular(file, kind, DSIM_ECONFIG);
    if (rc)
        return rc;
    FILE *f = fopen(file, "rb");
    if (!f)
        return dsim_error_set(DSIM_ECONFIG, "%s: cannot open the %s embeddings: %s", file, what, strerror(errno));
    int d = sc->catalog.embedding_dim;
    if (!dsim__ends_with(file, ".npy")) {
        fclose(f);
        return csv_read(file, what, rows, d, out);
    }
    rc = npy_read(file, f, what, rows, d, out);
    fclose(f);
    return rc;
}
