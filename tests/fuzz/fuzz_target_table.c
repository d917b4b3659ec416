/* fuzz_target_table.c — target tables (by position, and per-row: long and wide) on any input, for a log of
   three actions, three positions and visit ids. */
#include "dsim/ope.h"
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static dsim_ope_log log;
    if (!log.n) {
        for (int i = 0; i < 6; i++)
            dsim_ope_log_push(&log, NULL, i % 3, i % 3, 1.0 / 3, i % 2);
        log.n_actions = 3;
        log.n_positions = 3;
    }
    char path[256];
    if (fuzz_file(data, size, ".csv", path, sizeof path) == 0) {
        dsim_ope_target *t = NULL;
        if (dsim_ope_target_table(&t, path, &log) == 0)
            dsim_ope_target_free(t);
    }
    unlink(path);
    return 0;
}
