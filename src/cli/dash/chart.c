/*
 * chart.c — line charts as character grids (chart.h): nice axis ranges, tick labels, and each series
 * sampled at one point per column.
 */
#include "cli/dash/chart.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void dash_format_value(double v, char *out, size_t n)
{
    double a = fabs(v);
    if (a >= 1e6)
        snprintf(out, n, "%.3gM", v / 1e6);
    else if (a >= 1e4)
        snprintf(out, n, "%.3gk", v / 1e3);
    else
        snprintf(out, n, "%.4g", v);
}

/* A step of 1, 2 or 5 × 10^k at least span / intervals. */
static double nice_step(double span, int intervals)
{
    double raw = span / intervals, p = pow(10, floor(log10(raw))), f = raw / p;
    return (f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10) * p;
}

int dash_chart_layout(dash_chart *c, int width, int height, const double *const *y, int n_series, size_t n_points,
                      double x_max, const char *marks)
{
    memset(c, 0, sizeof *c);
    if (width < 20 || height < 5 || n_series > DASH_CHART_MAX_SERIES)
        return -1;
    c->width = width;
    c->height = height;
    c->x_max = x_max;
    c->cell = malloc((size_t)width * (size_t)height);
    c->series = malloc((size_t)width * (size_t)height);
    if (!c->cell || !c->series) {
        dash_chart_free(c);
        return -1;
    }
    memset(c->cell, ' ', (size_t)width * (size_t)height);
    memset(c->series, -1, (size_t)width * (size_t)height);

    double lo = INFINITY, hi = -INFINITY;
    for (int s = 0; s < n_series; s++)
        for (size_t i = 0; i < n_points; i++)
            if (isfinite(y[s][i])) {
                lo = fmin(lo, y[s][i]);
                hi = fmax(hi, y[s][i]);
            }
    if (!isfinite(lo))
        lo = 0, hi = 1;
    if (hi - lo < 1e-12 * fmax(1.0, fabs(hi)))
        lo -= 0.5, hi += 0.5;
    double step = nice_step(hi - lo, 4);
    c->y_min = floor(lo / step) * step;
    c->y_max = ceil(hi / step) * step;

    int plot_w = width - DASH_CHART_LABEL - 1, plot_h = height - 2; /* rows 0 … h−3: plot; h−2: axis; h−1: x labels */
    int axis_row = height - 2, axis_col = DASH_CHART_LABEL;
    for (int r = 0; r < axis_row; r++)
        c->cell[r * width + axis_col] = '|';
    for (int col = axis_col; col < width; col++)
        c->cell[axis_row * width + col] = '-';
    c->cell[axis_row * width + axis_col] = '+';
    /* y labels: max at the top, middle, min at the bottom of the plot */
    const int label_rows[3] = {0, (plot_h - 1) / 2, plot_h - 1};
    for (int k = 0; k < 3; k++) {
        double v = c->y_max - (c->y_max - c->y_min) * label_rows[k] / (double)(plot_h - 1);
        char label[32];
        dash_format_value(v, label, sizeof label);
        int len = (int)strlen(label);
        if (len > DASH_CHART_LABEL - 1)
            len = DASH_CHART_LABEL - 1;
        memcpy(c->cell + label_rows[k] * width + (DASH_CHART_LABEL - 1 - len), label, (size_t)len);
    }
    /* x labels */
    char label[32];
    c->cell[(height - 1) * width + axis_col] = '0';
    dash_format_value(x_max, label, sizeof label);
    int len = (int)strlen(label);
    if (len < plot_w)
        memcpy(c->cell + (height - 1) * width + width - len, label, (size_t)len);
    /* series: column j shows the point at x = j / (plot_w − 1) of the way */
    for (int s = 0; s < n_series && n_points > 0; s++)
        for (int j = 0; j < plot_w; j++) {
            size_t i = plot_w > 1 ? (size_t)llround((double)j / (plot_w - 1) * (double)(n_points - 1)) : 0;
            double v = y[s][i];
            if (!isfinite(v))
                continue;
            int r = (int)llround((c->y_max - v) / (c->y_max - c->y_min) * (plot_h - 1));
            if (r < 0 || r >= plot_h)
                continue;
            int at = r * width + axis_col + 1 + j;
            c->cell[at] = marks[s];
            c->series[at] = (signed char)s;
        }
    return 0;
}

void dash_chart_free(dash_chart *c)
{
    free(c->cell);
    free(c->series);
    c->cell = NULL;
    c->series = NULL;
}
