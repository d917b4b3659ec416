/*
 * cmd_report.c — `dsim report`: a self-contained HTML or PDF report (placeholder until written below).
 */
#include "cli/cli.h"
int cmd_report(int argc, char **argv)
{
    (void)argc, (void)argv;
    return EXIT_USAGE;
}
