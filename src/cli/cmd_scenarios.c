/*
 * cmd_scenarios.c — `dsim scenarios [--names]`: the shipped scenarios by NAME, each with the first line of its
 * story, and where they were found (the lookup order of dsim/files.h); --names for scripts and completion.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "dsim/files.h"

static const char scenarios_usage[] =
    "usage: dsim scenarios [--names]\n\n"
    "Lists the shipped scenarios by NAME (use as dsim run NAME) with the first line of each one's story, and the\n"
    "directory they were found in: ./scenarios, $DSIM_DATA_DIR, the installed share/dsim, or the source tree.\n\n"
    "  --names   the names alone, one per line (for scripts and shell completion)\n";

/* The first line of a scenario file's opening comment, without its marker and its "NAME — " start. */
static void story_line(const char *dir, const char *name, char *out, size_t n)
{
    char path[1200], line[512] = "";
    snprintf(path, sizeof path, "%s/scenarios/%s.ini", dir, name);
    FILE *fp = fopen(path, "r");
    out[0] = '\0';
    if (!fp)
        return;
    if (fgets(line, sizeof line, fp) && (line[0] == ';' || line[0] == '#')) {
        line[strcspn(line, "\n")] = '\0';
        const char *text = line + 1 + (line[1] == ' ');
        const char *dash = strstr(text, " — ");
        snprintf(out, n, "%s", dash && (size_t)(dash - text) <= strlen(name) + 4 ? dash + strlen(" — ") : text);
    }
    fclose(fp);
}

int cmd_scenarios(int argc, char **argv)
{
    bool names_only = false;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            fputs(scenarios_usage, stdout);
            return EXIT_OK;
        }
        if (strcmp(argv[i], "--names")) {
            cli_error("scenarios: unexpected argument '%s'", argv[i]);
            fputs(scenarios_usage, stderr);
            return EXIT_USAGE;
        }
        names_only = true;
    }
    char *names[256];
    size_t n = dsim_files_list("scenarios", names, 256);
    const char *dir = dsim_files_dir("scenarios");
    if (!names_only)
        printf("scenarios in %s/scenarios/ (use as dsim run NAME):\n", dir);
    for (size_t i = 0; i < n; i++) {
        char story[512];
        if (names_only) {
            printf("%s\n", names[i]);
        } else {
            story_line(dir, names[i], story, sizeof story);
            printf("  %-22s %s\n", names[i], story);
        }
        free(names[i]);
    }
    return EXIT_OK;
}
