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

#ifndef DSIM_INSTALL_DATA_DIR
#define DSIM_INSTALL_DATA_DIR "/usr/local/share/dsim"
#endif
#ifndef DSIM_SOURCE_DATA_DIR
#define DSIM_SOURCE_DATA_DIR "."
#endif

enum { MAX_DIRS = 5 };

/* The places a bare NAME is looked for, in order (docs/scenarios.md): the current directory; $DSIM_DATA_DIR; the
   share/dsim beside the running program's bin/ (an installed tree found wherever it was installed or moved); the
   install prefix dsim was configured with; the source tree (a build that was never installed). */
static int data_dirs(char dirs[MAX_DIRS][1024])
{
    int n = 0;
    snprintf(dirs[n++], 1024, ".");
    const char *env = getenv("DSIM_DATA_DIR");
    if (env && *env)
        snprintf(dirs[n++], 1024, "%s", env);
    char exe[1024];
    ssize_t len = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (len > 0) {
        exe[len] = '\0';
        char *slash = strrchr(exe, '/');
        if (slash) {
            *slash = '\0'; /* its directory: P/bin */
            slash = strrchr(exe, '/');
            if (slash && !strcmp(slash, "/bin")) {
                *slash = '\0';
                snprintf(dirs[n++], 1024, "%.1000s/share/dsim", exe);
            }
        }
    }
    snprintf(dirs[n++], 1024, "%s", DSIM_INSTALL_DATA_DIR);
    snprintf(dirs[n++], 1024, "%s", DSIM_SOURCE_DATA_DIR);
    return n;
}

static int compare_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

size_t dsim_files_list(const char *kind, char **names, size_t max)
{
    char dir_path[1100];
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
    static char found[1024];
    char dirs[MAX_DIRS][1024], path[1100];
    int n = data_dirs(dirs);
    for (int i = 0; i < n; i++) {
        snprintf(path, sizeof path, "%.1000s/%.60s", dirs[i], kind);
        if (access(path, F_OK) == 0) {
            snprintf(found, sizeof found, "%.1023s", dirs[i]);
            return found;
        }
    }
    return DSIM_SOURCE_DATA_DIR;
}

int dsim_files_find(const char *kind, const char *name, char *out, size_t n)
{
    size_t len = strlen(name);
    if (strchr(name, '/') || (len > 4 && strcmp(name + len - 4, ".ini") == 0)) {
        snprintf(out, n, "%s", name);
        return DSIM_OK;
    }
    char dirs[MAX_DIRS][1024], path[1200], looked[4096] = "";
    int n_dirs = data_dirs(dirs);
    size_t used = 0;
    for (int i = 0; i < n_dirs; i++) {
        if (i > 0 && !strcmp(dirs[i], dirs[i - 1]))
            continue;
        if (i)
            snprintf(path, sizeof path, "%.1000s/%.60s/%.120s.ini", dirs[i], kind, name);
        else
            snprintf(path, sizeof path, "%s/%s.ini", kind, name);
        if (access(path, R_OK) == 0) {
            snprintf(out, n, "%s", path);
            return DSIM_OK;
        }
        if (used < sizeof looked)
            used += (size_t)snprintf(looked + used, sizeof looked - used, "%s%s", used ? ", " : "", path);
    }
    char *names[256];
    size_t n_names = dsim_files_list(kind, names, 256);
    const char *near = dsim__nearest(name, (const char *const *)names, n_names);
    int rc = dsim_error_set(DSIM_ENOTFOUND, "no %s named '%s' (looked for %s)%s%s%s",
                            strcmp(kind, "policies") == 0 ? "policy" : "scenario", name, looked,
                            near ? "; did you mean '" : "", near ? near : "", near ? "'?" : "");
    for (size_t i = 0; i < n_names; i++)
        free(names[i]);
    return rc;
}
