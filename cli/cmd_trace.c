/* cli/cmd_trace.c — `mpsim trace show|gen|info`: dispatch only; each in its own file. */
#include <stddef.h>

#include "base/cli.h"
#include "cli/cmds.h"

int cmd_trace(int argc, char **argv)
{
    static const CliCmd sub[] = {
        {"show", cmd_trace_show, "list a model's GEMMs for a phase, with totals"},
        {"gen", cmd_trace_gen, "generate synthetic weights/activations into a safetensors file"},
        {"info", cmd_trace_info, "describe a safetensors file (tensors, statistics) or a GGUF file"},
        {NULL, NULL, NULL},
    };
    return cli_dispatch("mpsim trace", sub, argc, argv);
}
