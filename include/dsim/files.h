/*
 * dsim/files.h — the shipped scenarios and policies: a bare NAME is found as KIND/NAME.ini in, in order, the
 * current directory, $DSIM_DATA_DIR, the share/dsim beside the running program's bin/ (an installed dsim, wherever
 * it was installed), the install prefix dsim was configured with, and the source tree (an uninstalled build).
 */
#ifndef DSIM_FILES_H
#define DSIM_FILES_H

#include <stddef.h>

/**
 * The file of a scenario or policy as named on a command line or in a sweep: `kind` is "scenarios" or
 * "policies". A path (with '/' or ending in .ini) is used as given; a bare NAME is looked up in the places
 * above, in order. @param out the path found (n bytes, caller-owned)
 * @return 0, or DSIM_ENOTFOUND with a message naming every place looked in.
 */
int dsim_files_find(const char *kind, const char *name, char *out, size_t n);

/** @return the first of the places above that holds KIND/ (static storage). */
const char *dsim_files_dir(const char *kind);

/** The NAMEs of KIND/NAME.ini in dsim_files_dir(kind), sorted, at most `max`; each owned by the caller
 *  (free()). @return how many. */
size_t dsim_files_list(const char *kind, char **names, size_t max);

#endif
