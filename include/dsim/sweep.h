/*
 * dsim/sweep.h — a scenario sweep: a base scenario, axes that override scenario keys with lists or ranges of
 * values, policies and seeds. The cells are the product of the axes; each cell × policy × seed is one run.
 *
 *   [sweep]
 *   scenario = default                 ; a scenario file or NAME
 *   policies = none, fixed10, thompson ; policy files or NAMEs
 *   seeds = 5
 *   visits = 50000                     ; per run; 0: the scenario's horizon
 *   [axes]
 *   segment.bargain.elasticity_mean = 1.5:4.5:0.5   ; SECTION.KEY = list or FROM:TO:STEP
 *   catalog.items = 1000, 10000
 *
 * An axis names a scenario key as SECTION.KEY ([segment.NAME] and [shock.NAME] sections as segment.NAME.KEY);
 * the last axis varies fastest.
 */
#ifndef DSIM_SWEEP_H
#define DSIM_SWEEP_H

#include <stddef.h>
#include <stdint.h>

#include "dsim/scenario.h"

#define DSIM_SWEEP_MAX_AXES 8
#define DSIM_SWEEP_MAX_VALUES 256
#define DSIM_SWEEP_MAX_POLICIES 32

typedef struct {
    char section[DSIM_NAME_MAX * 2]; /* "segment.bargain" */
    char key[DSIM_NAME_MAX];         /* "elasticity_mean" */
    int line;                        /* in the sweep file */
    int n_values;
    double values[DSIM_SWEEP_MAX_VALUES];
} dsim_sweep_axis;

typedef struct {
    char path[DSIM_PATH_MAX];
    char scenario[DSIM_PATH_MAX]; /* as written: a file or a NAME */
    char policies[DSIM_SWEEP_MAX_POLICIES][DSIM_PATH_MAX];
    int n_policies;
    int seeds;
    uint64_t visits;
    dsim_sweep_axis axes[DSIM_SWEEP_MAX_AXES];
    int n_axes;
    size_t n_cells; /* product of the axes' lengths (1 without axes) */
} dsim_sweep;

/**
 * Read a sweep file. Names of scenarios and policies are kept as written (the caller finds the files).
 * @return 0, DSIM_EIO, or DSIM_ECONFIG with "FILE:LINE: ..." (unknown section or key, empty or malformed
 *         range, no policies, too many values).
 */
int dsim_sweep_load(dsim_sweep *out, const char *path);

/** The axes' values of cell `cell` (0 … n_cells − 1), last axis fastest. @param values (n_axes,) out */
void dsim_sweep_cell_values(const dsim_sweep *sw, size_t cell, double *values);

/**
 * The scenario of one cell: the base scenario's text with every axis key set to the cell's value, parsed
 * and checked. An axis naming an unknown key, or a value out of its range, is reported against the sweep
 * file's line. @param base_text the base scenario file's text @param out a new scenario (caller frees)
 * @return 0 or DSIM_ECONFIG.
 */
int dsim_sweep_cell_scenario(const dsim_sweep *sw, const char *base_text, size_t cell, dsim_scenario **out);

/** Check every cell's scenario (as dsim_sweep_cell_scenario), so a bad axis stops the sweep before any run. */
int dsim_sweep_check(const dsim_sweep *sw, const char *base_text);

#endif
