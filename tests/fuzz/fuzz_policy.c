/* fuzz_policy.c — the policy file reader on any input. */
#include "dsim/policy.h"
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = fuzz_text(data, size);
    dsim_policy_config *cfg = NULL;
    if (text && dsim_policy_config_parse(&cfg, text, "fuzz.ini") == 0)
        dsim_policy_config_free(cfg);
    free(text);
    return 0;
}
