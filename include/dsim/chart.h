/*
 * dsim/chart.h — charts of stored results: what a chart shows (lines with seed bands, bars, interval bars, a
 * heatmap, a forest of intervals), built from the result database, drawn with PLplot as SVG, PNG or PDF, or
 * written as the CSV of the plotted numbers.
 *
 * Building and drawing are apart: the builders (chart_data.c, level_chart.c, sweep_chart.c, ope_chart.c,
 * bandit_chart.c) compute every plotted number, so tests check the numbers and the drawings' text without
 * looking at pixels; chart_draw.c turns any figure into a file.
 */
#ifndef DSIM_CHART_H
#define DSIM_CHART_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dsim/store.h"
#include "dsim/sweep.h"

#define DSIM_CHART_MAX_SERIES 32
#define DSIM_CHART_MAX_PANELS 12
#define DSIM_CHART_LABEL_MAX 96

typedef enum {
    DSIM_CHART_LINES,        /* each series a line over x, with its band lo..hi when given */
    DSIM_CHART_POINTS,       /* each series points over x with interval bars lo..hi, joined by a thin line */
    DSIM_CHART_STACKED_BARS, /* a bar per category, stacked by series: series s's part of bar i is y[i] */
    DSIM_CHART_GROUPED_BARS, /* a group per category, one bar per series (y[i], interval lo..hi when given) */
    DSIM_CHART_HEATMAP,      /* a grid: series[0].y[row · n_categories + col], its colour series[0].color_of */
    DSIM_CHART_FOREST,       /* a row per category: series[0].y with interval lo..hi, .mark a second marker */
} dsim_chart_style;

/** One series: a policy's line, a level's stack, a forest's estimates. Arrays owned, NULL when not used. */
typedef struct {
    char name[DSIM_CHART_LABEL_MAX];
    int color;      /* palette index (dsim_chart_palette): a policy keeps its colour in every chart of a report */
    bool dashed;    /* a reference, not a result (the Lai–Robbins line) */
    bool no_legend; /* the zero line of the baseline in a Δ chart is drawn but not listed twice */
    size_t n;
    double *x, *y;
    double *lo, *hi; /* band or interval; NAN where there is none (one seed) */
    double *mark;    /* forest: the truth per row (NAN: unknown); heatmap: 1 where the best is significant */
    double *mark2;   /* forest, or NULL: a second truth per row (NAN: unknown), drawn as ○ */
    int *color_of;   /* heatmap and forest: the palette index of each point */
    char (*text)[DSIM_CHART_LABEL_MAX]; /* heatmap: each cell's text */
} dsim_chart_series;

/** One plot: its style, words and series. */
typedef struct {
    dsim_chart_style style;
    char title[160];
    char subtitle[240]; /* what the band or the bars mean, the seeds */
    char x_label[DSIM_CHART_LABEL_MAX], y_label[DSIM_CHART_LABEL_MAX];
    bool log_x;
    bool zero_line;
    double ref_x;                          /* NAN: none; else a vertical dashed line (forest: the logging policy) */
    int n_series;
    dsim_chart_series series[DSIM_CHART_MAX_SERIES];
    int n_categories;                          /* bars and forest rows; heatmap columns */
    char (*categories)[DSIM_CHART_LABEL_MAX];  /* owned */
    int n_rows;                                /* heatmap rows */
    char (*row_labels)[DSIM_CHART_LABEL_MAX];  /* owned */
    char legend_title[DSIM_CHART_LABEL_MAX];
} dsim_chart;

/** What one image shows: one or more panels, laid out in `columns` columns. */
typedef struct {
    char title[160]; /* above the panels when there are several */
    int n_panels;
    int columns;
    dsim_chart panel[DSIM_CHART_MAX_PANELS];
} dsim_figure;

/** Free every array of the figure's panels and zero it. */
void dsim_figure_clear(dsim_figure *f);

/** Add a series of `n` points to `chart` (x, y allocated; lo, hi too when `band`) into `out`.
 *  @return 0, DSIM_EINVAL (too many series) or DSIM_ENOMEM. */
int dsim_chart_add_series(dsim_chart *chart, const char *name, int color, size_t n, bool band,
                          dsim_chart_series **out);

/** The palette: colour-blind-safe (Okabe & Ito 2008) for index ≥ 0, as 0xRRGGBB; a negative index (from
 *  dsim_chart_ramp) is a point on a light-to-dark ramp for ordered things (discount levels). */
unsigned dsim_chart_palette(int index);
/** The palette index of point t ∈ [0, 1] of the ramp (0: grey, nothing given). */
int dsim_chart_ramp(double t);

/* ---- charts of runs ------------------------------------------------------------------------------------- */

typedef enum {
    DSIM_PLOT_DELTA,      /* cumulative objective minus the first policy's, paired on seeds, with a 95 % band */
    DSIM_PLOT_CUMULATIVE, /* cumulative objective, with a 95 % band across seeds */
    DSIM_PLOT_CONVERSION, /* purchases per visit between checkpoints */
    DSIM_PLOT_REGRET,     /* cumulative myopic regret */
    DSIM_PLOT_LEVELS,     /* the share of decisions at each discount level, per policy */
    DSIM_PLOT_SEGMENTS,   /* the same per (hidden) segment, and profit per segment */
} dsim_plot_kind;

/** @return the kind's name ("delta"), or NULL. */
const char *dsim_plot_kind_name(dsim_plot_kind kind);

/**
 * The runs `ids` grouped by policy name (in the order first met: the first is the baseline of Δ) and paired by
 * seed. A policy's colour is its group's index. Every run must exist and be finished; over-time kinds need
 * the same checkpoints in every run. @return 0, DSIM_ENOTFOUND or DSIM_EINVAL (said), DSIM_ENOMEM, DSIM_ESTORE.
 */
int dsim_chart_from_runs(dsim_store *st, const int64_t *ids, size_t n, dsim_plot_kind kind, dsim_figure *out);

/**
 * A stored sweep's figure: one axis: each policy's paired Δ of the objective to the first (or, with one policy,
 * its objective) against the axis value, with 95 % interval bars; two axes: a heatmap of the best policy's
 * margin over the runner-up, marked where the best is significant. `names` are the policies' names.
 */
int dsim_chart_from_sweep(dsim_store *st, const dsim_sweep *sw, const char *const *names, int64_t sweep_id,
                          dsim_figure *out);

/** Evaluation `evaluation` of `dsim ope` as a forest: every target × estimator with its 95 % interval, the
 *  truth where known, and the logging policy's value. @return 0, DSIM_ENOTFOUND (said), DSIM_ESTORE… */
int dsim_chart_from_ope(dsim_store *st, int64_t evaluation, dsim_figure *out);

/**
 * Regret against rounds on a log axis, per policy (mean and 95 % band across seeds), from the CSV
 * `dsim bandit --csv` writes (policy,seed,round,regret); with `lai_robbins` > 0, the line C · ln t.
 * @return 0, DSIM_EIO or DSIM_ECONFIG ("FILE:LINE: ...").
 */
int dsim_chart_from_bandit_csv(const char *path, double lai_robbins, dsim_figure *out);

/* ---- drawing -------------------------------------------------------------------------------------------- */

/** One page of a document: a figure, or monospaced text (a PDF report's table pages). */
typedef struct {
    const dsim_figure *figure; /* NULL: a text page */
    const char *text;
} dsim_chart_page;

/**
 * Draw `n` pages into `path`, its kind from its ending: .svg (text kept as text), .png, .pdf (one page each),
 * or .csv (the plotted numbers of the first page's figure: panel, series, x, y, lo, hi). SVG and PNG take one
 * page. `width` × `height` in pixels (points for PDF); 0: 800 × 500 per panel row. Written to a temporary file
 * beside `path` and renamed, so a failure leaves nothing. @return 0, DSIM_EINVAL (kind) or DSIM_EIO.
 */
int dsim_chart_write(const dsim_chart_page *pages, int n, const char *path, int width, int height);

/** The same as SVG text in memory (the report's inline charts). @param svg out: owned by the caller (free). */
int dsim_chart_svg(const dsim_figure *f, int width, int height, char **svg);

/** @return true when `path` ends with a kind dsim_chart_write() knows (.svg, .png, .pdf, .csv). */
bool dsim_chart_path_ok(const char *path);

#endif
