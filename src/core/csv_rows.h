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

#endif
