/*
 * error.c — error codes and the per-thread last-error message (in the manner of git_error_last()).
 */
#include "dsim/error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static _Thread_local char last_message[1024];

const char *dsim_strerror(int code)
{
    switch (code) {
#define DSIM__ERROR_CASE(name, value, text) \
    case value:                             \
        return text;
        DSIM_ERRORS(DSIM__ERROR_CASE)
#undef DSIM__ERROR_CASE
    case DSIM_DONE:
        return "done";
    }
    return "unknown error";
}

const char *dsim_errmsg(void)
{
    return last_message;
}

int dsim_error_prefix(int code, const char *fmt, ...)
{
    char prefix[sizeof last_message];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(prefix, sizeof prefix, fmt, ap);
    va_end(ap);
    size_t n = strlen(prefix), kept = strlen(last_message);
    if (kept > sizeof last_message - 1 - n)
        kept = sizeof last_message - 1 - n; /* a message too long loses its end, never its prefix */
    memmove(last_message + n, last_message, kept);
    memcpy(last_message, prefix, n);
    last_message[n + kept] = '\0';
    return code;
}

int dsim_error_set(int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(last_message, sizeof last_message, fmt, ap);
    va_end(ap);
    return code;
}
