/*
 * cmd_merge.c — `dsim merge OUT.db IN.db...`: one database from the databases of a sweep's shards (dsim sweep
 * --shard I/N), refusing inputs of different sweeps; then `dsim sweep FILE --db OUT.db --summary` summarises
 * the whole sweep.
 */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "dsim/error.h"
#include "dsim/store.h"

static const char merge_usage[] =
    "usage: dsim merge OUT.db IN.db...\n\n"
    "Copies the finished runs of one sweep from the databases of its shards (dsim sweep --shard I/N) into\n"
    "OUT.db (created if needed). Every input must hold the same sweep, run from the same files; runs OUT.db\n"
    "has already are skipped, so merging again adds nothing twice. Each input is copied in one transaction.\n\n"
    "example:\n"
    "  dsim merge sweep.db shard0.db shard1.db shard2.db shard3.db\n"
    "  dsim sweep scenarios/sweeps/elasticity.ini --db sweep.db --summary\n";

int cmd_merge(int argc, char **argv)
{
    for (int i = 1; i < argc; i++)
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            fputs(merge_usage, stdout);
            return EXIT_OK;
        } else if (argv[i][0] == '-') {
            cli_error("merge: unknown option '%s' (see dsim merge --help)", argv[i]);
            return EXIT_USAGE;
        }
    if (argc < 3) {
        cli_error("merge: expected OUT.db and at least one IN.db (see dsim merge --help)");
        return EXIT_USAGE;
    }
    dsim_store_merge_stats stats;
    int rc = dsim_store_merge(argv[1], (const char *const *)argv + 2, (size_t)(argc - 2), &stats);
    if (rc) {
        cli_error("merge: %s", dsim_errmsg());
        return cli_exit_status(rc);
    }
    printf("merged %zu database%s into %s: sweep %s, %zu runs added, %zu already there\n", stats.inputs,
           stats.inputs == 1 ? "" : "s", argv[1], stats.sweep_path, stats.runs_added, stats.runs_present);
    return EXIT_OK;
}
