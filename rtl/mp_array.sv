// rtl/mp_array.sv — the output-stationary PE array, one template for every PE kind.
//
// A tile (docs/simulator.md §3) runs in three phases, timed exactly like sim/array.c:
//   LOAD   (unless cfg_first) partial sums enter one row per cfg_ric cycles (psum_rd/psum_row/psum_in)
//   RUN    step s of the K range is fed at RUN cycle s*cfg_se (feed_v/feed_step; the harness or SRAM
//          answers in the same cycle on x_in/w_in/gend_in); the edge units (decoders, dequantizer,
//          activation sums) process it, skew registers delay row i by i cycles and column j by j, and
//          operands move one PE per cycle, so PE(i,j) runs step s at RUN cycle ED + i + j + s*se.
//          RUN ends in the first cycle in which every step has been fed and nothing is in flight
//          (no valid operand, no PE pipeline stage busy): the PEs' own pipelines set the latency.
//   DRAIN  one row of results per cfg_roc cycles leaves through the column finish units (y_v/y_row/
//          y_out): final outputs when cfg_last (the kind's output roundings), raw partial sums else.
// done pulses for one cycle after the last row; the cycles from the clock edge that samples start
// to the one that raises done are the tile's cycles, pe_tile_cycles() in the simulator.
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
    parameter integer WFW = kind_wfw(KIND)
) (
    input  wire            clk,
    input  wire            rst_n,
    input  wire            start,
    output reg             done,
    output wire            busy,
    // tile configuration, stable from start to done
    input  wire [7:0]      cfg_tm,                // rows used, 1..ROWS
    input  wire [7:0]      cfg_tn,                // columns used, 1..COLS
    input  wire [15:0]     cfg_steps,             // ceil(tk / lanes) >= 1
    input  wire [7:0]      cfg_se,                // effective cycles per step (>= the PE's)
    input  wire [7:0]      cfg_ric,               // cycles per partial-sum row in (>= 1)
    input  wire [7:0]      cfg_roc,               // cycles per result row out (>= 1)
    input  wire            cfg_first,             // no partial sums to load
    input  wire            cfg_last,              // final outputs (else partial sums)
    input  wire [1:0]      cfg_xtype,             // OliVe 0 int4 / 1 flint4; ANT 0 int / 1 flint / 2 PoT
    input  wire [1:0]      cfg_wtype,
    input  wire            cfg_wfp3,              // BitMoD: FP3 weights (else FP4)
    input  wire [31:0]     row_scale [ROWS],      // fp32 activation scale per tile row (int kinds, W4A8)
    input  wire [31:0]     col_scale [COLS],      // fp32 weight scale per tile column (int kinds)
    // operand feed: step feed_step, answered in the same cycle
    output wire            feed_v,
    output wire [15:0]     feed_step,
    input  wire [XFW-1:0]  x_in [ROWS],
    input  wire [WFW-1:0]  w_in [COLS],
    input  wire            gend_in,               // the step ends a weight group
    // partial sums in
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

    // ------------------------------------------------------------------ controller
    localparam [1:0] S_IDLE = 2'd0, S_LOAD = 2'd1, S_RUN = 2'd2, S_DRAIN = 2'd3;
    reg  [1:0]  state;
    reg  [7:0]  cnt;                              // cycle within a psum / result row
    reg  [7:0]  row;                              // row being loaded / drained
    reg  [7:0]  fph;                              // cycle within a feed step
    reg  [15:0] fstep;                            // step being fed
    reg         fdone;                            // every step has been fed
    wire        pipe_busy;
    wire        idle_start = (state == S_IDLE) && start;
    wire        clr        = idle_start;          // tile start: PEs and edge units clear their state
    wire        run_end    = (state == S_RUN) && fdone && !pipe_busy;
    wire        draining   = (state == S_DRAIN) || run_end;
    wire        last_row   = (row == cfg_tm - 8'd1);

    assign feed_v    = (state == S_RUN) && !fdone && (fph == 8'd0);
    assign feed_step = fstep;
    assign psum_rd   = (state == S_LOAD) && (cnt == cfg_ric - 8'd1);
    assign psum_row  = row;
    assign y_v       = draining && (cnt == cfg_roc - 8'd1);
    assign y_row     = row;
    assign busy      = (state != S_IDLE);

    always @(posedge clk or negedge rst_n) begin
        if (!rst_n) begin
            state <= S_IDLE;
            done  <= 1'b0;
            cnt   <= 8'd0;
            row   <= 8'd0;
            fph   <= 8'd0;
            fstep <= 16'd0;
            fdone <= 1'b0;
        end else begin
            done <= 1'b0;
            case (state)
                S_IDLE: if (start) begin
                    state <= cfg_first ? S_RUN : S_LOAD;
                    cnt   <= 8'd0;
                    row   <= 8'd0;
                    fph   <= 8'd0;
                    fstep <= 16'd0;
                    fdone <= 1'b0;
                end
                S_LOAD: begin
                    cnt <= cnt + 8'd1;
                    if (psum_rd) begin
                        cnt <= 8'd0;
                        row <= row + 8'd1;
                        if (last_row) begin
                            row   <= 8'd0;
                            state <= S_RUN;
                        end
                    end
                end
                default: begin                    // S_RUN and S_DRAIN
                    if (state == S_RUN && !fdone) begin
                        fph <= (fph == cfg_se - 8'd1) ? 8'd0 : fph + 8'd1;
                        if (fph == cfg_se - 8'd1) fstep <= fstep + 16'd1;
                        if (feed_v && fstep == cfg_steps - 16'd1) fdone <= 1'b1;
                    end
                    if (draining) begin
                        state <= S_DRAIN;
                        cnt   <= cnt + 8'd1;
                        if (y_v) begin
                            cnt <= 8'd0;
                            row <= row + 8'd1;
                            if (last_row) begin
                                state <= S_IDLE;
                                done  <= 1'b1;
                            end
                        end
                    end
                end
            endcase
        end
    end

    // ------------------------------------------------------------------ edge units
    wire          ex_v [ROWS];
    wire [XW-1:0] ex   [ROWS];
    wire          ew_v [COLS];
    wire [WW-1:0] ew   [COLS];
    wire [ROWS-1:0] ex_busy;
    wire [COLS-1:0] ew_busy;
    genvar i, j;
    generate
        for (i = 0; i < ROWS; i = i + 1) begin : g_ex
            mp_edge #(.KIND(KIND), .COLUMN(0), .FW(XFW), .OW(XW), .GLOG(GLOG)) u_ex (
                .clk(clk), .rst_n(rst_n), .clr(clr), .cfg_type(cfg_xtype), .cfg_fp3(1'b0),
                .in_v(feed_v && (i < cfg_tm)), .in(x_in[i]), .gend(gend_in),
                .out_v(ex_v[i]), .out(ex[i]), .busy(ex_busy[i]));
        end
        for (j = 0; j < COLS; j = j + 1) begin : g_ew
            mp_edge #(.KIND(KIND), .COLUMN(1), .FW(WFW), .OW(WW), .GLOG(GLOG)) u_ew (
                .clk(clk), .rst_n(rst_n), .clr(clr), .cfg_type(cfg_wtype), .cfg_fp3(cfg_wfp3),
                .in_v(feed_v && (j < cfg_tn)), .in(w_in[j]), .gend(gend_in),
                .out_v(ew_v[j]), .out(ew[j]), .busy(ew_busy[j]));
        end
    endgenerate

    // ------------------------------------------------------------------ skew registers
    // row i passes through i registers before PE(i,0); column j through j before PE(0,j)
    wire          x_at_v [ROWS][COLS];           // operand seen by PE(i,j) this cycle
    wire [XW-1:0] x_at   [ROWS][COLS];
    wire          w_at_v [ROWS][COLS];
    wire [WW-1:0] w_at   [ROWS][COLS];
    wire [ROWS-1:0] xs_busy;
    wire [COLS-1:0] ws_busy;
    generate
        for (i = 0; i < ROWS; i = i + 1) begin : g_xs
            mp_pipe #(.W(XW), .N(i)) u_s (.clk(clk), .rst_n(rst_n), .in_v(ex_v[i]), .in(ex[i]),
                .out_v(x_at_v[i][0]), .out(x_at[i][0]), .busy(xs_busy[i]));
        end
        for (j = 0; j < COLS; j = j + 1) begin : g_ws
            mp_pipe #(.W(WW), .N(j)) u_s (.clk(clk), .rst_n(rst_n), .in_v(ew_v[j]), .in(ew[j]),
                .out_v(w_at_v[0][j]), .out(w_at[0][j]), .busy(ws_busy[j]));
        end
    endgenerate

    // ------------------------------------------------------------------ the PEs
    // operands pass right (x) and down (w) through one register per PE, inside the tile only
    wire          xr_v [ROWS][COLS];
    wire [XW-1:0] xr   [ROWS][COLS];
    wire          wr_v [ROWS][COLS];
    wire [WW-1:0] wr   [ROWS][COLS];
    wire [31:0]   res  [ROWS][COLS];
    wire [ROWS*COLS-1:0] pe_busy, xr_busy, wr_busy;
    generate
        for (i = 0; i < ROWS; i = i + 1) begin : g_r
            for (j = 0; j < COLS; j = j + 1) begin : g_c
                if (j > 0) begin : g_xin
                    assign x_at_v[i][j] = xr_v[i][j-1];
                    assign x_at[i][j]   = xr[i][j-1];
                end
                if (i > 0) begin : g_win
                    assign w_at_v[i][j] = wr_v[i-1][j];
                    assign w_at[i][j]   = wr[i-1][j];
                end
                mp_pipe #(.W(XW), .N(1)) u_xr (.clk(clk), .rst_n(rst_n), .in_v(x_at_v[i][j] && (j + 1 < cfg_tn)),
                    .in(x_at[i][j]), .out_v(xr_v[i][j]), .out(xr[i][j]), .busy(xr_busy[i*COLS+j]));
                mp_pipe #(.W(WW), .N(1)) u_wr (.clk(clk), .rst_n(rst_n), .in_v(w_at_v[i][j] && (i + 1 < cfg_tm)),
                    .in(w_at[i][j]), .out_v(wr_v[i][j]), .out(wr[i][j]), .busy(wr_busy[i*COLS+j]));
                if (j == COLS - 1 && i == ROWS - 1) begin : g_unused
                    // the last column's x and the last row's w registers feed no PE
                    wire _unused_ok = &{1'b0, xr_v[i][j], xr[i][j], wr_v[i][j], wr[i][j]};
                end

                wire pxv = x_at_v[i][j] && (j < cfg_tn);
                wire pwv = w_at_v[i][j] && (i < cfg_tm);
                wire ld  = psum_rd && (psum_row == i);
`ifndef SYNTHESIS
                /* verilator lint_off SYNCASYNCNET */
                always @(posedge clk)
                    if (rst_n && pxv != pwv)
                        $error("mp_array: PE(%0d,%0d) operands out of step: x valid %0d, w valid %0d", i, j, pxv, pwv);
                /* verilator lint_on SYNCASYNCNET */
`endif
                // the PE module of each kind (rtl/mp_kinds.vh's table), all on the common port list
`define MP_PE_PORTS .clk(clk), .rst_n(rst_n), .clr(clr), .xv(pxv), .x(x_at[i][j]), .wv(pwv), .w(w_at[i][j]), \
                    .ld(ld), .ld_val(psum_in[j]), .res(res[i][j]), .busy(pe_busy[i*COLS+j])
                if (KIND == K_FP16 || KIND == K_W4A16_DQ) begin : g_pe
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
    assign pipe_busy = |pe_busy | |xr_busy | |wr_busy | |xs_busy | |ws_busy | |ex_busy | |ew_busy;

    // ------------------------------------------------------------------ result rows out
    wire [31:0] y_fin [COLS];
    reg  [31:0] rs_sel;
    reg  [31:0] res_sel [COLS];
    always @* begin
        rs_sel = row_scale[0];
        for (int r = 0; r < ROWS; r = r + 1)
            if (row == 8'(r)) rs_sel = row_scale[r];
    end
    generate
        for (j = 0; j < COLS; j = j + 1) begin : g_out
            always @* begin
                res_sel[j] = res[0][j];
                for (int r = 0; r < ROWS; r = r + 1)
                    if (row == 8'(r)) res_sel[j] = res[r][j];
            end
            mp_out_fin #(.KIND(KIND)) u_fin (.res(res_sel[j]), .row_scale(rs_sel), .col_scale(col_scale[j]),
                .last(cfg_last), .y(y_fin[j]));
            always @* y_out[j] = y_fin[j];
        end
    endgenerate
endmodule
`default_nettype wire
