// rtl/harness/rtl_tb.cpp — Verilator harness of rtl/mp_array.sv for one PE kind and array size.
//
// For randomized sequences of 1..4 tiles fed back to back (one configuration and one GEMM per
// sequence: SRAM port widths that slow the step or the row transfers, group sizes, weight widths,
// data from several generators quantized by models/quant.c and packed by models/pack.c; tiles of
// random shapes on disjoint output blocks, each block's tiles over consecutive K pieces, with or
// without partial sums in and out) it:
//   * presents each tile as soon as the RTL accepted the one before, and feeds the packed operands
//     and partial sums exactly when the RTL asks (the partial sums from its own output buffer, into
//     which it stores the RTL's partial sums: a later tile of the block loads them),
//   * checks every value leaving the array bit for bit against the golden model (models/golden.c,
//     run in the same K pieces as the tiles: golden_acc_run / golden_acc_finish, which must also
//     equal golden_gemm_hw for the whole GEMM),
//   * checks each tile's done cycle against the back-to-back recurrence of sim/petime.h
//     (pe_tile_phases + pe_pipe_tile, ready = 0; one tile alone: pe_tile_cycles), and each tile's
//     phases and values against the simulator's cycle-level array (sim/array.c), which must agree.
// On the first mismatch it prints the sequence, the element, expected and actual, the cycle, and
// re-runs itself on the same sequences with FST tracing on for the failing one, writing a .gtkw
// view file next to the waveform. Ends with "rtl-<name>: N passed, N failed" (N sequences).
//
// Build (make rtl-test does it): verilator --cc --exe -GKIND=k -GROWS=r -GCOLS=c ... with
// -DTB_KIND=k -DTB_ROWS=r -DTB_COLS=c -DTB_GLOG=g and linked with build/libmpsim.a.
#include <cinttypes>
#include <memory>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <algorithm>
#include <chrono>
#include <ctime>
#include <string>
#include <vector>

#include <omp.h>

#include "Vmp_array.h"
#include "rtl_data.h"
#include "rtl_feed.h"
#include "verilated.h"
#if VM_TRACE
#include "verilated_fst_c.h"
#endif

extern "C" {
#include "base/inischema.h"
#include "base/rng.h"
#include "models/golden.h"
#include "models/pack.h"
#include "models/quant.h"
#include "sim/array.h"
#include "sim/config.h"
#include "sim/petime.h"
#include "traces/safetensors.h"
#include "traces/synth.h"
}

#ifndef TB_KIND
#error "TB_KIND (a PeKindId) must be defined"
#endif
#ifndef TB_GLOG
#define TB_GLOG 7
#endif

static const PeKindId KIND = (PeKindId)TB_KIND;
static const int ROWS = TB_ROWS, COLS = TB_COLS;
static const int E = ROWS > COLS ? ROWS : COLS; /* x_in / w_in / scale lanes: tokens or channels of a tile */

// ------------------------------------------------------------------------ options

struct Opts {
    unsigned long long seed = 1;
    int tiles = 200;
    int max_k = 160;          // K of one tile (group kinds: more when the group is large)
    int trace_tile = -1;      // replay mode: trace this tile, stop after it
    int only_tile = -1;       // run only this tile (no earlier tiles: state differs)
    int quiet = 0;
    int no_replay = 0;
    int max_reports = 3;
    int bench_k = 0;          // --bench K: time one full tile of K instead of testing
    int power = 20;           // a new model (new random register values) every this many tiles
    unsigned long long xseed = 0;  // Verilator random-reset seed (0: from --seed)
    std::string name;         // e.g. int8-8x8
    std::string out_dir = "build/rtl/fail";
    std::string trace_w, trace_x;  // safetensors files to cut tiles from
};

static Opts opt;
static std::vector<std::string> g_argv;

// ------------------------------------------------------------------------ helpers

static uint32_t fbits(float f)
{
    uint32_t u;
    memcpy(&u, &f, 4);
    return u;
}
static float bitsf(uint32_t u)
{
    float f;
    memcpy(&f, &u, 4);
    return f;
}
static uint64_t mix64(uint64_t z)
{
    z += 0x9e3779b97f4a7c15ull;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

/* the kind's row, and its operand widths inside the array (rtl/mp_kinds.vh kind_xw / kind_ww) */
static const PeKind &PK = pe_kinds[KIND];
static int kind_xw() { return PK.rtl.xw + PK.rtl.xw_glog * TB_GLOG; }
static int kind_ww() { return PK.rtl.ww; }

static bool is_int_kind() { return rtl_is_int_kind(KIND); }
static bool has_group_state() { return rtl_has_group_state(KIND); }
static bool uses_groups() { return rtl_uses_groups(KIND); }
static bool x_is_fp16() { return PK.xscheme == QS_FP16; }

// ------------------------------------------------------------------------ one sequence of tiles

/* One tile of a sequence: where it lies, its cfg_* values, its phases and the values it sends out. */
struct SeqTile {
    Tile tile;
    int block = 0;                 // the output block (m0, n0, tm, tn) it belongs to
    int se = 1, ric = 1, roc = 1, steps = 1;
    TilePhases ph{};               // pe_tile_phases (= sim/array.c's)
    int64_t start_at = 0;          // pe_pipe_tile: the cycle its first phase starts (ready = 0)
    int64_t pre_at = -1, pre_end = -1; // its psum preload: first cycle, end (-1: no partial sums)
    NextTile nx{0, 0};             // the tile after it, as its preload needs it (cfg_nx_*)
    int nx_rows = 0, nx_ric = 0;   // that tile's psum rows and cycles per row (cfg_nx_tm, cfg_nx_ric)
    int64_t done_at = 0;           // the cycle after its last result row: drain_free after it
    std::vector<uint32_t> expect;  // tm x tn, values leaving
};

/* A sequence: one configuration, one GEMM's data, 1..4 tiles fed back to back (the harness answers
 * every request at once: ready = 0 in pe_pipe_tile). Tiles of one output block take consecutive K
 * pieces; a tile with partial sums in loads what the block's previous tile stored, or what the
 * harness preloaded (the golden accumulator over [0, k0) of the block's first tile). */
struct Case {
    int index = 0;
    uint64_t seed = 0;
    ArchConfig cfg;
    PeTiming pt;
    std::vector<SeqTile> tiles;
    int M = 0, N = 0, K = 0, G = 0, gen = 0;
    QMat w{}, x{};
    PackedMat pw{}, px{};
    std::vector<uint32_t> psum0;   // M x N, the output buffer's partial sums before the sequence
    int64_t cyc_formula = 0;       // drain_free after the last tile (pe_pipe_tile)
    std::string err;               // harness-side failure (golden/sim disagree)
    std::string src;               // where the data came from (trace window)

    ~Case()
    {
        quant_free(&w);
        quant_free(&x);
        pack_free(&pw);
        pack_free(&px);
    }
};

static const char *gen_names[] = {"llm-like",       "wide-range",      "sparse",
                                  "constant-rows",  "zeros+extremes",  "synthetic-trace",
                                  "cut from a trace file"};

/* The 32-bit partial sum of an accumulator state (what leaves / enters a PE between K blocks). */
static bool acc_bits(const GoldenAcc &a, uint32_t *out, std::string *why)
{
    if (is_int_kind()) {
        if (a.iacc > INT32_MAX || a.iacc < INT32_MIN) {
            *why = "integer accumulator beyond 32 bits";
            return false;
        }
        *out = (uint32_t)(int32_t)a.iacc;
        return true;
    }
    if (has_group_state() && (a.iacc != 0 || a.xsum != 0 || a.gacc != 0)) {
        *why = "a K block boundary inside a weight group";
        return false;
    }
    *out = fbits(a.out);
    return true;
}

/* A tile extent along an edge of `n` PEs: the whole edge half of the time. */
static int rand_extent(MpRng *r, int n) { return below(r, 2) ? n : 1 + below(r, n); }

static bool make_case(int index, Case &c)
{
    c.index = index;
    c.seed = mix64(opt.seed * 0x100000001b3ull + (uint64_t)index);
    MpRng r;
    mp_rng_seed(&r, c.seed);
    MpErr e = {};
    if (ini_schema_defaults(arch_schema, arch_schema_len, &c.cfg, &e)) {
        fprintf(stderr, "config defaults: %s\n", e.msg);
        exit(3);
    }
    ArchConfig &cfg = c.cfg;
    cfg.pe_kind = KIND;
    cfg.rows = ROWS;
    cfg.cols = COLS;
    cfg.dataflow = DATAFLOW_OS;
    const int nv = pe_kind_nvariants(KIND); /* a random variant, narrowest first (BitMoD: 3 + below(2) bits) */
    cfg.weight_bits = PK.var[nv > 1 ? nv - 1 - below(&r, nv) : 0].weight_bits;
    int G = 128;
    if (PK.group_multiple > 0) /* the config rule: a multiple of the lanes, >= pe_kind_min_group (24) */
        G = below(&r, 4) == 0 ? 128 : PK.group_multiple * (pe_kind_min_group(KIND) / PK.group_multiple + below(&r, 11));
    else if (uses_groups()) {
        int gmax = 1 << TB_GLOG;
        G = below(&r, 4) == 0 ? (gmax < 128 ? gmax : 128) : 1 + below(&r, 40);
        if (G > gmax) G = gmax;
    }
    cfg.group_size = G;
    c.G = G;
    /* SRAM ports: from a width that slows every step to one that never does */
    cfg.sram_banks = 1 + below(&r, 4);
    cfg.sram_port_bits = 8 << below(&r, 7);
    c.pt = pe_timing(&cfg);
    if (opt.bench_k > 0) { /* --bench: one full tile over K, ports wide enough for one step a cycle */
        cfg.sram_banks = 8;
        cfg.sram_port_bits = 4096;
        cfg.group_size = G = 128 > (1 << TB_GLOG) ? (1 << TB_GLOG) : 128;
        c.G = G;
    }

    /* The tiles: 1..4, on 1..(number of tiles) output blocks (disjoint in m). A block's tiles take
     * consecutive K pieces from kb0 (0, or a preloaded partial sum) to kb1 (K: final outputs, or
     * less: partial sums out); pieces start and end on group boundaries for the kinds with group
     * state, like the mapper (pe_k_align), except that the pieces reaching K may end with a short
     * group (BitMoD: then the last group may wait for the dequantizer). */
    const int ntiles = opt.bench_k ? 1 : 1 + below(&r, 4);
    const int nblk = 1 + below(&r, ntiles);
    const int unit = has_group_state() ? G : 1;
    const int maxk = opt.max_k > unit ? opt.max_k : unit;
    struct Blk { int64_t m0, n0; int tm, tn, trans; int64_t kb0, kb1; std::vector<int64_t> cut; };
    std::vector<Blk> blk((size_t)nblk);
    std::vector<int> owner((size_t)ntiles);
    for (int i = 0; i < ntiles; i++) owner[(size_t)i] = i < nblk ? i : below(&r, nblk);
    for (int i = ntiles - 1; i > 0; i--) std::swap(owner[(size_t)i], owner[(size_t)below(&r, i + 1)]);
    int64_t kmax = 0;
    for (int b = 0; b < nblk; b++) {
        Blk &k = blk[(size_t)b];
        /* orientation: tokens on the rows, or (trans) output channels on the rows */
        k.trans = opt.bench_k ? 0 : below(&r, 2);
        k.tm = opt.bench_k ? ROWS : rand_extent(&r, k.trans ? COLS : ROWS);
        k.tn = opt.bench_k ? COLS : rand_extent(&r, k.trans ? ROWS : COLS);
        k.m0 = opt.bench_k ? 0 : b == 0 ? below(&r, 3) : blk[(size_t)b - 1].m0 + blk[(size_t)b - 1].tm + below(&r, 2);
        k.n0 = opt.bench_k ? 0 : below(&r, 3);
        int nb = 0;
        for (int i = 0; i < ntiles; i++) nb += owner[(size_t)i] == b;
        k.kb0 = opt.bench_k || below(&r, 3) ? 0 : (int64_t)unit * (1 + below(&r, 2));
        k.cut.push_back(k.kb0);
        for (int p = 0; p < nb; p++) {
            int64_t len;
            if (opt.bench_k) len = opt.bench_k;
            else if (unit > 1) len = (int64_t)unit * (1 + below(&r, maxk / unit > 1 ? maxk / unit : 1));
            else /* one piece in three very short: its run ends while a long drain before it goes on (HOLD) */
                len = below(&r, 3) == 0 ? 1 + below(&r, 4) : 1 + below(&r, maxk / nb > 1 ? maxk / nb : 1);
            k.cut.push_back(k.cut.back() + len);
        }
        k.kb1 = k.cut.back();
        kmax = kmax > k.kb1 ? kmax : k.kb1;
    }
    int64_t K = kmax;
    const int how = opt.bench_k ? 0 : below(&r, 4); /* 0-1: the longest blocks end at K; 2: with a short
                                                       group added; 3: every block leaves partial sums */
    if (how == 2) {
        /* BitMoD: a tail of 1..23 weights after a whole group finds the dequantizer busy */
        const int t = unit > 1 ? 1 + below(&r, PK.timing.dq_busy > 0 ? pe_kind_min_group(KIND) - 1 : unit - 1)
                               : 1 + below(&r, 8);
        for (auto &k : blk)
            if (k.kb1 == kmax) k.cut.back() = k.kb1 = kmax + t;
        K = kmax + t;
    } else if (how == 3) {
        K = kmax + 1 + below(&r, unit > 8 ? unit : 8);
    }
    c.K = (int)K;
    c.M = 0;
    c.N = 0;
    for (auto &k : blk) {
        c.M = c.M > (int)(k.m0 + k.tm) ? c.M : (int)(k.m0 + k.tm);
        c.N = c.N > (int)(k.n0 + k.tn) ? c.N : (int)(k.n0 + k.tn);
    }
    c.M += opt.bench_k ? 0 : below(&r, 2);
    c.N += opt.bench_k ? 0 : below(&r, 2);
    /* the tiles in order: each takes its block's next piece */
    std::vector<int> used((size_t)nblk, 0);
    for (int i = 0; i < ntiles; i++) {
        const int b = owner[(size_t)i];
        Blk &k = blk[(size_t)b];
        SeqTile s;
        Tile &t = s.tile;
        memset(&t, 0, sizeof t);
        s.block = b;
        t.m0 = k.m0;
        t.n0 = k.n0;
        t.tm = k.tm;
        t.tn = k.tn;
        t.trans = k.trans;
        t.k0 = k.cut[(size_t)used[(size_t)b]];
        t.tk = (int)(k.cut[(size_t)used[(size_t)b] + 1] - t.k0);
        used[(size_t)b]++;
        t.first_k = t.k0 == 0;
        t.last_k = t.k0 + t.tk == K;
        c.tiles.push_back(std::move(s));
    }

    /* data, quantized and packed like everything else in the project */
    const NumFormat *nf = num_format_for_kind(KIND, cfg.weight_bits);
    QParams wq = nf->wq, xq = nf->xq;
    if (wq.scheme == QS_ASYM_GROUP || wq.scheme == QS_BITMOD) wq.group = G;
    c.gen = opt.bench_k ? 0 : below(&r, GEN_COUNT);
    std::vector<float> wf, xf;
    if (!g_trace.empty() && below(&r, 2) && !opt.bench_k) {
        c.gen = GEN_TRACE;
        cut_trace(&r, c.N, c.M, c.K, wf, xf, &c.src);
    } else {
        gen_matrix(&r, c.gen, c.N, c.K, 0, PK.wscheme == QS_FP16, c.seed ^ SYN_STREAM_W, wf);
        gen_matrix(&r, below(&r, 3) ? c.gen : below(&r, GEN_COUNT), c.M, c.K, 1, PK.xscheme == QS_FP16,
                   c.seed ^ SYN_STREAM_X, xf);
    }
    if (quant_matrix(&wq, wf.data(), c.N, c.K, &c.w, &e) || quant_matrix(&xq, xf.data(), c.M, c.K, &c.x, &e) ||
        pack_matrix(&c.w, &c.pw, &e) || pack_matrix(&c.x, &c.px, &e)) {
        c.err = std::string("quantize/pack: ") + e.msg;
        return false;
    }

    /* timing: each tile's phases and cfg_*, and the back-to-back recurrence (ready = 0), each tile
     * placed with the one after it as sim/engine.c's engine_fast does (next_tile: its load, and
     * same = the same output tile (m0, n0)); the last with none */
    for (auto &s : c.tiles) {
        const RtlTileCfg tc = rtl_tile_cfg(&cfg, &c.pt, &s.tile);
        s.steps = tc.steps;
        s.se = tc.se;
        s.ric = tc.ric;
        s.roc = tc.roc;
        s.ph = pe_tile_phases(&cfg, &c.pt, &s.tile);
    }
    ArrayPipe pipe = ARRAY_PIPE_IDLE;
    for (size_t i = 0; i < c.tiles.size(); i++) {
        SeqTile &s = c.tiles[i];
        const bool more = i + 1 < c.tiles.size();
        if (more) {
            const SeqTile &n = c.tiles[i + 1];
            s.nx.load = n.ph.load;
            s.nx.same = n.tile.m0 == s.tile.m0 && n.tile.n0 == s.tile.n0;
            s.nx_rows = tile_rows(&n.tile);
            s.nx_ric = n.ric;
        }
        if (s.ph.load && pipe.pre_end < 0) { /* a sequence's first tile with psums: from max(acc_free, drain_free) */
            s.pre_end = (pipe.acc_free > pipe.drain_free ? pipe.acc_free : pipe.drain_free) + s.ph.load;
            s.pre_at = s.pre_end - s.ph.load;
        }
        s.start_at = pe_pipe_tile(&cfg, &pipe, &s.ph, 0, more ? &s.nx : NULL);
        s.done_at = pipe.drain_free;
        if (more && s.nx.load) {
            c.tiles[i + 1].pre_end = pipe.pre_end;
            c.tiles[i + 1].pre_at = pipe.pre_end - s.nx.load;
        }
    }
    c.cyc_formula = pipe.drain_free;
    if (c.tiles.size() == 1 && c.cyc_formula != pe_tile_cycles(&cfg, &c.pt, &c.tiles[0].tile)) {
        c.err = "simulator disagrees with itself: pe_pipe_tile of one tile != pe_tile_cycles";
        return false;
    }

    /* golden: the whole GEMM, and every output of every tile in the tiles' K pieces; the blocks'
     * preloaded partial sums (the accumulator over [0, kb0)) */
    std::vector<float> y((size_t)c.M * c.N);
    if (golden_gemm_hw(KIND, &c.w, &c.x, y.data(), &e)) {
        c.err = std::string("golden: ") + e.msg;
        return false;
    }
    std::vector<GoldenAcc> ps((size_t)c.M * c.N), ps0;
    for (auto &a : ps) golden_acc_reset(&a);
    c.psum0.assign((size_t)c.M * c.N, 0);
    for (auto &k : blk)
        for (int i = 0; i < k.tm; i++)
            for (int j = 0; j < k.tn; j++) {
                const int m = (int)k.m0 + i, n = (int)k.n0 + j;
                std::string why;
                if (k.kb0 == 0) continue;
                golden_acc_run(KIND, &ps[(size_t)m * c.N + n], &c.w, n, &c.x, m, 0, (int)k.kb0);
                if (!acc_bits(ps[(size_t)m * c.N + n], &c.psum0[(size_t)m * c.N + n], &why)) {
                    c.err = "partial sum in: " + why;
                    return false;
                }
            }
    ps0 = ps; /* the simulator's copy starts here */
    for (auto &s : c.tiles) {
        const Tile &t = s.tile;
        s.expect.assign((size_t)t.tm * t.tn, 0);
        for (int i = 0; i < t.tm; i++)
            for (int j = 0; j < t.tn; j++) {
                const int m = (int)t.m0 + i, n = (int)t.n0 + j;
                GoldenAcc &a = ps[(size_t)m * c.N + n];
                std::string why;
                golden_acc_run(KIND, &a, &c.w, n, &c.x, m, (int)t.k0, (int)(t.k0 + t.tk));
                if (t.last_k) {
                    float f = golden_acc_finish(KIND, &a, &c.w, n, &c.x, m);
                    if (fbits(f) != fbits(y[(size_t)m * c.N + n])) {
                        char b[200];
                        snprintf(b, sizeof b, "golden: K pieces give %a, golden_gemm_hw %a at (%d,%d)", (double)f,
                                 (double)y[(size_t)m * c.N + n], m, n);
                        c.err = b;
                        return false;
                    }
                    s.expect[(size_t)i * t.tn + j] = fbits(f);
                } else if (!acc_bits(a, &s.expect[(size_t)i * t.tn + j], &why)) {
                    c.err = "partial sum out: " + why;
                    return false;
                }
            }
    }

    /* the simulator's cycle-level array on the same tiles: phases and values */
    Array *arr = NULL;
    if (array_create(&cfg, &arr, &e)) {
        c.err = std::string("sim array: ") + e.msg;
        return false;
    }
    std::vector<float> ys((size_t)c.M * c.N, 0.0f);
    ArrayData d = {&c.w, &c.x, ps0.data(), ys.data()};
    for (size_t ti = 0; ti < c.tiles.size(); ti++) {
        const SeqTile &s = c.tiles[ti];
        const Tile &t = s.tile;
        TilePhases ph = {0, 0, 0};
        int64_t busy = 0;
        if (array_run_tile(arr, &c.pt, KIND, &t, &d, &ph, &busy, &e)) {
            array_destroy(arr);
            c.err = std::string("sim array: ") + e.msg;
            return false;
        }
        if (ph.load != s.ph.load || ph.run != s.ph.run || ph.drain != s.ph.drain) {
            char b[300];
            snprintf(b, sizeof b, "simulator disagrees with itself on tile %zu: sim/array.c load/run/drain %" PRId64
                     "/%" PRId64 "/%" PRId64 ", pe_tile_phases %" PRId64 "/%" PRId64 "/%" PRId64, ti, ph.load, ph.run,
                     ph.drain, s.ph.load, s.ph.run, s.ph.drain);
            array_destroy(arr);
            c.err = b;
            return false;
        }
        for (int i = 0; i < t.tm; i++)
            for (int j = 0; j < t.tn; j++) {
                size_t o = (size_t)(t.m0 + i) * c.N + t.n0 + j;
                uint32_t v = 0;
                std::string why;
                if (t.last_k) v = fbits(ys[o]);
                else if (!acc_bits(ps0[o], &v, &why)) v = ~s.expect[(size_t)i * t.tn + j];
                if (v != s.expect[(size_t)i * t.tn + j]) {
                    array_destroy(arr);
                    c.err = "sim/array.c and the golden model disagree on tile " + std::to_string(ti);
                    return false;
                }
            }
    }
    array_destroy(arr);
    return true;
}

// ------------------------------------------------------------------------ operand bundles

/* The operand bundles and group ends the array asks for (rtl/harness/rtl_feed.h, docs/rtl.md §4). */
static int64_t kend(const Tile &t) { return t.k0 + t.tk; }
static uint64_t x_bundle(const Case &c, const Tile &t, int m, int64_t k) { return rtl_x_bundle(KIND, &c.px, m, k, kend(t)); }
static uint64_t w_bundle(const Case &c, const Tile &t, int n, int64_t k) { return rtl_w_bundle(KIND, &c.pw, n, k, kend(t)); }
static int step_gend(const Case &c, const Tile &t, int64_t k) { return rtl_step_gend(KIND, c.pt.lanes, &c.pw, k, kend(t)); }

// ------------------------------------------------------------------------ the RTL

struct Rtl {
    VerilatedContext *ctx = nullptr;
    Vmp_array *top = nullptr;
#if VM_TRACE
    VerilatedFstC *tfp = nullptr;
#endif
    uint64_t time = 0;
    uint64_t cycles = 0;  // clock cycles since construction
    std::vector<uint32_t> psum;  // the output buffer (M x N) of the sequence being run
    MpRng noise;

    Rtl(unsigned long long xseed)
    {
        ctx = new VerilatedContext;
#if VM_TRACE
        ctx->traceEverOn(true);
#endif
        ctx->randReset(2);
        ctx->randSeed((int)(xseed & 0x7fffffff));
        top = new Vmp_array{ctx, "TOP"};
        mp_rng_seed(&noise, xseed ^ 0x6e6f697365ull);
    }
    ~Rtl()
    {
#if VM_TRACE
        if (tfp) {
            tfp->close();
            delete tfp;
        }
#endif
        top->final();
        delete top;
        delete ctx;
    }
    void dump()
    {
#if VM_TRACE
        if (tfp) tfp->dump(time);
#endif
    }
    /* settle this cycle's inputs (and the falling edge before them), then the rising edge */
    void tick()
    {
        top->eval();
        dump();
        time += 5;
        top->clk = 1;
        top->eval();
        dump();
        time += 5;
        top->clk = 0;
        cycles++;
    }
    void reset()
    {
        top->clk = 0;
        top->rst_n = 0;
        top->start = 0;
        for (int i = 0; i < 3; i++) tick();
        top->rst_n = 1;
        tick();
    }
};

struct Outcome {
    bool ok = true;
    int64_t cycles = -1;                  // the last done's cycle
    std::vector<int64_t> done_at;         // per tile: the cycle of its done (-1: none)
    std::vector<int64_t> first_row_cycle; // per tile: the cycle its first result row left
    std::vector<int64_t> pre_row0;        // per tile: the cycle its psum row 0 was read (-1: none)
    int bad_tile = -1;                    // the tile of the first mismatch
    int bad_i = -1, bad_j = -1;
    int64_t bad_cycle = -1;
    uint32_t got = 0;
    std::string msg;
};

/* What the tiles exercised (printed at the end, docs/rtl.md). */
struct Coverage {
    long psum_in = 0, psum_out = 0, sram_bound = 0, multi_row = 0, trace = 0;
    long gends = 0, outlier_pairs = 0, specials = 0, subnormals = 0, zeros = 0;
    long dq_waits = 0; // tiles whose last group waited for a busy group dequantizer
    long wtype[3] = {0, 0, 0}; // OliVe / ANT weights: sequences per element type (cfg_wtype)
    long seqs = 0, tiles = 0, trans = 0;
    long overlapped = 0;    // tiles that started before the previous tile's last row left
    long pre_waits = 0;     // preloads that waited for a drain (after the previous tile's start)
    long same_waits = 0;    // ... for the previous tile's own drain (it writes what they read: same)
    long start_waits = 0;   // tiles whose start waited for their preload (after the array was free)
    long capture_waits = 0; // tiles whose results waited (HOLD) for the drain registers
};
static Coverage cov;

static void count_feed(const Case &c, uint64_t xb, uint64_t wb, bool row0, bool col0)
{
    (void)c;
    auto fp16_class = [](uint64_t h) {
        if ((h & 0x7fff) == 0) cov.zeros++;
        else if ((h & 0x7c00) == 0) cov.subnormals++;
    };
    auto pair = [](uint64_t b) { /* OliVe: a pair holding an outlier (code 8 in its victim slot), once */
        if (((b & 0xf) == 8 || ((b >> 4) & 0xf) == 8) && !(b & 0x100)) cov.outlier_pairs++;
    };
    if (PK.rtl.wfeed == PE_FEED_PAIR) { /* olive; olive-w4a16 (fp16 activations) */
        if (col0) pair(wb);
        if (PK.rtl.xfeed == PE_FEED_PAIR && row0) pair(xb);
        else if (x_is_fp16() && row0) fp16_class(xb);
    } else if (PK.rtl.wfeed == PE_FEED_LANES_GRP) { /* BitMoD: the special value's code 1 << (bits - 1) */
        for (int l = 0; l < 4; l++) {
            uint64_t code = (wb >> (4 * l)) & 0xf;
            if (code == 1u << (c.cfg.weight_bits - 1)) cov.specials++;
            if (row0) fp16_class((xb >> (16 * l)) & 0xffff);
        }
    } else if (x_is_fp16()) {
        if (row0) fp16_class(xb);
    } else if (xb == 0 && row0) {
        cov.zeros++;
    }
}

/* The output at array row r, column j of tile t: its place in the M x N output buffer, and in
 * the tile's tm x tn expect (token-major). */
static size_t out_index(const Case &c, const Tile &t, int r, int j)
{
    return t.trans ? (size_t)(t.m0 + j) * c.N + t.n0 + r : (size_t)(t.m0 + r) * c.N + t.n0 + j;
}
static size_t tile_index(const Tile &t, int r, int j) { return t.trans ? (size_t)j * t.tn + r : (size_t)r * t.tn + j; }

/* Random values on inputs that are not valid this cycle: the RTL must ignore them (not in --bench,
 * which times the model). fd: the tile whose steps the array may ask for this cycle, ld: the tile
 * whose partial sums it may preload (NULL: none). */
static void drive(Rtl &R, const Case &c, const Tile *fd, const Tile *ld)
{
    const bool noise = opt.bench_k == 0;
    Vmp_array *top = R.top;
    const bool feed = fd && top->feed_v;
    const int64_t k = feed ? fd->k0 + (int64_t)top->feed_step * c.pt.lanes : 0;
    for (int i = 0; i < E; i++)
        if (feed && i < fd->tm) top->x_in[i] = x_bundle(c, *fd, (int)fd->m0 + i, k);
        else if (noise) top->x_in[i] = mp_rng_u64(&R.noise);
    for (int j = 0; j < E; j++)
        if (feed && j < fd->tn) top->w_in[j] = w_bundle(c, *fd, (int)fd->n0 + j, k);
        else if (noise) top->w_in[j] = mp_rng_u64(&R.noise);
    top->gend_in = feed ? step_gend(c, *fd, k) : noise ? (mp_rng_u64(&R.noise) & 1) : 0;
    if (feed) {
        cov.gends += top->gend_in;
        const int n = fd->tm > fd->tn ? fd->tm : fd->tn;
        for (int e = 0; e < n; e++)
            count_feed(c, e < fd->tm ? (uint64_t)top->x_in[e] : 1, e < fd->tn ? (uint64_t)top->w_in[e] : 0,
                       e < fd->tm, e < fd->tn);
    }
    const bool prd = ld && top->psum_rd;
    for (int j = 0; j < COLS; j++)
        if (prd && j < tile_cols(ld) && top->psum_row < tile_rows(ld))
            top->psum_in[j] = R.psum[out_index(c, *ld, top->psum_row, j)];
        else if (noise) top->psum_in[j] = (uint32_t)mp_rng_u64(&R.noise);
}

/* Present tile s (or, s = NULL, no tile: start low and random configuration values). */
static void present(Rtl &R, const Case &c, const SeqTile *s)
{
    Vmp_array *top = R.top;
    const bool noise = opt.bench_k == 0;
    top->start = s != nullptr;
    if (!s) {
        if (noise) {
            top->cfg_tm = 1 + (int)mp_rng_below(&R.noise, ROWS);
            top->cfg_tn = 1 + (int)mp_rng_below(&R.noise, COLS);
            top->cfg_steps = 1 + (int)mp_rng_below(&R.noise, 64);
            top->cfg_se = 1 + (int)mp_rng_below(&R.noise, 8);
            top->cfg_ric = 1 + (int)mp_rng_below(&R.noise, 8);
            top->cfg_roc = 1 + (int)mp_rng_below(&R.noise, 8);
            top->cfg_first = mp_rng_u64(&R.noise) & 1;
            top->cfg_last = mp_rng_u64(&R.noise) & 1;
            top->cfg_xtype = mp_rng_u64(&R.noise) & 1;
            top->cfg_wtype = mp_rng_u64(&R.noise) & 1;
            top->cfg_wfp3 = mp_rng_u64(&R.noise) & 1;
            top->cfg_trans = mp_rng_u64(&R.noise) & 1;
            top->cfg_nx_pre = mp_rng_u64(&R.noise) & 1;
            top->cfg_nx_same = mp_rng_u64(&R.noise) & 1;
            top->cfg_nx_tm = 1 + (int)mp_rng_below(&R.noise, ROWS);
            top->cfg_nx_ric = 1 + (int)mp_rng_below(&R.noise, 8);
            for (int i = 0; i < E; i++) top->x_scale[i] = (uint32_t)mp_rng_u64(&R.noise);
            for (int j = 0; j < E; j++) top->w_scale[j] = (uint32_t)mp_rng_u64(&R.noise);
        }
        return;
    }
    const Tile &t = s->tile;
    top->cfg_tm = tile_rows(&t);
    top->cfg_tn = tile_cols(&t);
    top->cfg_trans = t.trans;
    top->cfg_steps = s->steps;
    top->cfg_se = s->se;
    top->cfg_ric = s->ric;
    top->cfg_roc = s->roc;
    top->cfg_first = t.first_k;
    top->cfg_last = t.last_k;
    /* the next tile's preload (random values when it has none: the RTL must ignore them) */
    top->cfg_nx_pre = s->nx.load > 0;
    top->cfg_nx_same = s->nx.load > 0 ? s->nx.same : (noise ? (int)(mp_rng_u64(&R.noise) & 1) : 0);
    top->cfg_nx_tm = s->nx.load > 0 ? s->nx_rows : noise ? 1 + (int)mp_rng_below(&R.noise, ROWS) : 1;
    top->cfg_nx_ric = s->nx.load > 0 ? s->nx_ric : noise ? 1 + (int)mp_rng_below(&R.noise, 8) : 1;
    top->cfg_xtype = c.px.type;
    top->cfg_wtype = c.pw.type;
    top->cfg_wfp3 = PK.var[1].weight_bits && c.cfg.weight_bits == PK.var[1].weight_bits; /* BitMoD FP3 */
    for (int i = 0, v = 0; i < E; i++) {
        uint32_t b = i < t.tm ? rtl_row_scale(&c.px, (int)t.m0 + i, &v) : 0;
        top->x_scale[i] = i < t.tm && v ? b : (uint32_t)mp_rng_u64(&R.noise);
    }
    for (int j = 0, v = 0; j < E; j++) {
        uint32_t b = j < t.tn ? rtl_col_scale(KIND, &c.pw, (int)t.n0 + j, &v) : 0;
        top->w_scale[j] = j < t.tn && v ? b : (uint32_t)mp_rng_u64(&R.noise);
    }
}

/* Run the sequence back to back: tile i+1 is presented (start high, with the preload of tile i+2 on
 * cfg_nx_*) from the edge after tile i's acceptance; its steps and partial sums are answered in the
 * cycle the array asks (the psum reads are always the pending tile's, or, in the cycle it is
 * accepted, the next one's: the array preloads the tile after the last started one); result rows
 * are checked as they leave (in tile order: the drain side serves one tile after another) and
 * stored in the harness's output buffer (R.psum), from which later tiles' preloads read. Cycles count
 * from the edge that samples the first start; tile i's done must come at its drain_free of
 * pe_pipe_tile, its first psum read row at its preload's first cycle + ric - 1. */
static Outcome run_seq(Rtl &R, const Case &c)
{
    Vmp_array *top = R.top;
    Outcome o;
    const size_t nt = c.tiles.size();
    R.psum = c.psum0;
    std::vector<std::vector<int>> seen(nt);
    for (size_t i = 0; i < nt; i++) seen[i].assign(c.tiles[i].expect.size(), 0);
    const int64_t limit = 2 * c.cyc_formula + 200;
    size_t next = 0;     // the next tile to present
    int run = -1;        // the last accepted tile: the one the run side works on
    size_t dr = 0;       // the tile whose rows leave now (tiles drain in order)
    o.done_at.assign(nt, -1);
    o.pre_row0.assign(nt, -1);
    std::vector<int> rows_read(nt + 1, 0); /* psum rows the array read for each tile */
    int64_t n = -1;      // cycles since the edge that samples the first start (-1: before it)
    for (;;) {
        const SeqTile *pend = next < nt ? &c.tiles[next] : nullptr;
        present(R, c, pend);
        top->eval();
        /* a tile accepted in this cycle may already ask for its step 0 (a chained start) */
        const bool acc = top->accept && pend;
        const Tile *rt = run >= 0 ? &c.tiles[(size_t)run].tile : nullptr;
        /* the tile a psum read is for: the pending one until all its rows are read (also in the cycle it
         * is accepted: a registered acceptance comes with its last row), else (a chained start) the next */
        const size_t pl = !acc || (!pend->tile.first_k && rows_read[next] < tile_rows(&pend->tile)) ? next : next + 1;
        if (top->psum_rd && pl < nt) rows_read[pl]++;
        drive(R, c, acc ? &pend->tile : rt, pl < nt ? &c.tiles[pl].tile : nullptr);
        top->eval();
        if (n < 0 && !acc && pend->tile.first_k) {
            o.ok = false;
            o.msg = "the idle array did not accept a start";
            return o;
        }
        if (top->psum_rd && top->psum_row == 0 && pl < nt && o.pre_row0[pl] < 0) o.pre_row0[pl] = n;
        if (top->y_v) {
            const int row = top->y_row;
            if (dr >= nt) {
                if (o.ok) {
                    o.ok = false;
                    o.msg = "a result row after the last tile's done";
                    o.bad_cycle = n;
                }
            } else {
                const SeqTile &s = c.tiles[dr];
                const Tile &t = s.tile;
                if (o.first_row_cycle.size() <= dr) o.first_row_cycle.resize(dr + 1, -1);
                if (o.first_row_cycle[dr] < 0) o.first_row_cycle[dr] = n;
                for (int j = 0; j < tile_cols(&t) && row < tile_rows(&t); j++) {
                    size_t e = tile_index(t, row, j);
                    seen[dr][e]++;
                    if (!t.last_k) R.psum[out_index(c, t, row, j)] = (uint32_t)top->y_out[j];
                    if (o.ok && (uint32_t)top->y_out[j] != s.expect[e]) {
                        o.ok = false;
                        o.bad_tile = (int)dr;
                        o.bad_i = row;
                        o.bad_j = j;
                        o.bad_cycle = n;
                        o.got = top->y_out[j];
                        o.msg = "value";
                    }
                }
            }
        }
        if (acc) {
            run = (int)next;
            next++;
        }
        R.tick();
        n++;
        if (n == 0 && !top->busy) {
            o.ok = false;
            o.msg = "the idle array took neither the start nor its preload";
            return o;
        }
        if (top->done) {
            if (dr < nt) o.done_at[dr] = n;
            dr++;
            if (dr >= nt) break;
        }
        if (n > limit) {
            o.ok = false;
            o.msg = "timeout: " + std::to_string(dr) + " of " + std::to_string(nt) + " tiles done after " +
                    std::to_string(n) + " cycles";
            o.cycles = n;
            present(R, c, nullptr);
            return o;
        }
    }
    present(R, c, nullptr);
    o.cycles = n;
    if (next < nt && o.ok) {
        o.ok = false;
        o.msg = "tiles done before every tile was accepted";
    }
    for (size_t i = 0; i < nt && o.ok; i++)
        for (size_t e = 0; e < seen[i].size(); e++)
            if (seen[i][e] != 1) {
                const Tile &t = c.tiles[i].tile;
                const int m = (int)(e / t.tn), n = (int)(e % t.tn); /* token, channel */
                o.ok = false;
                o.bad_tile = (int)i;
                o.bad_i = t.trans ? n : m;
                o.bad_j = t.trans ? m : n;
                o.msg = "output element left the array " + std::to_string(seen[i][e]) + " times";
                break;
            }
    for (size_t i = 0; i < nt && o.ok; i++)
        if (o.done_at[i] != c.tiles[i].done_at ||
            o.pre_row0[i] != (c.tiles[i].pre_at < 0 ? -1 : c.tiles[i].pre_at + c.tiles[i].ric - 1)) {
            o.ok = false;
            o.bad_tile = (int)i;
            o.msg = "cycles";
        }
    if (o.ok && n != c.cyc_formula) {
        o.ok = false;
        o.msg = "cycles";
    }
    return o;
}

// ------------------------------------------------------------------------ reports

/* a value leaving the array: fp32, or an int32 partial sum of the integer kinds */
static std::string fmtv(uint32_t b, bool int_psum)
{
    char s[96];
    if (int_psum) snprintf(s, sizeof s, "0x%08x (int %d)", b, (int32_t)b);
    else snprintf(s, sizeof s, "0x%08x (%.9g)", b, (double)bitsf(b));
    return s;
}

static void describe(const Case &c)
{
    printf("  sequence of %zu tile%s on a %dx%dx%d GEMM; config: group %d, weight bits %d, SRAM %d banks x %d bits; "
           "lanes %d, cycles/step %d, latency %d; data %s\n",
           c.tiles.size(), c.tiles.size() > 1 ? "s back to back" : "", c.M, c.N, c.K, c.G, c.cfg.weight_bits,
           c.cfg.sram_banks, c.cfg.sram_port_bits, c.pt.lanes, c.pt.step_cycles, c.pt.latency, gen_names[c.gen]);
    for (size_t i = 0; i < c.tiles.size(); i++) {
        const SeqTile &s = c.tiles[i];
        const Tile &t = s.tile;
        printf("  tile %zu: m0=%" PRId64 " n0=%" PRId64 " k0=%" PRId64 " tm=%d tn=%d tk=%d first_k=%d last_k=%d%s; steps %d, "
               "effective cycles/step %d, psum row in %d cycles, out %d; load/run/drain %" PRId64 "/%" PRId64 "/%" PRId64
               ", preload %" PRId64 "..%" PRId64 ", starts at %" PRId64 ", done at %" PRId64 "%s\n",
               i, t.m0, t.n0, t.k0, t.tm, t.tn, t.tk, t.first_k, t.last_k,
               t.trans ? " trans (channels on the rows)" : "", s.steps, s.se, s.ric, s.roc, s.ph.load,
               s.ph.run, s.ph.drain, s.pre_at, s.pre_end, s.start_at, s.done_at,
               s.nx.load && s.nx.same ? "; the next tile reads its outputs (same)" : "");
    }
    if (!c.src.empty()) printf("  data: %s\n", c.src.c_str());
}

static std::string base_name() { return opt.name.empty() ? std::string("rtl") : opt.name; }

static std::string abspath(const std::string &p)
{
    char *r = realpath(p.c_str(), NULL);
    std::string s = r ? r : p;
    free(r);
    return s;
}

static void write_gtkw(const Case &c, const Outcome &o, const std::string &fst_in, const std::string &gtkw_in)
{
    FILE *f = fopen(gtkw_in.c_str(), "w");
    const std::string fst = abspath(fst_in), gtkw = abspath(gtkw_in);
    if (!f) {
        printf("  (cannot write %s)\n", gtkw.c_str());
        return;
    }
    const Tile &t = c.tiles[o.bad_tile >= 0 ? (size_t)o.bad_tile : c.tiles.size() - 1].tile;
    const int i = o.bad_i >= 0 ? o.bad_i : tile_rows(&t) - 1, j = o.bad_j >= 0 ? o.bad_j : tile_cols(&t) - 1;
    char pe[200];
    snprintf(pe, sizeof pe, "TOP.mp_array.g_r[%d].g_c[%d].g_pe.u_pe", i, j);
    fprintf(f, "[dumpfile] \"%s\"\n[savefile] \"%s\"\n", fst.c_str(), gtkw.c_str());
    fprintf(f, "[timestart] 0\n[size] 1600 900\n[pos] -1 -1\n*-18.000000 %" PRId64 " -1\n",
            (o.bad_cycle >= 0 ? o.bad_cycle + 1 : 0) * 10);
    fprintf(f, "[treeopen] TOP.\n[treeopen] TOP.mp_array.\n[treeopen] TOP.mp_array.g_r[%d].\n"
               "[treeopen] TOP.mp_array.g_r[%d].g_c[%d].\n[treeopen] TOP.mp_array.g_r[%d].g_c[%d].g_pe.\n"
               "[treeopen] %s.\n",
            i, i, j, i, j, pe);
    fprintf(f, "@28\nTOP.clk\nTOP.start\nTOP.accept\nTOP.done\n@22\nTOP.mp_array.state[1:0]\n@24\n"
               "TOP.mp_array.fstep[15:0]\nTOP.mp_array.p_state[1:0]\nTOP.mp_array.p_row[7:0]\n@28\nTOP.feed_v\nTOP.mp_array.fdone\n"
               "TOP.mp_array.pipe_busy\nTOP.mp_array.run_fin\nTOP.mp_array.cap\nTOP.mp_array.chain\n"
               "TOP.mp_array.d_busy\nTOP.psum_rd\nTOP.y_v\n@24\nTOP.y_row[7:0]\n");
    fprintf(f, "@200\n-PE(%d,%d): common PE ports\n@28\n%s.clr\n%s.xv\n@22\n%s.x[%d:0]\n@28\n%s.wv\n@22\n%s.w[%d:0]\n@28\n"
               "%s.ld\n@22\n%s.ld_val[31:0]\n%s.res[31:0]\n@28\n%s.busy\n",
            i, j, pe, pe, pe, kind_xw() - 1, pe, pe, kind_ww() - 1, pe, pe, pe, pe);
    fprintf(f, "@200\n-column %d output\n@22\nTOP.mp_array.g_out[%d].u_fin.y[31:0]\n", j, j);
    fclose(f);
}

static void report(const Case &c, const Outcome &o)
{
    printf("RTL MISMATCH  kind %s  array %dx%d  sequence #%d (seed %llu)\n", pe_kind_names[KIND], ROWS, COLS, c.index,
           opt.seed);
    describe(c);
    if (o.msg == "value") {
        const SeqTile &s = c.tiles[(size_t)o.bad_tile];
        const Tile &t = s.tile;
        const bool ip = is_int_kind() && !t.last_k;
        const size_t oi = out_index(c, t, o.bad_i, o.bad_j);
        printf("  element of tile %d: PE(%d,%d) = output (m=%zu, n=%zu)%s: expected %s, actual %s; it "
               "left the array at cycle %" PRId64 " (drain row %d)\n",
               o.bad_tile, o.bad_i, o.bad_j, oi / (size_t)c.N, oi % (size_t)c.N, t.last_k ? "" : " partial sum",
               fmtv(s.expect[tile_index(t, o.bad_i, o.bad_j)], ip).c_str(), fmtv(o.got, ip).c_str(), o.bad_cycle,
               o.bad_i);
    } else if (o.msg == "cycles") {
        printf("  cycles: expected %" PRId64 " (pe_tile_phases + pe_pipe_tile = sim/array.c), RTL %" PRId64 "\n",
               c.cyc_formula, o.cycles);
        const size_t b = o.bad_tile >= 0 ? (size_t)o.bad_tile : c.tiles.size() - 1;
        const SeqTile &s = c.tiles[b];
        /* the first row leaves roc - 1 cycles after the capture, max(start + run, previous drain_free) */
        const int64_t prev = b > 0 ? c.tiles[b - 1].done_at : 0;
        int64_t capc = s.start_at + s.ph.run;
        capc = capc > prev ? capc : prev;
        printf("  tile %zu (the first that differs): done expected at cycle %" PRId64 ", RTL %" PRId64
               "; first result row expected at cycle %" PRId64 " (start %" PRId64 " + run %" PRId64
               ", or the previous drain's end %" PRId64 ", + %d - 1), RTL at cycle %" PRId64
               "; psum row 0 read expected at cycle %" PRId64 " (preload start %" PRId64 " + %d - 1), RTL at %" PRId64 "\n",
               b, s.done_at, b < o.done_at.size() ? o.done_at[b] : -1, capc + s.roc - 1, s.start_at, s.ph.run, prev,
               s.roc, b < o.first_row_cycle.size() ? o.first_row_cycle[b] : -1,
               s.pre_at < 0 ? -1 : s.pre_at + s.ric - 1, s.pre_at, s.ric, b < o.pre_row0.size() ? o.pre_row0[b] : -1);
    } else {
        printf("  %s", o.msg.c_str());
        if (o.bad_tile >= 0) printf(" (tile %d)", o.bad_tile);
        if (o.bad_i >= 0) printf(" (PE(%d,%d))", o.bad_i, o.bad_j);
        printf("\n");
    }
    if (o.msg != "cycles")
        printf("  cycles: expected %" PRId64 ", RTL %" PRId64 "\n", c.cyc_formula, o.cycles);
}

// ------------------------------------------------------------------------ main

static void usage()
{
    printf("usage: %s [--tiles N] [--seed S] [--max-k K] [--name NAME] [--out-dir DIR] [--xseed S]\n"
           "          [--tile T] [--trace-tile T] [--no-replay] [--quiet]\n"
           "          [--weights FILE.safetensors] [--acts FILE.safetensors] [--bench K] [--power-cycle N]\n"
           "Random sequences of back-to-back tiles of the %s RTL array (%dx%d) against the golden model\n"
           "and the simulator (--tiles N: N sequences of 1..4 tiles).\n"
           "  --tile T        run sequence T alone (state differs from a full run)\n"
           "  --trace-tile T  run sequences 0..T, FST-trace sequence T into DIR/NAME-tileT.fst (+ .gtkw)\n"
           "  --weights/--acts  cut half of the tiles from a trace: tensors of the same name in the two\n"
           "                  files (mpsim's minilm trace), or 'weight' and 'act' (mpsim trace gen)\n",
           g_argv[0].c_str(), pe_kind_names[KIND], ROWS, COLS);
}

static double now_s()
{
    return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

/* --bench K: Verilator's cycles per second on one full tile (ROWS x COLS outputs over K) beside
 * the simulator's cycle-level array (sim/array.c, computing the same outputs) on the same tile. */
static int bench(Rtl &R)
{
    Case c;
    if (!make_case(0, c)) {
        printf("bench: %s\n", c.err.c_str());
        return 1;
    }
    double t0 = now_s(), rtl_s = 0;
    int64_t rtl_cyc = 0;
    int runs = 0;
    bool ok = true;
    do {
        double r0 = now_s();
        Outcome o = run_seq(R, c);
        rtl_s += now_s() - r0;
        rtl_cyc += o.cycles;
        ok = ok && o.ok;
        runs++;
    } while (now_s() - t0 < 1.0);
    /* the simulator on the same tile, with data (every PE step runs the golden accumulator) */
    Array *arr = NULL;
    MpErr e = {};
    if (array_create(&c.cfg, &arr, &e)) {
        printf("bench: %s\n", e.msg);
        return 1;
    }
    std::vector<GoldenAcc> ps((size_t)c.M * c.N);
    std::vector<float> ys((size_t)c.M * c.N);
    ArrayData d = {&c.w, &c.x, ps.data(), ys.data()};
    double s_s = 0;
    int64_t s_cyc = 0;
    int sruns = 0;
    t0 = now_s();
    do {
        int64_t busy = 0;
        TilePhases ph = {0, 0, 0};
        double s0 = now_s();
        if (array_run_tile(arr, &c.pt, KIND, &c.tiles[0].tile, &d, &ph, &busy, &e)) {
            printf("bench: %s\n", e.msg);
            array_destroy(arr);
            return 1;
        }
        s_s += now_s() - s0;
        s_cyc += ph.load + ph.run + ph.drain;
        sruns++;
    } while (now_s() - t0 < 1.0);
    array_destroy(arr);
    const double rv = rtl_cyc / rtl_s, sv = s_cyc / s_s;
    printf("bench %-14s %2dx%-2d  tile K=%-5d %7" PRId64 " cycles  Verilator %8.3f M cycles/s (%7.1f M PE-cycles/s)  "
           "sim/array.c %8.3f M cycles/s  sim/RTL %6.1fx%s\n",
           pe_kind_names[KIND], ROWS, COLS, c.tiles[0].tile.tk, c.cyc_formula, rv / 1e6, rv * ROWS * COLS / 1e6, sv / 1e6, sv / rv,
           ok ? "" : "  (RTL MISMATCH)");
    (void)runs;
    (void)sruns;
    return ok ? 0 : 1;
}

int main(int argc, char **argv)
{
    /* the golden model and the quantizers use OpenMP; tiles are tiny, and rtl-test runs two
     * harnesses at once on two cores: one thread, no spinning. libgomp reads the environment when
     * it is loaded, before main: the setenv calls reach only child processes (the traced replay);
     * omp_set_num_threads sets this process's team size (without it, teams of every core's threads
     * spun through each tiny parallel loop: 93% of a run's time). */
    setenv("OMP_NUM_THREADS", "1", 0);
    setenv("OMP_WAIT_POLICY", "passive", 0);
    omp_set_num_threads(1);
    for (int i = 0; i < argc; i++) g_argv.push_back(argv[i]);
    for (int i = 1; i < argc; i++) {
        std::string a = argv[i];
        auto next = [&](void) -> const char * {
            if (i + 1 >= argc) {
                usage();
                exit(2);
            }
            return argv[++i];
        };
        if (a == "--tiles") opt.tiles = atoi(next());
        else if (a == "--seed") opt.seed = strtoull(next(), NULL, 0);
        else if (a == "--max-k") opt.max_k = atoi(next());
        else if (a == "--name") opt.name = next();
        else if (a == "--out-dir") opt.out_dir = next();
        else if (a == "--xseed") opt.xseed = strtoull(next(), NULL, 0);
        else if (a == "--tile") opt.only_tile = atoi(next());
        else if (a == "--trace-tile") opt.trace_tile = atoi(next());
        else if (a == "--no-replay") opt.no_replay = 1;
        else if (a == "--quiet") opt.quiet = 1;
        else if (a == "--bench") opt.bench_k = atoi(next());
        else if (a == "--power-cycle") opt.power = atoi(next());
        else if (a == "--weights") opt.trace_w = next();
        else if (a == "--acts") opt.trace_x = next();
        else if (a == "-h" || a == "--help") {
            usage();
            return 0;
        } else if (a.rfind("+verilator", 0) == 0) {
        } else {
            fprintf(stderr, "unknown option %s\n", a.c_str());
            usage();
            return 2;
        }
    }
    if (opt.xseed == 0) opt.xseed = mix64(opt.seed ^ 0x78696e6974ull) & 0x7fffffff;
    if (opt.xseed == 0) opt.xseed = 1;
    if (!opt.trace_w.empty() || !opt.trace_x.empty())
        load_trace(opt.trace_w.empty() ? opt.trace_x : opt.trace_w, opt.trace_x.empty() ? opt.trace_w : opt.trace_x);
#if !VM_TRACE
    if (opt.trace_tile >= 0) {
        fprintf(stderr, "--trace-tile needs the traced model (%st)\n", argv[0]);
        return 2;
    }
#endif
    const std::string name = base_name();
    if (!opt.quiet && opt.trace_tile < 0 && !opt.bench_k)
        printf("# rtl %s %dx%d: seed %llu, %d tiles, Verilator random reset 2 with seed %llu + i at power-on i "
               "(every %d tiles) (replay: --seed %llu [--tile T])%s%s\n",
               pe_kind_names[KIND], ROWS, COLS, opt.seed, opt.tiles, opt.xseed, opt.power, opt.seed,
               g_trace.empty() ? "" : ", half the tiles cut from ", g_trace.empty() ? "" : opt.trace_w.c_str());

    /* a power-on every opt.power tiles: a new model whose registers start with new random values
     * (random-reset seed xseed + number of power-ons), then the reset sequence; a register the
     * design forgets to clear shows up in the tiles right after a power-on */
    std::unique_ptr<Rtl> Rp(new Rtl(opt.xseed));
    Rp->reset();
    if (opt.bench_k > 0) return bench(*Rp);
    long pass = 0, fail = 0, skipped = 0, reports = 0;
    int64_t sim_cycles = 0;
    double rtl_secs = 0;
    const double t0 = now_s();
    int first = opt.only_tile >= 0 ? opt.only_tile : 0;
    int last = opt.only_tile >= 0 ? opt.only_tile + 1 : opt.trace_tile >= 0 ? opt.trace_tile + 1 : opt.tiles;
    bool replayed = false;
    for (int ti = first; ti < last; ti++) {
        if (ti > first && opt.power > 0 && ti % opt.power == 0) {
            Rp.reset();
            Rp.reset(new Rtl(opt.xseed + (unsigned long long)(ti / opt.power)));
            Rp->reset();
        }
        Rtl &R = *Rp;
        Case c;
        if (!make_case(ti, c)) {
            /* the case itself is bad: the golden model or the simulator disagrees with itself */
            if (c.err.rfind("quantize", 0) == 0) {
                skipped++;
                continue;
            }
            printf("HARNESS/SPEC FAILURE sequence #%d (seed %llu): %s\n", ti, opt.seed, c.err.c_str());
            describe(c);
            fail++;
            continue;
        }
        /* a few idle cycles with noise between sequences */
        MpRng r;
        mp_rng_seed(&r, c.seed ^ 0x69646c65ull);
        for (int k = (int)mp_rng_below(&r, 4); k > 0; k--) {
            present(R, c, nullptr);
            drive(R, c, nullptr, nullptr);
            R.tick();
        }
        std::string fst, gtkw;
#if VM_TRACE
        if (ti == opt.trace_tile) {
            char b[64];
            snprintf(b, sizeof b, "-tile%d", ti);
            fst = opt.out_dir + "/" + name + b + ".fst";
            gtkw = opt.out_dir + "/" + name + b + ".gtkw";
            R.tfp = new VerilatedFstC;
            R.top->trace(R.tfp, 99);
            R.tfp->open(fst.c_str());
            R.time = 0;
        }
#endif
        for (size_t i = 0; i < c.tiles.size(); i++) {
            const SeqTile &s = c.tiles[i];
            const Tile &t = s.tile;
            cov.tiles++;
            cov.trans += t.trans;
            cov.psum_in += !t.first_k;
            cov.psum_out += !t.last_k;
            cov.sram_bound += s.se > c.pt.step_cycles;
            cov.multi_row += s.roc > 1 || (!t.first_k && s.ric > 1);
            cov.trace += c.gen == GEN_TRACE;
            if (c.pt.dq_busy > 0) {
                PeTiming free_dq = c.pt;
                free_dq.dq_busy = 0;
                cov.dq_waits += pe_tile_cycles(&c.cfg, &free_dq, &t) < s.ph.load + s.ph.run + s.ph.drain;
            }
            if (i > 0) {
                const SeqTile &p = c.tiles[i - 1];
                cov.overlapped += s.start_at < p.done_at;
                cov.pre_waits += s.ph.load > 0 && s.pre_at > p.start_at;
                cov.same_waits += s.ph.load > 0 && p.nx.same && s.pre_at == p.done_at && s.pre_at > p.start_at &&
                                  (i < 2 || s.pre_at > c.tiles[i - 2].done_at);
                const int64_t pp = i >= 2 ? c.tiles[i - 2].done_at : 0, acc_free = std::max(p.start_at + p.ph.run, pp);
                cov.start_waits += s.ph.load > 0 && s.start_at == s.pre_end && s.start_at > acc_free;
                cov.capture_waits += s.start_at + s.ph.run < p.done_at;
            }
        }
        const double r0 = now_s();
        Outcome o = run_seq(R, c);
        rtl_secs += now_s() - r0;
        sim_cycles += o.cycles > 0 ? o.cycles : 0;
        cov.seqs++;
        if (c.pw.type < 3) cov.wtype[c.pw.type]++;
#if VM_TRACE
        if (ti == opt.trace_tile) {
            for (int k = 0; k < 3; k++) R.tick();
            R.tfp->close();
            delete R.tfp;
            R.tfp = nullptr;
            write_gtkw(c, o, fst, gtkw);
            printf("  waveform of sequence #%d (%s): %s\n  view: gtkwave %s\n", ti, o.ok ? "passed in the replay" : "fails again",
                   fst.c_str(), gtkw.c_str());
            return o.ok ? 0 : 1;
        }
#endif
        if (o.ok) {
            pass++;
            continue;
        }
        fail++;
        if (reports++ < opt.max_reports) report(c, o);
        if (!replayed && !opt.no_replay) {
            replayed = true;
            /* the same tile sequence in a new process (same random reset), tracing the failing tile, by
             * the FST-traced twin of this model (NAME/tbt, built here on demand) */
            std::string bin = g_argv[0];
#if !VM_TRACE
            bin += "t";
            const char *mv = getenv("MPSIM_RTL_MAKEVARS");
            std::string mk = "make --no-print-directory -s '" + bin + "'" + (mv ? std::string(" ") + mv : "");
            printf("  building the traced model for the waveform: %s\n", mk.c_str());
            fflush(stdout);
            if (system(mk.c_str()) != 0) printf("  (could not build %s)\n", bin.c_str());
#endif
            std::string cmd = "'" + bin + "' --quiet --seed " + std::to_string(opt.seed) + " --xseed " +
                              std::to_string(opt.xseed) + " --max-k " + std::to_string(opt.max_k) +
                              " --power-cycle " + std::to_string(opt.power) +
                              (opt.trace_w.empty() ? "" : " --weights '" + opt.trace_w + "'") +
                              (opt.trace_x.empty() ? "" : " --acts '" + opt.trace_x + "'") + " --name '" + name +
                              "' --out-dir '" + opt.out_dir + "' --trace-tile " + std::to_string(ti);
            if (opt.only_tile >= 0) cmd += " --tile " + std::to_string(ti);
            std::string md = "mkdir -p '" + opt.out_dir + "'";
            fflush(stdout);
            if (system(md.c_str()) != 0 || system(cmd.c_str()) < 0) printf("  (the traced replay could not run)\n");
        }
    }
    const double secs = now_s() - t0;
    printf("# rtl %s %dx%d: %ld sequences (%ld tiles) in %.2f s; %" PRId64 " RTL cycles in %.2f s of Verilator (%.2f M "
           "cycles/s)%s\n",
           pe_kind_names[KIND], ROWS, COLS, pass + fail, cov.tiles, secs, sim_cycles, rtl_secs,
           rtl_secs > 0 ? sim_cycles / rtl_secs / 1e6 : 0.0,
           skipped ? (", " + std::to_string(skipped) + " cases the quantizer refused").c_str() : "");
    printf("# coverage: %ld tiles with partial sums in, %ld out; %ld with SRAM-bound steps, %ld with multi-cycle "
           "row transfers; %ld cut from a trace; %ld group ends; %ld with output channels on the rows; back to back: %ld tiles started while the previous "
           "drained, %ld psum preloads waited for a drain (%ld for the previous tile's own: same output tile), %ld "
           "starts waited for their preload, %ld captures waited for a drain",
           cov.psum_in, cov.psum_out, cov.sram_bound, cov.multi_row, cov.trace, cov.gends, cov.trans, cov.overlapped,
           cov.pre_waits, cov.same_waits, cov.start_waits, cov.capture_waits);
    if (PK.rtl.wfeed == PE_FEED_PAIR) printf("; %ld outlier pairs", cov.outlier_pairs);
    if (PK.wscheme == QS_OLIVE) printf("; weights int4 / flint4 in %ld / %ld sequences", cov.wtype[0], cov.wtype[1]);
    if (PK.wscheme == QS_ANT)
        printf("; weights int / flint / PoT in %ld / %ld / %ld sequences", cov.wtype[0], cov.wtype[1], cov.wtype[2]);
    if (PK.rtl.wfeed == PE_FEED_LANES_GRP)
        printf("; %ld special-value weights; %ld tiles whose last group waited for the dequantizer", cov.specials,
               cov.dq_waits);
    if (x_is_fp16())
        printf("; %ld subnormal and %ld zero fp16 activations", cov.subnormals, cov.zeros);
    printf("\n");
    printf("rtl-%s: %ld passed, %ld failed\n", name.c_str(), pass, fail);
    return fail ? 1 : 0;
}
