/*
 * report_impl.h — shared by the chart builders of src/report: stored runs grouped by policy and seed.
 */
#ifndef DSIM_REPORT_IMPL_H
#define DSIM_REPORT_IMPL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dsim/chart.h"
#include "dsim/store.h"

/** One stored run: its row (texts and level counts) and, when loaded, its checkpoints. */
typedef struct {
    dsim_run_row row;
    size_t n, cap;
    uint64_t *visit;  /* (n,) */
    double *values;   /* (n, dsim_metrics_n_defs) */
} dsim__chart_run;

typedef struct {
    char name[DSIM_NAME_MAX];
    dsim__chart_run *runs;
    size_t n_runs;
} dsim__chart_policy;

/** Runs grouped by policy name, in the order first met; one scenario and objective. */
typedef struct {
    char scenario[DSIM_NAME_MAX], objective[16];
    int n_policies;
    dsim__chart_policy policy[DSIM_CHART_MAX_SERIES];
} dsim__chart_runs;

/** Load runs `ids` (finished, one scenario, one run per policy and seed), with their checkpoints when
 *  `series`. Cleared on failure. */
int dsim__chart_runs_load(dsim_store *st, const int64_t *ids, size_t n, bool series, dsim__chart_runs *g);
void dsim__chart_runs_clear(dsim__chart_runs *g);

/** The index of a metric in dsim_metrics_defs, or -1. */
int dsim__metric_index(const char *name);

/** "profit" → noun "profit", unit "currency"; "conversions" → "purchases", "count". */
void dsim__chart_objective_words(const char *objective, char *noun, size_t n, const char **unit);

/** The levels and segments kinds (level_chart.c). */
int dsim__chart_levels(dsim_store *st, const int64_t *ids, size_t n, bool by_segment, dsim_figure *out);

#endif
