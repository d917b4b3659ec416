/*
 * source_types.c — the list of embedding sources. A new source is its own file (a dsim__embedding_source) and
 * one line here; its name, keys and docs come from its table.
 */
#include "rank/ranker_impl.h"

extern const dsim__embedding_source dsim__source_noisy, dsim__source_learned, dsim__source_history,
    dsim__source_file, dsim__source_truth;

const dsim__embedding_source *const dsim__embedding_sources[] = {
    &dsim__source_noisy,
    &dsim__source_learned,
    &dsim__source_history,
    &dsim__source_file,
    &dsim__source_truth,
    NULL,
};

const dsim__strategy *dsim__embeddings_strategy(size_t i)
{
    for (size_t j = 0; j < i; j++)
        if (!dsim__embedding_sources[j])
            return NULL;
    return dsim__embedding_sources[i] ? &dsim__embedding_sources[i]->strategy : NULL;
}
