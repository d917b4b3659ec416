/*
 * file.h — refusing what is not a file before a read could block on it; writing a file whole or not at all.
 */
#ifndef DSIM_CORE_FILE_H
#define DSIM_CORE_FILE_H

/**
 * Check, before opening it, that `path` is a regular file if it exists: a FIFO (whose open would wait for a
 * writer forever), a directory or a device is refused with "PATH: not a regular file (it is a FIFO); expected
 * WHAT". @return 0, or `code` (the caller's error code for input it cannot use) with the message set.
 */
int dsim__check_regular(const char *path, const char *what, int code);

#include <stdio.h>

/**
 * A new file beside `path`, to be renamed onto it once complete (so that a failure leaves nothing, and two
 * writers never share one): named PATH.XXXXXX in `tmp` (n bytes), opened for writing, with the permissions an
 * ordinary new file gets (0666 less the umask, not mkstemp's 0600). @return it, or NULL (errno set; nothing left).
 */
FILE *dsim__open_beside(const char *path, char *tmp, size_t n);

#endif
