/*
 * cmd_policies.c — `dsim policies`: the policy types with their parameters, and the shipped policy files.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "dsim/files.h"
#include "dsim/policy.h"
#include "dsim/features.h"

/* Each type with its summary and parameters (default, range, meaning), then the context features. */
static void print_types(void)
{
    for (const dsim_policy_type *const *t = dsim_policy_types(); *t; t++) {
        printf("%s — %s\n", (*t)->name, (*t)->summary);
        for (int i = 0; i < (*t)->n_params; i++) {
            const dsim_param_spec *p = &(*t)->params[i];
            printf("    %-20s default %-6g range [%g, %g]  %s\n", p->name, p->fallback, p->min, p->max, p->doc);
        }
        if ((*t)->flags & DSIM_POLICY_CONTEXTUAL) {
            char defaults[256] = "all";
            size_t used = 0;
            for (int f = 0; f < DSIM_N_FEATURES && (*t)->default_features; f++)
                if ((*t)->default_features & (1u << f))
                    used += (size_t)snprintf(defaults + used, sizeof defaults - used, "%s%s", used ? "," : "",
                                             dsim_features_name((dsim_feature)f));
            printf("    %-20s default %-6s  context features this policy uses (comma-separated)\n", "features",
                   defaults);
        }
        if ((*t)->learn)
            printf("    %-20s default %-6s  naive or wait: a purchase still to come (docs/learning.md)\n", "delayed",
                   "naive");
    }
    printf("\ncontext features (`features = ...` in a policy file; dsim/features.h):\n");
    for (int f = 0; f < DSIM_N_FEATURES; f++)
        printf("    %-20s %s\n", dsim_features_name((dsim_feature)f), dsim_features_doc((dsim_feature)f));
}

/* --names: the shipped policy files' NAMEs alone, one per line (for scripts and shell completion). */
static int print_names(void)
{
    char *names[256];
    size_t n = dsim_files_list("policies", names, 256);
    for (size_t i = 0; i < n; i++) {
        printf("%s\n", names[i]);
        free(names[i]);
    }
    return EXIT_OK;
}

int cmd_policies(int argc, char **argv)
{
    if (argc == 2 && strcmp(argv[1], "--names") == 0)
        return print_names();
    if (argc > 1) {
        if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
            printf("usage: dsim policies [--names]\n\nLists the policy types, their parameters (with defaults and "
                   "ranges),\nand the policy files shipped in policies/.\n\n"
                   "  --names   the shipped policy files' names alone, one per line (for scripts and completion)\n");
            return EXIT_OK;
        }
        cli_error("policies: unexpected argument '%s'", argv[1]);
        return EXIT_USAGE;
    }
    printf("Policy types (set `type` and parameters in a [policy] section of policies/NAME.ini):\n\n");
    print_types();

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
