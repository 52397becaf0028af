/* dse/sweeprun.c — see sweeprun.h. */
#include "dse/sweeprun.h"

#include <errno.h>
#include <omp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif
#include <time.h>
#include <unistd.h>

#include "base/alloc.h"
#include "dse/db.h"
#include "models/pekind.h"

/* ------------------------------------------------------------------ a set of 64-bit keys */

typedef struct KeySet {
    uint64_t *slot; /* 0 = empty; key 0 is kept in has_zero */
    size_t cap, n;
    int has_zero, oom;
} KeySet;

static uint64_t mix(uint64_t k)
{
    k ^= k >> 33;
    k *= 0xff51afd7ed558ccdull;
    k ^= k >> 33;
    return k;
}

static int keyset_has(const KeySet *s, uint64_t k)
{
    if (!k)
        return s->has_zero;
    if (!s->cap)
        return 0;
    for (size_t i = mix(k) & (s->cap - 1);; i = (i + 1) & (s->cap - 1)) {
        if (s->slot[i] == k)
            return 1;
        if (!s->slot[i])
            return 0;
    }
}

static void keyset_add(KeySet *s, uint64_t k)
{
    if (!k) {
        s->has_zero = 1;
        return;
    }
    if ((s->n + 1) * 2 > s->cap) {
        size_t nc = s->cap ? 2 * s->cap : 1024;
        uint64_t *ns = mp_calloc(nc, sizeof *ns);
        if (!ns) {
            s->oom = 1;
            return;
        }
        for (size_t i = 0; i < s->cap; i++)
            if (s->slot[i])
                for (size_t j = mix(s->slot[i]) & (nc - 1);; j = (j + 1) & (nc - 1))
                    if (!ns[j]) {
                        ns[j] = s->slot[i];
                        break;
                    }
        mp_free(s->slot);
        s->slot = ns;
        s->cap = nc;
    }
    for (size_t i = mix(k) & (s->cap - 1);; i = (i + 1) & (s->cap - 1)) {
        if (s->slot[i] == k)
            return;
        if (!s->slot[i]) {
            s->slot[i] = k;
            s->n++;
            return;
        }
    }
}

static void keyset_add_cb(void *ctx, uint64_t k) { keyset_add(ctx, k); }

/* ------------------------------------------------------------------ the run's state */

typedef struct Task {
    int64_t d;     /* design point */
    int w;         /* workload     */
    int acc;       /* accuracy entry, -1 = none */
    uint64_t key;
} Task;

enum { ACC_KNOWN, ACC_TODO, ACC_QUEUED, ACC_BROKEN }; /* BROKEN: the study hit an error (not recorded) */

typedef struct AccEntry {
    DbAcc row;            /* key, settings and (when known) values */
    uint64_t h;           /* FNV of row.key, for lookups            */
    const NumFormat *nf;
    int wl;               /* workload whose model's shapes are studied */
    int state;
    int nwait, capwait;   /* rows waiting for this study            */
    int *wait;            /* indices into pending[]                 */
} AccEntry;

typedef struct Pending { /* a row evaluated before its accuracy study finished */
    int64_t task;
    SweepOutcome o;
} Pending;

typedef struct Msg {
    int32_t type; /* 'R' row, 'A' accuracy */
    int32_t pad;
    int64_t idx;
} Msg;

typedef struct Reply {
    int32_t type, status;
    int64_t idx;
    SweepOutcome o;
    SweepAccuracy a;
    char msg[1024];
} Reply;

typedef struct Worker {
    pid_t pid;
    int to, from;        /* task pipe (write end), result pipe (read end); -1 when closed */
    int ninflight;
    Msg inflight[2];
} Worker;

typedef struct Run {
    SweepPlan *p;
    const SweepRunOpts *o;
    SweepStats *st;
    Fidelity fid;
    Db *db;
    Task *task;
    int64_t ntask, captask;
    AccEntry *acc;
    int nacc, capacc;
    Pending *pend;
    int npend, cappend;
    int64_t task_next;    /* next row to send */
    int64_t done_rows, done_acc, total_acc;
    Worker *wk;
    int nwk;
    int in_txn;
    double t0, last_draw;
} Run;

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

int sweep_default_jobs(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n < 1 ? 1 : n > 1024 ? 1024 : (int)n;
}

static void add_reason(SweepStats *st, const char *msg, int64_t count)
{
    for (int i = 0; i < st->nreason; i++)
        if (!strcmp(st->reason[i], msg)) {
            st->reason_count[i] += count;
            return;
        }
    if (st->nreason < SWEEP_REASONS) {
        snprintf(st->reason[st->nreason], sizeof st->reason[0], "%s", msg);
        st->reason_count[st->nreason++] = count;
    } else
        st->reason_other += count;
}

/* ------------------------------------------------------------------ enumeration */

static int acc_entry(Run *r, const ArchConfig *c, int w, MpErr *e)
{
    SweepPlan *p = r->p;
    if (!p->acc.enabled)
        return -1;
    const NumFormat *nf = num_format_for_operands((PeKindId)c->pe_kind, c->weight_bits, config_act_fmt(c));
    if (!nf)
        return -1;
    int group = sweep_acc_group(nf, c), wl = p->acc_models[p->wl[w].acc_model];
    char key[320];
    snprintf(key, sizeof key, "format=%s group=%d model=%s layers=%d rows=%d tokens=%d seed=%lld", nf->name, group,
             p->wl[wl].model, p->wl[wl].phase == WL_LAYERS ? 1 : p->acc.layers, p->acc.rows, p->acc.tokens,
             (long long)p->acc.seed);
    uint64_t h = sweep_fnv1a64(SWEEP_FNV_BASIS, key, strlen(key));
    for (int i = 0; i < r->nacc; i++)
        if (r->acc[i].h == h && !strcmp(r->acc[i].row.key, key))
            return i;
    AccEntry *na = mp_grow(r->acc, r->nacc, &r->capacc, sizeof *na, 16);
    if (!na)
        return mp_errf(e, MP_ENOMEM, "out of memory"), -2;
    r->acc = na;
    AccEntry *a = &r->acc[r->nacc];
    memset(a, 0, sizeof *a);
    snprintf(a->row.key, sizeof a->row.key, "%s", key);
    a->h = h;
    a->nf = nf;
    a->wl = wl;
    a->state = ACC_TODO;
    if (r->db) {
        int found = 0;
        if (db_get_accuracy(r->db, &a->row, &found, e) != MP_OK)
            return -2;
        if (found)
            a->state = ACC_KNOWN;
        else
            snprintf(a->row.key, sizeof a->row.key, "%s", key);
    }
    if (a->state != ACC_KNOWN) {
        snprintf(a->row.format, sizeof a->row.format, "%s", nf->name);
        snprintf(a->row.model, sizeof a->row.model, "%s", p->wl[wl].model);
        a->row.group_size = group;
        a->row.layers = p->wl[wl].phase == WL_LAYERS ? 1 : p->acc.layers;
        a->row.rows = p->acc.rows;
        a->row.tokens = p->acc.tokens;
        a->row.seed = p->acc.seed;
    }
    return r->nacc++;
}

static int add_task(Run *r, int64_t d, int w, int acc, uint64_t key, MpErr *e)
{
    if (r->ntask == r->captask) {
        int64_t nc = r->captask ? 2 * r->captask : 256;
        Task *nt = mp_realloc(r->task, (size_t)nc * sizeof *nt);
        if (!nt)
            return mp_errf(e, MP_ENOMEM, "out of memory (%lld rows to run)", (long long)nc);
        r->task = nt;
        r->captask = nc;
    }
    r->task[r->ntask++] = (Task){d, w, acc, key};
    return MP_OK;
}

static int enumerate(Run *r, const KeySet *have, MpErr *e)
{
    SweepPlan *p = r->p;
    SweepStats *st = r->st;
    const int64_t N = r->o->nshards, I = r->o->shard, nwl = p->nwl;
    KeySet seen = {0};
    int rc = MP_OK;
    for (int64_t d = 0; d < p->ndesign && rc == MP_OK; d++) {
        /* rows d*nwl .. d*nwl+nwl-1: how many fall in this shard */
        int64_t first = d * nwl, in = 0;
        int64_t off = ((I - first % N) % N + N) % N; /* first w with (first + w) % N == I */
        if (off < nwl)
            in = (nwl - off + N - 1) / N;
        if (!in)
            continue;
        st->in_shard += in;
        ArchConfig c;
        const SweepTech *t = NULL;
        MpErr le = {0};
        int drc = sweep_design(p, d, &c, NULL, 0, NULL, 0, &t, &le);
        if (drc == MP_EINPUT) {
            st->invalid += in;
            add_reason(st, le.msg, in);
            continue;
        }
        if (drc)
            return mp_errf(e, drc, "%s", le.msg);
        uint64_t hd = sweep_key_design(&c, t);
        for (int64_t w = off; w < nwl && rc == MP_OK; w += N) {
            uint64_t key = sweep_key_row(hd, &p->wl[w]);
            if (keyset_has(&seen, key)) {
                st->duplicate++;
                continue;
            }
            keyset_add(&seen, key);
            if (keyset_has(have, key)) {
                st->present++;
                continue;
            }
            int acc = acc_entry(r, &c, (int)w, e);
            if (acc == -2)
                rc = e->code;
            else
                rc = add_task(r, d, (int)w, acc, key, e);
        }
        if (seen.oom)
            rc = mp_errf(e, MP_ENOMEM, "out of memory");
    }
    mp_free(seen.slot);
    st->todo = r->ntask;
    return rc;
}

/* ------------------------------------------------------------------ workers */

static int read_full(int fd, void *buf, size_t n)
{
    size_t got = 0;
    while (got < n) {
        ssize_t k = read(fd, (char *)buf + got, n - got);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            return got ? -1 : 0;
        got += (size_t)k;
    }
    return 1;
}

static int write_full(int fd, const void *buf, size_t n)
{
    size_t put = 0;
    while (put < n) {
        ssize_t k = write(fd, (const char *)buf + put, n - put);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            return -1;
        put += (size_t)k;
    }
    return 0;
}

static void worker_main(Run *r, int in, int out)
{
    int per = sweep_default_jobs() / (r->nwk > 0 ? r->nwk : 1);
    omp_set_num_threads(per < 1 ? 1 : per);
    Msg m;
    Reply *rep = mp_malloc(sizeof *rep);
    if (!rep)
        _exit(3);
    while (read_full(in, &m, sizeof m) == 1) {
        memset(rep, 0, sizeof *rep);
        rep->type = m.type;
        rep->idx = m.idx;
        MpErr le = {0};
        if (m.type == 'A') {
            const AccEntry *a = &r->acc[m.idx];
            rep->status = sweep_accuracy(r->p, a->nf, a->row.group_size, a->wl, &rep->a, &le);
        } else {
            const Task *t = &r->task[m.idx];
            rep->status = sweep_eval(r->p, t->d, t->w, r->fid, &rep->o, &le);
        }
        snprintf(rep->msg, sizeof rep->msg, "%s", le.msg);
        if (write_full(out, rep, sizeof *rep) != 0)
            _exit(1);
    }
    _exit(0);
}

static void close_fd(int *fd)
{
    if (*fd >= 0)
        close(*fd);
    *fd = -1;
}

static int spawn(Run *r, int i, MpErr *e)
{
    int to[2], from[2];
    if (pipe(to) != 0)
        return mp_errf(e, MP_EINTERNAL, "pipe: %s", strerror(errno));
    if (pipe(from) != 0) {
        close(to[0]);
        close(to[1]);
        return mp_errf(e, MP_EINTERNAL, "pipe: %s", strerror(errno));
    }
    fflush(NULL);
    pid_t parent = getpid(), pid = fork();
    if (pid < 0) {
        close(to[0]);
        close(to[1]);
        close(from[0]);
        close(from[1]);
        return mp_errf(e, MP_EINTERNAL, "fork: %s", strerror(errno));
    }
    if (pid == 0) {
#ifdef __linux__
        prctl(PR_SET_PDEATHSIG, SIGKILL); /* a killed parent takes its workers along at once */
        if (getppid() != parent)
            _exit(0);
#endif
        signal(SIGPIPE, SIG_DFL);
        signal(SIGINT, SIG_DFL);
        close(to[1]);
        close(from[0]);
        for (int j = 0; j < r->nwk; j++) /* the other workers' pipes: keep only ours */
            if (j != i) {
                if (r->wk[j].to >= 0)
                    close(r->wk[j].to);
                if (r->wk[j].from >= 0)
                    close(r->wk[j].from);
            }
        worker_main(r, to[0], from[1]);
    }
    close(to[0]);
    close(from[1]);
    Worker *w = &r->wk[i];
    w->pid = pid;
    w->to = to[1];
    w->from = from[0];
    w->ninflight = 0;
    return MP_OK;
}

static int have_work(const Run *r) { return r->task_next < r->ntask; }

/* Next message: a row, preceded by its accuracy study when that has not been sent yet (so rows
 * are written soon after the sweep starts, not after every study). */
static int send_work(Run *r, Worker *w)
{
    while (w->ninflight < 2 && have_work(r)) {
        Msg m = {'R', 0, r->task_next};
        int acc = r->task[r->task_next].acc;
        if (acc >= 0 && r->acc[acc].state == ACC_TODO) {
            m.type = 'A';
            m.idx = acc;
        }
        if (write_full(w->to, &m, sizeof m) != 0)
            return -1; /* the worker is gone: its reply pipe says so next */
        if (m.type == 'A')
            r->acc[acc].state = ACC_QUEUED;
        else
            r->task_next++;
        w->inflight[w->ninflight++] = m;
    }
    return 0;
}

static void stop_workers(Run *r, int sig)
{
    for (int i = 0; i < r->nwk; i++) {
        Worker *w = &r->wk[i];
        close_fd(&w->to);
        if (sig && w->pid > 0)
            kill(w->pid, sig);
    }
    for (int i = 0; i < r->nwk; i++) {
        Worker *w = &r->wk[i];
        if (w->pid > 0)
            while (waitpid(w->pid, NULL, 0) < 0 && errno == EINTR) {
            }
        w->pid = 0;
        close_fd(&w->from);
    }
}

/* ------------------------------------------------------------------ writing */

static int txn(Run *r, MpErr *e)
{
    if (r->in_txn)
        return MP_OK;
    int rc = db_begin(r->db, e);
    if (rc == MP_OK)
        r->in_txn = 1;
    return rc;
}

static int config_text(const ArchConfig *c, char **out, MpErr *e)
{
    size_t n = 0;
    FILE *f = open_memstream(out, &n);
    if (!f)
        return mp_errf(e, MP_ENOMEM, "out of memory");
    IniLoad all; /* every key as explicitly set: no "(default)" notes */
    memset(&all, 0, sizeof all);
    for (int i = 0; i < INI_SCHEMA_MAX; i++)
        all.line[i] = 1;
    config_print(f, c, &all);
    return fclose(f) == 0 ? MP_OK : mp_errf(e, MP_ENOMEM, "out of memory");
}

static int write_row(Run *r, int64_t ti, const SweepOutcome *o, MpErr *e)
{
    const Task *t = &r->task[ti];
    SweepPlan *p = r->p;
    const SweepWorkload *w = &p->wl[t->w];
    ArchConfig c;
    char label[256], params[1024];
    int rc = sweep_design(p, t->d, &c, label, sizeof label, params, sizeof params, NULL, e);
    char *text = NULL;
    if (rc == MP_OK)
        rc = config_text(&c, &text, e);
    if (rc == MP_OK)
        rc = txn(r, e);
    if (rc == MP_OK) {
        int64_t rest = t->d;
        for (int i = p->nparam - 1; i >= 0; i--)
            rest /= p->param[i].nvalues;
        DbRow row;
        memset(&row, 0, sizeof row);
        sweep_key_hex(t->key, row.key);
        row.arch = label;
        row.base = p->base_name[rest];
        row.params = params;
        row.config_text = text;
        row.cfg = &c;
        row.workload = w->desc;
        row.model = w->model;
        row.phase = w->request ? "request" : wl_phase_name(w->phase);
        row.seq = w->seq;
        row.kv = w->kv;
        row.batch = w->batch;
        row.prompt = w->prompt;
        row.gen = w->gen;
        row.fidelity = r->fid == FID_CYCLE && !w->request ? "cycle" : "fast"; /* requests run fast */
        row.request = o->request;
        row.ttft_s = o->ttft_s;
        row.tpot_s = o->tpot_s;
        row.tokens_per_s = o->tokens_per_s;
        row.j_per_token = o->j_per_token;
        row.total = o->total;
        row.seconds = o->seconds;
        row.utilization = o->utilization;
        row.area_mm2 = o->area_mm2;
        row.energy = o->energy;
        if (t->acc >= 0) {
            const AccEntry *a = &r->acc[t->acc];
            row.acc_format = a->row.format;
            row.acc_key = a->row.key;
            row.has_accuracy = a->row.ok;
            row.accuracy_db = a->row.sqnr_db;
        }
        rc = db_put_result(r->db, &row, e);
    }
    free(text);
    if (rc == MP_OK)
        r->st->run++;
    return rc;
}

static int write_infeasible(Run *r, int64_t ti, const char *msg, MpErr *e)
{
    const Task *t = &r->task[ti];
    ArchConfig c;
    char label[256];
    int rc = sweep_design(r->p, t->d, &c, label, sizeof label, NULL, 0, NULL, e);
    char *text = NULL, key[17];
    if (rc == MP_OK)
        rc = config_text(&c, &text, e);
    if (rc == MP_OK)
        rc = txn(r, e);
    sweep_key_hex(t->key, key);
    if (rc == MP_OK)
        rc = db_put_infeasible(r->db, key, label, r->p->wl[t->w].desc, text, msg, e);
    free(text);
    return rc;
}

static int on_reply(Run *r, const Reply *rep, MpErr *e)
{
    SweepStats *st = r->st;
    if (rep->type == 'A') {
        AccEntry *a = &r->acc[rep->idx];
        r->done_acc++;
        st->acc_run++;
        int recorded = rep->status == MP_OK || rep->status == MP_EINPUT; /* a study that cannot run is a result */
        a->row.ok = rep->status == MP_OK;
        a->row.sqnr_db = rep->a.sqnr_db;
        a->row.ideal_db = rep->a.ideal_db;
        a->row.weight_db = rep->a.weight_db;
        a->row.hw_vs_ideal_db = rep->a.hw_vs_ideal_db;
        a->row.gemms = rep->a.gemms;
        snprintf(a->row.message, sizeof a->row.message, "%s", rep->msg);
        a->state = recorded ? ACC_KNOWN : ACC_BROKEN;
        if (!a->row.ok)
            st->acc_failed++;
        if (!recorded && !st->first_failed[0])
            snprintf(st->first_failed, sizeof st->first_failed, "accuracy %s: %s", a->row.key, rep->msg);
        int rc = recorded ? txn(r, e) : MP_OK;
        if (rc == MP_OK && recorded)
            rc = db_put_accuracy(r->db, &a->row, e);
        for (int i = 0; rc == MP_OK && i < a->nwait; i++) {
            Pending *pd = &r->pend[a->wait[i]];
            r->done_rows++;
            if (recorded)
                rc = write_row(r, pd->task, &pd->o, e);
            else
                st->failed++; /* not written: a re-run retries the row and its study */
        }
        a->nwait = 0;
        return rc;
    }
    int64_t ti = rep->idx;
    if (rep->status == MP_OK) {
        int acc = r->task[ti].acc;
        if (acc >= 0 && r->acc[acc].state == ACC_BROKEN) {
            r->done_rows++;
            st->failed++;
            return MP_OK;
        }
        if (acc >= 0 && r->acc[acc].state != ACC_KNOWN) {
            AccEntry *a = &r->acc[acc];
            Pending *np = mp_grow(r->pend, r->npend, &r->cappend, sizeof *np, 64);
            if (!np)
                return mp_errf(e, MP_ENOMEM, "out of memory");
            r->pend = np;
            int *nw = mp_grow(a->wait, a->nwait, &a->capwait, sizeof *nw, 16);
            if (!nw)
                return mp_errf(e, MP_ENOMEM, "out of memory");
            a->wait = nw;
            r->pend[r->npend] = (Pending){ti, rep->o};
            a->wait[a->nwait++] = r->npend++;
            return MP_OK;
        }
        r->done_rows++;
        return write_row(r, ti, &rep->o, e);
    }
    r->done_rows++;
    if (rep->status == MP_EINPUT) {
        st->infeasible++;
        if (!st->first_infeasible[0])
            snprintf(st->first_infeasible, sizeof st->first_infeasible, "%s", rep->msg);
        return write_infeasible(r, ti, rep->msg, e);
    }
    st->failed++;
    if (!st->first_failed[0])
        snprintf(st->first_failed, sizeof st->first_failed, "%s", rep->msg);
    return MP_OK;
}

/* A worker's reply pipe closed: it died. Its rows in flight fail; a new worker takes its place. */
static int on_death(Run *r, int i, MpErr *e)
{
    Worker *w = &r->wk[i];
    int status = 0;
    while (waitpid(w->pid, &status, 0) < 0 && errno == EINTR) {
    }
    w->pid = 0;
    close_fd(&w->to);
    close_fd(&w->from);
    char why[128];
    if (WIFSIGNALED(status))
        snprintf(why, sizeof why, "worker process died of signal %d", WTERMSIG(status));
    else
        snprintf(why, sizeof why, "worker process exited with status %d", WEXITSTATUS(status));
    for (int k = 0; k < w->ninflight; k++) {
        Reply rep;
        memset(&rep, 0, sizeof rep);
        rep.type = w->inflight[k].type;
        rep.idx = w->inflight[k].idx;
        rep.status = MP_EINTERNAL;
        snprintf(rep.msg, sizeof rep.msg, "%s while evaluating it", why);
        int rc = on_reply(r, &rep, e);
        if (rc)
            return rc;
    }
    w->ninflight = 0;
    return have_work(r) ? spawn(r, i, e) : MP_OK;
}

static void fmt_hms(double s, char *buf, size_t cap)
{
    long t = s < 0 ? 0 : (long)(s + 0.5);
    if (t >= 3600)
        snprintf(buf, cap, "%ld:%02ld:%02ld", t / 3600, t / 60 % 60, t % 60);
    else
        snprintf(buf, cap, "%ld:%02ld", t / 60, t % 60);
}

static void draw(Run *r, int final)
{
    if (!r->o->progress)
        return;
    double t = now_s();
    if (!final && t - r->last_draw < 0.1)
        return;
    r->last_draw = t;
    int64_t total = r->ntask + r->total_acc, done = r->done_rows + r->done_acc;
    double frac = total ? (double)done / total : 1, el = t - r->t0;
    char bar[31], eta[32];
    int fill = (int)(frac * 30);
    for (int i = 0; i < 30; i++)
        bar[i] = i < fill ? '#' : '.';
    bar[30] = '\0';
    if (done > 0 && done < total)
        fmt_hms(el / done * (total - done), eta, sizeof eta);
    else
        snprintf(eta, sizeof eta, "--:--");
    fprintf(stderr, "\r  sweep %s [%s] %lld/%lld %5.1f%%  %.0f rows/s  ETA %s ", r->p->name, bar,
            (long long)r->done_rows, (long long)r->ntask, 100 * frac, el > 0 ? r->done_rows / el : 0.0, eta);
    if (final)
        fprintf(stderr, "\r%100s\r", "");
}

static int main_loop(Run *r, MpErr *e)
{
    int rc = MP_OK;
    struct pollfd *pf = mp_calloc((size_t)r->nwk, sizeof *pf);
    Reply *rep = mp_malloc(sizeof *rep);
    if (!pf || !rep)
        rc = mp_errf(e, MP_ENOMEM, "out of memory");
    while (rc == MP_OK && r->done_rows + r->done_acc < r->ntask + r->total_acc) {
        int live = 0;
        for (int i = 0; i < r->nwk; i++) {
            Worker *w = &r->wk[i];
            if (w->pid > 0)
                send_work(r, w);
            pf[i].fd = w->pid > 0 ? w->from : -1;
            pf[i].events = POLLIN;
            pf[i].revents = 0;
            live += w->pid > 0;
        }
        if (!live) {
            rc = mp_errf(e, MP_EINTERNAL, "no worker left with %lld rows to go",
                         (long long)(r->ntask - r->done_rows));
            break;
        }
        int k = poll(pf, (nfds_t)r->nwk, 200);
        if (k < 0 && errno != EINTR) {
            rc = mp_errf(e, MP_EINTERNAL, "poll: %s", strerror(errno));
            break;
        }
        for (int i = 0; k > 0 && i < r->nwk && rc == MP_OK; i++) {
            if (!pf[i].revents)
                continue;
            Worker *w = &r->wk[i];
            int got = read_full(w->from, rep, sizeof *rep);
            if (got != 1) {
                rc = on_death(r, i, e);
                continue;
            }
            /* replies come back in the order the tasks were sent */
            if (w->ninflight > 0) {
                w->ninflight--;
                memmove(&w->inflight[0], &w->inflight[1], (size_t)w->ninflight * sizeof w->inflight[0]);
            }
            rc = on_reply(r, rep, e);
        }
        if (rc == MP_OK && r->in_txn) {
            rc = db_commit(r->db, e);
            r->in_txn = 0;
        }
        draw(r, 0);
    }
    if (r->in_txn) { /* an error mid-round: what this round wrote is dropped, committed rows stay */
        db_rollback(r->db);
        r->in_txn = 0;
    }
    mp_free(pf);
    mp_free(rep);
    return rc;
}

/* ------------------------------------------------------------------ the run */

int sweep_run(SweepPlan *p, const char *db_path, const SweepRunOpts *o, SweepStats *st, MpErr *e)
{
    memset(st, 0, sizeof *st);
    Run r;
    memset(&r, 0, sizeof r);
    r.p = p;
    r.o = o;
    r.st = st;
    r.fid = o->fid >= 0 ? (Fidelity)o->fid : p->fid;
    r.t0 = now_s();
    st->rows = p->nrows;
    if (o->nshards < 1 || o->shard < 0 || o->shard >= o->nshards || o->jobs < 1)
        return mp_errf(e, MP_EINPUT, "sweep: bad shard %d/%d or jobs %d", o->shard, o->nshards, o->jobs);
    KeySet have = {0};
    int rc = MP_OK;
    struct stat sb;
    if (!o->dry_run || stat(db_path, &sb) == 0)
        rc = db_open(db_path, o->dry_run ? DB_READ : DB_WRITE, &r.db, e);
    if (rc == MP_OK && r.db) {
        rc = db_each_key(r.db, "results", keyset_add_cb, &have, e);
        if (rc == MP_OK)
            rc = db_each_key(r.db, "infeasible", keyset_add_cb, &have, e);
        if (rc == MP_OK && have.oom)
            rc = mp_errf(e, MP_ENOMEM, "out of memory");
    }
    if (rc == MP_OK)
        rc = enumerate(&r, &have, e);
    mp_free(have.slot);
    /* accuracy studies to run: those some row needs (each is sent just before its first row) */
    for (int i = 0; rc == MP_OK && i < r.nacc; i++)
        r.total_acc += r.acc[i].state == ACC_TODO;
    if (rc == MP_OK && !o->dry_run) {
        rc = db_begin(r.db, e);
        if (rc == MP_OK)
            rc = db_put_spec(r.db, p->name, p->text, e);
        if (rc == MP_OK)
            rc = db_commit(r.db, e);
        else
            db_rollback(r.db);
    }
    if (rc == MP_OK && !o->dry_run && r.ntask > 0) {
        int64_t work = r.ntask + r.total_acc;
        r.nwk = o->jobs < work ? o->jobs : (int)work;
        r.wk = mp_calloc((size_t)r.nwk, sizeof *r.wk);
        if (!r.wk)
            rc = mp_errf(e, MP_ENOMEM, "out of memory");
        for (int i = 0; r.wk && i < r.nwk; i++)
            r.wk[i].to = r.wk[i].from = -1;
        void (*old_pipe)(int) = signal(SIGPIPE, SIG_IGN);
        for (int i = 0; rc == MP_OK && i < r.nwk; i++)
            rc = spawn(&r, i, e);
        st->jobs = r.nwk;
        if (rc == MP_OK)
            rc = main_loop(&r, e);
        if (r.wk)
            stop_workers(&r, rc == MP_OK ? 0 : SIGKILL);
        signal(SIGPIPE, old_pipe);
        draw(&r, 1);
    }
    st->wall_s = now_s() - r.t0;
    int rc2 = db_close(r.db, e);
    if (rc == MP_OK)
        rc = rc2;
    for (int i = 0; i < r.nacc; i++)
        mp_free(r.acc[i].wait);
    mp_free(r.acc);
    mp_free(r.pend);
    mp_free(r.task);
    mp_free(r.wk);
    return rc;
}
