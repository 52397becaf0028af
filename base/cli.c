/* base/cli.c — see cli.h. */
#include "base/cli.h"

#include <stdio.h>
#include <string.h>

#include "base/parse.h"

static const CliOpt *find_opt(const CliOpt *opts, const char *name, size_t len)
{
    for (const CliOpt *o = opts; o && o->name; o++)
        if (strlen(o->name) == len && strncmp(o->name, name, len) == 0)
            return o;
    return NULL;
}

int cli_parse(const CliSpec *s, int argc, char **argv, char **pos, int *npos, MpErr *e)
{
    int n = 0, only_pos = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!only_pos && strcmp(a, "--") == 0) {
            only_pos = 1;
            continue;
        }
        if (!only_pos && (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0)) {
            cli_print_help(s);
            return CLI_HELP_SHOWN;
        }
        if (!only_pos && a[0] == '-' && a[1] == '-') {
            const char *name = a + 2, *eq = strchr(name, '=');
            size_t len = eq ? (size_t)(eq - name) : strlen(name);
            const CliOpt *o = find_opt(s->opts, name, len);
            if (!o)
                return mp_errf(e, MP_EINPUT, "%s: unknown option '--%.*s' (see '%s --help')", s->cmd, (int)len, name,
                               s->cmd);
            if (o->type == CLI_FLAG) {
                if (eq)
                    return mp_errf(e, MP_EINPUT, "%s: option '--%s' takes no value", s->cmd, o->name);
                *(int *)o->dest = 1;
                continue;
            }
            const char *val = eq ? eq + 1 : NULL;
            if (!val) {
                if (i + 1 >= argc)
                    return mp_errf(e, MP_EINPUT, "%s: option '--%s' needs a value (%s)", s->cmd, o->name, o->metavar);
                val = argv[++i];
            }
            switch (o->type) {
            case CLI_STR: *(const char **)o->dest = val; break;
            case CLI_INT:
                if (mp_parse_i64(val, (int64_t *)o->dest) != 0)
                    return mp_errf(e, MP_EINPUT, "%s: option '--%s': '%s' is not an integer", s->cmd, o->name, val);
                break;
            case CLI_F64:
                if (mp_parse_f64(val, (double *)o->dest) != 0)
                    return mp_errf(e, MP_EINPUT, "%s: option '--%s': '%s' is not a number", s->cmd, o->name, val);
                break;
            default: break;
            }
            continue;
        }
        if (!only_pos && a[0] == '-' && a[1] != '\0')
            return mp_errf(e, MP_EINPUT, "%s: unknown option '%s' (see '%s --help')", s->cmd, a, s->cmd);
        if (n >= s->max_pos || n >= CLI_MAX_POS)
            return mp_errf(e, MP_EINPUT, "%s: unexpected argument '%s' (usage: %s %s)", s->cmd, a, s->cmd, s->usage);
        pos[n++] = argv[i];
    }
    if (n < s->min_pos)
        return mp_errf(e, MP_EINPUT, "%s: missing argument (usage: %s %s)", s->cmd, s->cmd, s->usage);
    if (npos)
        *npos = n;
    return MP_OK;
}

void cli_print_help(const CliSpec *s)
{
    printf("usage: %s %s\n\n%s\n", s->cmd, s->usage, s->summary);
    if (s->opts && s->opts->name) {
        printf("\noptions:\n");
        for (const CliOpt *o = s->opts; o->name; o++) {
            char left[64];
            if (o->type == CLI_FLAG)
                snprintf(left, sizeof left, "--%s", o->name);
            else
                snprintf(left, sizeof left, "--%s %s", o->name, o->metavar);
            printf("  %-24s %s\n", left, o->help);
        }
    }
    printf("  %-24s %s\n", "--help", "show this help");
    if (s->details)
        printf("\n%s\n", s->details);
}

int cli_fail(const MpErr *e)
{
    fprintf(stderr, "%s\n", e->msg[0] ? e->msg : "error");
    return mp_err_exit_status(e->code);
}
