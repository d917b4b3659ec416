/*
 * helpers.h — small helpers shared by the unit tests: loading test and shipped scenarios, and asserting
 * that a call succeeded with its error message shown when it did not.
 */
#ifndef DSIM_TEST_HELPERS_H
#define DSIM_TEST_HELPERS_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>

#include <cmocka.h>

#include "dsim/error.h"
#include "dsim/scenario.h"

#define ASSERT_OK(call)                                                                                        \
    do {                                                                                                       \
        int rc_ = (call);                                                                                      \
        if (rc_ != 0)                                                                                          \
            fail_msg("%s failed: %s (%s)", #call, dsim_strerror(rc_), dsim_errmsg());                          \
    } while (0)

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
