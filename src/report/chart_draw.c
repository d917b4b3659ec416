/*
 * chart_draw.c — a figure drawn with PLplot: SVG (the "svg" device keeps every word as text, so tests and
 * browsers can read it), PNG and PDF (cairo), or the plotted numbers as CSV. Also the palette and the
 * figure's memory.
 */
#include <dirent.h>
#include <errno.h>
#include <setjmp.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <plplot.h>

#include "core/file.h"
#include "dsim/chart.h"
#include "dsim/error.h"

/* Okabe & Ito (2008): told apart by every kind of colour vision; yellow last, as it is faint on white. */
static const unsigned palette[] = {0x0072B2, 0xD55E00, 0x009E73, 0xCC79A7, 0xE69F00, 0x56B4E9, 0x000000, 0xF0E442};
enum { N_PALETTE = sizeof palette / sizeof palette[0] };

/* Viridis (light to dark) for ordered things, the discount levels: more discount, darker. */
static const unsigned ramp[] = {0xFDE725, 0xB5DE2B, 0x6ECE58, 0x35B779, 0x1F9E89, 0x26828E, 0x31688E, 0x3E4989,
                                0x482878, 0x440154};
enum { N_RAMP = sizeof ramp / sizeof ramp[0] };

int dsim_chart_ramp(double t)
{
    return -1 - (int)lround(fmin(fmax(t, 0), 1) * 1000);
}

static unsigned ramp_at(double t)
{
    if (t <= 0)
        return 0xBBBBBB; /* nothing given: grey */
    double u = t * (N_RAMP - 1);
    int k = (int)fmin(floor(u), N_RAMP - 2);
    double f = u - k;
    unsigned rgb = 0;
    for (int shift = 16; shift >= 0; shift -= 8) {
        double a = (ramp[k] >> shift) & 255, b = (ramp[k + 1] >> shift) & 255;
        rgb |= (unsigned)lround(a + f * (b - a)) << shift;
    }
    return rgb;
}

unsigned dsim_chart_palette(int index)
{
    if (index < 0)
        return ramp_at((-1 - index) / 1000.0);
    return palette[index % N_PALETTE];
}

/* ---- memory ----------------------------------------------------------------------------------------------- */

int dsim_chart_add_series(dsim_chart *chart, const char *name, int color, size_t n, bool band,
                          dsim_chart_series **out)
{
    *out = NULL;
    if (chart->n_series >= DSIM_CHART_MAX_SERIES)
        return dsim_error_set(DSIM_EINVAL, "a chart shows at most %d series", DSIM_CHART_MAX_SERIES);
    dsim_chart_series *s = &chart->series[chart->n_series];
    memset(s, 0, sizeof *s);
    snprintf(s->name, sizeof s->name, "%s", name);
    s->color = color;
    s->n = n;
    size_t m = n ? n : 1;
    s->x = calloc(m, sizeof(double));
    s->y = calloc(m, sizeof(double));
    if (band) {
        s->lo = calloc(m, sizeof(double));
        s->hi = calloc(m, sizeof(double));
    }
    chart->n_series++; /* counted before the check, so that a clear frees what was allocated */
    if (!s->x || !s->y || (band && (!s->lo || !s->hi)))
        return dsim_error_set(DSIM_ENOMEM, "out of memory for a chart");
    *out = s;
    return DSIM_OK;
}

static void chart_clear(dsim_chart *c)
{
    for (int i = 0; i < c->n_series; i++) {
        dsim_chart_series *s = &c->series[i];
        free(s->x);
        free(s->y);
        free(s->lo);
        free(s->hi);
        free(s->mark);
        free(s->mark2);
        free(s->color_of);
        free(s->text);
    }
    free(c->categories);
    free(c->row_labels);
}

void dsim_figure_clear(dsim_figure *f)
{
    if (!f)
        return;
    for (int p = 0; p < f->n_panels; p++)
        chart_clear(&f->panel[p]);
    memset(f, 0, sizeof *f);
}

/* ---- drawing ---------------------------------------------------------------------------------------------- */

enum { COLOR_INK = 1, COLOR_GRID = 2, COLOR_PEN = 15 };

/* The line style of a series: solid, dashed for a reference, and past the palette's eight colours another
   pattern, so that a ninth policy is not drawn as the first. */
static int line_style(const dsim_chart_series *ser)
{
    if (ser->dashed)
        return 2;
    return ser->color >= N_PALETTE ? 3 + (ser->color / N_PALETTE - 1) % 6 : 1;
}

static void pen(unsigned rgb, double alpha)
{
    plscol0a(COLOR_PEN, (int)(rgb >> 16) & 255, (int)(rgb >> 8) & 255, (int)rgb & 255, alpha);
    plcol0(COLOR_PEN);
}

/* The part of the page the current panel has (normalised): every viewport is placed within it, so that one
   page holds a figure's panels without PLplot's subpages, and pages of different layouts follow each other. */
static struct {
    double x0, x1, y0, y1;
} panel_rect = {0, 1, 0, 1};

static void viewport(double x0, double x1, double y0, double y1)
{
    double w = panel_rect.x1 - panel_rect.x0, h = panel_rect.y1 - panel_rect.y0;
    plvpor(panel_rect.x0 + x0 * w, panel_rect.x0 + x1 * w, panel_rect.y0 + y0 * h, panel_rect.y0 + y1 * h);
}

/* Character size relative to a one-column figure's; panels side by side get smaller text. */
static double text_scale = 1.0;

static void text_size(double size)
{
    plschr(0, size * text_scale);
}

/* '#' starts PLplot's escape sequences: a name or a title is drawn as written, '#' doubled. */
static const char *escaped(const char *text, char *buf, size_t n)
{
    size_t k = 0;
    for (const char *p = text ? text : ""; *p && k + 2 < n; p++) {
        if (*p == '#')
            buf[k++] = '#';
        buf[k++] = *p;
    }
    buf[k] = '\0';
    return buf;
}

static void mtex(const char *side, double disp, double pos, double just, const char *text)
{
    char buf[512];
    plmtex(side, disp, pos, just, escaped(text, buf, sizeof buf));
}

static void ptex(double x, double y, double dx, double dy, double just, const char *text)
{
    char buf[512];
    plptex(x, y, dx, dy, just, escaped(text, buf, sizeof buf));
}

static void ink(void)
{
    plcol0(COLOR_INK);
}

/* Tick labels in the fewest characters: 12k, 1.5M, 0.25 — a chart is read, not audited (the CSV is). */
static void compact_label(PLINT axis, PLFLT value, char *label, PLINT length, PLPointer data)
{
    (void)axis;
    (void)data;
    double a = fabs(value);
    if (a < 1e-12)
        snprintf(label, (size_t)length, "0");
    else if (a >= 1e6)
        snprintf(label, (size_t)length, "%gM", value / 1e6);
    else if (a >= 1e3)
        snprintf(label, (size_t)length, "%gk", value / 1e3);
    else
        snprintf(label, (size_t)length, "%g", value);
}

/* The range of what a chart shows, with 5 % room on each side; never empty. */
typedef struct {
    double lo, hi;
} range;

static void grow(range *r, double v)
{
    if (isfinite(v)) {
        r->lo = fmin(r->lo, v);
        r->hi = fmax(r->hi, v);
    }
}

static range padded(range r, bool from_zero)
{
    if (!(r.lo <= r.hi))
        r = (range){0, 1};
    if (from_zero) {
        r.lo = fmin(r.lo, 0);
        r.hi = fmax(r.hi, 0);
    }
    double span = r.hi - r.lo;
    if (span <= 0)
        span = fabs(r.hi) > 0 ? fabs(r.hi) : 1;
    return (range){r.lo - 0.05 * span, r.hi + 0.05 * span};
}

static double x_of(const dsim_chart *c, double x)
{
    return c->log_x ? log10(fmax(x, 1e-300)) : x;
}

/* Where the plot sits in its panel, leaving the right part for the legend. */
typedef struct {
    double x0, x1, y0, y1;
} box;

static void legend(const dsim_chart *c, box plot, int level_style)
{
    int shown = 0;
    for (int s = 0; s < c->n_series; s++)
        shown += !c->series[s].no_legend;
    if (!shown)
        return;
    viewport(plot.x1 + 0.015, 0.995, plot.y0, plot.y1);
    plwind(0, 1, 0, 1);
    text_size(0.75);
    double y = 0.97, step = fmin(0.09, 0.95 / (shown + (c->legend_title[0] ? 1 : 0)));
    if (c->legend_title[0]) {
        ink();
        ptex(0.0, y - step / 2, 1, 0, 0, c->legend_title);
        y -= step;
    }
    for (int s = 0; s < c->n_series; s++) {
        const dsim_chart_series *ser = &c->series[s];
        if (ser->no_legend)
            continue;
        pen(dsim_chart_palette(ser->color), 1.0);
        if (level_style) { /* a filled swatch */
            double bx[] = {0.0, 0.12, 0.12, 0.0}, by[] = {y - step * 0.8, y - step * 0.8, y - step * 0.2, y - step * 0.2};
            plfill(4, bx, by);
        } else {
            double lx[] = {0.0, 0.14}, ly[] = {y - step / 2, y - step / 2};
            plwidth(3.0);
            pllsty(line_style(ser));
            plline(2, lx, ly);
            pllsty(1);
            plwidth(1.0);
            double bx[] = {0.045, 0.095, 0.095, 0.045}, by[] = {y - step * 0.65, y - step * 0.65, y - step * 0.35,
                                                                 y - step * 0.35};
            if (!ser->dashed)
                plfill(4, bx, by); /* a solid swatch of the pure colour, whatever anti-aliasing does to lines */
        }
        ink();
        ptex(0.18, y - step / 2, 1, 0, 0, ser->name);
        y -= step;
    }
    text_size(1.0);
}

static void titles(const dsim_chart *c, box plot)
{
    viewport(plot.x0, plot.x1, plot.y0, plot.y1);
    ink();
    text_size(1.15);
    mtex("t", 2.6, 0.5, 0.5, c->title);
    text_size(0.75);
    if (c->subtitle[0])
        mtex("t", 1.0, 0.5, 0.5, c->subtitle);
    text_size(0.9);
    mtex("b", 3.0, 0.5, 0.5, c->x_label);
    mtex("l", 4.6, 0.5, 0.5, c->y_label);
    text_size(1.0);
}

static void axes(const dsim_chart *c, range xr, range yr, bool x_numbers)
{
    plwind(xr.lo, xr.hi, yr.lo, yr.hi);
    text_size(0.8);
    plcol0(COLOR_GRID);
    plwidth(0.5);
    plbox(x_numbers ? (c->log_x ? "glt" : "gt") : "", 0, 0, "gt", 0, 0);
    ink();
    plwidth(1.0);
    plbox(x_numbers ? (c->log_x ? "bcnstl" : "bcnsto") : "bc", 0, 0, "bcnstvo", 0, 0);
    text_size(1.0);
    if (c->zero_line && yr.lo < 0 && yr.hi > 0) {
        double zx[] = {xr.lo, xr.hi}, zy[] = {0, 0};
        plcol0(COLOR_GRID);
        plwidth(1.5);
        plline(2, zx, zy);
        plwidth(1.0);
    }
}

/* Category labels under bars, centred on category i at x = i of the range xr. */
static void category_labels(const dsim_chart *c, range xr)
{
    ink();
    text_size(c->n_categories > 6 ? 0.6 : 0.75);
    for (int i = 0; i < c->n_categories; i++)
        mtex("b", 1.3 + 1.1 * (c->n_categories > 6 && i % 2), (i - xr.lo) / (xr.hi - xr.lo), 0.5,
               c->categories[i]);
    text_size(1.0);
}

static void draw_lines(const dsim_chart *c, box plot)
{
    range xr = {INFINITY, -INFINITY}, yr = {INFINITY, -INFINITY};
    for (int s = 0; s < c->n_series; s++)
        for (size_t i = 0; i < c->series[s].n; i++) {
            const dsim_chart_series *ser = &c->series[s];
            grow(&xr, x_of(c, ser->x[i]));
            grow(&yr, ser->y[i]);
            if (ser->lo) {
                grow(&yr, ser->lo[i]);
                grow(&yr, ser->hi[i]);
            }
        }
    if (!(xr.lo < xr.hi))
        xr = (range){xr.lo - 1, xr.lo + 1};
    double span = xr.hi - xr.lo;
    if (c->style == DSIM_CHART_POINTS) /* room for the first and last bars, and for dodging */
        xr = (range){xr.lo - 0.06 * span, xr.hi + 0.06 * span};
    viewport(plot.x0, plot.x1, plot.y0, plot.y1);
    axes(c, xr, padded(yr, c->zero_line), !c->categories); /* words on the axis: drawn below, at x = 0, 1, … */
    double *px = NULL, *py = NULL;
    for (int s = 0; s < c->n_series; s++) {
        const dsim_chart_series *ser = &c->series[s];
        if (!ser->n)
            continue;
        free(px);
        free(py);
        px = calloc(2 * ser->n, sizeof(double));
        py = calloc(2 * ser->n, sizeof(double));
        if (!px || !py)
            break;
        size_t m = 0;
        if (c->style == DSIM_CHART_LINES && ser->lo) { /* the band: lo forward, hi back */
            for (size_t i = 0; i < ser->n; i++)
                if (isfinite(ser->lo[i]))
                    px[m] = x_of(c, ser->x[i]), py[m++] = ser->lo[i];
            for (size_t i = ser->n; i-- > 0;)
                if (isfinite(ser->hi[i]))
                    px[m] = x_of(c, ser->x[i]), py[m++] = ser->hi[i];
            if (m >= 3) {
                pen(dsim_chart_palette(ser->color), 0.18);
                plfill((PLINT)m, px, py);
            }
        }
        /* Points side by side at the same x are dodged apart, so that no interval hides another. */
        double dodge = c->style == DSIM_CHART_POINTS ? (s - (c->n_series - 1) / 2.0) * 0.012 * span : 0;
        for (size_t i = 0; i < ser->n; i++)
            px[i] = x_of(c, ser->x[i]) + dodge;
        pen(dsim_chart_palette(ser->color), 1.0);
        plwidth(c->style == DSIM_CHART_POINTS ? 1.0 : 2.5);
        pllsty(line_style(ser));
        plline((PLINT)ser->n, px, ser->y);
        pllsty(1);
        if (c->style == DSIM_CHART_POINTS) {
            plwidth(2.0);
            if (ser->lo)
                for (size_t i = 0; i < ser->n; i++)
                    if (isfinite(ser->lo[i]))
                        plerry(1, &px[i], &ser->lo[i], &ser->hi[i]);
            text_size(0.8);
            plstring((PLINT)ser->n, px, ser->y, "●");
            text_size(1.0);
        }
        plwidth(1.0);
    }
    free(px);
    free(py);
    if (c->categories)
        category_labels(c, xr);
    titles(c, plot);
    legend(c, plot, 0);
}

static void bar(double x0, double x1, double y0, double y1)
{
    double bx[] = {x0, x1, x1, x0}, by[] = {y0, y0, y1, y1};
    plfill(4, bx, by);
}

static void draw_bars(const dsim_chart *c, box plot)
{
    range yr = {0, 0};
    int n = c->n_categories;
    for (int i = 0; i < n; i++) {
        double stack = 0;
        for (int s = 0; s < c->n_series; s++) {
            const dsim_chart_series *ser = &c->series[s];
            if (c->style == DSIM_CHART_STACKED_BARS) {
                stack += ser->y[i];
            } else {
                grow(&yr, ser->y[i]);
                if (ser->lo)
                    grow(&yr, ser->lo[i]), grow(&yr, ser->hi[i]);
            }
        }
        grow(&yr, stack);
    }
    yr = padded(yr, true);
    range xr = {-0.6, n - 0.4};
    viewport(plot.x0, plot.x1, plot.y0, plot.y1);
    axes(c, xr, yr, false);
    for (int i = 0; i < n; i++) {
        double base = 0;
        for (int s = 0; s < c->n_series; s++) {
            const dsim_chart_series *ser = &c->series[s];
            pen(dsim_chart_palette(ser->color), 1.0);
            if (c->style == DSIM_CHART_STACKED_BARS) {
                if (ser->y[i] > 0)
                    bar(i - 0.35, i + 0.35, base, base + ser->y[i]);
                base += ser->y[i];
                continue;
            }
            double w = 0.8 / c->n_series, x0 = i - 0.4 + s * w;
            bar(x0 + 0.05 * w, x0 + 0.95 * w, 0, ser->y[i]);
            if (ser->lo && isfinite(ser->lo[i])) {
                double xm = x0 + w / 2;
                ink();
                plwidth(1.5);
                plerry(1, &xm, &ser->lo[i], &ser->hi[i]);
                plwidth(1.0);
            }
        }
    }
    category_labels(c, xr);
    titles(c, plot);
    legend(c, plot, 1);
}

static void draw_heatmap(const dsim_chart *c, box plot)
{
    const dsim_chart_series *ser = &c->series[0];
    int nx = c->n_categories, ny = c->n_rows;
    viewport(plot.x0, plot.x1, plot.y0, plot.y1);
    plwind(-0.5, nx - 0.5, -0.5, ny - 0.5);
    for (int r = 0; r < ny; r++)
        for (int col = 0; col < nx; col++) {
            size_t k = (size_t)r * (size_t)nx + (size_t)col;
            if (!isfinite(ser->y[k]))
                continue;
            bool strong = ser->mark && ser->mark[k] > 0;
            pen(dsim_chart_palette(ser->color_of[k]), strong ? 0.85 : 0.3);
            bar(col - 0.48, col + 0.48, r - 0.48, r + 0.48);
            ink();
            text_size(nx > 6 ? 0.5 : nx > 4 ? 0.6 : 0.7);
            if (ser->text) { /* "NAME\nMARGIN": two lines, so that narrow cells keep them */
                char line[DSIM_CHART_LABEL_MAX];
                snprintf(line, sizeof line, "%s", ser->text[k]);
                char *second = strchr(line, '\n');
                if (second)
                    *second++ = '\0';
                ptex(col, r + (second ? 0.08 : 0), 1, 0, 0.5, line);
                if (second)
                    ptex(col, r - 0.12, 1, 0, 0.5, second);
            }
            text_size(1.0);
        }
    ink();
    text_size(0.75);
    for (int col = 0; col < nx; col++)
        mtex("b", 1.4, (col + 0.5) / nx, 0.5, c->categories[col]);
    for (int r = 0; r < ny; r++)
        mtex("lv", 0.8, (r + 0.5) / ny, 1.0, c->row_labels[r]);
    text_size(1.0);
    plbox("bc", 0, 0, "bc", 0, 0);
    titles(c, plot);
    legend(c, plot, 1);
}

static void draw_forest(const dsim_chart *c, box plot)
{
    const dsim_chart_series *ser = &c->series[0];
    int n = c->n_categories;
    range xr = {INFINITY, -INFINITY};
    for (int i = 0; i < n; i++) {
        grow(&xr, ser->y[i]);
        if (ser->lo)
            grow(&xr, ser->lo[i]), grow(&xr, ser->hi[i]);
        if (ser->mark)
            grow(&xr, ser->mark[i]);
        if (ser->mark2)
            grow(&xr, ser->mark2[i]);
    }
    grow(&xr, c->ref_x);
    xr = padded(xr, false);
    range yr = {-0.7, n - 0.3}; /* row i at y = n − 1 − i: the first on top */
    viewport(plot.x0, plot.x1, plot.y0, plot.y1);
    plwind(xr.lo, xr.hi, yr.lo, yr.hi);
    text_size(0.8);
    plcol0(COLOR_GRID);
    plbox("gt", 0, 0, "", 0, 0);
    ink();
    plbox("bcnst", 0, 0, "bc", 0, 0);
    text_size(n > 12 ? 0.6 : 0.75);
    for (int i = 0; i < n; i++)
        mtex("lv", 0.8, (n - 1 - i + 0.7) / (n + 0.4), 1.0, c->categories[i]);
    text_size(1.0);
    if (isfinite(c->ref_x)) {
        double rx[] = {c->ref_x, c->ref_x}, ry[] = {yr.lo, yr.hi};
        plcol0(COLOR_GRID);
        plwidth(1.5);
        pllsty(2);
        plline(2, rx, ry);
        pllsty(1);
        plwidth(1.0);
    }
    for (int i = 0; i < n; i++) {
        double yi = n - 1 - i;
        pen(dsim_chart_palette(ser->color_of ? ser->color_of[i] : ser->color), 1.0);
        if (ser->lo && isfinite(ser->lo[i])) {
            double lx[] = {ser->lo[i], ser->hi[i]}, ly[] = {yi, yi};
            plwidth(2.5);
            plline(2, lx, ly);
            plwidth(1.0);
        }
        text_size(1.2);
        plstring(1, &ser->y[i], &yi, "●");
        if (ser->mark && isfinite(ser->mark[i])) {
            ink();
            plstring(1, &ser->mark[i], &yi, "◇");
        }
        if (ser->mark2 && isfinite(ser->mark2[i])) {
            ink();
            plstring(1, &ser->mark2[i], &yi, "○");
        }
        text_size(1.0);
    }
    titles(c, plot);
    legend(c, plot, 0);
}

static void draw_chart(const dsim_chart *c)
{
    box plot = {0.13, 0.74, 0.14, 0.84};
    if (c->style == DSIM_CHART_FOREST)
        plot.x0 = 0.30;
    if (c->style == DSIM_CHART_HEATMAP)
        plot.x0 = 0.16;
    switch (c->style) {
    case DSIM_CHART_LINES:
    case DSIM_CHART_POINTS:
        draw_lines(c, plot);
        break;
    case DSIM_CHART_STACKED_BARS:
    case DSIM_CHART_GROUPED_BARS:
        draw_bars(c, plot);
        break;
    case DSIM_CHART_HEATMAP:
        draw_heatmap(c, plot);
        break;
    case DSIM_CHART_FOREST:
        draw_forest(c, plot);
        break;
    }
}

static int rows_of(const dsim_figure *f)
{
    int cols = f->columns > 0 ? f->columns : 1;
    return (f->n_panels + cols - 1) / cols;
}

static void draw_figure(const dsim_figure *f)
{
    int cols = f->columns > 0 ? f->columns : 1, rows = rows_of(f);
    text_scale = cols > 1 ? 0.7 : 1.0;
    pladv(0);
    for (int p = 0; p < f->n_panels; p++) {
        int row = p / cols, col = p % cols;
        panel_rect.x0 = (double)col / cols;
        panel_rect.x1 = (double)(col + 1) / cols;
        panel_rect.y0 = 1 - (double)(row + 1) / rows;
        panel_rect.y1 = 1 - (double)row / rows;
        draw_chart(&f->panel[p]);
    }
    panel_rect.x0 = panel_rect.y0 = 0;
    panel_rect.x1 = panel_rect.y1 = 1;
    text_scale = 1.0;
}

/* A text page: the lines of `text` in a monospaced font, as many as fit, smaller when there are many. */
static void draw_text(const char *text)
{
    pladv(0);
    viewport(0.04, 0.96, 0.04, 0.96);
    plwind(0, 1, 0, 1);
    int lines = 1, longest = 0, width = 0;
    for (const char *p = text; *p; p++) {
        width += ((unsigned char)*p & 0xC0) != 0x80 && *p != '\n';
        longest = width > longest ? width : longest;
        if (*p == '\n')
            lines++, width = 0;
    }
    /* About 100 characters of the monospaced font fit across a page at size 0.62: smaller for longer lines. */
    double step = fmin(0.022, 1.0 / (lines + 1));
    double size = fmin(step / 0.022 * 0.62, longest > 100 ? 0.62 * 100 / longest : 1);
    step = fmin(step, size / 0.62 * 0.022);
    plsfont(PL_FCI_MONO, -1, -1);
    text_size(fmax(0.25, size));
    ink();
    const char *line = text;
    for (int i = 0; line && *line; i++) {
        const char *end = strchr(line, '\n');
        size_t len = end ? (size_t)(end - line) : strlen(line);
        char buf[512];
        snprintf(buf, sizeof buf, "%.*s", (int)(len < sizeof buf - 1 ? len : sizeof buf - 1), line);
        if (buf[0])
            ptex(0, 1 - (i + 1) * step, 1, 0, 0, buf);
        line = end ? end + 1 : NULL;
    }
    plsfont(PL_FCI_SANS, -1, -1);
    text_size(1.0);
}

static const char *ending(const char *path)
{
    const char *dot = strrchr(path, '.');
    const char *slash = strrchr(path, '/');
    return dot && (!slash || dot > slash) ? dot + 1 : "";
}

bool dsim_chart_path_ok(const char *path)
{
    const char *e = ending(path);
    return !strcmp(e, "svg") || !strcmp(e, "png") || !strcmp(e, "pdf") || !strcmp(e, "csv");
}

/* A failure inside PLplot is reported, not a reason to end the program: PLplot calls this handler from plexit()
   and would then exit, so the handler jumps back into render() instead. */
static jmp_buf plplot_failure;
static bool plplot_drawing; /* render() is between its setjmp and plend() */

static int on_plplot_exit(PLCHAR_VECTOR message)
{
    dsim_error_set(DSIM_EIO, "PLplot: %s", message);
    if (plplot_drawing)
        longjmp(plplot_failure, 1);
    return 1;
}

/* Is PLplot's device (a driver module, e.g. pngcairo from plplot-driver-cairo) installed? Its drivers directory
   (PLPLOT_DRV_DIR, else PLplot's own, as pkg-config gave it at build time) lists each module's devices in a
   NAME.driver_info file, a line "device:description:…" each. Asked before plinit(), which would otherwise prompt
   on the terminal for another device, and before plgDevs(), which crashes without the directory. */
static bool device_installed(const char *device)
{
    const char *dir = getenv("PLPLOT_DRV_DIR");
    if (!dir || !*dir)
        dir = DSIM_PLPLOT_DRV_DIR;
    DIR *d = opendir(dir);
    bool found = false;
    for (struct dirent *e; d && !found && (e = readdir(d));) {
        size_t len = strlen(e->d_name);
        if (len < 12 || strcmp(e->d_name + len - 12, ".driver_info"))
            continue;
        char path[DSIM_PATH_MAX + 256], line[256];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        FILE *fp = fopen(path, "r");
        size_t n = strlen(device);
        while (fp && !found && fgets(line, sizeof line, fp))
            found = !strncmp(line, device, n) && line[n] == ':';
        if (fp)
            fclose(fp);
    }
    if (d)
        closedir(d);
    return found;
}

static int write_csv(const dsim_figure *f, FILE *fp)
{
    fprintf(fp, "panel,series,x,y,lo,hi\n");
    for (int p = 0; p < f->n_panels; p++) {
        const dsim_chart *c = &f->panel[p];
        for (int s = 0; s < c->n_series; s++) {
            const dsim_chart_series *ser = &c->series[s];
            for (size_t i = 0; i < ser->n; i++) {
                char x[2 * DSIM_CHART_LABEL_MAX + 8];
                const char *name = ser->name;
                if (c->style == DSIM_CHART_HEATMAP && c->n_categories > 0) { /* the cell, and its best policy */
                    int nx = c->n_categories;
                    snprintf(x, sizeof x, "\"%s / %s\"", c->categories[i % (size_t)nx],
                             c->row_labels[i / (size_t)nx]);
                    if (ser->color_of && isfinite(ser->y[i]))
                        for (int k = 0; k < c->n_series; k++)
                            if (c->series[k].color == ser->color_of[i] && !c->series[k].no_legend)
                                name = c->series[k].name;
                } else if (c->categories && i < (size_t)c->n_categories) {
                    snprintf(x, sizeof x, "\"%s\"", c->categories[i]);
                } else {
                    snprintf(x, sizeof x, "%.17g", ser->x[i]);
                }
                fprintf(fp, "%d,\"%s\",%s,%.17g", p, name, x, ser->y[i]);
                if (ser->lo && isfinite(ser->lo[i]))
                    fprintf(fp, ",%.17g,%.17g\n", ser->lo[i], ser->hi[i]);
                else
                    fprintf(fp, ",,\n");
            }
        }
    }
    return ferror(fp) ? -1 : 0;
}

static int render(const dsim_chart_page *pages, int n, const char *device, const char *path, int width, int height)
{
    if (!device_installed(device))
        return dsim_error_set(DSIM_EIO, "PLplot has no %s device here (Debian: apt-get install plplot-driver-cairo)",
                              device);
    char geometry[64];
    snprintf(geometry, sizeof geometry, "%dx%d", width, height);
    plsexit(on_plplot_exit);
    if (setjmp(plplot_failure)) {
        plplot_drawing = false; /* a second failure while ending just returns: PLplot then exits */
        plend();
        plsexit(NULL);
        panel_rect.x0 = panel_rect.y0 = 0;
        panel_rect.x1 = panel_rect.y1 = 1;
        text_scale = 1.0;
        return DSIM_EIO;
    }
    plplot_drawing = true;
    plsdev(device);
    plsfnam(path);
    plsetopt("geometry", geometry);
    plscolbg(255, 255, 255);
    plscol0(COLOR_INK, 34, 34, 34);
    plscol0(COLOR_GRID, 200, 200, 200);
    plinit();
    plslabelfunc(compact_label, NULL);
    plfontld(1);
    for (int k = 0; k < n; k++) {
        if (pages[k].figure)
            draw_figure(pages[k].figure);
        else
            draw_text(pages[k].text ? pages[k].text : "");
    }
    plend();
    plplot_drawing = false;
    plsexit(NULL);
    return DSIM_OK;
}

static int default_height(const dsim_figure *f)
{
    return f ? 500 * rows_of(f) - (rows_of(f) > 1 ? 100 * (rows_of(f) - 1) : 0) : 500;
}

int dsim_chart_write(const dsim_chart_page *pages, int n, const char *path, int width, int height)
{
    const char *e = ending(path);
    const char *device = !strcmp(e, "svg") ? "svg" : !strcmp(e, "png") ? "pngcairo" : !strcmp(e, "pdf") ? "pdfcairo"
                                                     : !strcmp(e, "csv") ? "csv" : NULL;
    if (!device)
        return dsim_error_set(DSIM_EINVAL, "%s: cannot tell what to write: end it with .svg, .png, .pdf or .csv",
                              path);
    if (n < 1 || (strcmp(e, "pdf") && n > 1))
        return dsim_error_set(DSIM_EINVAL, "%s: an .%s file holds one chart; use .pdf for %d pages", path, e, n);
    if (!strcmp(e, "csv") && !pages[0].figure)
        return dsim_error_set(DSIM_EINVAL, "%s: a text page has no numbers to write", path);
    if (width <= 0)
        width = pages[0].figure && pages[0].figure->columns > 1 ? 1000 : 800;
    if (height <= 0)
        height = default_height(pages[0].figure);
    /* A temporary file beside the target, renamed when complete: a failure leaves nothing behind. */
    size_t len = strlen(path) + 16;
    char *tmp = malloc(len);
    if (!tmp)
        return dsim_error_set(DSIM_ENOMEM, "out of memory");
    FILE *fp = dsim__open_beside(path, tmp, len);
    if (!fp) {
        int rc = dsim_error_set(DSIM_EIO, "%s: cannot write: %s", path, strerror(errno));
        free(tmp);
        return rc;
    }
    int rc = DSIM_OK;
    if (!strcmp(device, "csv")) {
        if (write_csv(pages[0].figure, fp))
            rc = dsim_error_set(DSIM_EIO, "%s: write failed", path);
        if (fclose(fp) != 0 && !rc)
            rc = dsim_error_set(DSIM_EIO, "%s: write failed", path);
    } else {
        fclose(fp);
        rc = render(pages, n, device, tmp, width, height);
    }
    FILE *check = rc ? NULL : fopen(tmp, "rb");
    if (!rc && (!check || fseek(check, 0, SEEK_END) || ftell(check) <= 0))
        rc = dsim_error_set(DSIM_EIO, "%s: nothing was drawn (is the disk full?)", path);
    if (check)
        fclose(check);
    if (!rc && rename(tmp, path) != 0)
        rc = dsim_error_set(DSIM_EIO, "%s: cannot write: %s", path, strerror(errno));
    if (rc)
        remove(tmp);
    free(tmp);
    return rc;
}

int dsim_chart_svg(const dsim_figure *f, int width, int height, char **svg)
{
    *svg = NULL;
    char dir[DSIM_PATH_MAX];
    const char *tmpdir = getenv("TMPDIR");
    snprintf(dir, sizeof dir, "%s/dsim-chart-XXXXXX", tmpdir && *tmpdir ? tmpdir : "/tmp");
    if (!mkdtemp(dir))
        return dsim_error_set(DSIM_EIO, "cannot make a temporary directory in %s: %s", tmpdir ? tmpdir : "/tmp",
                              strerror(errno));
    char path[DSIM_PATH_MAX + 16];
    snprintf(path, sizeof path, "%s/chart.svg", dir);
    int rc = dsim_chart_write(&(dsim_chart_page){f, NULL}, 1, path, width, height);
    FILE *fp = rc ? NULL : fopen(path, "rb");
    if (!rc && !fp)
        rc = dsim_error_set(DSIM_EIO, "%s: cannot read back", path);
    if (fp) {
        fseek(fp, 0, SEEK_END);
        long size = ftell(fp);
        fseek(fp, 0, SEEK_SET);
        *svg = size >= 0 ? malloc((size_t)size + 1) : NULL;
        if (!*svg || fread(*svg, 1, (size_t)size, fp) != (size_t)size) {
            free(*svg);
            *svg = NULL;
            rc = dsim_error_set(DSIM_EIO, "%s: cannot read back", path);
        } else {
            (*svg)[size] = '\0';
        }
        fclose(fp);
    }
    remove(path);
    rmdir(dir);
    return rc;
}
