/*
 * cli_util.c — shipped files found with a printed error, reporting errors, and the clock.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "dsim/error.h"
#include "dsim/files.h"

void cli_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("dsim: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

int cli_exit_status(int dsim_rc)
{
    return dsim_rc == DSIM_ECONFIG || dsim_rc == DSIM_EIO || dsim_rc == DSIM_EINVAL || dsim_rc == DSIM_ENOTFOUND
               ? EXIT_USAGE
               : EXIT_RUNTIME;
}

int cli_find_file(const char *kind, const char *name, char *out, size_t n)
{
    if (dsim_files_find(kind, name, out, n)) {
        cli_error("%s", dsim_errmsg());
        return EXIT_USAGE;
    }
    return EXIT_OK;
}

double cli_now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}
