/* fuzz_scenario.c — the scenario reader (INI text → checked scenario) on any input. */
#include "dsim/scenario.h"
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = fuzz_text(data, size);
    dsim_scenario *sc = NULL;
    if (text && dsim_scenario_parse(&sc, text, "fuzz.ini") == 0)
        dsim_scenario_free(sc);
    free(text);
    return 0;
}
