/* fuzz_log_obd.c — the Open Bandit Dataset log reader on any input. */
#include "dsim/ope.h"
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char path[256];
    if (fuzz_file(data, size, ".csv", path, sizeof path) == 0) {
        dsim_ope_log log = {0};
        dsim_ope_log_read_obd(&log, path);
        dsim_ope_log_clear(&log);
    }
    unlink(path);
    return 0;
}
