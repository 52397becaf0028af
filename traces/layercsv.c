/* traces/layercsv.c — see layercsv.h. One pass over the text, line by line; every row goes
 * through wl_add_gemm(), which owns the range and overflow checks. */
#include "traces/layercsv.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "base/alloc.h"
#include "base/fileio.h"
#include "base/parse.h"

enum { COL_NAME, COL_M, COL_N, COL_K, COL_COUNT, COL_ROLE, COL_KINDS };
static const char *const col_names[COL_KINDS] = {"name", "m", "n", "k", "count", "role"};
#define MAX_FIELDS 16 /* more than any valid header could have */
#define HEADER_HINT "'name,m,n,k[,count][,role]' or SCALE-Sim's 'Layer,M,N,K'"

typedef struct Reader {
    const char *file;   /* for messages                           */
    int line;           /* current line, from 1                   */
    int header_line;    /* 0 until the header has been read       */
    LcsvFormat fmt;
    int ncols;
    int col[MAX_FIELDS]; /* COL_* of each column, in file order   */
} Reader;

const char *lcsv_format_name(LcsvFormat f) { return f == LCSV_SCALESIM ? "scale-sim" : "mpsim"; }

/* Split s in place at commas into trimmed fields; one trailing empty field is dropped.
 * Returns the count, or -1 if there are more than MAX_FIELDS. */
static int split_fields(char *s, char **f)
{
    int n = 0;
    for (;;) {
        char *c = strchr(s, ',');
        if (c)
            *c = '\0';
        if (n == MAX_FIELDS)
            return -1;
        f[n++] = mp_trim(s);
        if (!c)
            break;
        s = c + 1;
    }
    if (n > 1 && f[n - 1][0] == '\0')
        n--;
    return n;
}

static int bad(const Reader *r, MpErr *e, const char *fmt, ...) MP_PRINTF(3, 4);
static int bad(const Reader *r, MpErr *e, const char *fmt, ...)
{
    char msg[768];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return mp_errf(e, MP_EINPUT, "%s:%d: %s", r->file, r->line, msg);
}

static int is_integer_text(const char *s)
{
    if (*s == '+' || *s == '-')
        s++;
    if (!*s)
        return 0;
    for (; *s; s++)
        if (*s < '0' || *s > '9')
            return 0;
    return 1;
}

static int read_header(Reader *r, char **f, int nf, MpErr *e)
{
    if (strcasecmp(f[0], "layer") == 0 || strcasecmp(f[0], "layer name") == 0) {
        if (nf != 4 || strcasecmp(f[1], "m") || strcasecmp(f[2], "n") || strcasecmp(f[3], "k"))
            return bad(r, e, "SCALE-Sim header must be 'Layer,M,N,K' (its convolution topologies are not "
                             "supported)");
        r->fmt = LCSV_SCALESIM;
        r->ncols = 4;
        for (int i = 0; i < 4; i++)
            r->col[i] = i; /* name, m, n, k */
        return MP_OK;
    }
    int seen[COL_KINDS] = {0};
    for (int i = 0; i < nf; i++) {
        int kind = -1;
        for (int c = 0; c < COL_KINDS; c++)
            if (strcasecmp(f[i], col_names[c]) == 0)
                kind = c;
        if (kind < 0) {
            for (int j = 0; j < nf; j++)
                if (is_integer_text(f[j]))
                    return bad(r, e, "missing header: expected %s before the first row", HEADER_HINT);
            if (!f[i][0])
                return bad(r, e, "empty column name in the header (expected %s)", HEADER_HINT);
            return bad(r, e, "unknown column '%s' (expected %s)", f[i], HEADER_HINT);
        }
        if (seen[kind]++)
            return bad(r, e, "column '%s' appears twice in the header", col_names[kind]);
        r->col[i] = kind;
    }
    for (int c = COL_NAME; c <= COL_K; c++)
        if (!seen[c])
            return bad(r, e, "header lacks column '%s' (expected %s)", col_names[c], HEADER_HINT);
    r->fmt = LCSV_OURS;
    r->ncols = nf;
    return MP_OK;
}

static int read_int(Reader *r, const char *field, int col, int64_t *v, MpErr *e)
{
    if (!field[0])
        return bad(r, e, "column '%s' is empty", col_names[col]);
    if (mp_parse_i64(field, v) != 0)
        return bad(r, e, "column '%s': '%s' %s", col_names[col], field,
                   is_integer_text(field) ? "is out of range" : "is not an integer");
    return MP_OK;
}

static int read_row(Reader *r, Workload *w, char **f, int nf, MpErr *e)
{
    if (nf != r->ncols)
        return bad(r, e, "expected %d fields as in the header, got %d", r->ncols, nf);
    const char *name = NULL;
    int64_t v[COL_KINDS] = {0};
    v[COL_COUNT] = 1;
    GemmRole role = WL_WEIGHT_ACT;
    int rc;
    for (int i = 0; i < nf; i++) {
        switch (r->col[i]) {
        case COL_NAME:
            if (!f[i][0])
                return bad(r, e, "empty layer name");
            name = f[i];
            break;
        case COL_ROLE:
            if (wl_role_from_name(f[i], &role) != 0)
                return bad(r, e, "column 'role': '%s' is not 'weight' or 'act'", f[i]);
            break;
        default:
            if ((rc = read_int(r, f[i], r->col[i], &v[r->col[i]], e)) != MP_OK)
                return rc;
        }
    }
    rc = wl_add_gemm(w, name, v[COL_M], v[COL_N], v[COL_K], v[COL_COUNT], role, e);
    if (rc)
        mp_err_prefix(e, "%s:%d", r->file, r->line);
    return rc;
}

/* Copy one line into buf (NUL-terminated), refusing long lines and bytes that have no place in a
 * CSV of names and numbers. */
static int take_line(Reader *r, const char *p, size_t n, char *buf, MpErr *e)
{
    if (n && p[n - 1] == '\r')
        n--;
    if (n > LCSV_LINE_MAX)
        return bad(r, e, "line longer than %d bytes", LCSV_LINE_MAX);
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)p[i];
        char what[64];
        if (c == '\0')
            snprintf(what, sizeof what, "NUL byte at column %zu", i + 1);
        else if (c >= 0x80)
            snprintf(what, sizeof what, "non-ASCII byte 0x%02x at column %zu", c, i + 1);
        else if ((c < 0x20 && c != '\t') || c == 0x7f)
            snprintf(what, sizeof what, "control byte 0x%02x at column %zu", c, i + 1);
        else if (c == '"')
            snprintf(what, sizeof what, "quoted fields are not supported (column %zu)", i + 1);
        else
            continue;
        return bad(r, e, "%s", what);
    }
    memcpy(buf, p, n);
    buf[n] = '\0';
    return MP_OK;
}

int lcsv_load_text(const char *name, const char *text, size_t len, Workload **out, LcsvFormat *fmt, MpErr *e)
{
    *out = NULL;
    Reader r = {name, 0, 0, LCSV_OURS, 0, {0}};
    Workload *w;
    int rc = wl_create_empty(name, &w, e);
    if (rc)
        return rc;
    char *buf = mp_malloc(LCSV_LINE_MAX + 1);
    if (!buf) {
        wl_destroy(w);
        return mp_errf(e, MP_ENOMEM, "%s: out of memory", name);
    }
    size_t pos = 0;
    if (len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0)
        pos = 3; /* UTF-8 byte-order mark, as spreadsheets write it */
    while (pos < len) {
        r.line++;
        const char *p = text + pos, *nl = memchr(p, '\n', len - pos);
        size_t n = nl ? (size_t)(nl - p) : len - pos;
        pos += n + (nl ? 1 : 0);
        if ((rc = take_line(&r, p, n, buf, e)) != MP_OK)
            goto fail;
        char *s = mp_trim(buf), *f[MAX_FIELDS];
        if (!*s || *s == '#')
            continue;
        int nf = split_fields(s, f);
        if (nf < 0) {
            rc = bad(&r, e, "more than %d fields", MAX_FIELDS);
            goto fail;
        }
        if (!r.header_line) {
            if ((rc = read_header(&r, f, nf, e)) != MP_OK)
                goto fail;
            r.header_line = r.line;
        } else if ((rc = read_row(&r, w, f, nf, e)) != MP_OK) {
            goto fail;
        }
    }
    if (r.line == 0)
        r.line = 1;
    if (!r.header_line) {
        rc = bad(&r, e, "empty file: expected a header %s", HEADER_HINT);
        goto fail;
    }
    if (w->ngemm == 0) {
        rc = bad(&r, e, "no layers after the header (line %d)", r.header_line);
        goto fail;
    }
    mp_free(buf);
    if (fmt)
        *fmt = r.fmt;
    *out = w;
    return MP_OK;
fail:
    mp_free(buf);
    wl_destroy(w);
    return rc;
}

int lcsv_load(const char *path, Workload **out, LcsvFormat *fmt, MpErr *e)
{
    *out = NULL;
    char *data;
    size_t len;
    int rc = mp_read_file(path, LCSV_FILE_MAX, &data, &len, e);
    if (rc)
        return rc;
    rc = lcsv_load_text(path, data, len, out, fmt, e);
    mp_free(data);
    return rc;
}
