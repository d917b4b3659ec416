/* fuzz_fit_csv.c — dsim fit's visit log on any input: read as a CSV (its discount in percent, or as a level of
   six), checked for what it can identify, and when
   small enough fitted (two segments, or one for a log of fewer than 70 shoppers; two starts), checked in two folds and written as a scenario's text. */
#include <stdlib.h>

#include "dsim/fit.h"
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const double levels[6] = {0, 0.05, 0.1, 0.15, 0.2, 0.3};
    char path[256];
    dsim_fit_data d;
    if (fuzz_file(data, size, ".csv", path, sizeof path) == 0 &&
        dsim_fit_data_read_csv_levels(path, levels, 6, 0.8, 0.05, &d) == 0) {
        dsim_fit_options o = DSIM_FIT_OPTIONS_INIT;
        o.starts = 2;
        o.max_iterations = 5;
        dsim_fit_model m;
        dsim_fit_calibration cal;
        char *text = NULL;
        int k = d.n_shoppers >= dsim_fit_shoppers_needed(2) ? 2 : 1; /* fit what the log has shoppers for */
        if (d.n_visits <= 5000 && dsim_fit_check_identified(&d) == 0 && dsim_fit_em(&d, k, &o, &m) == 0) {
            dsim_fit_calibrate(&d, &m, 2, 1, &cal);
            if (dsim_fit_scenario_text("[scenario]\nname = x\n", &m, "fuzz", 0.8, 0.05, &text) == 0)
                free(text);
        }
        dsim_fit_data_clear(&d);
    }
    unlink(path);
    return 0;
}
