/* cli/cmds.c — what the subcommands share: dispatch over a table of subcommands, and the opening
 * of each (parse the options, answer --help, report a usage error). See cmds.h. */
#include "base/parse.h"
#include "cli/cmds.h"
#include "sim/point.h"

#include <stdio.h>
#include <string.h>

int cli_dispatch(const char *prog, const CliCmd *cmds, int argc, char **argv)
{
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
        FILE *f = argc < 2 ? stderr : stdout;
        fprintf(f, "usage: %s COMMAND [options]   ('%s COMMAND --help' for each)\n\ncommands:\n", prog, prog);
        for (const CliCmd *c = cmds; c->name; c++)
            fprintf(f, "  %-14s %s\n", c->name, c->summary);
        return argc < 2 ? 2 : 0;
    }
    for (const CliCmd *c = cmds; c->name; c++)
        if (!strcmp(c->name, argv[1]))
            return c->run(argc - 1, argv + 1);
    fprintf(stderr, "%s: unknown command '%s' (see '%s --help')\n", prog, argv[1], prog);
    return 2;
}

int cmd_parse(const CliSpec *spec, int argc, char **argv, char **pos, int *npos)
{
    MpErr e = {0};
    int rc = cli_parse(spec, argc, argv, pos, npos, &e);
    if (rc == CLI_HELP_SHOWN)
        return 0;
    return rc ? cli_fail(&e) : CMD_GO_ON;
}

/* --seq or --kv: not given (NULL) is POINT_LEN_DEFAULT; a value typed must be an integer >= 1. */
int cmd_parse_len(const char *flag, const char *text, int64_t *out, MpErr *e)
{
    *out = POINT_LEN_DEFAULT;
    if (!text)
        return MP_OK;
    int64_t v;
    if (mp_parse_i64(text, &v) != 0)
        return mp_errf(e, MP_EINPUT, "option '--%s': '%s' is not an integer", flag, text);
    if (v < 1)
        return mp_errf(e, MP_EINPUT, "--%s %lld: must be >= 1", flag, (long long)v);
    *out = v;
    return MP_OK;
}
