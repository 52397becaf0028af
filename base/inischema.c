/* base/inischema.c — see inischema.h. */
#include "inischema.h"

#include <ini.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>

#include "parse.h"

typedef struct LoadCtx {
    const char *path;
    const IniKey *rows;
    int nrows;
    void *target;
    IniLoad *where;
    MpErr *e;
    int lineno;          /* line the reader handed out last */
    int long_line;       /* line number of the first over-long line, 0 if none */
    /* reader source: a FILE or a string */
    FILE *f;
    const char *s;
} LoadCtx;

static int row_find(const IniKey *rows, int nrows, const char *section, const char *key)
{
    for (int i = 0; i < nrows; i++)
        if (strcmp(rows[i].section, section) == 0 && strcmp(rows[i].key, key) == 0)
            return i;
    return -1;
}

static int section_known(const IniKey *rows, int nrows, const char *section)
{
    for (int i = 0; i < nrows; i++)
        if (strcmp(rows[i].section, section) == 0)
            return 1;
    return 0;
}

int ini_schema_set(const IniKey *row, void *target, const char *value, char *msg, size_t msgcap)
{
    char *field = (char *)target + row->offset;
    switch (row->type) {
    case INI_INT: {
        int64_t v;
        if (mp_parse_i64(value, &v) != 0) {
            snprintf(msg, msgcap, "'%s' is not an integer", value);
            return -1;
        }
        if ((double)v < row->min || (double)v > row->max) {
            snprintf(msg, msgcap, "%lld is out of range [%.0f, %.0f]%s%s", (long long)v, row->min, row->max,
                     *row->unit ? " " : "", row->unit);
            return -1;
        }
        *(int *)field = (int)v;
        return 0;
    }
    case INI_F64: {
        double v;
        if (mp_parse_f64(value, &v) != 0) {
            snprintf(msg, msgcap, "'%s' is not a number", value);
            return -1;
        }
        if (v < row->min || v > row->max) {
            snprintf(msg, msgcap, "%g is out of range [%g, %g]%s%s", v, row->min, row->max, *row->unit ? " " : "",
                     row->unit);
            return -1;
        }
        *(double *)field = v;
        return 0;
    }
    case INI_BOOL: {
        int v;
        if (mp_parse_bool(value, &v) != 0) {
            snprintf(msg, msgcap, "'%s' is not a boolean (true/false/yes/no/on/off/1/0)", value);
            return -1;
        }
        *(int *)field = v;
        return 0;
    }
    case INI_ENUM: {
        for (int i = 0; row->names[i]; i++)
            if (strcmp(row->names[i], value) == 0) {
                *(int *)field = i;
                return 0;
            }
        size_t n = (size_t)snprintf(msg, msgcap, "'%s' is not one of:", value);
        for (int i = 0; row->names[i] && n < msgcap; i++)
            n += (size_t)snprintf(msg + n, msgcap - n, " %s", row->names[i]);
        return -1;
    }
    case INI_STR: {
        size_t n = strlen(value);
        if (n + 1 > row->str_cap) {
            snprintf(msg, msgcap, "value is longer than %zu characters", row->str_cap - 1);
            return -1;
        }
        memcpy(field, value, n + 1);
        return 0;
    }
    }
    snprintf(msg, msgcap, "internal: bad key type");
    return -1;
}

int ini_schema_defaults(const IniKey *rows, int nrows, void *target, MpErr *e)
{
    char msg[512];
    for (int i = 0; i < nrows; i++) {
        const char *d = rows[i].def ? rows[i].def : (rows[i].type == INI_STR ? "" : NULL);
        if (!d) {
            /* required: start from a zero value; the loader insists the file sets it */
            char *field = (char *)target + rows[i].offset;
            if (rows[i].type == INI_F64)
                *(double *)field = 0.0;
            else
                *(int *)field = 0;
            continue;
        }
        if (ini_schema_set(&rows[i], target, d, msg, sizeof msg) != 0)
            return mp_errf(e, MP_EINTERNAL, "schema default [%s] %s: %s", rows[i].section, rows[i].key, msg);
    }
    return MP_OK;
}

static int handler(void *user, const char *section, const char *name, const char *value)
{
    LoadCtx *c = user;
    char msg[512];
    if (c->e->code != MP_OK)
        return 0;
    int i = row_find(c->rows, c->nrows, section, name);
    if (i < 0) {
        if (!*section)
            mp_errf(c->e, MP_EINPUT, "%s:%d: key '%s' outside any [section]", c->path, c->lineno, name);
        else if (!section_known(c->rows, c->nrows, section))
            mp_errf(c->e, MP_EINPUT, "%s:%d: unknown section [%s]", c->path, c->lineno, section);
        else
            mp_errf(c->e, MP_EINPUT, "%s:%d: unknown key '%s' in [%s]", c->path, c->lineno, name, section);
        return 0;
    }
    if (i >= INI_SCHEMA_MAX) {
        mp_errf(c->e, MP_EINTERNAL, "schema larger than INI_SCHEMA_MAX");
        return 0;
    }
    if (c->where->line[i]) {
        mp_errf(c->e, MP_EINPUT, "%s:%d: duplicate key '%s' in [%s] (first set on line %d)", c->path, c->lineno,
                name, section, c->where->line[i]);
        return 0;
    }
    if (ini_schema_set(&c->rows[i], c->target, value, msg, sizeof msg) != 0) {
        mp_errf(c->e, MP_EINPUT, "%s:%d: [%s] %s: %s", c->path, c->lineno, section, name, msg);
        return 0;
    }
    c->where->line[i] = c->lineno;
    return 1;
}

/* Our reader: hands inih one line at a time, counting lines, flagging lines that do
 * not fit inih's buffer (they would otherwise be split silently). */
static char *reader(char *buf, int size, void *stream)
{
    LoadCtx *c = stream;
    int n = 0;
    if (c->f) {
        if (!fgets(buf, size, c->f))
            return NULL;
        n = (int)strlen(buf);
        if (n == size - 1 && buf[n - 1] != '\n') {
            if (!c->long_line)
                c->long_line = c->lineno + 1;
            int ch; /* skip the rest of the line so counting stays right */
            while ((ch = fgetc(c->f)) != EOF && ch != '\n')
                ;
        }
    } else {
        if (!*c->s)
            return NULL;
        const char *nl = strchr(c->s, '\n');
        size_t len = nl ? (size_t)(nl - c->s) : strlen(c->s), copy = len;
        if (len > (size_t)size - 2) { /* same limit as the FILE branch */
            if (!c->long_line)
                c->long_line = c->lineno + 1;
            copy = (size_t)size - 2;
        }
        memcpy(buf, c->s, copy);
        buf[copy] = '\0';
        c->s += len + (nl ? 1 : 0);
    }
    c->lineno++;
    return buf;
}

static int finish(LoadCtx *c, int rc)
{
    c->where->nlines = c->lineno;
    if (c->e->code != MP_OK)
        return c->e->code;
    if (c->long_line)
        return mp_errf(c->e, MP_EINPUT, "%s:%d: line longer than %d characters", c->path, c->long_line,
                       INI_MAX_LINE - 2);
    if (rc == -2)
        return mp_errf(c->e, MP_ENOMEM, "%s: out of memory", c->path);
    if (rc > 0)
        return mp_errf(c->e, MP_EINPUT, "%s:%d: syntax error (expected '[section]' or 'key = value')", c->path, rc);
    if (rc < 0)
        return mp_errf(c->e, MP_EINPUT, "%s: cannot read", c->path);
    for (int i = 0; i < c->nrows; i++)
        if (!c->rows[i].def && !c->where->line[i])
            return mp_errf(c->e, MP_EINPUT, "%s:%d: missing required key '%s' in [%s] (at end of file)", c->path,
                           c->lineno, c->rows[i].key, c->rows[i].section);
    return MP_OK;
}

static int load(LoadCtx *c)
{
    if (c->nrows > INI_SCHEMA_MAX)
        return mp_errf(c->e, MP_EINTERNAL, "schema larger than INI_SCHEMA_MAX");
    int rc = ini_schema_defaults(c->rows, c->nrows, c->target, c->e);
    if (rc)
        return rc;
    rc = ini_parse_stream(reader, c, handler, c);
    return finish(c, rc);
}

int ini_schema_load(const char *path, const IniKey *rows, int nrows, void *target, IniLoad *where, MpErr *e)
{
    IniLoad local;
    LoadCtx c = {path, rows, nrows, target, where ? where : &local, e, 0, 0, NULL, NULL};
    memset(c.where, 0, sizeof *c.where);
    c.f = fopen(path, "r");
    if (!c.f)
        return mp_errf(e, MP_EINPUT, "%s: cannot open", path);
    int rc = load(&c);
    fclose(c.f);
    return rc;
}

int ini_schema_load_string(const char *name, const char *text, const IniKey *rows, int nrows, void *target,
                           IniLoad *where, MpErr *e)
{
    IniLoad local;
    LoadCtx c = {name, rows, nrows, target, where ? where : &local, e, 0, 0, NULL, text};
    memset(c.where, 0, sizeof *c.where);
    return load(&c);
}

void ini_schema_format(const IniKey *row, const void *target, char *buf, size_t cap)
{
    const char *field = (const char *)target + row->offset;
    switch (row->type) {
    case INI_INT: snprintf(buf, cap, "%d", *(const int *)field); break;
    case INI_F64: snprintf(buf, cap, "%.17g", *(const double *)field); break;
    case INI_BOOL: snprintf(buf, cap, "%s", *(const int *)field ? "true" : "false"); break;
    case INI_ENUM: snprintf(buf, cap, "%s", row->names[*(const int *)field]); break;
    case INI_STR: snprintf(buf, cap, "%s", field); break;
    }
    /* shortest round-tripping form for doubles */
    if (row->type == INI_F64) {
        for (int p = 1; p <= 17; p++) {
            char t[64];
            snprintf(t, sizeof t, "%.*g", p, *(const double *)field);
            if (strtod(t, NULL) == *(const double *)field) {
                snprintf(buf, cap, "%s", t);
                break;
            }
        }
    }
}

void ini_schema_print(FILE *f, const IniKey *rows, int nrows, const void *target, const IniLoad *where)
{
    const char *cur = NULL;
    for (int i = 0; i < nrows; i++) {
        char val[512];
        if (!cur || strcmp(cur, rows[i].section) != 0) {
            fprintf(f, "%s[%s]\n", cur ? "\n" : "", rows[i].section);
            cur = rows[i].section;
        }
        ini_schema_format(&rows[i], target, val, sizeof val);
        fprintf(f, "; %s%s%s%s%s\n", rows[i].doc, *rows[i].unit ? " [" : "", rows[i].unit, *rows[i].unit ? "]" : "",
                where && where->line[i] ? "" : (rows[i].def ? " (default)" : ""));
        fprintf(f, "%s = %s\n", rows[i].key, val);
    }
}
