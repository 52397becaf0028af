/* cli/cmds.h — entry points of the mpsim subcommands (one file each: cli/cmd_*.c) and their dispatch.
 * Each takes argv with argv[0] = its own name and returns the process exit status:
 * 0 ok, 1 a check failed, 2 bad input or usage, 3 internal error. */
#ifndef MP_CLI_CMDS_H
#define MP_CLI_CMDS_H

#include <stdint.h>

#include "base/err.h"

#include "base/cli.h"

typedef struct CliCmd {
    const char *name;
    int (*run)(int argc, char **argv); /* returns the process exit status */
    const char *summary;
} CliCmd;

/* Run the subcommand named by argv[1] of table `cmds` (terminated by name == NULL);
 * with no command or --help, list the table. Returns the process exit status. */
int cli_dispatch(const char *prog, const CliCmd *cmds, int argc, char **argv);

/* The opening every subcommand shares: cli_parse() argv against spec. CMD_GO_ON when the command
 * goes on; otherwise it is done and this is its exit status: 0 after --help (printed), 2 after a
 * usage error (printed to stderr). */
#define CMD_GO_ON (-1)
int cmd_parse(const CliSpec *spec, int argc, char **argv, char **pos, int *npos);

/* --seq or --kv given as text (NULL: not given, POINT_LEN_DEFAULT); a value typed must be an
 * integer >= 1, else MP_EINPUT naming the flag. */
int cmd_parse_len(const char *flag, const char *text, int64_t *out, MpErr *e);

int cmd_config(int argc, char **argv);  /* config check|show */
int cmd_list(int argc, char **argv);    /* list models|presets|kinds */
int cmd_trace(int argc, char **argv);   /* trace show|gen|info */
int cmd_accuracy(int argc, char **argv); /* accuracy of formats and datapaths */
int cmd_perplexity(int argc, char **argv); /* perplexity of a real LLM through every format */
int cmd_run(int argc, char **argv);     /* simulate a workload on one accelerator */
int cmd_compare(int argc, char **argv); /* the same on several, against the first */
int cmd_infer(int argc, char **argv);   /* a whole request: TTFT, TPOT, tokens/s, J/token */
int cmd_sweep(int argc, char **argv);   /* design-space sweep into an SQLite database */
int cmd_merge(int argc, char **argv);   /* combine sweep databases (shards) */
int cmd_pareto(int argc, char **argv);  /* Pareto fronts of a sweep database */
int cmd_report(int argc, char **argv);  /* plots, tables and an HTML page from a sweep database */
int cmd_summary(int argc, char **argv); /* each design against a baseline, per workload */
int cmd_compare_gpu(int argc, char **argv); /* measured GPU kernels beside the simulated accelerator */
/* compare-gpu --phase request (cli/cmd_compare_req.c): whole requests on both sides, normalised */
typedef struct CgReqArgs {
    const char *gpu, *arch, *model, *set, *json, *norms; /* norms: NULL = every normalisation */
    int64_t prompt, gen, batch;
    double area_mm2;                                     /* 0: the GPU's die; else > 0     */
    int subtract_idle, quiet;
} CgReqArgs;
int cmd_compare_gpu_request(const CgReqArgs *a);

/* trace subcommands */
int cmd_trace_show(int argc, char **argv);
int cmd_trace_gen(int argc, char **argv);
int cmd_trace_info(int argc, char **argv);

#endif
