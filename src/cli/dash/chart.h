/*
 * chart.h — a line chart laid out as a grid of characters, independent of the terminal: axis scale, tick
 * labels, one mark per series and column. The dashboard draws the grid; tests check it.
 */
#ifndef DSIM_DASH_CHART_H
#define DSIM_DASH_CHART_H

#include <stddef.h>

#define DASH_CHART_MAX_SERIES 8
#define DASH_CHART_LABEL 9 /* columns of the y-axis labels */

typedef struct {
    int width, height;     /* the whole chart, labels included */
    double y_min, y_max;   /* the axis range, rounded outward to nice numbers */
    double x_max;          /* the last x value */
    char *cell;            /* (height, width) characters: ' ', axes '|' '-' '+', digits, series marks */
    signed char *series;   /* (height, width) which series drew each cell, −1 for none */
} dash_chart;

/**
 * Lay out n_series series of n_points y values each (x = 0 … x_max, evenly spaced) in a width × height
 * grid: the y axis with min, middle and max labels at the left, the x axis at the bottom with 0 and x_max,
 * and series s drawn with marks[s] (the highest series wins a shared cell).
 * @return 0, or −1 when the grid is too small (width < 20 or height < 5) or out of memory.
 */
int dash_chart_layout(dash_chart *c, int width, int height, const double *const *y, int n_series, size_t n_points,
                      double x_max, const char *marks);
void dash_chart_free(dash_chart *c);

/** A short label for a value: 3 significant digits, with k / M for thousands and millions. */
void dash_format_value(double v, char *out, size_t n);

#endif
