/*
 * cmd_policies.c — `dsim policies`: the policy types with their parameters, and the shipped policy files.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "dsim/policy.h"

static int compare_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

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

    char dir_path[1024];
    snprintf(dir_path, sizeof dir_path, "%s/policies", cli_data_dir("policies"));
    DIR *dir = opendir(dir_path);
    if (!dir)
        return EXIT_OK;
    char *names[256];
    size_t n = 0;
    for (struct dirent *e; (e = readdir(dir)) && n < 256;) {
        size_t len = strlen(e->d_name);
        if (len > 4 && strcmp(e->d_name + len - 4, ".ini") == 0)
            names[n++] = strndup(e->d_name, len - 4);
    }
    closedir(dir);
    qsort(names, n, sizeof names[0], compare_names);
    printf("\nPolicy files in %s/ (use with -p NAME):\n ", dir_path);
    for (size_t i = 0; i < n; i++) {
        printf(" %s", names[i]);
        free(names[i]);
    }
    printf("\n");
    return EXIT_OK;
}
