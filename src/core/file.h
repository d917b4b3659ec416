/*
 * file.h — refusing what is not a file before a read could block on it.
 */
#ifndef DSIM_CORE_FILE_H
#define DSIM_CORE_FILE_H

/**
 * Check, before opening it, that `path` is a regular file if it exists: a FIFO (whose open would wait for a
 * writer forever), a directory or a device is refused with "PATH: not a regular file (it is a FIFO); expected
 * WHAT". @return 0, or `code` (the caller's error code for input it cannot use) with the message set.
 */
int dsim__check_regular(const char *path, const char *what, int code);

#endif
