/*
 * study_options.c — the options `dsim run` and `dsim bandit` share: one input FILE, repeatable -p POLICY, a
 * horizon (--visits or --rounds), --seeds, one output file (--db or --csv), --threads and --log-events where they apply,
 * --quiet and --help, with the same messages for the same mistakes.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "core/text.h"

int cli_parse_study_options(int argc, char **argv, const cli_study_spec *spec, cli_study_options *o)
{
    struct option longopts[] = {
        {"policy", required_argument, NULL, 'p'}, {spec->horizon, required_argument, NULL, 'v'},
        {"seeds", required_argument, NULL, 's'},  {spec->output, required_argument, NULL, 'o'},
        {"quiet", no_argument, NULL, 'q'},        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}, {NULL, 0, NULL, 0}, {NULL, 0, NULL, 0}, {NULL, 0, NULL, 0}, {NULL, 0, NULL, 0},
        {NULL, 0, NULL, 0}, {NULL, 0, NULL, 0}, {NULL, 0, NULL, 0}, {NULL, 0, NULL, 0}, {NULL, 0, NULL, 0},
    };
    int n_options = 6; /* the options only some commands take */
    if (spec->threads)
        longopts[n_options++] = (struct option){"threads", required_argument, NULL, 't'};
    if (spec->update_every)
        longopts[n_options++] = (struct option){"update-every", required_argument, NULL, 'u'};
    if (spec->log_events)
        longopts[n_options++] = (struct option){"log-events", no_argument, NULL, 'l'};
    if (spec->run_options) {
        longopts[n_options++] = (struct option){"jobs", required_argument, NULL, 'j'};
        longopts[n_options++] = (struct option){"by", required_argument, NULL, 'b'};
        longopts[n_options++] = (struct option){"columns", required_argument, NULL, 'c'};
        longopts[n_options++] = (struct option){"format", required_argument, NULL, 'f'};
        longopts[n_options++] = (struct option){"fresh", no_argument, NULL, 'F'};
        longopts[n_options++] = (struct option){"plot", required_argument, NULL, 'P'};
    }
    const char *cmd = spec->command;
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    *o = (cli_study_options){.seeds = 1, .threads = 1, .jobs = cores > 0 ? (int)(cores < CLI_MAX_JOBS ? cores : CLI_MAX_JOBS) : 1};
    int c;
    opterr = 0;
    while ((c = getopt_long(argc, argv, spec->run_options ? ":p:j:qh" : ":p:qh", longopts, NULL)) != -1) {
        switch (c) {
        case 'j': {
            unsigned long long n = 0;
            if (!dsim__parse_u64(optarg, &n) || n == 0 || n > CLI_MAX_JOBS) {
                cli_error("%s: -j: expected a whole number of processes from 1 to %d, got '%s'", cmd, CLI_MAX_JOBS,
                          optarg);
                return EXIT_USAGE;
            }
            o->jobs = (int)n;
            break;
        }
        case 'b':
            if (strcmp(optarg, "segment") != 0) {
                cli_error("%s: --by: expected segment, got '%s'", cmd, optarg);
                return EXIT_USAGE;
            }
            o->by_segment = true;
            break;
        case 'c':
            o->columns = optarg;
            break;
        case 'f':
            if (cli_parse_format(cmd, optarg, &o->format))
                return EXIT_USAGE;
            break;
        case 'P':
            if (cli_parse_plot(cmd, optarg, &o->plot))
                return EXIT_USAGE;
            break;
        case 'F':
            o->fresh = true;
            break;
        case 'u':
            if (!dsim__parse_count(optarg, &o->update_every) || o->update_every == 0 ||
                o->update_every > 100000000) {
                cli_error("%s: --update-every: expected a whole number of %s from 1 to 1e8, got '%s'", cmd,
                          spec->horizon, optarg);
                return EXIT_USAGE;
            }
            break;
        case 'p':
            if (o->n_policies == CLI_MAX_POLICIES) {
                cli_error("%s: at most %d policies", cmd, CLI_MAX_POLICIES);
                return EXIT_USAGE;
            }
            o->policies[o->n_policies++] = optarg;
            break;
        case 'v':
            if (!dsim__parse_count(optarg, &o->horizon) || o->horizon == 0) {
                cli_error("%s: --%s: expected a positive whole number, got '%s'", cmd, spec->horizon, optarg);
                return EXIT_USAGE;
            }
            break;
        case 's':
            if (!dsim__parse_count(optarg, &o->seeds) || o->seeds == 0 || o->seeds > spec->max_seeds) {
                cli_error("%s: --seeds: expected a whole number from 1 to %llu, got '%s'", cmd, spec->max_seeds,
                          optarg);
                return EXIT_USAGE;
            }
            break;
        case 'o':
            o->output = optarg;
            break;
        case 'q':
            o->quiet = 1;
            break;
        case 'l':
            o->log_events = 1;
            break;
        case 't': {
            unsigned long long n = 0;
            if (!dsim__parse_u64(optarg, &n) || n == 0 || n > 256) {
                cli_error("%s: --threads: expected a whole number from 1 to 256, got '%s'", cmd, optarg);
                return EXIT_USAGE;
            }
            o->threads = (int)n;
            break;
        }
        case 'h':
            spec->usage(stdout);
            return -1;
        case ':':
            cli_error("%s: option %s needs a value", cmd, argv[optind - 1]);
            return EXIT_USAGE;
        default:
            cli_error("%s: unknown option '%s' (see dsim %s --help)", cmd, argv[optind - 1], cmd);
            return EXIT_USAGE;
        }
    }
    if (optind != argc - 1) {
        if (optind == argc)
            cli_error("%s: expected %s (see dsim %s --help)", cmd, spec->missing, cmd);
        else
            cli_error("%s: expected %s, got extra arguments (see dsim %s --help)", cmd, spec->one, cmd);
        return EXIT_USAGE;
    }
    o->file = argv[optind];
    if (o->n_policies == 0)
        for (int i = 0; spec->default_policies[i]; i++)
            o->policies[o->n_policies++] = spec->default_policies[i];
    return EXIT_OK;
}
