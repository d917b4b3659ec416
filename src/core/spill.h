/*
 * spill.h — an unlinked temporary file for data too large to hold in memory (a streamed log, a per-row
 * target): under $TMPDIR, else /tmp; gone when closed, whatever happens.
 */
#ifndef DSIM_CORE_SPILL_H
#define DSIM_CORE_SPILL_H

#include <stddef.h>

/**
 * Create and unlink a temporary file named from `prefix`; `path` (n bytes) receives its name, for messages.
 * @param what says what it is for, in the error message @return an open file descriptor, or −1 with
 * DSIM_EIO set ("cannot create a temporary file PATH for WHAT: reason").
 */
int dsim__spill_open(char *path, size_t n, const char *prefix, const char *what);

#endif
