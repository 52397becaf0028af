/* cli/main.c — the mpsim binary: its table of subcommands (dispatch: cli/cmds.c). */
#include <stddef.h>

#include "cli/cmds.h"

static const CliCmd commands[] = {
    {"run", cmd_run, "simulate one phase of a model (GEMMs and vector work) on one accelerator: cycles, energy, DRAM, mapping"},
    {"infer", cmd_infer, "a whole request (prefill, then decode as the KV cache grows): TTFT, TPOT, tokens/s, J/token"},
    {"compare", cmd_compare, "run one workload on several accelerators: speed-up and energy vs the first"},
    {"compare-gpu", cmd_compare_gpu, "measured GPU time and energy per layer beside the simulated accelerator"},
    {"sweep", cmd_sweep, "design-space sweep: many design points x workloads into an SQLite database"},
    {"merge", cmd_merge, "merge sweep databases (shards) into one"},
    {"pareto", cmd_pareto, "Pareto fronts (latency, energy, area, accuracy) of a sweep database"},
    {"report", cmd_report, "plots (gnuplot), CSV and an HTML page from a sweep database"},
    {"summary", cmd_summary, "speed-up, energy, area and accuracy of each design against a baseline"},
    {"trace", cmd_trace, "LLM workloads: show a model's GEMMs, generate or inspect tensor files"},
    {"accuracy", cmd_accuracy, "accuracy of every number format and PE datapath on LLM layers"},
    {"perplexity", cmd_perplexity, "perplexity of the real SmolLM2-135M through every number format and datapath"},
    {"config", cmd_config, "check or show an accelerator config file or preset"},
    {"list", cmd_list, "list built-in models, presets and PE kinds"},
    {NULL, NULL, NULL},
};

int main(int argc, char **argv) { return cli_dispatch("mpsim", commands, argc, argv); }
