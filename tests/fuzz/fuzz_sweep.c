/* fuzz_sweep.c — the sweep file reader on any input, and each cell's scenario made from a small base. */
#include "dsim/sweep.h"
#include "fuzz_common.h"

static const char base[] = "[scenario]\nshoppers = 10\nvisits = 100\n[catalog]\nitems = 10\n"
                           "[segment.a]\nshare = 1\n";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char path[256];
    static dsim_sweep sw; /* large: not on the stack */
    if (fuzz_file(data, size, ".ini", path, sizeof path) == 0 && dsim_sweep_load(&sw, path) == 0 &&
        sw.n_cells <= 64) {
        dsim_scenario *sc = NULL;
        if (dsim_sweep_cell_scenario(&sw, base, sw.n_cells - 1, &sc) == 0)
            dsim_scenario_free(sc);
    }
    unlink(path);
    return 0;
}
