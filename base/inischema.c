/* base/inischema.c — see inischema.h. */
#include "base/inischema.h"

#include "base/fileio.h"

#include <errno.h>
#include <ini.h>
#include <math.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>

#include "base/parse.h"

typedef struct LoadCtx {
    const char *path;
    const IniKey *rows;
    int nrows;
    void *target;
    IniLoad *where;
    MpErr *e;
    int lineno;          /* line the reader handed out last */
    int err_line;        /* line of the handler's error, 0 if none */
    /* The reader stops at the first line it cannot hand to inih whole: */
    int long_line;       /* that line is longer than max_len, 0 if none    */
    int max_len;         /* longest line inih's buffer holds               */
    int bad_line, bad_byte, bad_col; /* a control byte (NUL, binary junk) */
    int junk_line;       /* text after "[section]"                         */
    int read_errno;      /* the FILE reported a read error                 */
    int known_seen;      /* a [section] of the schema was read: from then on the file is of
                            this kind and messages may quote it; before, they quote nothing
                            (the file may be any file, e.g. /etc/passwd)   */
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

/* "[a] [b] ..." : the schema's sections, each once, in table order (cut with "..." at cap). */
static const char *sections_list(const IniKey *rows, int nrows, char *buf, size_t cap)
{
    size_t n = 0;
    buf[0] = '\0';
    for (int i = 0; i < nrows; i++) {
        int dup = 0;
        for (int j = 0; j < i && !dup; j++)
            dup = strcmp(rows[j].section, rows[i].section) == 0;
        if (dup)
            continue;
        size_t k = strlen(rows[i].section) + 3 + (n > 0);
        if (n + k + 4 >= cap) {
            snprintf(buf + n, cap - n, " ...");
            break;
        }
        n += (size_t)snprintf(buf + n, cap - n, "%s[%s]", n ? " " : "", rows[i].section);
    }
    return buf;
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
    c->err_line = c->lineno; /* cleared below on success */
    int i = row_find(c->rows, c->nrows, section, name);
    if (i < 0) {
        char secs[400];
        if (!*section)
            mp_errf(c->e, MP_EINPUT, "%s:%d: a key outside any [section] (expected a section first: %s)", c->path,
                    c->lineno, sections_list(c->rows, c->nrows, secs, sizeof secs));
        else if (!section_known(c->rows, c->nrows, section) && !c->known_seen)
            mp_errf(c->e, MP_EINPUT, "%s:%d: unknown section (expected one of: %s)", c->path, c->lineno,
                    sections_list(c->rows, c->nrows, secs, sizeof secs));
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
    c->err_line = 0;
    return 1;
}

/* One byte of the source, or EOF; records a read error of the FILE. */
static int next_byte(LoadCtx *c)
{
    if (c->f) {
        int ch = fgetc(c->f);
        if (ch == EOF && ferror(c->f) && !c->read_errno)
            c->read_errno = errno ? errno : EIO;
        return ch;
    }
    return *c->s ? (unsigned char)*c->s++ : EOF;
}

static int peek_byte(LoadCtx *c)
{
    if (c->f) {
        int ch = fgetc(c->f);
        if (ch != EOF)
            ungetc(ch, c->f);
        return ch;
    }
    return *c->s ? (unsigned char)*c->s : EOF;
}

/* Our reader: hands inih one line at a time, counting lines. A line ends at "\n",
 * "\r\n" or the end of the input; its leading white space is dropped (so an indented
 * line is an ordinary line, never a continuation of the previous value). It stops the
 * parse at the first line that does not fit inih's buffer (it would otherwise be split
 * silently) or that holds a control byte (NUL, binary junk): finish() reports it. */
static char *reader(char *buf, int size, void *stream)
{
    LoadCtx *c = stream;
    if (c->long_line || c->bad_line || c->junk_line || c->read_errno)
        return NULL;
    size_t cap = (size_t)size - 2, n = 0; /* inih needs room for '\n' and '\0' */
    int ch, got = 0, lead = 1, col = 0;
    c->max_len = (int)cap;
    while ((ch = next_byte(c)) != EOF) {
        got = 1;
        if (ch == '\n')
            break;
        if (ch == '\r') {
            int nx = peek_byte(c);
            if (nx == '\n' || nx == EOF)
                continue; /* CRLF (or a last line ending in CR) */
        }
        col++;
        if (lead && (ch == ' ' || ch == '\t'))
            continue;
        lead = 0;
        if ((ch < 0x20 && ch != '\t') || ch == 0x7f) {
            c->bad_line = c->lineno + 1;
            c->bad_byte = ch;
            c->bad_col = col;
            break;
        }
        if ((size_t)col > cap) {
            c->long_line = c->lineno + 1;
            break;
        }
        buf[n++] = (char)ch;
    }
    if (c->read_errno || !got)
        return NULL;
    c->lineno++;
    if (c->bad_line || c->long_line)
        return NULL;
    buf[n] = '\0';
    char *r = buf[0] == '[' ? strchr(buf, ']') : NULL;
    if (r) { /* a "[section]" line: inih would ignore text after ']' and say nothing of an empty unknown section */
        const char *t = r + 1;
        while (*t == ' ' || *t == '\t')
            t++;
        if (*t && *t != ';' && *t != '#') {
            c->junk_line = c->lineno;
            return NULL;
        }
        *r = '\0';
        int known = section_known(c->rows, c->nrows, buf + 1);
        *r = ']';
        if (!known && c->e->code == MP_OK) {
            c->err_line = c->lineno;
            char secs[400];
            if (!c->known_seen) /* quote nothing of a file not (yet) shown to be of this kind */
                mp_errf(c->e, MP_EINPUT, "%s:%d: unknown section (expected one of: %s)", c->path, c->lineno,
                        sections_list(c->rows, c->nrows, secs, sizeof secs));
            else
                mp_errf(c->e, MP_EINPUT, "%s:%d: unknown section [%.*s]", c->path, c->lineno, (int)(r - buf - 1),
                        buf + 1);
            return NULL;
        }
        c->known_seen |= known;
    }
    return buf;
}

static int finish(LoadCtx *c, int rc)
{
    c->where->nlines = c->lineno;
    if (rc == -2)
        return mp_errf(c->e, MP_ENOMEM, "%s: out of memory", c->path);
    /* inih returns the first line with any error: a syntax error before the handler's one wins */
    if (rc > 0 && (!c->err_line || rc < c->err_line)) {
        mp_err_clear(c->e);
        return mp_errf(c->e, MP_EINPUT, "%s:%d: syntax error (expected '[section]' or 'key = value')", c->path, rc);
    }
    if (c->e->code != MP_OK)
        return c->e->code;
    if (c->read_errno)
        return mp_errf(c->e, MP_EIO, "%s:%d: read error: %s", c->path, c->lineno + 1, strerror(c->read_errno));
    if (c->bad_line)
        return mp_errf(c->e, MP_EINPUT, "%s:%d: control byte 0x%02x at column %d (not a text file?)", c->path,
                       c->bad_line, (unsigned)c->bad_byte, c->bad_col);
    if (c->long_line)
        return mp_errf(c->e, MP_EINPUT, "%s:%d: line longer than %d characters", c->path, c->long_line,
                       c->max_len);
    if (c->junk_line)
        return mp_errf(c->e, MP_EINPUT, "%s:%d: syntax error (text after ']')", c->path, c->junk_line);
    if (rc < 0)
        return mp_errf(c->e, MP_EINPUT, "%s: cannot read", c->path);
    for (int i = 0; i < c->nrows; i++)
        if (!c->rows[i].def && !c->where->line[i])
            return mp_errf(c->e, MP_EINPUT, "%s:%d: missing required key '%s' in [%s] (at end of file)", c->path,
                           c->lineno > 0 ? c->lineno : 1, c->rows[i].key, c->rows[i].section);
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
    LoadCtx c = {.path = path, .rows = rows, .nrows = nrows, .target = target, .where = where ? where : &local,
                 .e = e};
    memset(c.where, 0, sizeof *c.where);
    int rc = mp_open_regular(path, &c.f, e);
    if (rc)
        return rc;
    rc = load(&c);
    fclose(c.f);
    return rc;
}

int ini_schema_load_string(const char *name, const char *text, const IniKey *rows, int nrows, void *target,
                           IniLoad *where, MpErr *e)
{
    IniLoad local;
    LoadCtx c = {.path = name, .rows = rows, .nrows = nrows, .target = target, .where = where ? where : &local, .e = e,
                 .s = text};
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
    /* shortest round-tripping form for doubles, with every integer digit ("500", not "5e+02") */
    if (row->type == INI_F64) {
        double v = *(const double *)field, a = fabs(v);
        int int_digits = a >= 1 && a < 1e15 ? (int)floor(log10(a)) + 1 : 0;
        for (int p = 1; p <= 17; p++) {
            char t[64];
            snprintf(t, sizeof t, "%.*g", p > int_digits ? p : int_digits, v);
            if (strtod(t, NULL) == v) {
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
        /* "k = ;v" would read back as an empty value (inline comment): write "k =;v" */
        fprintf(f, "%s =%s%s\n", rows[i].key, val[0] == ';' ? "" : " ", val);
    }
}
