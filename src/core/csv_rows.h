/*
 * csv_rows.h — reading a CSV file row by row (libcsv underneath), fields trimmed and NUL-terminated.
 */
#ifndef DSIM_CORE_CSV_ROWS_H
#define DSIM_CORE_CSV_ROWS_H

#include <stddef.h>

#define DSIM__CSV_MAX_FIELDS 1024
#define DSIM__CSV_MAX_LINE (1 << 20) /* bytes: a longer line is an error, never buffered whole */

/** Called for every row, the header included (row 1); a non-zero return stops the read and is returned. */
typedef int (*dsim__csv_row_fn)(char **fields, int n_fields, size_t row, void *data);

/** @return 0, what `row` returned, or DSIM_ECONFIG ("FILE: row R: ...") / DSIM_ENOMEM. */
int dsim__csv_each(const char *path, dsim__csv_row_fn row, void *data);

/*
 * The errors every reader of a CSV file with a header gives in the same words: the row (the header is row 1)
 * and the column by its name, what was found and what was expected.
 */

/** Refuse a header that names a column twice (one would be read as the other). @return 0 or DSIM_ECONFIG. */
int dsim__csv_header_check(const char *path, char **fields, int n);
/** The index of column `name` in the header, or −1. */
int dsim__csv_column(char **fields, int n, const char *name);
/** "FILE: row 1: no column `NAME` (NEEDS)". @return DSIM_ECONFIG. */
int dsim__csv_missing_column(const char *path, const char *name, const char *needs);
/** "FILE: row R: N columns; the header has W". @return DSIM_ECONFIG. */
int dsim__csv_bad_width(const char *path, size_t row, int n, int width);
/** "FILE: row R, column NAME: 'VALUE' WHY". @return DSIM_ECONFIG. */
int dsim__csv_bad_value(const char *path, size_t row, const char *column, const char *value, const char *why);

#endif
