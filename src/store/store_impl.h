/*
 * store_impl.h — shared inside src/store/: the migration entry point.
 */
#ifndef DSIM_STORE_IMPL_H
#define DSIM_STORE_IMPL_H

#include <sqlite3.h>
#include <stdio.h>

/** Bring the database to the latest schema version. @return 0 or DSIM_ESTORE. */
int dsim__store_migrate(sqlite3 *db, const char *path);

#endif
