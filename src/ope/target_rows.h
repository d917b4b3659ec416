/*
 * target_rows.h — a target policy given row by row: for each logged row, the probability of each action
 * (a model scored outside dsim), read from a CSV file into a spill file and read back a chunk at a time.
 */
#ifndef DSIM_OPE_TARGET_ROWS_H
#define DSIM_OPE_TARGET_ROWS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct dsim__row_target dsim__row_target;

/**
 * Read a per-row target: a header with `row` (the logged row's number, from 0, in the log's order) or
 * `visit` (the log's visit id: dsim's logs and CSV logs with a visit column), and
 * either `action` and `probability` (long: a line per row and action, absent actions 0) or `pi_0` …
 * `pi_K` (wide: a line per row). The log has n_rows rows and n_actions actions.
 * @return 0, or DSIM_ECONFIG naming the file, row and column, DSIM_EIO or DSIM_ENOMEM.
 */
int dsim__row_target_read(dsim__row_target **out, const char *path, size_t n_rows, int n_actions);

/** @return true if the CSV file at `path` is a per-row target (its header names a `row` or `visit` column). */
int dsim__is_row_target(const char *path);

/** π(· | the row) into pi (n_actions entries): looked up by the row's number, or by its visit id (`visit`,
 *  NULL when the log has none) for a file keyed by `visit`. @return 0, or DSIM_ECONFIG when the file gives
 *  the row no probabilities or they do not sum to 1, DSIM_EIO. */
int dsim__row_target_probabilities(dsim__row_target *t, size_t row, const uint64_t *visit, double *pi, int n_actions);

/** @return true when the file names rows by visit id. */
bool dsim__row_target_by_visit(const dsim__row_target *t);

void dsim__row_target_free(dsim__row_target *t);

#endif
