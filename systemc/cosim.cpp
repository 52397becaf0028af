// systemc/cosim.cpp — RTL co-simulation in the SystemC platform: the accelerator with the RTL array
// as its tile engine (verilator --sc of rtl/mp_array.sv for one kind and size, systemc/rtl_tile.h)
// beside the same accelerator on the C model, both on the bus of the example platform, the host
// running the same GEMMs on each.
//
// Built once per model by systemc/systemc.mk (COSIM_KIND = a PeKindId, Vmp_array.h of that model).
// Modes (both accelerators): the kind's iso preset at the RTL's size with wide SRAM ports; narrow
// ports (1 x 16 bits: SRAM-bound steps, multi-cycle result rows) with groups of 32; 2 x 64 bits with
// groups of 64 (BitMoD: FP3 weights there); and a mode of another kind, which the RTL must refuse.
// GEMMs: first one tile of a Llama-2-7B projection's shape (M = rows, N = cols, K = 4096), then
// random GEMMs of up to two tiles a side (M <= 2 rows, N <= 2 cols, K a multiple of the mode's group
// or lanes), all of seeded synthetic LLM-like operands (traces/synth.c). The RTL backend forces the
// mapping to one SRAM block (Bm = M, Bn = N, Bk = K; orientation and order free) and runs that
// block's tiles back to back on the RTL array, in the C engine's order and the mapper's orientation
// (trans: output channels on the rows); for each GEMM it checks, bit for bit and cycle for cycle:
//   * the RTL accelerator's outputs = golden_gemm_hw = the C accelerator's (cycle fidelity: the
//     outputs of sim/array.c);
//   * the RTL's cycles (COMPUTE_CYCLES) = the back-to-back recurrence of its tiles (pe_tile_phases +
//     pe_pipe_tile, ready = 0; one tile: pe_tile_cycles()) = sim_gemm's compute cycles for the forced
//     mapping; CYCLES = sim_gemm's for the forced mapping; the C accelerator's CYCLES and
//     COMPUTE_CYCLES = sim_gemm's (free mapping: what `mpsim run` reports); the RTL run ends within
//     two clock periods of START + CYCLES x period.
// A GEMM that does not fit the buffers as one block must be refused by the RTL backend (E_BACKEND),
// and the C accelerator's outputs and CYCLES are still checked.
// Ends with "cosim-<model>: N passed, N failed".
#include <algorithm>
#include <chrono>
#include <cinttypes>
#include <cstring>
#include <string>
#include <vector>

#include <systemc>

#include "Vmp_array.h"
extern "C" {
#include "base/rng.h"
#include "base/cli.h"
#include "dataflow/map.h"
#include "sim/engine.h"
}
#include "mpacc_drv.h"
#include "rtl_tile.h"
#include "sc_case.h"
#include "sc_check.h"
#include "sc_platform.h"

#ifndef COSIM_KIND
#error "COSIM_KIND (a PeKindId) must be defined"
#endif
#if !defined(COSIM_ROWS) || !defined(COSIM_COLS)
#error "COSIM_ROWS and COSIM_COLS (the model's array size) must be defined"
#endif
#ifndef COSIM_NAME
#define COSIM_NAME "rtl"
#endif

using sc_core::sc_time;

namespace {

const PeKindId KIND = (PeKindId)COSIM_KIND;
typedef MpRtlTile<Vmp_array, COSIM_ROWS, COSIM_COLS> Rtl;

uint64_t mix64(uint64_t z)
{
    z += 0x9e3779b97f4a7c15ull;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

// The preset of mode i: the kind's narrower weight width in mode 2 where it has one (BitMoD W3).
const char *preset(PeKindId k, int i)
{
    const PeKind &pk = pe_kinds[k];
    return i == 2 && pk.var[1].weight_bits ? pk.var[1].preset : pk.var[0].preset;
}

struct Opts {
    int64_t tiles = 200, seed = 1, llama_k = 4096;
};

} // namespace

int sc_main(int argc, char **argv)
{
    Opts o;
    const CliOpt opts[] = {
        {"tiles", CLI_INT, &o.tiles, "N", "random tile-sized GEMMs after the Llama slice (default 200)"},
        {"seed", CLI_INT, &o.seed, "S", "seed of everything (default 1)"},
        {"llama-k", CLI_INT, &o.llama_k, "K", "K of the first GEMM, a tile of a Llama-2-7B projection (default 4096)"},
        {NULL, CLI_FLAG, NULL, NULL, NULL},
    };
    const CliSpec spec = {"cosim", "[options]",
                          "The RTL array (verilator --sc) as the tile engine of the SystemC accelerator, against the "
                          "C model and the golden model (docs/systemc.md).",
                          NULL, opts, 0, 0};
    MpErr e = {};
    int rc = cli_parse(&spec, argc, argv, NULL, NULL, &e);
    if (rc == CLI_HELP_SHOWN)
        return 0;
    if (rc)
        return cli_fail(&e);
    const int R = Rtl::ROWS, C = Rtl::COLS;
    // the modes
    // a kind without a preset of its own (mixpe-w4a8-bs) runs its variant's preset with its own kind
    char base[96];
    ArchConfig pcfg;
    rc = config_load(preset(KIND, 0), &pcfg, NULL, NULL, 0, &e);
    if (rc)
        return cli_fail(&e);
    snprintf(base, sizeof base, "arch.rows=%d,arch.cols=%d%s%s", R, C, pcfg.pe_kind != KIND ? ",arch.pe_kind=" : "",
             pcfg.pe_kind != KIND ? pe_kind_names[KIND] : "");
    const bool groups = rtl_uses_groups(KIND);
    std::string sets[3] = {base, std::string(base) + ",sram.banks=1,sram.port_bits=16",
                           std::string(base) + ",sram.banks=2,sram.port_bits=64"};
    if (groups) {
        sets[1] += ",quant.group_size=32";
        sets[2] += ",quant.group_size=64";
    }
    std::vector<MpMode> modes(4);
    for (int i = 0; i < 3 && rc == MP_OK; i++)
        rc = mpacc_mode_load(preset(KIND, i), sets[i].c_str(), &modes[i], &e);
    char fset[64];
    snprintf(fset, sizeof fset, "arch.rows=%d,arch.cols=%d", R, C);
    // a mode of another kind: the RTL accelerator must refuse it
    const char *other = NULL;
    for (int k = 0; k < PE_KIND_COUNT && !other; k++) // the first preset of the table that is not ours
        if (strcmp(pe_kinds[k].var[0].preset, preset(KIND, 0)))
            other = pe_kinds[k].var[0].preset;
    if (rc == MP_OK)
        rc = mpacc_mode_load(other, fset, &modes[3], &e); // printed below
    if (rc)
        return cli_fail(&e);
    const unsigned xseed = (unsigned)(mix64((uint64_t)o.seed ^ 0x78696e6974ull) & 0x7fffffff) | 1;
    printf("# cosim %s: %s %dx%d RTL (verilator --sc) beside the C model; seed %" PRId64
           ", Verilator random reset 2 with seed %u (replay: --seed %" PRId64 ")\n",
           COSIM_NAME, pe_kind_names[KIND], R, C, o.seed, xseed, o.seed);
    for (int i = 0; i < 4; i++)
        printf("#   mode %d: %s [%s] %s, weight bits %d, group %d, SRAM %d x %d bits/cycle\n", i,
               i < 3 ? preset(KIND, i) : other,
               i < 3 ? sets[i].c_str() : fset, pe_kind_names[modes[i].cfg.pe_kind], modes[i].cfg.weight_bits,
               modes[i].cfg.group_size, modes[i].cfg.sram_banks, modes[i].cfg.sram_port_bits);

    Rtl rtl("rtl", KIND, mpacc_period(modes[0].cfg), xseed);
    MpAccelOptions c_opt, r_opt;
    r_opt.tiles = &rtl;
    MpChecks check;
    check.quiet_ok = true;
    int64_t rtl_cycles = 0, sram_bound = 0, multi_row = 0, per_mode[3] = {0, 0, 0}, transposed = 0, split = 0;
    int64_t multi_tile = 0, rtl_tiles = 0, forced = 0;
    double wall = 0;
    MpPlatform pf("cosim", 8 << 20, {MpAccelSpec{modes, c_opt}, MpAccelSpec{modes, r_opt}}, [&](MpPlatform &p) {
        MpHost &h = p.host;
        const uint64_t RC = p.regs(0), RR = p.regs(1);
        const sc_time poll(1, sc_core::SC_US), timeout(100, sc_core::SC_MS);
        uint32_t backend[2] = {9, 9};
        h.read32(RC + MPACC_BACKEND, &backend[0]);
        h.read32(RR + MPACC_BACKEND, &backend[1]);
        check(backend[0] == MPACC_BACKEND_C && backend[1] == MPACC_BACKEND_RTL, "BACKEND registers: C %u, RTL %u",
              backend[0], backend[1]);
        for (int64_t ti = 0; ti <= o.tiles; ti++) {
            MpRng r;
            const uint64_t seed = mix64((uint64_t)o.seed * 0x100000001b3ull + (uint64_t)ti);
            mp_rng_seed(&r, seed);
            const int mode = ti == 0 ? 0 : (int)mp_rng_below(&r, 3);
            const ArchConfig &cfg = modes[mode].cfg;
            int M = R, N = C, K = (int)o.llama_k;
            const int align = pe_k_align(&cfg);
            if (ti > 0) {
                M = mp_rng_below(&r, 2) ? R : 1 + (int)mp_rng_below(&r, (uint64_t)(2 * R));
                N = mp_rng_below(&r, 2) ? C : 1 + (int)mp_rng_below(&r, (uint64_t)(2 * C));
                const int kmax = align > 1 ? 3 * align : 300;
                K = align * (1 + (int)mp_rng_below(&r, (uint64_t)(kmax / align)));
            }
            K = (K + align - 1) / align * align;
            MpCase c;
            if (c.make(cfg, M, N, K, seed, &e)) {
                check(false, "GEMM %" PRId64 ": %s", ti, e.msg);
                continue;
            }
            MpGemmAddrs a;
            uint64_t end;
            mpdrv_put_operands(h, 0, c.pw, c.px, &a, &end);
            MpGemmResult rc_c, rc_r;
            std::vector<float> yc(c.yg.size()), yr(c.yg.size());
            mpdrv_run(h, RC, mpdrv_desc((uint32_t)mode, c.pw, c.px, a, MPACC_OPT_CYCLE), p.irq[0].get(), poll, timeout,
                      &rc_c);
            mpdrv_get_y(h, a.y, yc.size(), yc.data());
            std::vector<float> none(c.yg.size(), 0.0f);
            h.write(a.y, none.data(), none.size() * 4); // the RTL run must write every output
            const auto w0 = std::chrono::steady_clock::now();
            mpdrv_run(h, RR, mpdrv_desc((uint32_t)mode, c.pw, c.px, a, 0), p.irq[1].get(), poll, timeout, &rc_r);
            wall += std::chrono::duration<double>(std::chrono::steady_clock::now() - w0).count();
            mpdrv_get_y(h, a.y, yr.size(), yr.data());
            // the references: the simulator's free mapping (the C accelerator), its mapping forced to one
            // block (the RTL accelerator: its tiles in engine order and orientation) and closed forms
            const PeTiming pt = pe_timing(&cfg);
            const SimGemm sg = {M, N, K, 0, 1, 0, 0, 0, 0, 0, 0}; // every field: C++17 has no designators
            SimResult f, ff;
            const bool sim_ok = sim_gemm(&cfg, &sg, FID_FAST, NULL, NULL, &f, &e) == MP_OK;
            const MapForce force1 = {M, N, K, -1, -1};
            MpErr fe = {};
            const bool one = sim_gemm(&cfg, &sg, FID_FAST, &force1, NULL, &ff, &fe) == MP_OK && ff.map.steps == 1;
            std::vector<Tile> tiles;
            int64_t formula = -1;
            if (one) { /* the block's tiles (sim/engine.c tile_next, OS) back to back: the recurrence */
                MapProblem mpb;
                sim_map_problem(&cfg, &sg, &mpb);
                const int em = map_m_unit(&mpb, ff.map.trans), en = map_n_unit(&mpb, ff.map.trans);
                for (int m0 = 0; m0 < M; m0 += em)
                    for (int n0 = 0; n0 < N; n0 += en)
                        tiles.push_back({m0, n0, 0, std::min(em, M - m0), std::min(en, N - n0), K, 1, 1, ff.map.trans});
                ArrayPipe ap = ARRAY_PIPE_IDLE;
                for (size_t i = 0; i < tiles.size(); i++) {
                    const TilePhases ph = pe_tile_phases(&cfg, &pt, &tiles[i]);
                    NextTile nx = {0, 0};
                    if (i + 1 < tiles.size()) {
                        nx.load = pe_tile_phases(&cfg, &pt, &tiles[i + 1]).load;
                        nx.same = tiles[i + 1].m0 == tiles[i].m0 && tiles[i + 1].n0 == tiles[i].n0;
                    }
                    pe_pipe_tile(&cfg, &ap, &ph, 0, i + 1 < tiles.size() ? &nx : NULL);
                }
                formula = ap.drain_free;
                if (tiles.size() == 1 && formula != pe_tile_cycles(&cfg, &pt, &tiles[0]))
                    formula = -2; /* the simulator disagrees with itself */
            }
            const Tile t = one ? tiles[0] : Tile{0, 0, 0, M, N, K, 1, 1, 0};
            const RtlTileCfg tc = rtl_tile_cfg(&cfg, &pt, &t);
            std::string why;
            char b[400];
            auto first_diff = [&](const std::vector<float> &y, const char *who) {
                for (size_t i = 0; i < y.size(); i++)
                    if (memcmp(&y[i], &c.yg[i], 4)) {
                        uint32_t u, g;
                        memcpy(&u, &y[i], 4);
                        memcpy(&g, &c.yg[i], 4);
                        snprintf(b, sizeof b, "; %s output (%zu, %zu) = 0x%08x (%.9g), golden 0x%08x (%.9g)", who,
                                 i / N, i % N, u, (double)y[i], g, (double)c.yg[i]);
                        why += b;
                        return;
                    }
            };
            if (rc_c.status != MPACC_STATUS_DONE)
                why += std::string("; C accelerator ") + mpdrv_error_name(rc_c.error) + ": " +
                       p.accel[0]->last_error();
            first_diff(yc, "C model");
            if (!sim_ok || (int64_t)rc_c.cycles != f.ev.cycles || (int64_t)rc_c.compute_cycles != f.ev.compute_cycles)
                why += "; GEMM cycles: C accelerator " + std::to_string(rc_c.cycles) + " (compute " +
                       std::to_string(rc_c.compute_cycles) + "), sim_gemm " + std::to_string(sim_ok ? f.ev.cycles : -1) +
                       " (compute " + std::to_string(sim_ok ? f.ev.compute_cycles : -1) + ")";
            if (!one) {
                split++;
                if (rc_r.status != MPACC_STATUS_ERROR || rc_r.error != MPACC_E_BACKEND)
                    why += std::string("; the RTL accelerator ran a GEMM that is not one block (status ") +
                           std::to_string(rc_r.status) + ")";
                check(why.empty(), "GEMM %" PRId64 " (mode %d%s) %dx%dx%d: not one SRAM block (%s): the RTL backend "
                      "refuses it (%s)%s", ti, mode, ti == 0 ? ", a tile of a Llama-2-7B projection" : "", M, N, K,
                      fe.msg[0] ? fe.msg : "several steps", p.accel[1]->last_error().c_str(), why.c_str());
                continue;
            }
            multi_tile += tiles.size() > 1;
            rtl_tiles += (int64_t)tiles.size();
            forced += sim_ok && (f.map.steps != 1 || f.map.trans != ff.map.trans);
            sram_bound += tc.se > pt.step_cycles;
            multi_row += tc.roc > 1;
            transposed += t.trans;
            per_mode[mode]++;
            rtl_cycles += (int64_t)rc_r.compute_cycles;
            if (rc_r.status != MPACC_STATUS_DONE)
                why += std::string("; RTL accelerator ") + mpdrv_error_name(rc_r.error) + ": " +
                       p.accel[1]->last_error();
            first_diff(yr, "RTL");
            const sc_time per = mpacc_period(cfg), span = rc_r.t_end - rc_r.t_start,
                          lo = sc_time::from_value(per.value() * rc_r.cycles), hi = lo + per * 2.0;
            if ((int64_t)rc_r.compute_cycles != formula || ff.ev.compute_cycles != formula ||
                (int64_t)rc_r.cycles != ff.ev.cycles) {
                snprintf(b, sizeof b,
                         "; RTL cycles: %" PRIu64 ", the recurrence of its %zu tiles (pe_pipe_tile) %" PRId64
                         ", sim_gemm one block %" PRId64 "; GEMM cycles: RTL accelerator %" PRIu64
                         ", sim_gemm one block %" PRId64,
                         rc_r.compute_cycles, tiles.size(), formula, ff.ev.compute_cycles, rc_r.cycles, ff.ev.cycles);
                why += b;
            }
            if (span < lo || span > hi)
                why += "; RTL run took " + span.to_string() + ", CYCLES x period " + lo.to_string();
            check(why.empty(), "GEMM %" PRId64 " (mode %d%s) %dx%dx%d%s: %zu tiles, steps %d, se %d, roc %d, %" PRIu64
                  " RTL cycles%s", ti, mode, ti == 0 ? ", a tile of a Llama-2-7B projection" : "", M, N, K,
                  t.trans ? " (output channels on the rows)" : "", tiles.size(), tc.steps, tc.se, tc.roc,
                  rc_r.compute_cycles, why.c_str());
        }
        // what the RTL backend refuses: a GEMM whose weights cannot be one SRAM block (C x 2^19 weights:
        // 2 MiB and more, above every mode's weight buffer), a mode of another kind
        MpCase big, other;
        MpGemmAddrs a;
        uint64_t end;
        MpGemmResult res;
        const int kbig = 1 << 19;
        if (big.make(modes[0].cfg, 1, C, kbig, 5, &e) == MP_OK) {
            mpdrv_put_operands(h, 0, big.pw, big.px, &a, &end);
            mpdrv_run(h, RR, mpdrv_desc(0, big.pw, big.px, a, 0), p.irq[1].get(), poll, timeout, &res);
            check(res.status == MPACC_STATUS_ERROR && res.error == MPACC_E_BACKEND,
                  "RTL backend, 1x%dx%d GEMM (not one SRAM block): %s (%s)", C, kbig, mpdrv_error_name(res.error),
                  p.accel[1]->last_error().c_str());
        } else {
            check(false, "the 1x%dx%d GEMM: %s", C, kbig, e.msg);
        }
        if (other.make(modes[3].cfg, R, C, 2 * pe_k_align(&modes[3].cfg), 6, &e) == MP_OK) {
            mpdrv_put_operands(h, 0, other.pw, other.px, &a, &end);
            mpdrv_run(h, RR, mpdrv_desc(3, other.pw, other.px, a, 0), p.irq[1].get(), poll, timeout, &res);
            check(res.status == MPACC_STATUS_ERROR && res.error == MPACC_E_BACKEND, "RTL backend, mode 3 (%s): %s (%s)",
                  pe_kind_names[modes[3].cfg.pe_kind], mpdrv_error_name(res.error), p.accel[1]->last_error().c_str());
        }
    });
    sc_core::sc_start();
    printf("# cosim %s: %" PRId64 " GEMMs, %" PRId64 " on the RTL (per mode %" PRId64 "/%" PRId64 "/%" PRId64 "; %" PRId64
           " with output channels on the rows), %" PRId64 " with SRAM-bound steps, %" PRId64
           " with multi-cycle result rows; %" PRId64 " tiles, %" PRId64 " GEMMs of several tiles back to back, %" PRId64
           " whose free mapping differs from one block; %" PRId64 " not one block (refused by the RTL backend); %" PRId64
           " RTL cycles, %.2f s of host time on the RTL runs (%.2f M cycles/s)\n",
           COSIM_NAME, o.tiles + 1, per_mode[0] + per_mode[1] + per_mode[2], per_mode[0], per_mode[1], per_mode[2],
           transposed, sram_bound, multi_row, rtl_tiles, multi_tile, forced, split, rtl_cycles, wall,
           wall > 0 ? rtl_cycles / wall / 1e6 : 0.0);
    return check.summary("cosim-" COSIM_NAME);
}
