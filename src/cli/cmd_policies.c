/*
 * cmd_policies.c — `dsim policies`: the policy types with their parameters, and the shipped policy files.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "dsim/files.h"
#include "dsim/policy.h"


int cmd_policies(int argc, char **argv)
{
    if (argc > 1) {
        if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
            printf("usage: dsim policies\n\nLists the policy types, their parameters (with defaults and ranges),\n"
                   "and the policy files shipped in policies/.\n");
            return EXIT_OK;
        }
        cli_error("policies: unexpected argument '%s'", argv[1]);
        return EXIT_USAGE;
    }
    printf("Policy types (set `type` and parameters in a [policy] section of policies/NAME.ini):\n\n");
    dsim_policy_document(stdout);

    char *names[256];
    size_t n = dsim_files_list("policies", names, 256);
    if (n == 0)
        return EXIT_OK;
    printf("\nPolicy files in %s/policies/ (use with -p NAME):\n ", dsim_files_dir("policies"));
    for (size_t i = 0; i < n; i++) {
        printf(" %s", names[i]);
        free(names[i]);
    }
    printf("\n");
    return EXIT_OK;
}
