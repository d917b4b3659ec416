/*
 * scenario_keys.h — the table of every scenario key: section, type, where it is stored, default, range,
 * unit and meaning. Loader, checker and documentation all read this one table.
 */
#ifndef DSIM_SCENARIO_SCENARIO_KEYS_H
#define DSIM_SCENARIO_SCENARIO_KEYS_H

#include <stddef.h>

typedef enum {
    SECTION_SCENARIO,
    SECTION_CATALOG,
    SECTION_BEHAVIOUR,
    SECTION_RANKING,
    SECTION_DISCOUNTS,
    SECTION_SEGMENT, /* [segment.NAME], one per segment */
    SECTION_SHOCK,   /* [shock.NAME], one per shock */
    SECTION_COUNT
} scenario_section;

/* KEY_ENUM: an int-sized enum stored as the index of its name in `names` (NULL-terminated). */
typedef enum { KEY_DOUBLE, KEY_INT, KEY_U64, KEY_STRING, KEY_LEVELS, KEY_ENUM } scenario_key_kind;

typedef struct {
    scenario_section section;
    const char *name;
    scenario_key_kind kind;
    size_t offset;       /* into dsim_scenario, or dsim_segment_config / dsim_shock_config */
    size_t size;         /* of a KEY_STRING buffer */
    const char *fallback; /* default, as it would be written in the file */
    double min, max;     /* accepted range of a number, both inclusive */
    const char *unit;
    const char *doc;
    const char *const *names; /* KEY_ENUM only */
} scenario_key;

extern const char *const dsim__objective_names[], *const dsim__demand_names[], *const dsim__scope_names[],
    *const dsim__score_names[], *const dsim__embeddings_names[], *const dsim__rerank_names[];

extern const scenario_key dsim__scenario_keys[];
extern const size_t dsim__n_scenario_keys;

/** @return the name of a section kind as written in files ("segment.NAME" for segments). */
const char *dsim__scenario_section_name(scenario_section s);

#endif
