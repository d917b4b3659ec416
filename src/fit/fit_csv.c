/*
 * fit_csv.c — a shop's visit log as fitting data (dsim/fit.h; the format in docs/fit.md): one row per visit
 * with the shopper, the discount offered (in percent, or as a level of the base scenario) and whether they
 * bought, in time order. dsim's own
 * exported log (dsim export-log) is such a file. Rows are checked as they stream past (core/csv_rows.c), with
 * the same row-and-column errors as dsim ope's reader.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/csv_rows.h"
#include "core/text.h"
#include "dsim/error.h"
#include "dsim/fit.h"
#include "fit/fit_impl.h"

static const char needs[] = "a visit log for dsim fit needs shopper, discount_percent (or discount_level) and "
                            "purchased; optional: time or visit (non-decreasing), price, propensity, then any "
                            "columns it ignores";

typedef struct {
    const char *path;
    int width, shopper, discount, purchased, order, propensity, price;
    bool by_level;         /* the discount is a column discount_level: an index into levels */
    const double *levels;  /* (n_levels,) fractions, or NULL */
    int n_levels;
    const char *order_name;
    double last_order;
    size_t last_order_row;
    dsim__fit_visits visits;
} csv_visits;

static int read_header(csv_visits *c, char **fields, int n)
{
    int rc = dsim__csv_header_check(c->path, fields, n);
    if (rc)
        return rc;
    c->width = n;
    c->shopper = dsim__csv_column(fields, n, "shopper");
    c->discount = dsim__csv_column(fields, n, "discount_percent");
    int level = dsim__csv_column(fields, n, "discount_level");
    if (c->discount >= 0 && level >= 0)
        return dsim_error_set(DSIM_ECONFIG, "%s: row 1: both discount_percent and discount_level; give the "
                              "discount one way", c->path);
    if (c->discount < 0 && level >= 0) {
        if (!c->levels)
            return dsim_error_set(DSIM_ECONFIG, "%s: row 1, column discount_level: a level needs the levels it "
                                  "indexes; this reader takes discount_percent only", c->path);
        c->discount = level;
        c->by_level = true;
    }
    c->purchased = dsim__csv_column(fields, n, "purchased");
    c->propensity = dsim__csv_column(fields, n, "propensity");
    c->price = dsim__csv_column(fields, n, "price");
    c->order_name = dsim__csv_column(fields, n, "time") >= 0 ? "time" : "visit";
    c->order = dsim__csv_column(fields, n, c->order_name);
    const char *required[] = {"shopper", "discount_percent", "purchased"};
    const int at[] = {c->shopper, c->discount, c->purchased};
    for (int k = 0; k < 3; k++)
        if (at[k] < 0)
            return dsim__csv_missing_column(c->path, required[k], needs);
    return DSIM_OK;
}

/* A shopper's id: a whole number as itself, any other text by its 64-bit FNV-1a hash. */
static uint64_t shopper_id(const char *text)
{
    unsigned long long u;
    if (dsim__parse_u64(text, &u))
        return u;
    uint64_t h = 14695981039346656037ull;
    for (const unsigned char *s = (const unsigned char *)text; *s; s++)
        h = (h ^ *s) * 1099511628211ull;
    return h;
}

static int read_row(char **fields, int n, size_t row, void *data)
{
    csv_visits *c = data;
    if (row == 1)
        return read_header(c, fields, n);
    if (n != c->width)
        return dsim__csv_bad_width(c->path, row, n, c->width);
    double discount, bought, order, propensity, price = 0;
    const char *who = fields[c->shopper], *d = fields[c->discount], *y = fields[c->purchased];
    if (!who[0])
        return dsim__csv_bad_value(c->path, row, "shopper", who, "is empty: every visit needs its shopper");
    if (c->by_level) {
        unsigned long long l;
        if (!dsim__parse_u64(d, &l) || l >= (unsigned long long)c->n_levels) {
            char why[128];
            snprintf(why, sizeof why, "is not a level of the base scenario (0 … %d)", c->n_levels - 1);
            return dsim__csv_bad_value(c->path, row, "discount_level", d, why);
        }
        discount = 100 * c->levels[l];
    } else if (!dsim__parse_double(d, &discount) || discount < 0 || discount > 100) {
        return dsim__csv_bad_value(c->path, row, "discount_percent", d, "is not a discount in percent (0 … 100)");
    }
    if (!dsim__parse_double(y, &bought) || (bought != 0 && bought != 1))
        return dsim__csv_bad_value(c->path, row, "purchased", y, "is not 0 or 1");
    if (c->propensity >= 0 && fields[c->propensity][0] &&
        (!dsim__parse_double(fields[c->propensity], &propensity) || !(propensity > 0 && propensity <= 1)))
        return dsim__csv_bad_value(c->path, row, "propensity", fields[c->propensity],
                                   "is not a propensity in (0, 1] (leave it empty when unknown)");
    if (c->price >= 0 && (!dsim__parse_double(fields[c->price], &price) || !(price > 0)))
        return dsim__csv_bad_value(c->path, row, "price", fields[c->price],
                                   "is not a price (a positive number: the list price of what was shown)");
    if (c->order >= 0) {
        const char *o = fields[c->order];
        char why[256];
        if (!dsim__parse_double(o, &order))
            return dsim__csv_bad_value(c->path, row, c->order_name, o, "is not a number (a visit number or timestamp)");
        if (c->last_order_row && order < c->last_order) {
            snprintf(why, sizeof why, "is earlier than row %zu's %.17g: a log must be in time order (a shopper's "
                                      "reference discount is built from their earlier visits)",
                     c->last_order_row, c->last_order);
            return dsim__csv_bad_value(c->path, row, c->order_name, o, why);
        }
        c->last_order = order;
        c->last_order_row = row;
    }
    return dsim__fit_visits_push(&c->visits, shopper_id(who), discount / 100, bought == 1, price, 0);
}

int dsim_fit_data_read_csv(const char *path, double memory, double reference0, dsim_fit_data *out)
{
    return dsim_fit_data_read_csv_levels(path, NULL, 0, memory, reference0, out);
}

int dsim_fit_data_read_csv_levels(const char *path, const double *levels, int n_levels, double memory,
                                  double reference0, dsim_fit_data *out)
{
    memset(out, 0, sizeof *out);
    csv_visits c = {.path = path, .levels = n_levels > 0 ? levels : NULL, .n_levels = n_levels};
    int rc = dsim__csv_each(path, read_row, &c);
    if (!rc && c.visits.n == 0)
        rc = dsim_error_set(DSIM_ECONFIG, "%s: no visits (a header and no rows)", path);
    if (!rc)
        rc = dsim__fit_visits_build(&c.visits, c.price >= 0, false, memory, reference0, out);
    dsim__fit_visits_clear(&c.visits);
    return rc;
}
