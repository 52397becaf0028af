/* cli/cmd_run.c — `mpsim run` (one design point on one workload) and `mpsim compare` (several
 * design points, speed-up and energy against the first). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cJSON.h>

#include "sim/area.h"
#include "base/cli.h"
#include "base/parse.h"
#include "cli/cmds.h"
#include "models/opfmt.h"
#include "models/pekind.h"
#include "sim/config.h"
#include "sim/energy.h"
#include "base/jsonout.h"
#include "sim/point.h"
#include "sim/run.h"

typedef struct RunArgs {
    const char *arch, *archs, *model, *phase, *fidelity, *json, *blocks, *order, *orient, *objective, *set;
    const char *seq_text, *kv_text; /* --seq, --kv as typed; NULL: not given */
    int64_t seq, kv, batch, seed;   /* seq, kv: from the texts, POINT_LEN_DEFAULT when not given */
    int quiet;
} RunArgs;

static int parse_blocks(const char *s, MapForce *f, MpErr *e)
{
    long long a, b, c;
    char tail;
    if (sscanf(s, "%lldx%lldx%lld%c", &a, &b, &c, &tail) != 3 || a < 0 || b < 0 || c < 0)
        return mp_errf(e, MP_EINPUT, "--blocks '%s': expected BMxBNxBK (0 = let the mapper choose)", s);
    f->bm = a;
    f->bn = b;
    f->bk = c;
    return MP_OK;
}

static int make_workload(const RunArgs *a, Workload **w, MpErr *e)
{
    return point_workload(a->model, a->phase, a->seq, a->kv, a->batch, w, e);
}

/* Load the preset or file, apply --set, load its energy table, and evaluate (sim/point.h). */
static int eval_point(const char *arch, const Workload *w, const RunArgs *a, const MapForce *force, Point *p,
                      MpErr *e)
{
    memset(p, 0, sizeof *p);
    ArchConfig cfg;
    TechTable tech;
    int rc = point_load_arch(arch, a->set, &cfg, &tech, e);
    if (rc)
        return rc;
    int obj = MAP_OBJ_TIME; /* common_args has checked the name */
    if (a->objective && (rc = map_objective_from_name(a->objective, &obj, e)) != MP_OK)
        return rc;
    RunOpts o = {strcmp(a->fidelity, "cycle") == 0 ? FID_CYCLE : FID_FAST, force, (uint64_t)a->seed,
                 !a->quiet && isatty(2), obj, NULL, NULL};
    return point_eval(&cfg, &tech, w, &o, 1, p, e);
}

/* Cycles of the workload per binding resource (each layer's cycles, all instances, go to its bound). */
static void cycles_by_bound(const Point *p, int64_t out[SIM_RES_COUNT])
{
    for (int k = 0; k < SIM_RES_COUNT; k++)
        out[k] = 0;
    for (int i = 0; i < p->res.nlayer; i++)
        out[sim_bound(&p->res.layer[i].all)] += p->res.layer[i].all.ev.cycles;
    for (int i = 0; i < p->res.nvec; i++)
        out[sim_bound(&p->res.vec[i].r)] += p->res.vec[i].r.ev.cycles;
}

/* A vector row as a line of the layer table: rows x width, its kernel and chunk in the mapping column. */
static void print_vec_row(const Point *p, int i)
{
    const RunVec *v = &p->res.vec[i];
    const SimEvents *ev = &v->r.ev;
    printf("%-12s %6lld %6lld %6s %5lld %13lld %6s %10.2f %11.2f %-13s  %s, %lld rows per chunk\n", v->v.name,
           (long long)v->v.rows, (long long)v->v.width, "-", (long long)v->v.count, (long long)ev->cycles, "-",
           (double)(ev->dram_read_bits + ev->dram_write_bits) / 8e6, p->vec_energy[i].total / 1e6,
           point_bound(&v->r), vec_kinds[v->j.kind].name, (long long)vu_chunk_rows(&p->cfg, &v->j));
}

static void print_point(const Point *p, const Workload *w)
{
    const ArchConfig *c = &p->cfg;
    printf("arch %s  (%s, %d core%s of %dx%d PEs, %s, %.0f MHz, %d DRAM channel%s of %d bits/cycle)   model %s  %s",
           c->name, pe_kind_names[c->pe_kind], c->cores, c->cores > 1 ? "s" : "", c->rows, c->cols,
           c->dataflow == DATAFLOW_OS ? "output-stationary" : "weight-stationary", c->clock_mhz, c->dram_channels,
           c->dram_channels > 1 ? "s" : "", c->dram_bits_per_cycle, w->model, wl_phase_name(w->phase));
    if (w->phase == WL_PREFILL)
        printf(" seq %lld", (long long)w->seq);
    else if (w->phase == WL_DECODE)
        printf(" kv %lld", (long long)w->kv);
    printf("  batch %lld\n", (long long)w->batch);
    const PeVariant *v = pe_kind_variant((PeKindId)c->pe_kind, c->weight_bits);
    printf("operands: weights %s, activations %s, KV cache %s, outputs %s (mpsim list formats)\n\n",
           v ? op_fmts[v->wfmt].name : "?", op_fmts[config_act_fmt(c)].name, op_fmts[config_kv_fmt(c)].name,
           op_fmts[config_out_fmt(c)].name);
    printf("%-12s %6s %6s %6s %5s %13s %6s %10s %11s %-13s  %s\n", "layer", "M", "N", "K", "count", "cycles(all)",
           "util%", "DRAM MB", "energy uJ", "bound", "mapping (per instance)");
    int vi = 0;
    for (int i = 0; i <= p->res.nlayer; i++) {
        for (; vi < p->res.nvec && p->res.vec[vi].v.after <= i; vi++)
            print_vec_row(p, vi);
        if (i == p->res.nlayer)
            break;
        const RunLayer *L = &p->res.layer[i];
        const SimEvents *ev = &L->all.ev; /* every instance */
        char map[192];
        map_describe(&L->r.map, map, sizeof map);
        if (c->cores > 1) { /* the split across cores (instances x tokens x channels), then one core's mapping */
            char part[64];
            map_part_describe(&L->part, c->cores, part, sizeof part);
            size_t n = strlen(map);
            snprintf(map + n, sizeof map - n, "; split %s", part);
        }
        double util = ev->mac_capacity ? 100.0 * (double)ev->macs / (double)ev->mac_capacity : 0;
        printf("%-12s %6lld %6lld %6lld %5lld %13lld %6.1f %10.2f %11.2f %-13s  %s\n", L->g.name, (long long)L->g.m,
               (long long)L->g.n, (long long)L->g.k, (long long)L->g.count, (long long)ev->cycles, util,
               (double)(ev->dram_read_bits + ev->dram_write_bits) / 8e6, p->layer_energy[i].total / 1e6,
               point_bound(&L->all), map);
    }
    const SimEvents *t = &p->res.total;
    const EnergyBreakdown *en = &p->energy;
    printf("\ntotal: %lld cycles = %.6f s at %.0f MHz; %lld MACs; utilization %.1f%%; DRAM %.2f MB\n",
           (long long)t->cycles, p->seconds, c->clock_mhz, (long long)t->macs, 100 * p->utilization,
           (double)(t->dram_read_bits + t->dram_write_bits) / 8e6);
    printf("energy: %.3f mJ = PE %.3f + SRAM %.3f + DRAM %.3f (background %.3f) + decoders %.3f + dequant %.3f"
           " + leakage %.3f + other %.3f (output rescale %.3f, requantization %.3f) + vector unit %.3f\n",
           en->total / 1e9, en->pe / 1e9, en->sram / 1e9, en->dram / 1e9, en->dram_bg / 1e9, en->decoder / 1e9,
           en->dequant / 1e9, en->leakage / 1e9, en->other / 1e9, en->rescale / 1e9, en->requant / 1e9,
           en->vector / 1e9);
    printf("area: %.3f mm^2; technology %s at %d nm (clock up to %.0f MHz there; runs at %.0f)\n", p->area_mm2,
           c->tech, c->node_nm, energy_node_clock_mhz(&p->tech, c), c->clock_mhz);
    if (p->res.fused)
        printf("attention: fused (S and P stay on chip; one query tile x key tile needs %.1f KiB of the %.1f KiB "
               "of buffers)\n",
               (double)p->res.fused_need_bits / 8192, (double)p->res.fused_have_bits / 8192);
    else if (p->res.note[0])
        printf("attention: %s\n", p->res.note);
    int64_t by[SIM_RES_COUNT];
    cycles_by_bound(p, by);
    printf("bound:");
    for (int k = 0, first = 1; k < SIM_RES_COUNT; k++)
        if (by[k] > 0) {
            printf("%s %s %.1f%%", first ? "" : ",", sim_resource_names[k],
                   t->cycles ? 100.0 * (double)by[k] / (double)t->cycles : 0.0);
            first = 0;
        }
    printf(" of the cycles (each layer counted under its binding resource)\n");
    if (p->res.checked_outputs)
        printf("check: %lld outputs equal the golden GEMM bit for bit\n", (long long)p->res.checked_outputs);
}

static cJSON *point_json(const Point *p, const Workload *w)
{
    const ArchConfig *c = &p->cfg;
    const SimEvents *t = &p->res.total;
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "arch", c->name);
    cJSON_AddStringToObject(o, "pe_kind", pe_kind_names[c->pe_kind]);
    const PeVariant *v = pe_kind_variant((PeKindId)c->pe_kind, c->weight_bits);
    cJSON *ops = cJSON_AddObjectToObject(o, "operands");
    cJSON_AddStringToObject(ops, "weights", v ? op_fmts[v->wfmt].name : "?");
    cJSON_AddStringToObject(ops, "activations", op_fmts[config_act_fmt(c)].name);
    cJSON_AddStringToObject(ops, "kv_cache", op_fmts[config_kv_fmt(c)].name);
    cJSON_AddStringToObject(ops, "outputs", op_fmts[config_out_fmt(c)].name);
    cJSON_AddStringToObject(o, "model", w->model);
    cJSON_AddStringToObject(o, "phase", wl_phase_name(w->phase));
    cJSON_AddNumberToObject(o, "batch", (double)w->batch);
    if (w->phase == WL_PREFILL)
        cJSON_AddNumberToObject(o, "seq", (double)w->seq);
    if (w->phase == WL_DECODE)
        cJSON_AddNumberToObject(o, "kv", (double)w->kv);
    cJSON_AddNumberToObject(o, "cycles", (double)t->cycles);
    cJSON_AddNumberToObject(o, "seconds", p->seconds);
    cJSON_AddNumberToObject(o, "macs", (double)t->macs);
    cJSON_AddNumberToObject(o, "dram_bytes", (double)(t->dram_read_bits + t->dram_write_bits) / 8);
    cJSON_AddNumberToObject(o, "utilization", p->utilization);
    cJSON_AddNumberToObject(o, "area_mm2", p->area_mm2);
    cJSON_AddNumberToObject(o, "node_nm", c->node_nm); /* [energy] node_nm: energy and area scaled to it */
    cJSON *en = cJSON_AddObjectToObject(o, "energy_pj");
    cJSON_AddNumberToObject(en, "total", p->energy.total);
    cJSON_AddNumberToObject(en, "pe", p->energy.pe);
    cJSON_AddNumberToObject(en, "sram", p->energy.sram);
    cJSON_AddNumberToObject(en, "dram", p->energy.dram);
    cJSON_AddNumberToObject(en, "dram_background", p->energy.dram_bg);
    cJSON_AddNumberToObject(en, "other", p->energy.other);
    cJSON_AddNumberToObject(en, "rescale", p->energy.rescale);
    cJSON_AddNumberToObject(en, "requant", p->energy.requant);
    cJSON_AddNumberToObject(en, "decoder", p->energy.decoder);
    cJSON_AddNumberToObject(en, "dequant", p->energy.dequant);
    cJSON_AddNumberToObject(en, "leakage", p->energy.leakage);
    cJSON_AddNumberToObject(en, "vector", p->energy.vector);
    cJSON_AddBoolToObject(o, "attention_fused", p->res.fused);
    if (p->res.fused_need_bits)
        cJSON_AddNumberToObject(o, "fused_need_kib", (double)p->res.fused_need_bits / 8192);
    if (p->res.note[0])
        cJSON_AddStringToObject(o, "note", p->res.note);
    int64_t by[SIM_RES_COUNT];
    cycles_by_bound(p, by);
    cJSON *cb = cJSON_AddObjectToObject(o, "cycles_by_bound");
    for (int k = 0; k < SIM_RES_COUNT; k++)
        cJSON_AddNumberToObject(cb, sim_resource_names[k], (double)by[k]);
    cJSON *ls = cJSON_AddArrayToObject(o, "layers");
    for (int i = 0; i < p->res.nlayer; i++) {
        const RunLayer *L = &p->res.layer[i];
        cJSON *l = cJSON_CreateObject();
        cJSON_AddStringToObject(l, "name", L->g.name);
        cJSON_AddNumberToObject(l, "m", (double)L->g.m);
        cJSON_AddNumberToObject(l, "n", (double)L->g.n);
        cJSON_AddNumberToObject(l, "k", (double)L->g.k);
        cJSON_AddNumberToObject(l, "count", (double)L->g.count);
        /* every instance, back to back (RunLayer.all); instance_cycles: one on its own */
        cJSON_AddNumberToObject(l, "cycles", (double)L->all.ev.cycles);
        cJSON_AddNumberToObject(l, "instance_cycles", (double)L->r.ev.cycles);
        cJSON_AddNumberToObject(l, "energy_pj", p->layer_energy[i].total);
        EnergyBreakdown one; /* one instance on its own (what a single GEMM on the accelerator costs) */
        MpErr oe = {0};
        if (energy_compute(&p->tech, &p->cfg, &L->r.ev, &one, &oe) == MP_OK)
            cJSON_AddNumberToObject(l, "instance_energy_pj", one.total);
        cJSON_AddNumberToObject(l, "dram_bytes", (double)(L->all.ev.dram_read_bits + L->all.ev.dram_write_bits) / 8);
        cJSON_AddStringToObject(l, "bound", point_bound(&L->all));
        if (p->cfg.cores > 1) { /* the split across cores (absent with one core: its JSON is unchanged) */
            char part[64];
            map_part_describe(&L->part, p->cfg.cores, part, sizeof part);
            cJSON_AddStringToObject(l, "split", part);
        }
        /* each resource's own cycles, all instances: what the layer would take if only it counted */
        cJSON *rs = cJSON_AddObjectToObject(l, "resource_cycles");
        for (int k = 0; k < SIM_RES_COUNT; k++)
            cJSON_AddNumberToObject(rs, sim_resource_names[k], (double)L->all.res[k]);
        cJSON *mp = cJSON_AddObjectToObject(l, "mapping");
        cJSON_AddStringToObject(mp, "orient", map_orient_name(L->r.map.trans));
        cJSON_AddNumberToObject(mp, "bm", (double)L->r.map.bm);
        cJSON_AddNumberToObject(mp, "bn", (double)L->r.map.bn);
        cJSON_AddNumberToObject(mp, "bk", (double)L->r.map.bk);
        cJSON_AddStringToObject(mp, "order", L->r.map.order == ORDER_MN ? "mn" : "nm");
        cJSON_AddItemToArray(ls, l);
    }
    /* the vector rows (sim/vecunit.h), in execution order: `after` GEMM layers run before each */
    cJSON *vs = cJSON_AddArrayToObject(o, "vector");
    for (int i = 0; i < p->res.nvec; i++) {
        const RunVec *rv = &p->res.vec[i];
        cJSON *l = cJSON_CreateObject();
        cJSON_AddStringToObject(l, "name", rv->v.name);
        cJSON_AddStringToObject(l, "kernel", vec_kinds[rv->j.kind].name);
        cJSON_AddNumberToObject(l, "rows", (double)rv->v.rows);
        cJSON_AddNumberToObject(l, "width", (double)rv->v.width);
        cJSON_AddNumberToObject(l, "count", (double)rv->v.count);
        cJSON_AddNumberToObject(l, "serial", (double)rv->v.serial);
        cJSON_AddNumberToObject(l, "after", rv->v.after);
        cJSON_AddNumberToObject(l, "cycles", (double)rv->r.ev.cycles);
        cJSON_AddNumberToObject(l, "energy_pj", p->vec_energy[i].total);
        cJSON_AddNumberToObject(l, "dram_bytes", (double)(rv->r.ev.dram_read_bits + rv->r.ev.dram_write_bits) / 8);
        cJSON *vops = cJSON_AddObjectToObject(l, "ops");
        for (int k = 0; k < VC_COUNT; k++)
            cJSON_AddNumberToObject(vops, vec_class_names[k], (double)rv->r.ev.vec_ops[k]);
        cJSON_AddStringToObject(l, "bound", point_bound(&rv->r));
        cJSON_AddItemToArray(vs, l);
    }
    return o;
}

static int common_args(RunArgs *a, MapForce *f, int *use_force, MpErr *e)
{
    if (!a->model)
        return mp_errf(e, MP_EINPUT, "--model is required (a built-in name or a layer CSV)");
    if (strcmp(a->fidelity, "fast") != 0 && strcmp(a->fidelity, "cycle") != 0)
        return mp_errf(e, MP_EINPUT, "--fidelity '%s': expected fast or cycle", a->fidelity);
    int rc = cmd_parse_len("seq", a->seq_text, &a->seq, e);
    if (rc == MP_OK)
        rc = cmd_parse_len("kv", a->kv_text, &a->kv, e);
    if (rc)
        return rc;
    if (a->batch < 1 || a->seed < 0)
        return mp_errf(e, MP_EINPUT, "--batch >= 1 and --seed >= 0 required");
    *f = MAP_FORCE_NONE;
    *use_force = 0;
    if (a->objective) {
        int obj;
        if ((rc = map_objective_from_name(a->objective, &obj, e)) != MP_OK)
            return rc;
    }
    if (a->orient) {
        if (!strcmp(a->orient, "mxn"))
            f->trans = 0;
        else if (!strcmp(a->orient, "nxm"))
            f->trans = 1;
        else
            return mp_errf(e, MP_EINPUT, "--orient '%s': expected mxn (tokens on the array rows) or nxm (output "
                                         "channels on the rows)", a->orient);
        *use_force = 1;
    }
    if (a->blocks) {
        rc = parse_blocks(a->blocks, f, e);
        if (rc)
            return rc;
        *use_force = 1;
    }
    if (a->order) {
        if (!strcmp(a->order, "mn"))
            f->order = ORDER_MN;
        else if (!strcmp(a->order, "nm"))
            f->order = ORDER_NM;
        else
            return mp_errf(e, MP_EINPUT, "--order '%s': expected mn or nm", a->order);
        *use_force = 1;
    }
    return MP_OK;
}

#define RUN_OPTS(a)                                                                                                   \
    {"model", CLI_STR, &(a).model, "NAME|FILE", "built-in model (mpsim list models) or a layer CSV"},                 \
        {"phase", CLI_STR, &(a).phase, "PHASE", "prefill (default) or decode"},                                      \
        {"seq", CLI_STR, &(a).seq_text, "N", "prefill sequence length (default 2048)"},                                    \
        {"kv", CLI_STR, &(a).kv_text, "N", "decode KV length (default 2048)"},                                            \
        {"batch", CLI_INT, &(a).batch, "B", "batch (default 1)"},                                                     \
        {"fidelity", CLI_STR, &(a).fidelity, "fast|cycle",                                                           \
         "fast (closed forms, default) or cycle (ticks, real data, checked against golden)"},                        \
        {"seed", CLI_INT, &(a).seed, "S", "seed of the cycle-fidelity operands (default 1)"},                        \
        {"blocks", CLI_STR, &(a).blocks, "BMxBNxBK", "force the SRAM blocking (0 = free), e.g. 32x64x4096"},          \
        {"order", CLI_STR, &(a).order, "mn|nm", "force the block loop order"},                                        \
        {"orient", CLI_STR, &(a).orient, "mxn|nxm",                                                                   \
         "force the orientation: tokens (mxn) or output channels (nxm) on the array rows"},                           \
        {"objective", CLI_STR, &(a).objective, "time|dram|energy",                                                    \
         "what the mapper minimises first (default time, then DRAM bits, then energy)"},                              \
        {"set", CLI_STR, &(a).set, "S.K=V,...", "override config keys, e.g. arch.rows=16,sram.weight_kib=256"},     \
        {"json", CLI_STR, &(a).json, "FILE", "write results as JSON ('-' for stdout)"},                             \
        {"quiet", CLI_FLAG, &(a).quiet, "", "no progress on stderr"}

/* run and compare, as parsed: their options, the forced mapping and the workload. */
typedef struct RunCmd {
    RunArgs a;
    MapForce force;
    int use_force;
    Workload *w;
} RunCmd;

/* What tells run and compare apart: the design option (--arch: one design, --archs: a list), the
 * help text, and what is done with the workload. */
typedef struct RunCmdDef {
    const char *cmd, *usage, *summary, *details;
    const char *flag, *metavar, *help; /* the design option: "arch" or "archs" */
    int (*body)(const RunCmd *c, MpErr *e);
} RunCmdDef;

/* The part run and compare share: parse the flags, insist on the design option (checked after
 * parsing, since it fills the RunArgs), resolve the forced mapping, build the workload, run the
 * body; the exit status. */
static int run_main(const RunCmdDef *d, int argc, char **argv)
{
    RunCmd c = {{.fidelity = "fast", .seq = POINT_LEN_DEFAULT, .kv = POINT_LEN_DEFAULT, .batch = 1, .seed = 1}, {0}, 0, NULL};
    const char **design = !strcmp(d->flag, "arch") ? &c.a.arch : &c.a.archs;
    const CliOpt opts[] = {
        {d->flag, CLI_STR, design, d->metavar, d->help},
        RUN_OPTS(c.a),
        {NULL, 0, NULL, NULL, NULL},
    };
    const CliSpec spec = {d->cmd, d->usage, d->summary, d->details, opts, 0, 0};
    int st = cmd_parse(&spec, argc, argv, NULL, NULL);
    if (st != CMD_GO_ON)
        return st;
    MpErr e = {0};
    int rc = *design ? MP_OK
                     : mp_errf(&e, MP_EINPUT, "%s: --%s is required (see '%s --help')", d->cmd, d->flag, d->cmd);
    if (rc == MP_OK)
        rc = common_args(&c.a, &c.force, &c.use_force, &e);
    if (rc == MP_OK)
        rc = make_workload(&c.a, &c.w, &e);
    if (rc == MP_OK)
        rc = d->body(&c, &e);
    wl_destroy(c.w);
    return rc ? cli_fail(&e) : 0;
}

static int run_body(const RunCmd *c, MpErr *e)
{
    Point p;
    int rc = eval_point(c->a.arch, c->w, &c->a, c->use_force ? &c->force : NULL, &p, e);
    if (rc == MP_OK) {
        if (!c->a.json || strcmp(c->a.json, "-") != 0)
            print_point(&p, c->w);
        if (c->a.json) {
            cJSON *o = point_json(&p, c->w);
            rc = json_write(c->a.json, o, e);
            cJSON_Delete(o);
        }
    }
    point_free(&p);
    return rc;
}

int cmd_run(int argc, char **argv)
{
    static const RunCmdDef def = {
        "mpsim run", "--arch NAME|FILE --model NAME|FILE [options]",
        "Simulate a model's GEMMs for one phase on one accelerator: per-layer cycles, DRAM traffic, energy and the "
        "mapping chosen, then totals.",
        "Example: mpsim run --arch bitmod-paper/bitmod-w4 --model llama2-7b --phase decode --kv 256\n"
        "Timing model: docs/simulator.md.",
        "arch", "NAME|FILE", "preset (mpsim list presets) or config file", run_body};
    return run_main(&def, argc, argv);
}

static int compare_body(const RunCmd *c, MpErr *e)
{
    const RunArgs *a = &c->a;
    const Workload *w = c->w;
    enum { MAXP = 32 };
    Point pts[MAXP];
    char names[2048];
    int np = 0, rc = MP_OK;
    snprintf(names, sizeof names, "%s", a->archs);
    for (char *save = NULL, *tok = strtok_r(names, ",", &save); rc == MP_OK && tok; tok = strtok_r(NULL, ",", &save)) {
        if (np == MAXP) {
            rc = mp_errf(e, MP_EINPUT, "mpsim compare: at most %d archs", MAXP);
            break;
        }
        rc = eval_point(tok, w, a, c->use_force ? &c->force : NULL, &pts[np], e);
        np++;
    }
    if (rc == MP_OK && np < 1)
        rc = mp_errf(e, MP_EINPUT, "mpsim compare: --archs lists nothing");
    if (rc == MP_OK) {
        int table = !a->json || strcmp(a->json, "-") != 0;
        cJSON *root = a->json ? cJSON_CreateObject() : NULL, *arr = root ? cJSON_AddArrayToObject(root, "points") : NULL;
        if (table) {
            printf("model %s  %s  batch %lld   baseline %s\n\n", w->model, wl_phase_name(w->phase), (long long)w->batch,
                   pts[0].cfg.name);
            printf("%-26s %-13s %9s %14s %9s %11s %9s %9s %7s\n", "arch", "pe_kind", "PEs", "cycles", "speedup",
                   "energy mJ", "energy x", "area mm2", "util%");
        }
        for (int i = 0; i < np; i++) {
            const Point *p = &pts[i];
            double sp = pts[0].seconds / p->seconds; /* seconds: the configs may differ in clock */
            double er = pts[0].energy.total / p->energy.total;
            if (table)
                printf("%-26s %-13s %9d %14lld %8.2fx %11.4f %8.2fx %9.3f %7.1f\n", p->cfg.name,
                       pe_kind_names[p->cfg.pe_kind], p->cfg.rows * p->cfg.cols, (long long)p->res.total.cycles, sp,
                       p->energy.total / 1e9, er, p->area_mm2, 100 * p->utilization);
            if (arr) {
                cJSON *o = point_json(p, w);
                cJSON_AddNumberToObject(o, "speedup", sp);
                cJSON_AddNumberToObject(o, "energy_reduction", er);
                cJSON_AddItemToArray(arr, o);
            }
        }
        if (table)
            printf("\nspeedup = baseline seconds / seconds (each at its own clock); energy x = baseline energy / energy\n");
        if (root) {
            rc = json_write(a->json, root, e);
            cJSON_Delete(root);
        }
    }
    for (int i = 0; i < np; i++)
        point_free(&pts[i]);
    return rc;
}

int cmd_compare(int argc, char **argv)
{
    static const RunCmdDef def = {
        "mpsim compare", "--archs A,B,... --model NAME|FILE [options]",
        "Run one workload on several accelerators; speed-up and energy reduction of each against the first.",
        "Example: mpsim compare --archs iso/fp16,iso/mixpe-w4a8,iso/bitmod-w4 --model llama2-7b --phase decode",
        "archs", "A,B,...", "presets or config files; the first is the baseline", compare_body};
    return run_main(&def, argc, argv);
}
