/*
 * file.c — refusing what is not a file before a read could block on it (file.h).
 */
#include "core/file.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dsim/error.h"

static const char *kind_of(mode_t mode)
{
    return S_ISFIFO(mode) ? "a FIFO" : S_ISDIR(mode) ? "a directory" : S_ISSOCK(mode) ? "a socket" : "a device";
}

int dsim__check_regular(const char *path, const char *what, int code)
{
    struct stat st;
    if (stat(path, &st) == 0 && !S_ISREG(st.st_mode))
        return dsim_error_set(code, "%s: not a regular file (it is %s); expected %s", path, kind_of(st.st_mode),
                              what);
    return DSIM_OK;
}

FILE *dsim__open_beside(const char *path, char *tmp, size_t n)
{
    if ((size_t)snprintf(tmp, n, "%s.XXXXXX", path) >= n) {
        errno = ENAMETOOLONG;
        return NULL;
    }
    int fd = mkstemp(tmp);
    if (fd < 0)
        return NULL;
    mode_t mask = umask(0);
    umask(mask);
    FILE *fp = fchmod(fd, 0666 & ~mask) == 0 ? fdopen(fd, "w") : NULL;
    if (!fp) {
        int err = errno;
        close(fd);
        remove(tmp);
        errno = err;
    }
    return fp;
}
