/* cli/cmd_config.c — `mpsim config check|show FILE|PRESET`. */
#include <stdio.h>

#include "base/cli.h"
#include "cli/cmds.h"
#include "sim/config.h"

static int run_config(int argc, char **argv, int show)
{
    const CliSpec spec = {
        show ? "mpsim config show" : "mpsim config check",
        "FILE|PRESET",
        show ? "Print the resolved config, defaults filled in, as a valid INI file."
             : "Validate a config file or preset; prints 'ok' and exits 0, or FILE:LINE: message and exits 2.",
        "A preset is addressed by its path under configs/ without .ini: 'mixpe-paper/fp16'.",
        (const CliOpt[]){{NULL, 0, NULL, NULL, NULL}},
        1,
        1,
    };
    char *pos[CLI_MAX_POS];
    int st = cmd_parse(&spec, argc, argv, pos, NULL);
    if (st != CMD_GO_ON)
        return st;
    MpErr e = {0};
    ArchConfig c;
    IniLoad where;
    char path[1024];
    if (config_load(pos[0], &c, &where, path, sizeof path, &e) != MP_OK)
        return cli_fail(&e);
    if (show) {
        printf("; resolved from %s\n", path);
        config_print(stdout, &c, &where);
    } else {
        printf("%s: ok (%s)\n", path, c.name);
    }
    return 0;
}

static int config_check(int argc, char **argv) { return run_config(argc, argv, 0); }
static int config_show(int argc, char **argv) { return run_config(argc, argv, 1); }

int cmd_config(int argc, char **argv)
{
    static const CliCmd sub[] = {
        {"check", config_check, "validate a config file or preset"},
        {"show", config_show, "print the resolved config with defaults"},
        {NULL, NULL, NULL},
    };
    return cli_dispatch("mpsim config", sub, argc, argv);
}
