/*
 * ini.h — INI parsing with line numbers, on top of inih.
 *
 * Debian's inih is built without INI_HANDLER_LINENO, so the line of each key is tracked here by feeding
 * inih through a reader that counts lines. Handlers return 0 or a DSIM_E… code with the message already set;
 * parsing stops reporting at the first error.
 */
#ifndef DSIM_CORE_INI_H
#define DSIM_CORE_INI_H

typedef int (*dsim__ini_handler)(void *user, const char *section, const char *key, const char *value,
                                 int line);

/** Parse INI text; `origin` (a file name) prefixes syntax errors as "origin:LINE: ...". @return 0 or error. */
int dsim__ini_parse(const char *text, const char *origin, dsim__ini_handler handler, void *user);

/** Read a whole file into a new NUL-terminated buffer (caller frees). @return 0 or DSIM_EIO. */
int dsim__read_file(const char *path, char **out);

#endif
