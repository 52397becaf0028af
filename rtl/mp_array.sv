// rtl/mp_array.sv — the output-stationary PE array, one template for every PE kind.
//
// A tile (docs/simulator.md §3) has three phases, timed exactly like sim/array.c / sim/petime.c:
//   LOAD   (unless cfg_first) its partial sums enter the PRELOAD registers (one per PE), one array
//          row per cfg_ric cycles through the output buffer's read port (psum_rd/psum_row/psum_in),
//          in the background (while the tile before runs); at the tile's start every accumulator
//          is loaded from its preload register in one cycle (the PEs' ld port)
//   RUN    step s of the K range is fed at RUN cycle s*cfg_se (feed_v/feed_step; the harness or SRAM
//          answers in the same cycle on x_in/w_in/gend_in); the edge units (decoders, dequantizer,
//          activation sums) process it, skew registers delay row i by i cycles and column j by j, and
//          operands move one PE per cycle, so PE(i,j) runs step s at RUN cycle ED + i + j + s*se.
//          RUN ends in the first cycle in which every step has been fed and nothing is in flight
//          (no valid operand, no PE pipeline stage busy): the PEs' own pipelines set the latency.
//   DRAIN  one row of results per cfg_roc cycles leaves through the column finish units (y_v/y_row/
//          y_out) and the output buffer's write port: final outputs when cfg_last (the kind's output
//          roundings), raw partial sums else.
//
// Back to back (sim/petime.h, pe_pipe_tile / ArrayPipe / NextTile: the spec). Every PE has, beside
// its accumulator, a drain register and a preload register. In the cycle RUN ends (or later, while
// the previous tile still drains: the run side HOLDs) the results are *captured*: DRAIN starts in
// that cycle (its row 0 from the PEs, the rest from the drain registers, which take the results at
// its end) and runs on its own. With the recurrence's cycles (ready = 0):
//     start  = max(acc_free, load ? pre_end : 0)
//     cap    = max(start + run, drain_free);  acc_free = cap;  drain_free = cap + drain
//     next tile's preload: pstart = max(start, previous drain_free, same ? drain_free : 0),
//                          pre_end = pstart + next load   (a sequence's first: from the idle array)
// a tile starts at the capture (in that very cycle: its step 0 is fed there) when it has no partial
// sums or they are in the preload registers, else in the cycle after its preload's last row.
//
// Handshake. start is a request, held (with cfg_*, cfg_nx_* and the scales) until accept is high in
// a cycle; at that cycle's edge the array latches them, and the inputs may carry the next tile from
// then on. cfg_nx_* describe the tile *after* the presented one, as far as its preload needs it (the
// controller knows the schedule; the array cannot know output coordinates): cfg_nx_pre (it has
// partial sums), cfg_nx_tm / cfg_nx_ric (its psum rows and cycles per row) and cfg_nx_same (it
// reads the outputs the presented tile writes: same output tile). The array starts that preload by
// itself at the presented tile's start, after the drains the reads must not pass (see the preload
// side below); psum_rd then asks for the next tile's rows, which the controller answers from the
// output buffer in the same cycle. A tile with partial sums for which nothing was preloaded (the
// first of a sequence, or after a tile presented with cfg_nx_pre = 0) has them read from the cycle
// after an edge that finds the array idle with the tile pending (cfg_tm / cfg_ric): on an idle array
// its psum reads start in the cycle after the edge that samples start, and it is accepted in its
// preload's last cycle. accept is combinational: in the capture cycle for a chained start (the
// tile's first cycle is that cycle), else when the array can begin the tile in the next cycle (idle
// run side or a capture now; no partial sums, or the preload registers full from the next cycle).
// done pulses for one cycle after each tile's last result row, in tile order. A tile alone on an
// idle array: the cycles from the edge that samples start to the one that raises done are
// pe_tile_cycles(); for a sequence, the last done comes at drain_free after the last tile.
// Accumulator reset: clr at a registered acceptance (from idle, as after reset); at a capture, a
// load (ld) of 0 into the PEs' result registers, or of the preload registers when a tile with
// partial sums chains there; a registered start of such a tile loads them in its first cycle. The
// tile's first update follows its load by at least one cycle. Group state (MixPE in-group sums,
// BitMoD's A, the MixPE edge activation sums) is not cleared at a chained start: it returns to 0 at
// every group end, and every tile ends on a group end (the mapper's K alignment; a final tile ends
// at K, which ends its last group).
//
// Each kind brings a PE module (rtl/pe/; rtl/mp_kinds.vh names it) behind the common port list
//   (clk, rst_n, clr, xv, x, wv, w, ld, ld_val, res, busy: rtl/pe/pe_ports.vh)
// and its edge units (rtl/edge/mp_edge.v). KIND takes the ids of models/pekind.h (mp_kinds.vh).
`default_nettype none
module mp_array #(
    parameter integer KIND = 1,
    parameter integer ROWS = 4,
    parameter integer COLS = 4,
    parameter integer GLOG = 7,                   // MixPE: groups of at most 2^GLOG weights
    // derived (do not override)
    parameter integer XFW = kind_xfw(KIND),
    parameter integer WFW = kind_wfw(KIND),
    parameter integer E   = ROWS > COLS ? ROWS : COLS   // tokens / channels a tile may have
) (
    input  wire            clk,
    input  wire            rst_n,
    input  wire            start,
    output wire            accept,                // start is taken this cycle (see above)
    output reg             done,                  // a tile's last result row left (one per tile)
    output wire            busy,
    // tile configuration, held with start until accept (then latched)
    input  wire [7:0]      cfg_tm,                // array rows used, 1..ROWS (tile_rows)
    input  wire [7:0]      cfg_tn,                // array columns used, 1..COLS (tile_cols)
    input  wire            cfg_trans,             // 0: rows = tokens, x from the left, w from the top;
                                                  // 1: rows = output channels, w from the left, x from the top
    input  wire [15:0]     cfg_steps,             // ceil(tk / lanes) >= 1
    input  wire [7:0]      cfg_se,                // effective cycles per step (>= the PE's)
    input  wire [7:0]      cfg_ric,               // cycles per partial-sum row in (>= 1; a sequence's first preload)
    input  wire [7:0]      cfg_roc,               // cycles per result row out (>= 1)
    input  wire            cfg_first,             // no partial sums to load
    // the next tile's preload (the tile after this one, if it has partial sums), latched with it
    input  wire            cfg_nx_pre,            // the next tile has partial sums to preload
    input  wire [7:0]      cfg_nx_tm,             // its array rows (psum rows to read)
    input  wire [7:0]      cfg_nx_ric,            // its cycles per psum row in
    input  wire            cfg_nx_same,           // it reads the outputs this tile writes (same output tile)
    input  wire            cfg_last,              // final outputs (else partial sums)
    input  wire [1:0]      cfg_xtype,             // OliVe 0 int4 / 1 flint4; ANT 0 int / 1 flint / 2 PoT
    input  wire [1:0]      cfg_wtype,
    input  wire            cfg_wfp3,              // BitMoD: FP3 weights (else FP4)
    input  wire [31:0]     x_scale [E],           // fp32 activation scale per tile token (int kinds, W4A8)
    input  wire [31:0]     w_scale [E],           // fp32 weight scale per tile output channel (int kinds, *-w4a16)
    // operand feed: step feed_step, answered in the same cycle
    output wire            feed_v,
    output wire [15:0]     feed_step,
    input  wire [XFW-1:0]  x_in [E],              // token e's activation bundle (either orientation)
    input  wire [WFW-1:0]  w_in [E],              // output channel e's weight bundle
    input  wire            gend_in,               // the step ends a weight group
    // partial sums in (the preload registers' read port: the next tile's psums)
    output wire            psum_rd,
    output wire [7:0]      psum_row,
    input  wire [31:0]     psum_in [COLS],
    // results out
    output wire            y_v,
    output wire [7:0]      y_row,
    output reg  [31:0]     y_out [COLS]
);
`include "mp_kinds.vh"
    localparam integer XW = kind_xw(KIND, GLOG);
    localparam integer WW = kind_ww(KIND);
    localparam integer SW = XW > WW ? XW : WW;    // the operand registers carry x or w

    // ------------------------------------------------------------------ controller
    // Three machines. The RUN side (state, the feed counters) owns the accumulators:
    // IDLE -> RUN -> [HOLD] -> capture. The DRAIN side (d_*) owns the drain registers dreg and shifts
    // the captured rows out. The PRELOAD side (p_*) owns the preload registers pre and fills them,
    // one psum row per p_ric cycles, with the partial sums of the next tile that has any.
    // capture = the run's results are final (RUN with every step fed and nothing in flight, or HOLD)
    // and the drain side is idle this cycle; in that cycle row 0 may already leave (from res), the
    // drain registers take res at its end, and the accumulators are loaded (the PEs' ld) with 0, or
    // with the preload registers when a tile with partial sums starts in that cycle (chained).
    // A tile *starts* (go) in its RUN cycle 0: chained (= the capture cycle), or the cycle after a
    // registered acceptance; a tile with partial sums loads all its accumulators from the preload
    // registers in its start cycle (ld), so the preload registers are free again from that cycle.
    // Acceptance of a pending start (the cfg_* and scales are latched into rc_* at that edge):
    //   chain: in the capture cycle, when the tile has no partial sums or they are in the preload
    //          registers (start = acc_free of sim/petime.h);
    //   registered: the run side is IDLE or capturing, and the tile has no partial sums or they are
    //          in the preload registers from the next cycle (the tile starts next cycle: pre_end).
    // The preload side (sim/petime.h, "next preload"): at a tile's start it takes the next tile's
    // preload from cfg_nx_* (rows, cycles per row, same output tile), and waits for the drains the
    // read may not pass: the drain in progress in the start cycle (the previous tile's), and, when
    // cfg_nx_same, the starting tile's own; each done (a drain's end) counts one off. Its first
    // cycle is the start cycle when there is nothing to wait for, else the cycle of the last awaited
    // done. A pending tile with partial sums for which nothing was preloaded (a sequence's first)
    // has its preload started from the cycle after an edge at which the whole array is idle.
    localparam [1:0] S_IDLE = 2'd0, S_RUN = 2'd2, S_HOLD = 2'd3;
    localparam [1:0] P_EMPTY = 2'd0, P_WAIT = 2'd1, P_LOAD = 2'd2, P_FULL = 2'd3;
    reg  [1:0]  state;
    reg         rs_go;                            // the cycle after a registered acceptance
    reg  [7:0]  fph;                              // cycle within a feed step
    reg  [15:0] fstep;                            // step being fed
    reg         fdone;                            // every step has been fed
    // the running tile's configuration, latched at acceptance (rc_*)
    reg  [7:0]  rc_tm, rc_tn, rc_se, rc_roc;
    reg  [15:0] rc_steps;
    reg         rc_first, rc_last;
    reg  [1:0]  rc_xtype, rc_wtype;
    reg         rc_wfp3;
    reg         rc_trans;
    reg         rc_nx_pre, rc_nx_same;
    reg  [7:0]  rc_nx_tm, rc_nx_ric;
    reg  [31:0] rc_xs [E];
    reg  [31:0] rc_ws [E];
    // the draining tile's: rows, cycles per row, final or partial, scales
    reg         d_busy;                           // rows of a captured tile still to leave
    reg  [7:0]  d_cnt, d_row, d_tm, d_roc;
    reg         d_last;
    reg         d_trans;
    reg  [31:0] d_xs [E];
    reg  [31:0] d_ws [E];
    // the preload side
    reg  [1:0]  p_state;
    reg  [1:0]  p_wait;                           // drains (done pulses) still to wait for
    reg  [7:0]  p_cnt, p_row, p_tm, p_ric;
    wire        pipe_busy;

    wire        run_fin    = (state == S_RUN && fdone && !pipe_busy) || state == S_HOLD;
    wire        cap        = run_fin && !d_busy;  // capture: results to the drain registers
    wire        pre_full   = p_state == P_FULL;
    wire        chain      = cap && start && (cfg_first || pre_full);
    // the drain side this cycle (in a capture cycle: row 0 of the captured tile, from res)
    wire [7:0]  dc_cnt     = cap ? 8'd0 : d_cnt;
    wire [7:0]  dc_row     = cap ? 8'd0 : d_row;
    wire [7:0]  dc_roc     = cap ? rc_roc : d_roc;
    wire [7:0]  dc_tm      = cap ? rc_tm : d_tm;
    wire        draining   = d_busy || cap;
    wire        d_lastrow  = dc_row == dc_tm - 8'd1;
    // the preload side this cycle
    wire        go         = chain || rs_go;      // a tile starts (RUN cycle 0)
    wire        g_first    = chain ? cfg_first : rc_first;
    wire        g_nx_pre   = chain ? cfg_nx_pre : rc_nx_pre;
    wire        g_nx_same  = chain ? cfg_nx_same : rc_nx_same;
    wire [7:0]  g_nx_tm    = chain ? cfg_nx_tm : rc_nx_tm;
    wire [7:0]  g_nx_ric   = chain ? cfg_nx_ric : rc_nx_ric;
    wire [1:0]  g_wait     = {1'b0, draining} + {1'b0, g_nx_same};   // drains the new preload waits for
    wire        p_now_go   = go && g_nx_pre && g_wait == 2'd0;       // it begins in the start cycle
    wire        p_now_wt   = !go && p_state == P_WAIT && (p_wait == 2'd0 || (p_wait == 2'd1 && done));   // the last awaited drain ended
    wire        p_begin    = p_now_go || p_now_wt;
    wire        p_loading  = p_begin || p_state == P_LOAD;
    wire [7:0]  pc_cnt     = p_begin ? 8'd0 : p_cnt;
    wire [7:0]  pc_row     = p_begin ? 8'd0 : p_row;
    wire [7:0]  pc_tm      = p_now_go ? g_nx_tm : p_tm;
    wire [7:0]  pc_ric     = p_now_go ? g_nx_ric : p_ric;
    wire        p_lastrow  = pc_row == pc_tm - 8'd1;
    wire        pre_fin    = psum_rd && p_lastrow;                   // full from the next cycle
    wire        p_self     = start && !cfg_first && p_state == P_EMPTY && !busy;   // a sequence's first
    wire        reg_acc    = start && !chain && (state == S_IDLE || cap) && (cfg_first || pre_full || pre_fin);
    wire        clr        = reg_acc;             // tile start from idle: PEs and edge units clear
    // the run side's configuration this cycle: the inputs in a chain cycle, else the latched one
    wire [7:0]  r_tm       = chain ? cfg_tm : rc_tm;
    wire [7:0]  r_tn       = chain ? cfg_tn : rc_tn;
    wire [7:0]  r_se       = chain ? cfg_se : rc_se;
    wire [15:0] r_steps    = chain ? cfg_steps : rc_steps;
    wire [1:0]  r_xtype    = chain ? cfg_xtype : rc_xtype;
    wire [1:0]  r_wtype    = chain ? cfg_wtype : rc_wtype;
    wire        r_wfp3     = chain ? cfg_wfp3 : rc_wfp3;
    wire        r_trans    = chain ? cfg_trans : rc_trans;
    wire [7:0]  r_ntok     = r_trans ? r_tn : r_tm;   // tokens (x edge units in use)
    wire [7:0]  r_nch      = r_trans ? r_tm : r_tn;   // output channels (w edge units in use)
    wire        feeding    = chain || (state == S_RUN && !fdone);
    wire [7:0]  fph_c      = chain ? 8'd0 : fph;
    wire [15:0] fstep_c    = chain ? 16'd0 : fstep;
    // accumulators: the preload registers at the start of a tile with partial sums, else 0 at a capture
    wire        acc_pre    = go && !g_first;
    wire        acc_ld     = cap || acc_pre;

    assign accept    = chain || reg_acc;
    assign feed_v    = feeding && (fph_c == 8'd0);
    assign feed_step = fstep_c;
    assign psum_rd   = p_loading && (pc_cnt == pc_ric - 8'd1);
    assign psum_row  = pc_row;
    assign y_v       = draining && (dc_cnt == dc_roc - 8'd1);
    assign y_row     = dc_row;
    assign busy      = (state != S_IDLE) || d_busy || (p_state != P_EMPTY);

    always @(posedge clk or negedge rst_n) begin
        if (!rst_n) begin
            state   <= S_IDLE;
            rs_go   <= 1'b0;
            done    <= 1'b0;
            fph     <= 8'd0;
            fstep   <= 16'd0;
            fdone   <= 1'b0;
            d_busy  <= 1'b0;
            d_cnt   <= 8'd0;
            d_row   <= 8'd0;
            p_state <= P_EMPTY;
            p_wait  <= 2'd0;
            p_cnt   <= 8'd0;
            p_row   <= 8'd0;
        end else begin
            done  <= 1'b0;
            rs_go <= reg_acc;
            // ---- run side
            if (feeding) begin                    // RUN: pace the steps
                fph <= (fph_c == r_se - 8'd1) ? 8'd0 : fph_c + 8'd1;
                fstep <= (fph_c == r_se - 8'd1) ? fstep_c + 16'd1 : fstep_c;
                fdone <= feed_v && fstep_c == r_steps - 16'd1;
            end
            if (chain) begin
                state <= S_RUN;
            end else if (reg_acc) begin
                state <= S_RUN;
                fph   <= 8'd0;
                fstep <= 16'd0;
                fdone <= 1'b0;
            end else if (cap) begin
                state <= S_IDLE;
            end else if (run_fin) begin
                state <= S_HOLD;                  // results final; the drain registers are busy
            end
            // ---- drain side
            if (draining) begin
                d_busy <= 1'b1;
                d_cnt  <= dc_cnt + 8'd1;
                d_row  <= dc_row;
                if (y_v) begin
                    d_cnt <= 8'd0;
                    d_row <= dc_row + 8'd1;
                    if (d_lastrow) begin
                        d_busy <= 1'b0;
                        done   <= 1'b1;
                    end
                end
            end
            // ---- preload side
            if (go) begin                         // the preload registers are free from here
                p_state <= P_EMPTY;
                if (g_nx_pre) begin
                    p_state <= P_WAIT;
                    p_wait  <= g_wait;
                    p_tm    <= g_nx_tm;
                    p_ric   <= g_nx_ric;
                end
            end else if (p_self) begin
                p_state <= P_WAIT;                // begins next cycle (nothing to wait for)
                p_wait  <= 2'd0;
                p_tm    <= cfg_tm;
                p_ric   <= cfg_ric;
            end else if (p_state == P_WAIT && done) begin
                p_wait  <= p_wait - 2'd1;
            end
            if (p_loading) begin
                p_state <= P_LOAD;
                p_cnt   <= pc_cnt + 8'd1;
                p_row   <= pc_row;
                if (psum_rd) begin
                    p_cnt <= 8'd0;
                    p_row <= pc_row + 8'd1;
                    if (p_lastrow) p_state <= P_FULL;
                end
            end
        end
    end

    // configuration registers (no reset: written at acceptance / capture before any use)
    always @(posedge clk) begin
        if (accept) begin
            rc_tm    <= cfg_tm;
            rc_tn    <= cfg_tn;
            rc_se    <= cfg_se;
            rc_steps <= cfg_steps;
            rc_first <= cfg_first;
            rc_nx_pre  <= cfg_nx_pre;
            rc_nx_same <= cfg_nx_same;
            rc_nx_tm   <= cfg_nx_tm;
            rc_nx_ric  <= cfg_nx_ric;
            rc_roc   <= cfg_roc;
            rc_last  <= cfg_last;
            rc_xtype <= cfg_xtype;
            rc_wtype <= cfg_wtype;
            rc_wfp3  <= cfg_wfp3;
            rc_trans <= cfg_trans;
            for (int e = 0; e < E; e = e + 1) rc_xs[e] <= x_scale[e];
            for (int e = 0; e < E; e = e + 1) rc_ws[e] <= w_scale[e];
        end
        if (cap) begin
            d_tm   <= rc_tm;
            d_roc  <= rc_roc;
            d_last <= rc_last;
            d_trans <= rc_trans;
            for (int e = 0; e < E; e = e + 1) d_xs[e] <= rc_xs[e];
            for (int e = 0; e < E; e = e + 1) d_ws[e] <= rc_ws[e];
        end
    end

    // ------------------------------------------------------------------ edge units
    // One unit per operand lane, not per side: x unit e serves token e, w unit e output channel e
    // (MixPE's activation sums are per token, the decoders per operand). cfg_trans routes them:
    // trans = 0: x unit i -> row i (left edge), w unit j -> column j (top edge); trans = 1: w unit
    // i -> row i, x unit j -> column j. Same edge depth (kind_ed) on both operands.
    wire          ex_v [E];
    wire [XW-1:0] ex   [E];
    wire          ew_v [E];
    wire [WW-1:0] ew   [E];
    wire [E-1:0]  ex_busy, ew_busy;
    genvar i, j;
    generate
        for (i = 0; i < E; i = i + 1) begin : g_ex
            mp_edge #(.KIND(KIND), .COLUMN(0), .FW(XFW), .OW(XW), .GLOG(GLOG)) u_ex (
                .clk(clk), .rst_n(rst_n), .clr(clr), .cfg_type(r_xtype), .cfg_fp3(1'b0),
                .in_v(feed_v && (i < r_ntok)), .in(x_in[i]), .gend(gend_in),
                .out_v(ex_v[i]), .out(ex[i]), .busy(ex_busy[i]));
        end
        for (j = 0; j < E; j = j + 1) begin : g_ew
            mp_edge #(.KIND(KIND), .COLUMN(1), .FW(WFW), .OW(WW), .GLOG(GLOG)) u_ew (
                .clk(clk), .rst_n(rst_n), .clr(clr), .cfg_type(r_wtype), .cfg_fp3(r_wfp3),
                .in_v(feed_v && (j < r_nch)), .in(w_in[j]), .gend(gend_in),
                .out_v(ew_v[j]), .out(ew[j]), .busy(ew_busy[j]));
        end
    endgenerate

    // ------------------------------------------------------------------ skew registers
    // row i passes through i registers before PE(i,0); column j through j before PE(0,j). The
    // operands travel SW bits wide (x or w, zero-extended); a unit's valid bit can only be set
    // while its orientation is the running tile's, so the routing needs no other guard.
    wire          h_at_v [ROWS][COLS];           // operand entering PE(i,j) from the left
    wire [SW-1:0] h_at   [ROWS][COLS];
    wire          v_at_v [ROWS][COLS];           // operand entering PE(i,j) from above
    wire [SW-1:0] v_at   [ROWS][COLS];
    wire [ROWS-1:0] hs_busy;
    wire [COLS-1:0] vs_busy;
    generate
        for (i = 0; i < ROWS; i = i + 1) begin : g_hs
            wire          lv = r_trans ? ew_v[i] : ex_v[i];
            wire [SW-1:0] l  = r_trans ? SW'(ew[i]) : SW'(ex[i]);
            mp_pipe #(.W(SW), .N(i)) u_s (.clk(clk), .rst_n(rst_n), .in_v(lv), .in(l),
                .out_v(h_at_v[i][0]), .out(h_at[i][0]), .busy(hs_busy[i]));
        end
        for (j = 0; j < COLS; j = j + 1) begin : g_vs
            wire          tv = r_trans ? ex_v[j] : ew_v[j];
            wire [SW-1:0] t  = r_trans ? SW'(ex[j]) : SW'(ew[j]);
            mp_pipe #(.W(SW), .N(j)) u_s (.clk(clk), .rst_n(rst_n), .in_v(tv), .in(t),
                .out_v(v_at_v[0][j]), .out(v_at[0][j]), .busy(vs_busy[j]));
        end
    endgenerate
    // units beyond the array's rows / columns in one orientation (E > ROWS or E > COLS) are
    // used in the other only; their outputs past both edges go nowhere
    wire _unused_units = &{1'b0, ex_v[E-1], ex[E-1], ew_v[E-1], ew[E-1]};

    // ------------------------------------------------------------------ the PEs
    // operands pass right and down through one register per PE, inside the tile only; the PE's
    // x is the one from the left (trans = 0) or from above (trans = 1), w the other
    wire          hr_v [ROWS][COLS];
    wire [SW-1:0] hr   [ROWS][COLS];
    wire          vr_v [ROWS][COLS];
    wire [SW-1:0] vr   [ROWS][COLS];
    wire [31:0]   res  [ROWS][COLS];
    wire [ROWS*COLS-1:0] pe_busy, hr_busy, vr_busy;
    generate
        for (i = 0; i < ROWS; i = i + 1) begin : g_r
            for (j = 0; j < COLS; j = j + 1) begin : g_c
                if (j > 0) begin : g_hin
                    assign h_at_v[i][j] = hr_v[i][j-1];
                    assign h_at[i][j]   = hr[i][j-1];
                end
                if (i > 0) begin : g_vin
                    assign v_at_v[i][j] = vr_v[i-1][j];
                    assign v_at[i][j]   = vr[i-1][j];
                end
                mp_pipe #(.W(SW), .N(1)) u_hr (.clk(clk), .rst_n(rst_n), .in_v(h_at_v[i][j] && (j + 1 < r_tn)),
                    .in(h_at[i][j]), .out_v(hr_v[i][j]), .out(hr[i][j]), .busy(hr_busy[i*COLS+j]));
                mp_pipe #(.W(SW), .N(1)) u_vr (.clk(clk), .rst_n(rst_n), .in_v(v_at_v[i][j] && (i + 1 < r_tm)),
                    .in(v_at[i][j]), .out_v(vr_v[i][j]), .out(vr[i][j]), .busy(vr_busy[i*COLS+j]));
                if (j == COLS - 1 && i == ROWS - 1) begin : g_unused
                    // the last column's h and the last row's v registers feed no PE
                    wire _unused_ok = &{1'b0, hr_v[i][j], hr[i][j], vr_v[i][j], vr[i][j]};
                end

                wire          hok = h_at_v[i][j] && (j < r_tn);
                wire          vok = v_at_v[i][j] && (i < r_tm);
                wire          pxv = r_trans ? vok : hok;
                wire          pwv = r_trans ? hok : vok;
                wire [XW-1:0] px  = r_trans ? v_at[i][j][XW-1:0] : h_at[i][j][XW-1:0];
                wire [WW-1:0] pw  = r_trans ? h_at[i][j][WW-1:0] : v_at[i][j][WW-1:0];
                // the preload register: row i's partial sum from the read port
                reg  [31:0] pre;
                always @(posedge clk)
                    if (psum_rd && psum_row == 8'(i)) pre <= psum_in[j];
                // the tile's partial sum at its start, or 0 at a capture (the next tile's reset)
                wire        ld  = acc_ld;
                wire [31:0] ldv = acc_pre ? pre : 32'd0;
`ifndef SYNTHESIS
                /* verilator lint_off SYNCASYNCNET */
                always @(posedge clk)
                    if (rst_n && pxv != pwv)
                        $error("mp_array: PE(%0d,%0d) operands out of step: x valid %0d, w valid %0d", i, j, pxv, pwv);
                /* verilator lint_on SYNCASYNCNET */
`endif
                // the PE module of each kind (rtl/mp_kinds.vh's table), all on the common port list
`define MP_PE_PORTS .clk(clk), .rst_n(rst_n), .clr(clr), .xv(pxv), .x(px), .wv(pwv), .w(pw), \
                    .ld(ld), .ld_val(ldv), .res(res[i][j]), .busy(pe_busy[i*COLS+j])
                if (KIND == K_FP16 || KIND == K_W4A16_DQ || KIND == K_OLIVE_W4A16 || KIND == K_ANT_W4A16) begin : g_pe
                    pe_fp16 #(.XW(XW), .WW(WW)) u_pe (`MP_PE_PORTS);
                end else if (KIND == K_INT8) begin : g_pe
                    pe_int8 #(.XW(XW), .WW(WW)) u_pe (`MP_PE_PORTS);
                end else if (KIND == K_MIXPE_W4A8 || KIND == K_MIXPE_W4A8_BS || KIND == K_MIXPE_W4A16) begin : g_pe
                    pe_mixpe #(.XW(XW), .WW(WW), .GLOG(GLOG), .A16(KIND == K_MIXPE_W4A16 ? 1 : 0),
                               .SERIAL(KIND == K_MIXPE_W4A8_BS ? 1 : 0)) u_pe (`MP_PE_PORTS);
                end else if (KIND == K_BITMOD) begin : g_pe
                    pe_bitmod #(.XW(XW), .WW(WW)) u_pe (`MP_PE_PORTS);
                end else begin : g_pe
                    pe_expint #(.XW(XW), .WW(WW)) u_pe (`MP_PE_PORTS);
                end
`undef MP_PE_PORTS
            end
        end
    endgenerate
    assign pipe_busy = |pe_busy | |hr_busy | |vr_busy | |hs_busy | |vs_busy | |ex_busy | |ew_busy;

    // ------------------------------------------------------------------ drain registers, rows out
    // dreg takes every PE's res at a capture; the rows leave from it, except row 0 in the capture
    // cycle itself, which leaves from res (its values are the same: they are final in that cycle).
    reg  [31:0] dreg [ROWS][COLS];
    generate
        for (i = 0; i < ROWS; i = i + 1) begin : g_dr
            for (j = 0; j < COLS; j = j + 1) begin : g_dc
                always @(posedge clk)
                    if (cap) dreg[i][j] <= res[i][j];
            end
        end
    endgenerate
    // the finish unit of column j on drain row r: the activation scale of the token and the weight
    // scale of the channel at (r, j) — token r and channel j, or (trans) token j and channel r
    wire [31:0] y_fin [COLS];
    reg  [31:0] rxs, rws;                         // the scales indexed by the drain row
    reg  [31:0] res_sel [COLS];
    wire        f_trans = cap ? rc_trans : d_trans;
    always @* begin
        rxs = d_xs[0];
        rws = d_ws[0];
        for (int r = 0; r < ROWS; r = r + 1)
            if (d_row == 8'(r)) begin
                rxs = d_xs[r];
                rws = d_ws[r];
            end
        if (cap) begin
            rxs = rc_xs[0];
            rws = rc_ws[0];
        end
    end
    wire        f_last = cap ? rc_last : d_last;
    generate
        for (j = 0; j < COLS; j = j + 1) begin : g_out
            always @* begin
                res_sel[j] = dreg[0][j];
                for (int r = 0; r < ROWS; r = r + 1)
                    if (d_row == 8'(r)) res_sel[j] = dreg[r][j];
                if (cap) res_sel[j] = res[0][j];
            end
            wire [31:0] cxs = cap ? rc_xs[j] : d_xs[j], cws = cap ? rc_ws[j] : d_ws[j];
            mp_out_fin #(.KIND(KIND)) u_fin (.res(res_sel[j]), .row_scale(f_trans ? cxs : rxs),
                .col_scale(f_trans ? rws : cws), .last(f_last), .y(y_fin[j]));
            always @* y_out[j] = y_fin[j];
        end
    endgenerate
endmodule
`default_nettype wire
