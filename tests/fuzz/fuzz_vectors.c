/* fuzz_vectors.c — embedding files on any input: as .npy (every format version) and as CSV, for a catalog of
   8 items of dimension 4. The first input byte chooses the format. */
#include "dsim/scenario.h"
#include "fuzz_common.h"
#include "rank/vectors_file.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static dsim_scenario *sc;
    if (!sc && dsim_scenario_parse(&sc, "[scenario]\nshoppers = 4\n[catalog]\nitems = 8\nembedding_dim = 4\n"
                                        "[segment.a]\nshare = 1\n", "fuzz.ini"))
        abort();
    if (size == 0)
        return 0;
    char path[256];
    float out[8 * 4];
    if (fuzz_file(data + 1, size - 1, data[0] & 1 ? ".npy" : ".csv", path, sizeof path) == 0)
        dsim__vectors_read(sc, path, "item", 8, out);
    unlink(path);
    return 0;
}
