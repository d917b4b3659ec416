/*
 * spill.c — unlinked temporary files (spill.h).
 */
#include "core/spill.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dsim/error.h"

int dsim__spill_open(char *path, size_t n, const char *prefix, const char *what)
{
    const char *dir = getenv("TMPDIR");
    snprintf(path, n, "%s/%s_XXXXXX", dir && *dir ? dir : "/tmp", prefix);
    int fd = mkstemp(path);
    if (fd < 0) {
        dsim_error_set(DSIM_EIO, "cannot create a temporary file %s for %s: %s", path, what, strerror(errno));
        return -1;
    }
    unlink(path);
    return fd;
}
