/*
 * main.c — the `dsim` command: dispatch to one sub-command per file (cmd_*.c).
 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "dsim/rank.h"

#ifndef DSIM_VERSION
#define DSIM_VERSION "0"
#endif

static const cli_command commands[] = {
    {"run", "run policies on a scenario, compare them, store the results", cmd_run},
    {"bandit", "run policies on a plain K-armed problem (Bernoulli arms, posted prices)", cmd_bandit},
    {"list", "list the runs in a result database", cmd_list},
    {"show", "show one run: summary, discount levels given, configuration", cmd_show},
    {"sweep", "run every cell x policy x seed of a sweep file, resumably, and summarise", cmd_sweep},
    {"merge", "combine the databases of a sweep's shards into one", cmd_merge},
    {"dash", "watch policies compete live in the terminal, and change the market", cmd_dash},
    {"ope", "estimate target policies' value from a log of another policy's decisions", cmd_ope},
    {"plot", "draw a chart of stored runs, a sweep, an evaluation or a bandit CSV (PNG, SVG, PDF)", cmd_plot},
    {"report", "write a self-contained HTML (or PDF) report of stored runs or a sweep", cmd_report},
    {"fit", "estimate a market's segments from a visit log and write them as a scenario", cmd_fit},
    {"export-log", "write a run's logged decisions as a CSV log", cmd_export_log},
    {"scenarios", "list the shipped scenarios by name, each with the first line of its story", cmd_scenarios},
    {"policies", "list policy types, their parameters and the shipped policy files", cmd_policies},
    {"scenario-keys", "list every scenario key with its unit, default and meaning", cmd_scenario_keys},
};

static void usage(FILE *out)
{
    fprintf(out, "usage: dsim COMMAND [OPTIONS]   (dsim COMMAND --help for its options)\n\n"
                 "dsim simulates shoppers, ranked slates and discount policies, and compares the policies.\n\n"
                 "commands:\n");
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        fprintf(out, "  %-14s %s\n", commands[i].name, commands[i].summary);
    fprintf(out, "\n  --version      print dsim's version\n  --help         this help\n"
                 "\nexample:\n  dsim run default -p none -p fixed10 -p thompson -p oracle --seeds 3\n"
                 "\nsee man dsim, and man dsim-COMMAND for each command\n");
}

/* Was help asked for anywhere in a command's arguments? Then the manual is pointed to after its usage. */
static bool asks_help(int argc, char **argv)
{
    for (int i = 1; i < argc; i++)
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
            return true;
    return false;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return EXIT_USAGE;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "help") == 0) {
        usage(stdout);
        return EXIT_OK;
    }
    if (strcmp(argv[1], "--version") == 0) {
        printf("dsim %s\n", DSIM_VERSION);
        return EXIT_OK;
    }
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (strcmp(argv[1], commands[i].name) == 0) {
            int status = commands[i].run(argc - 1, argv + 1);
            if (status == EXIT_OK && asks_help(argc - 1, argv + 1))
                printf("\nsee man dsim-%s\n", commands[i].name);
            return status;
        }
    fprintf(stderr, "dsim: unknown command '%s'\n", argv[1]);
    usage(stderr);
    return EXIT_USAGE;
}
