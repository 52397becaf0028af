/* tests/testutil.h — shared helpers for tests (header-only, static): random matrices and seeds,
 * the presets, known-bug tests, a test program's temporary folder and whole files, checks of
 * error reports and of out-of-memory handling, and tables that a doc holds.
 * Needs <cmocka.h> included before this header. The CLI tests have theirs in tests/cliutil.h. */
#ifndef MP_TESTS_TESTUTIL_H
#define MP_TESTS_TESTUTIL_H

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <dirent.h>
#include <fnmatch.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/alloc.h"
#include "base/err.h"
#include "base/rng.h"

/* LLM-like random matrix: Student-t(5) entries, per-column (K) scales spread log-normally,
 * and `outlier_cols` columns scaled up by `outlier_gain`. rows x cols, row-major. */
static inline float *tu_matrix(MpRng *r, int rows, int cols, int outlier_cols, double outlier_gain)
{
    float *m = malloc((size_t)rows * cols * sizeof *m);
    double *cs = malloc((size_t)cols * sizeof *cs);
    for (int c = 0; c < cols; c++)
        cs[c] = exp(0.5 * mp_rng_normal(r));
    for (int i = 0; i < outlier_cols && cols > 0; i++)
        cs[mp_rng_below(r, (uint64_t)cols)] *= outlier_gain;
    for (int rr = 0; rr < rows; rr++)
        for (int c = 0; c < cols; c++)
            m[(size_t)rr * cols + c] = (float)(0.05 * cs[c] * mp_rng_student_t(r, 5));
    free(cs);
    return m;
}

/* A float's bit pattern, and the float of a bit pattern (through memcpy: no aliasing questions). */
static inline uint32_t tu_f32_bits(float x) { uint32_t u; memcpy(&u, &x, sizeof u); return u; }
static inline float tu_f32_of_bits(uint32_t u) { float x; memcpy(&x, &u, sizeof x); return x; }

/* Print the seed once so any failure can be replayed. */
static inline unsigned long long tu_seed(const char *test, unsigned long long seed)
{
    const char *s = getenv("MPSIM_TEST_SEED");
    if (s && *s)
        seed = strtoull(s, NULL, 0);
    printf("# %s: seed %llu (set MPSIM_TEST_SEED to replay)\n", test, seed);
    return seed;
}

/* Every accelerator preset under root (configs/): each .ini file by preset name ("iso/fp16"),
 * except configs/tech/ (energy tables) and configs/sweeps/ (sweep specs), which use other schemas.
 * * Needs <cmocka.h> included before this header. */
typedef struct TuNames {
    char v[256][256];
    int n;
} TuNames;

static inline void tu_collect_presets(const char *root, const char *rel, TuNames *out)
{
    char dir[1024];
    snprintf(dir, sizeof dir, "%s%s%s", root, *rel ? "/" : "", rel);
    DIR *d = opendir(dir);
    assert_non_null(d);
    struct dirent *ent;
    while ((ent = readdir(d)) != NULL) {
        const char *nm = ent->d_name;
        if (nm[0] == '.')
            continue;
        char sub[512], full[1024];
        struct stat st;
        snprintf(sub, sizeof sub, "%s%s%s", rel, *rel ? "/" : "", nm);
        snprintf(full, sizeof full, "%s/%s", root, sub);
        assert_int_equal(stat(full, &st), 0);
        size_t len = strlen(sub);
        if (S_ISDIR(st.st_mode)) {
            if (!(*rel == '\0' && (!strcmp(nm, "tech") || !strcmp(nm, "sweeps"))))
                tu_collect_presets(root, sub, out);
        } else if (len > 4 && !strcmp(sub + len - 4, ".ini")) {
            assert_true(out->n < 256);
            sub[len - 4] = '\0';
            snprintf(out->v[out->n++], sizeof out->v[0], "%s", sub);
        }
    }
    closedir(d);
}

/* Every preset of this checkout (MPSIM_DATADIR/configs) into out, as tu_collect_presets lists them. */
static inline void tu_all_presets(TuNames *out)
{
    out->n = 0;
    tu_collect_presets(MPSIM_DATADIR "/configs", "", out);
}

/* Regression tests of reported bugs begin with TU_KNOWN_BUG(): they run by default, and a build
 * with -DMPSIM_TEST_KNOWN_BUGS=0 skips them (for bisecting). Uses the test's `state` parameter. */
#ifndef MPSIM_TEST_KNOWN_BUGS
#define MPSIM_TEST_KNOWN_BUGS 1
#endif
#define TU_KNOWN_BUG()                                                                                      \
    do {                                                                                                    \
        (void)state;                                                                                        \
        if (!MPSIM_TEST_KNOWN_BUGS)                                                                         \
            skip();                                                                                         \
    } while (0)

/* ---- a test program's temporary folder (made with mkdtemp by its group setup) ---- */

/* dir/name, in one of 16 rotating buffers: copy it before asking for 16 more. */
static inline const char *tu_path(const char *dir, const char *name)
{
    static char paths[16][1024];
    static int k;
    k = (k + 1) % 16;
    snprintf(paths[k], sizeof paths[k], "%s/%s", dir, name);
    return paths[k];
}

/* Remove dir and everything under it, at any depth; 0, or -1 when something stays. */
static inline int tu_rm_tree(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return -1;
    struct dirent *ent;
    int rc = 0;
    while ((ent = readdir(d)) != NULL) {
        if (!strcmp(ent->d_name, ".") || !strcmp(ent->d_name, ".."))
            continue;
        char p[1024];
        struct stat st;
        snprintf(p, sizeof p, "%s/%s", dir, ent->d_name);
        if (lstat(p, &st) == 0 && S_ISDIR(st.st_mode))
            rc |= tu_rm_tree(p);
        else
            rc |= remove(p);
    }
    closedir(d);
    return rmdir(dir) == 0 && rc == 0 ? 0 : -1;
}

/* The group teardown's part: remove the temporary folder dir. files NULL: with everything under it.
 * Otherwise files lists (NULL-terminated) the names a failed test may leave behind; they are
 * removed and then the folder, which must be empty by then: -1 when it is not, so that a run of
 * the binary that leaves a stray file (a temporary, say) fails the teardown. */
static inline int tu_rmdir(const char *dir, const char *const *files)
{
    if (!files)
        return tu_rm_tree(dir);
    for (; *files; files++)
        remove(tu_path(dir, *files));
    return rmdir(dir);
}

/* Entries of dir, . and .. left out, whose names match the fnmatch(3) pattern ("*" = all of
 * them, "*.tmp.*" = temporaries). A folder that cannot be opened fails the test. */
static inline int tu_dir_count(const char *dir, const char *pattern)
{
    DIR *d = opendir(dir);
    if (!d)
        fail_msg("%s: cannot open the folder", dir);
    int n = 0;
    struct dirent *ent;
    while ((ent = readdir(d)) != NULL)
        if (strcmp(ent->d_name, ".") && strcmp(ent->d_name, ".."))
            n += fnmatch(pattern, ent->d_name, 0) == 0;
    closedir(d);
    return n;
}

/* ---- whole files ---- */

/* Write len bytes of data to path (made or truncated); any error fails the test. */
static inline void tu_write(const char *path, const void *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    if (!f)
        fail_msg("%s: cannot write", path);
    if (len)
        assert_int_equal(fwrite(data, 1, len, f), len);
    assert_int_equal(fclose(f), 0);
}

static inline void tu_write_text(const char *path, const char *text) { tu_write(path, text, strlen(text)); }

/* tu_write_text to dir/name; returns the path (a tu_path buffer). */
static inline const char *tu_put(const char *dir, const char *name, const char *text)
{
    const char *p = tu_path(dir, name);
    tu_write_text(p, text);
    return p;
}

/* The whole content of a file (malloc'd; free()), its length in *n. */
static inline unsigned char *tu_file_bytes(const char *file, size_t *n)
{
    FILE *f = fopen(file, "rb");
    assert_non_null(f);
    unsigned char *b = NULL;
    size_t cap = 0;
    *n = 0;
    for (;;) {
        if (*n == cap) {
            cap = cap ? 2 * cap : 1 << 16;
            b = realloc(b, cap);
            assert_non_null(b);
        }
        size_t k = fread(b + *n, 1, cap - *n, f);
        if (!k)
            break;
        *n += k;
    }
    fclose(f);
    return b;
}

/* Read path into buf: at most cap - 1 bytes, then a NUL. Returns the number of bytes read, or -1
 * (buf "") when the file cannot be opened: the caller says whether that is a failure. */
static inline long tu_slurp(const char *path, char *buf, size_t cap)
{
    FILE *f = fopen(path, "rb");
    size_t n = f ? fread(buf, 1, cap - 1, f) : 0;
    buf[n] = '\0';
    if (!f)
        return -1;
    fclose(f);
    return (long)n;
}

/* ---- errors and out of memory ---- */

/* A reader refused bad input as every text reader must: rc is MP_EINPUT and the message msg starts
 * with "path:line: " and holds detail. Otherwise fails the test, showing the message. */
static inline void tu_expect_line_error(int rc, const char *msg, const char *path, int line, const char *detail)
{
    if (rc != MP_EINPUT)
        fail_msg("%s: expected MP_EINPUT, got %d: %s", path, rc, msg);
    char want[1200];
    snprintf(want, sizeof want, "%s:%d: ", path, line);
    if (strncmp(msg, want, strlen(want)) != 0)
        fail_msg("message should start with '%s': %s", want, msg);
    if (!strstr(msg, detail))
        fail_msg("message should contain '%s': %s", detail, msg);
}

/* Out of memory at every allocation in turn: make(ctx, &obj, &e) runs with allocation n failing,
 * n = 0, 1, ..., until it succeeds; each failure must be MP_ENOMEM with obj left NULL (under
 * SAN=address, nothing leaked). Returns the object of the first success; none within `tries`
 * allocations fails the test. */
static inline void *tu_oom_until_success(int (*make)(const void *ctx, void **obj, MpErr *e), const void *ctx,
                                         long tries)
{
    for (long n = 0; n < tries; n++) {
        void *obj = NULL;
        MpErr e = {0};
        mp_alloc_fail_after(n);
        int rc = make(ctx, &obj, &e);
        mp_alloc_fail_after(-1);
        if (rc == MP_OK)
            return obj;
        assert_int_equal(rc, MP_ENOMEM);
        assert_null(obj);
    }
    fail_msg("no success with the first %ld allocations failing in turn", tries);
    return NULL;
}

/* ---- tables that a doc holds and a test program prints ---- */

/* Row i (0-based) of such a table, one Markdown line without its newline, into out. */
typedef void TuRow(int i, char *out, size_t cap);

/* Print the table: head (its header lines, each ending in a newline), then rows 0 .. n-1. */
static inline void tu_table_print(const char *head, TuRow *row, int n)
{
    char line[1024];
    fputs(head, stdout);
    for (int i = 0; i < n; i++) {
        row(i, line, sizeof line);
        printf("%s\n", line);
    }
}

/* Fail unless doc (the text of doc_path) holds every row 0 .. n-1; the message shows the first
 * row it lacks and regen, the command that prints the current table. */
static inline void tu_table_in_doc(const char *doc, const char *doc_path, TuRow *row, int n, const char *regen)
{
    char line[1024];
    for (int i = 0; i < n; i++) {
        row(i, line, sizeof line);
        if (!strstr(doc, line))
            fail_msg("%s does not have this row (regenerate the table with '%s'):\n%s", doc_path, regen, line);
    }
}

#endif
