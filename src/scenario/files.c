/*
 * files.c — finding the shipped scenarios and policies by name (dsim/files.h), for every front end.
 */
#include "dsim/files.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/text.h"
#include "dsim/error.h"

#ifndef DSIM_DATA_DIR
#define DSIM_DATA_DIR "."
#endif

static int compare_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

size_t dsim_files_list(const char *kind, char **names, size_t max)
{
    char dir_path[1024];
    snprintf(dir_path, sizeof dir_path, "%s/%s", dsim_files_dir(kind), kind);
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

const char *dsim_files_dir(const char *kind)
{
    return access(kind, F_OK) == 0 ? "." : DSIM_DATA_DIR;
}

int dsim_files_find(const char *kind, const char *name, char *out, size_t n)
{
    size_t len = strlen(name);
    if (strchr(name, '/') || (len > 4 && strcmp(name + len - 4, ".ini") == 0)) {
        snprintf(out, n, "%s", name);
        return DSIM_OK;
    }
    char local[1024], shipped[1024];
    snprintf(local, sizeof local, "%s/%s.ini", kind, name);
    snprintf(shipped, sizeof shipped, "%s/%s/%s.ini", DSIM_DATA_DIR, kind, name);
    if (access(local, R_OK) == 0) {
        snprintf(out, n, "%s", local);
        return DSIM_OK;
    }
    if (access(shipped, R_OK) == 0) {
        snprintf(out, n, "%s", shipped);
        return DSIM_OK;
    }
    char *names[256];
    size_t n_names = dsim_files_list(kind, names, 256);
    const char *near = dsim__nearest(name, (const char *const *)names, n_names);
    int rc = dsim_error_set(DSIM_ENOTFOUND, "no %s named '%s' (looked for %s and %s)%s%s%s",
                            strcmp(kind, "policies") == 0 ? "policy" : "scenario", name, local, shipped,
                            near ? "; did you mean '" : "", near ? near : "", near ? "'?" : "");
    for (size_t i = 0; i < n_names; i++)
        free(names[i]);
    return rc;
}
