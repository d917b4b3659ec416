/*
 * vectors_file.h — embedding vectors read from a .npy or CSV file (the `file` embedding source).
 */
#ifndef DSIM_RANK_VECTORS_FILE_H
#define DSIM_RANK_VECTORS_FILE_H

#include <stdint.h>

#include "dsim/scenario.h"

/**
 * Read one vector per item (or shopper) from `path`, relative to the scenario's folder: a .npy file (by
 * its extension: 2-D, float32 or float64, little-endian, one row per item in order, C or Fortran order)
 * or else a CSV file with a header whose first column is `id` (the item's or shopper's index) and then
 * one column per dimension. The dimension must be the scenario's embedding_dim, every value finite, every
 * index present exactly once.
 * @param what  "item" or "shopper", for messages
 * @param out   (rows, d) row-major, or NULL to check the file only
 * @return 0 or DSIM_ECONFIG ("FILE: row R, column C: ..." where it applies; a missing file too).
 */
int dsim__vectors_read(const dsim_scenario *sc, const char *path, const char *what, uint32_t rows, float *out);

#endif
