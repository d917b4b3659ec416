/*
 * cli_util.c — finding shipped scenario and policy files, reporting errors, and the clock.
 */
#include <stdarg.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "dsim/error.h"

#ifndef DSIM_DATA_DIR
#define DSIM_DATA_DIR "."
#endif

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

static int compare_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

size_t cli_list_files(const char *kind, char **names, size_t max)
{
    char dir_path[1024];
    snprintf(dir_path, sizeof dir_path, "%s/%s", cli_data_dir(kind), kind);
    DIR *dir = opendir(dir_path);
    if (!dir)
        return 0;
    size_t n = 0;
    for (struct dirent *e; (e = readdir(dir)) && n < max;) {
        size_t len = strlen(e->d_name);
        if (len > 4 && strcmp(e->d_name + len - 4, ".ini") == 0 && (names[n] = strndup(e->d_name, len - 4)))
            n++;
    }
    closedir(dir);
    qsort(names, n, sizeof names[0], compare_names);
    return n;
}

const char *cli_data_dir(const char *kind)
{
    return access(kind, F_OK) == 0 ? "." : DSIM_DATA_DIR;
}

int cli_find_file(const char *kind, const char *name, char *out, size_t n)
{
    size_t len = strlen(name);
    if (strchr(name, '/') || (len > 4 && strcmp(name + len - 4, ".ini") == 0)) {
        snprintf(out, n, "%s", name);
        return EXIT_OK;
    }
    char local[1024], shipped[1024];
    snprintf(local, sizeof local, "%s/%s.ini", kind, name);
    snprintf(shipped, sizeof shipped, "%s/%s/%s.ini", DSIM_DATA_DIR, kind, name);
    if (access(local, R_OK) == 0) {
        snprintf(out, n, "%s", local);
        return EXIT_OK;
    }
    if (access(shipped, R_OK) == 0) {
        snprintf(out, n, "%s", shipped);
        return EXIT_OK;
    }
    cli_error("no %s named '%s' (looked for %s and %s)", strcmp(kind, "policies") == 0 ? "policy" : "scenario", name,
              local, shipped);
    return EXIT_USAGE;
}

double cli_now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}
