/*
 * fit_impl.h — shared by the files of src/fit/: visits gathered one by one, as a log is read, before they are
 * grouped by shopper (dsim_fit_data_build).
 */
#ifndef DSIM_FIT_IMPL_H
#define DSIM_FIT_IMPL_H

#include <stddef.h>
#include <stdint.h>

#include "dsim/fit.h"

typedef struct {
    uint64_t *shopper;
    double *discount, *price; /* the discount as a fraction; the price shown (0 when the log has none) */
    unsigned char *bought;
    size_t n, cap;
} dsim__fit_visits;

/** Append one visit. @return 0 or DSIM_ENOMEM. */
int dsim__fit_visits_push(dsim__fit_visits *v, uint64_t shopper, double discount, bool bought, double price);
/** Build the fitting data from the visits (prices only when `with_prices`), then free them. */
int dsim__fit_visits_build(dsim__fit_visits *v, bool with_prices, double memory, double reference0,
                           dsim_fit_data *out);
/** Free what the visits hold. */
void dsim__fit_visits_clear(dsim__fit_visits *v);

#endif
