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
    SECTION_LEARNING,
    SECTION_SEGMENT, /* [segment.NAME], one per segment */
    SECTION_SHOCK,   /* [shock.NAME], one per shock */
    SECTION_COUNT
} scenario_section;

/* KEY_ENUM: an int-sized enum stored as the index of its name in `names` (NULL-terminated). */
/* The pluggable models a key chooses (strategy.h); a KEY_ENUM row with a family gets its names from the list. */
typedef enum { STRATEGY_NONE = 0, STRATEGY_DEMAND, STRATEGY_EMBEDDINGS, STRATEGY_FAMILIES } strategy_family;

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
    strategy_family family;   /* a KEY_ENUM that chooses a model: the family whose names it takes */
} scenario_key;

extern const char *const dsim__objective_names[], *const dsim__scope_names[], *const dsim__score_names[],
    *const dsim__rerank_names[], *const dsim__update_names[];

/*
 * Every key: the table below and, after each model-choosing key, the keys of its family's models in the same
 * section (their [segment.NAME] keys at the end of that section), with offsets into dsim_scenario and
 * dsim_segment_config like the others. Built once, on first use.
 */
size_t dsim__scenario_key_count(void);
const scenario_key *dsim__scenario_key(size_t i);

/** @return the name of a section kind as written in files ("segment.NAME" for segments). */
const char *dsim__scenario_section_name(scenario_section s);

#endif
