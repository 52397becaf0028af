/* base/cli.h — command-line option tables and generated help, for every binary of the project
 * (mpsim, bench, the SystemC platform and co-simulation).
 *
 * Every subcommand declares its flags as a CliOpt table; cli_parse() fills the
 * destinations, rejects unknown or malformed flags (MP_EINPUT, exit 2) and prints
 * help generated from the same table for --help. Flags take "--name value" or
 * "--name=value". Positional arguments are collected in order.
 */
#ifndef MP_BASE_CLI_H
#define MP_BASE_CLI_H

#include <stdint.h>

#include "base/err.h"

typedef enum { CLI_FLAG, CLI_STR, CLI_INT, CLI_F64 } CliType;

typedef struct CliOpt {
    const char *name;     /* without the leading "--"                     */
    CliType type;
    void *dest;           /* int* (FLAG: set to 1), const char**, int64_t*, double* */
    const char *metavar;  /* shown in help: "N", "FILE", ...              */
    const char *help;
} CliOpt;

typedef struct CliSpec {
    const char *cmd;      /* "mpsim trace show"                            */
    const char *usage;    /* after the command name: "[options] FILE"     */
    const char *summary;  /* one line                                      */
    const char *details;  /* paragraphs after the options, may be NULL     */
    const CliOpt *opts;   /* terminated by a row with name == NULL         */
    int min_pos, max_pos; /* positional argument counts                    */
} CliSpec;

#define CLI_HELP_SHOWN (-1)
#define CLI_MAX_POS 16

/* MP_OK, CLI_HELP_SHOWN (help printed to stdout), or MP_EINPUT with e set. */
int cli_parse(const CliSpec *s, int argc, char **argv, char **pos, int *npos, MpErr *e);
void cli_print_help(const CliSpec *s);

/* Print e's message to stderr and return the matching exit status. */
int cli_fail(const MpErr *e);

#endif
