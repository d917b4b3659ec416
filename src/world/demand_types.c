/*
 * demand_types.c — the list of demand models. A new model is its own file (a dsim__demand_type) and one line
 * here; its name, keys and docs come from its table.
 */
#include "world/world_impl.h"

extern const dsim__demand_type dsim__demand_mnl, dsim__demand_valuation, dsim__demand_linear, dsim__demand_constant,
    dsim__demand_logit;

const dsim__demand_type *const dsim__demand_types[] = {
    &dsim__demand_mnl,
    &dsim__demand_valuation,
    &dsim__demand_linear,
    &dsim__demand_constant,
    &dsim__demand_logit,
    NULL,
};

const dsim__strategy *dsim__demand_strategy(size_t i)
{
    for (size_t j = 0; j < i; j++)
        if (!dsim__demand_types[j])
            return NULL;
    return dsim__demand_types[i] ? &dsim__demand_types[i]->strategy : NULL;
}
