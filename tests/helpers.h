/*
 * helpers.h — small helpers shared by the unit tests: loading test and shipped scenarios, and asserting
 * that a call succeeded with its error message shown when it did not.
 */
#ifndef DSIM_TEST_HELPERS_H
#define DSIM_TEST_HELPERS_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <cmocka.h>

#include "dsim/error.h"
#include "dsim/scenario.h"

#define ASSERT_OK(call)                                                                                        \
    do {                                                                                                       \
        int rc_ = (call);                                                                                      \
        if (rc_ != 0)                                                                                          \
            fail_msg("%s failed: %s (%s)", #call, dsim_strerror(rc_), dsim_errmsg());                          \
    } while (0)

/* Every seed a statistical test uses goes through test_seed(): DSIM_SEED_OFFSET=k adds k to each, so the
   claim can be checked offline on disjoint seed sets (unset or 0: the committed seeds). */
static inline uint64_t test_seed(uint64_t seed)
{
    const char *s = getenv("DSIM_SEED_OFFSET");
    return seed + (s ? strtoull(s, NULL, 10) : 0);
}

static inline dsim_scenario *load_test_scenario(const char *name)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s.ini", DSIM_TEST_DATA, name);
    dsim_scenario *sc = NULL;
    ASSERT_OK(dsim_scenario_load(&sc, path));
    return sc;
}

static inline dsim_scenario *load_shipped_scenario(const char *name)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/scenarios/%s.ini", DSIM_SOURCE_DIR, name);
    dsim_scenario *sc = NULL;
    ASSERT_OK(dsim_scenario_load(&sc, path));
    return sc;
}

#endif
