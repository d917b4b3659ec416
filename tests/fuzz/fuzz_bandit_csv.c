/* fuzz_bandit_csv.c — regret curves from a bandit CSV (dsim plot bandit) on any input: read, summarised into a
   chart with the Lai-Robbins line, and its numbers written as CSV (the drawing's input, without the pixels). */
#include "dsim/chart.h"
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char path[256], out[300];
    if (fuzz_file(data, size, ".csv", path, sizeof path) == 0) {
        dsim_figure fig;
        if (dsim_chart_from_bandit_csv(path, 1.5, &fig) == 0) {
            snprintf(out, sizeof out, "%s.out.csv", path);
            dsim_chart_write(&(dsim_chart_page){&fig, NULL}, 1, out, 0, 0);
            unlink(out);
            dsim_figure_clear(&fig);
        }
    }
    unlink(path);
    return 0;
}
