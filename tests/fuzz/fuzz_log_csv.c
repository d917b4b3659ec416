/* fuzz_log_csv.c — the CSV event log reader (dsim's format) on any input, strict and skipping bad rows. */
#include "dsim/ope.h"
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char path[256];
    if (fuzz_file(data, size, ".csv", path, sizeof path) == 0) {
        for (int skip = 0; skip < 2; skip++) {
            dsim_ope_log log = {0};
            size_t skipped = 0;
            dsim_ope_log_read_csv(&log, path, skip, &skipped);
            dsim_ope_log_clear(&log);
        }
    }
    unlink(path);
    return 0;
}
