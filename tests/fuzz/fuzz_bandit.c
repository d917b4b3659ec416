/* fuzz_bandit.c — the bandit file reader on any input. */
#include "dsim/bandit.h"
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = fuzz_text(data, size);
    dsim_bandit_config *cfg = NULL;
    if (text && dsim_bandit_config_parse(&cfg, text, "fuzz.ini") == 0)
        dsim_bandit_config_free(cfg);
    free(text);
    return 0;
}
