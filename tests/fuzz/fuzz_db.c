/* tests/fuzz/fuzz_db.c — results databases (dse/db.c): our schema checks and row loading.
 *
 * The input bytes are written to a temporary file and opened as a results database with
 * db_open(DB_READ); an accepted file is read the way pareto, summary and report read it
 * (db_count of every table, db_load_points, db_load_accuracy, db_check_integrity). One input in
 * four is also opened with DB_WRITE (the schema check and column additions of a writer) and
 * closed (checkpoint). SQLite's own file parsing is not our code but runs under the same
 * sanitizers. The file and its -wal, -shm and -journal companions are removed after each input. */
#include "tests/fuzz/fuzzutil.h"

#include "dse/db.h"

static void rm_db(const char *path)
{
    static const char *const sfx[] = {"", "-wal", "-shm", "-journal"};
    char p[600];
    for (int i = 0; i < 4; i++) {
        snprintf(p, sizeof p, "%s%s", path, sfx[i]);
        unlink(p);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_reset();
    const char *path = fuzz_tmp_path("db", ".db");
    rm_db(path);
    if (fuzz_tmp_write(path, data, size))
        return 0;
    Db *d = NULL;
    MpErr e = {0};
    if (db_open(path, DB_READ, &d, &e) == MP_OK) {
        static const char *const tables[] = {"meta", "results", "accuracy", "infeasible", "specs"};
        for (int i = 0; i < 5; i++) {
            int64_t n;
            MpErr e2 = {0};
            (void)db_count(d, tables[i], &n, &e2);
        }
        DbPoint *pts = NULL;
        int np = 0;
        MpErr e3 = {0};
        if (db_load_points(d, &pts, &np, &e3) == MP_OK)
            db_points_free(pts, np);
        DbAcc *acc = NULL;
        int na = 0;
        MpErr e4 = {0};
        if (db_load_accuracy(d, &acc, &na, &e4) == MP_OK)
            mp_free(acc);
        MpErr e5 = {0};
        (void)db_check_integrity(d, &e5);
        MpErr e6 = {0};
        (void)db_close(d, &e6);
    }
    if (size && data[size - 1] % 4 == 0) {
        d = NULL;
        MpErr e7 = {0};
        if (db_open(path, DB_WRITE, &d, &e7) == MP_OK) {
            MpErr e8 = {0};
            (void)db_close(d, &e8);
        }
    }
    rm_db(path);
    return 0;
}
