// systemc/rtl_tile.h — the RTL array (rtl/mp_array.sv, built with `verilator --sc`) as an
// MpTileEngine, so an MpAccel can run its tiles on the real RTL inside a SystemC platform.
//
// V is the Verilated SystemC module of one kind and array size (systemc/systemc.mk builds them under
// build/systemc/rtl/<kind>_<R>x<C>/). This module owns V, its clock (the mode's period) and every
// signal on its ports, and plays the SRAMs around it exactly as the C++ harness does
// (rtl/harness/rtl_tb.cpp, docs/rtl.md §2): the job's tiles back to back (tile i+1 presented from
// the cycle after tile i's accept; whole-K tiles, so no partial sums and no preload: cfg_nx_pre = 0),
// the operand bundles of the tile the array asks for answered combinationally on x_in / w_in /
// gend_in whenever it raises feed_v (rtl/harness/rtl_feed.h reads them from the packed bytes the
// accelerator fetched), random values on every input that is not valid in a cycle (the RTL must
// ignore them), and the results collected from y_v / y_row / y_out (tiles drain in order). Cycles
// are counted like the harness: the clock edges from the one that samples the first start to the one
// that raises the last done, which the co-simulation checks against the back-to-back recurrence
// (pe_pipe_tile) and sim_gemm.
//
// Reset: rst_n low for 3 cycles then high for 1 at time 0, with Verilator's random reset
// (randReset(2), seed xseed: every register starts random, so a missing reset shows).
#ifndef MP_SYSTEMC_RTL_TILE_H
#define MP_SYSTEMC_RTL_TILE_H

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include <systemc>

#include "mpacc.h"
#include "rtl/harness/rtl_feed.h"
#include "verilated.h"
extern "C" {
#include "base/rng.h"
}

template <class P> struct MpPortValue;
template <class T> struct MpPortValue<sc_core::sc_in<T>> { typedef T type; };

// R x C: the array's size (the model's -GROWS / -GCOLS; its operand ports have max(R, C) lanes).
template <class V, int R, int C> class MpRtlTile : public sc_core::sc_module, public MpTileEngine {
    typedef typename std::remove_reference<decltype(std::declval<V &>().x_in)>::type XArr;
    typedef typename std::remove_reference<decltype(std::declval<V &>().w_in)>::type WArr;
    typedef typename MpPortValue<typename std::remove_extent<XArr>::type>::type XT; // uint32_t or uint64_t
    typedef typename MpPortValue<typename std::remove_extent<WArr>::type>::type WT;

public:
    static const int ROWS = R, COLS = C, E = R > C ? R : C;
    static_assert((int)std::extent<XArr>::value == E && (int)std::extent<WArr>::value == E,
                  "x_in / w_in of the model have max(rows, cols) lanes");
    static const int GLOG = 7; // MixPE groups of at most 2^GLOG weights (mp_array's default)

    MpRtlTile(sc_core::sc_module_name name, PeKindId kind, const sc_core::sc_time &period, unsigned xseed)
        : sc_core::sc_module(name), kind_(kind), period_(period), xseed_(xseed),
          rand_init_((Verilated::randReset(2), Verilated::randSeed((int)(xseed & 0x7fffffff)), 0)),
          clk_("clk", period, 0.5, sc_core::SC_ZERO_TIME, true), top_("rtl")
    {
        mp_rng_seed(&noise_, xseed ^ 0x6e6f697365ull);
        top_.clk(clk_);
        top_.rst_n(rst_n_);
        top_.start(start_);
        top_.accept(accept_);
        top_.done(done_);
        top_.busy(busy_);
        top_.cfg_tm(cfg_tm_);
        top_.cfg_tn(cfg_tn_);
        top_.cfg_steps(cfg_steps_);
        top_.cfg_se(cfg_se_);
        top_.cfg_ric(cfg_ric_);
        top_.cfg_roc(cfg_roc_);
        top_.cfg_first(cfg_first_);
        top_.cfg_last(cfg_last_);
        top_.cfg_xtype(cfg_xtype_);
        top_.cfg_wtype(cfg_wtype_);
        top_.cfg_wfp3(cfg_wfp3_);
        top_.cfg_trans(cfg_trans_);
        top_.cfg_nx_pre(cfg_nx_pre_);
        top_.cfg_nx_same(cfg_nx_same_);
        top_.cfg_nx_tm(cfg_nx_tm_);
        top_.cfg_nx_ric(cfg_nx_ric_);
        top_.feed_v(feed_v_);
        top_.feed_step(feed_step_);
        top_.gend_in(gend_in_);
        top_.psum_rd(psum_rd_);
        top_.psum_row(psum_row_);
        top_.y_v(y_v_);
        top_.y_row(y_row_);
        for (int e = 0; e < E; e++) {
            top_.x_scale[e](x_scale_[e]);
            top_.x_in[e](x_in_[e]);
            top_.w_scale[e](w_scale_[e]);
            top_.w_in[e](w_in_[e]);
        }
        for (int j = 0; j < COLS; j++) {
            top_.psum_in[j](psum_in_[j]);
            top_.y_out[j](y_out_[j]);
        }
        SC_THREAD(reset_thread);
        SC_METHOD(feed);
        sensitive << feed_v_ << feed_step_ << psum_rd_ << psum_row_ << accept_ << start_;
    }
    SC_HAS_PROCESS(MpRtlTile);

    unsigned xseed() const { return xseed_; }

    bool supports(const ArchConfig &c, std::string *why) const override
    {
        char b[300];
        if (c.pe_kind != kind_ || c.rows != ROWS || c.cols != COLS)
            snprintf(b, sizeof b, "the RTL array is %s %dx%d; the mode is %s %dx%d", pe_kind_names[kind_], ROWS, COLS,
                     pe_kind_names[c.pe_kind], c.rows, c.cols);
        else if (c.dataflow != DATAFLOW_OS)
            snprintf(b, sizeof b, "the RTL array is output-stationary; the mode is weight-stationary");
        else if (mpacc_period(c) != period_)
            snprintf(b, sizeof b, "the RTL clock is %s; the mode's is %s", period_.to_string().c_str(),
                     mpacc_period(c).to_string().c_str());
        else if (pe_kinds[kind_].rtl.xw_glog && c.group_size > (1 << GLOG)) // in-group sums sized by GLOG
            snprintf(b, sizeof b, "%s groups of at most %d weights in this RTL (GLOG %d); the mode's are %d",
                     pe_kind_names[kind_], 1 << GLOG, GLOG, c.group_size);
        else
            return true;
        *why = b;
        return false;
    }

    int64_t run_tiles(const MpTileJob &j, std::string *why) override
    {
        if (!ready_)
            wait(ready_ev_);
        const size_t nt = j.tiles.size();
        std::vector<RtlTileCfg> tc(nt);
        int64_t limit = 200;
        for (size_t i = 0; i < nt; i++) {
            const Tile &t = j.tiles[i];
            tc[i] = rtl_tile_cfg(j.cfg, &j.pt, &t);
            if (tc[i].steps >= (1 << 16) || tc[i].se > 255 || tc[i].ric > 255 || tc[i].roc > 255) {
                *why = "a tile's step count or row/step timing exceeds the RTL's counter widths";
                return -1;
            }
            if (!t.first_k || !t.last_k) {
                *why = "a tile with partial sums in or out (the RTL backend runs whole-K tiles)";
                return -1;
            }
            limit += 2 * pe_tile_cycles(j.cfg, &j.pt, &t);
        }
        std::vector<std::vector<int>> seen(nt);
        for (size_t i = 0; i < nt; i++)
            seen[i].assign((size_t)j.tiles[i].tm * j.tiles[i].tn, 0);
        job_ = &j;
        next_ = 0;
        run_ = -1;
        // Back to back, like the harness (rtl/harness/rtl_tb.cpp run_seq): tile i+1 is presented from
        // the cycle after tile i's acceptance. Every value is read at a rising edge: the value of the
        // cycle that edge ends (the model's outputs change only after it). Cycle 0 begins at the edge
        // that samples the first start; the count is the edge that raises the last done.
        size_t dr = 0;   // the tile whose rows leave now (tiles drain in order)
        int64_t n = -1;  // the cycle the next rising edge ends
        wait(clk_.negedge_event()); // mid-cycle: inputs settle before the edge that samples start
        present(0, tc);
        for (;;) {
            wait(clk_.posedge_event());
            const bool acc = next_ < nt && accept_.read();
            if (n < 0 && !acc) {
                finish();
                *why = "the idle RTL array did not accept the first tile's start";
                return -1;
            }
            if (done_.read() && n >= 0) {
                if (++dr == nt)
                    break;
            }
            if (y_v_.read() && dr < nt) {
                const Tile &t = j.tiles[dr];
                const uint32_t row = y_row_.read();
                for (int c = 0; c < tile_cols(&t) && row < (uint32_t)tile_rows(&t); c++) {
                    uint32_t u = y_out_[c].read();
                    // array (row, c) is (token, channel), or (channel, token) when trans
                    const int64_t tok = t.trans ? c : (int64_t)row, ch = t.trans ? (int64_t)row : c;
                    memcpy(&j.y[(t.m0 + tok) * j.n + t.n0 + ch], &u, 4);
                    seen[dr][(size_t)(tok * t.tn + ch)]++;
                }
            }
            if (acc) {
                run_ = (int)next_;
                next_++;
            }
            n++;
            if (n > limit) {
                finish();
                *why = "no done after " + std::to_string(n) + " cycles (" + std::to_string(dr) + " of " +
                       std::to_string(nt) + " tiles done)";
                return -1;
            }
            wait(clk_.negedge_event());
            present(next_, tc);
        }
        finish();
        for (size_t i = 0; i < nt; i++)
            for (size_t e = 0; e < seen[i].size(); e++)
                if (seen[i][e] != 1) {
                    *why = "tile " + std::to_string(i) + " output (" + std::to_string(e / j.tiles[i].tn) + ", " +
                           std::to_string(e % j.tiles[i].tn) + ") left the array " + std::to_string(seen[i][e]) +
                           " times";
                    return -1;
                }
        return n;
    }

private:
    // Present tile i of the job (start high with its configuration), or none (i = number of tiles).
    void present(size_t i, const std::vector<RtlTileCfg> &tc)
    {
        const MpTileJob &j = *job_;
        if (i >= j.tiles.size()) {
            start_.write(false);
            return;
        }
        const Tile &t = j.tiles[i];
        cfg_tm_.write((uint32_t)tile_rows(&t));
        cfg_tn_.write((uint32_t)tile_cols(&t));
        cfg_trans_.write(t.trans != 0);
        cfg_steps_.write((uint32_t)tc[i].steps);
        cfg_se_.write((uint32_t)tc[i].se);
        cfg_ric_.write((uint32_t)tc[i].ric);
        cfg_roc_.write((uint32_t)tc[i].roc);
        cfg_first_.write(t.first_k != 0);
        cfg_last_.write(t.last_k != 0);
        cfg_nx_pre_.write(false); // whole-K tiles: no partial sums to preload
        cfg_nx_same_.write(false);
        cfg_nx_tm_.write(1u);
        cfg_nx_ric_.write(1u);
        cfg_xtype_.write(j.px->type);
        cfg_wtype_.write(j.pw->type);
        const PeKind &pk = pe_kinds[kind_];
        cfg_wfp3_.write(pk.var[1].weight_bits && j.cfg->weight_bits == pk.var[1].weight_bits); // BitMoD FP3
        for (int e = 0, v = 0; e < E; e++) {
            uint32_t s = e < t.tm ? rtl_row_scale(j.px, (int)t.m0 + e, &v) : 0;
            x_scale_[e].write(e < t.tm && v ? s : (uint32_t)mp_rng_u64(&noise_));
        }
        for (int c = 0, v = 0; c < E; c++) {
            uint32_t s = c < t.tn ? rtl_col_scale(kind_, j.pw, (int)t.n0 + c, &v) : 0;
            w_scale_[c].write(c < t.tn && v ? s : (uint32_t)mp_rng_u64(&noise_));
        }
        start_.write(true);
    }
    void finish()
    {
        start_.write(false);
        job_ = nullptr;
    }

    void reset_thread()
    {
        rst_n_.write(false); // (start_ starts false; only run_tile's caller drives it)
        for (int i = 0; i < 3; i++)
            wait(clk_.posedge_event());
        rst_n_.write(true);
        wait(clk_.posedge_event());
        ready_ = true;
        ready_ev_.notify();
    }

    // The SRAMs' answer, in the same cycle, to the array's requests (docs/rtl.md §2): operands of
    // step feed_step while feed_v, random values otherwise; no partial sums (tiles start at k = 0).
    void feed()
    {
        const MpTileJob *j = job_;
        // the tile whose steps the array asks for: the one accepted in this cycle (a chained start
        // asks for its step 0 at once), else the last accepted
        const Tile *t = nullptr;
        if (j && start_.read() && accept_.read() && next_ < j->tiles.size())
            t = &j->tiles[next_];
        else if (j && run_ >= 0)
            t = &j->tiles[(size_t)run_];
        const bool fv = t && feed_v_.read();
        const int64_t k = fv ? t->k0 + (int64_t)feed_step_.read() * j->pt.lanes : 0;
        const int64_t k1 = t ? t->k0 + t->tk : 0;
        for (int i = 0; i < E; i++)
            x_in_[i].write(fv && i < t->tm ? (XT)rtl_x_bundle(kind_, j->px, (int)t->m0 + i, k, k1)
                                           : (XT)mp_rng_u64(&noise_));
        for (int c = 0; c < E; c++)
            w_in_[c].write(fv && c < t->tn ? (WT)rtl_w_bundle(kind_, j->pw, (int)t->n0 + c, k, k1)
                                           : (WT)mp_rng_u64(&noise_));
        gend_in_.write(fv ? rtl_step_gend(kind_, j->pt.lanes, j->pw, k, k1) != 0 : (mp_rng_u64(&noise_) & 1) != 0);
        for (int c = 0; c < COLS; c++)
            psum_in_[c].write((uint32_t)mp_rng_u64(&noise_));
    }

    const PeKindId kind_;
    const sc_core::sc_time period_;
    const unsigned xseed_;
    const int rand_init_; // sets Verilator's random reset before top_ is built
    MpRng noise_;
    const MpTileJob *job_ = nullptr;
    size_t next_ = 0; // the job's next tile to present
    int run_ = -1;    // the last accepted tile (-1: none yet)
    bool ready_ = false;
    sc_core::sc_event ready_ev_;
    sc_core::sc_clock clk_;
    sc_core::sc_signal<bool> rst_n_, start_, accept_, done_, busy_, cfg_first_, cfg_last_, cfg_wfp3_, cfg_trans_, cfg_nx_pre_, cfg_nx_same_, feed_v_, gend_in_,
        psum_rd_, y_v_;
    sc_core::sc_signal<uint32_t> cfg_tm_, cfg_tn_, cfg_steps_, cfg_se_, cfg_ric_, cfg_roc_, cfg_xtype_, cfg_wtype_,
        cfg_nx_tm_, cfg_nx_ric_, feed_step_, psum_row_, y_row_;
    sc_core::sc_signal<uint32_t> x_scale_[E], w_scale_[E], psum_in_[COLS], y_out_[COLS];
    sc_core::sc_signal<XT> x_in_[E];
    sc_core::sc_signal<WT> w_in_[E];
    V top_;
};

#endif
