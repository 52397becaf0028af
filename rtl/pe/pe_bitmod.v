// rtl/pe/pe_bitmod.v — BitMoD PE (docs/pe.md "bitmod"): four bit-serial lanes, a {6,15}
// minifloat group accumulator, a bit-serial dequantizer per group.
//   step cycle 0 : the four weights' high power-of-two terms (rtl/pe/bitmod_lanes.v), then
//                  A <= rne{6,15}(A + S * 2^(E_max - 28))       (rtl/fp/fp_round_add.v, IEEE = 0)
//   step cycle 1 : the low terms (operands latched in cycle 0), the same accumulation; at the
//                  group's end the final A goes to the dequantizer and A restarts at 0
//   dequant      : 11 cycles, one bit of the scale's 11-bit significand each: P += bit_i * (A.sig << i)
//                  (an exact 27-bit product), then one cycle: out <= RNE32(P * 2^e + out), the
//                  rounding of fma32(A, s_g, out). 2 + 11 + 1: latency 12 after the step.
// The dequantizer of a group overlaps the next group; groups of at least 24 weights (12 cycles)
// keep it free (the config rule); a shorter last group waits in a pending slot (see below).
// w = {fp4, group end, scale fp16 (signed, native units), 4 lanes x {neg, hv, he[2:0], lv, le[2:0]}}
// x = 4 lanes of fp16. FP4 grid units are 1/2: the scale's exponent drops by one.
// Common PE port list: rtl/pe/pe_ports.vh.
`default_nettype none
module pe_bitmod #(
    parameter integer XW = 64,
    parameter integer WW = 54
) (
`include "pe/pe_ports.vh"
);
    // ---- the two term cycles
    reg           lo;                  // cycle 1 of a step (low terms)
    reg [XW-1:0]  xl;
    reg [WW-1:0]  wl;
    wire          step = xv & wv;
    wire [XW-1:0] xc = lo ? xl : x;
    wire [WW-1:0] wc = lo ? wl : w;
    reg  [19:0]   t;
    integer l;
    always @* begin
        for (l = 0; l < 4; l = l + 1)
            t[5*l +: 5] = lo ? {wc[9*l+8], wc[9*l+3], wc[9*l+0 +: 3]}       // {neg, lv, le}
                             : {wc[9*l+8], wc[9*l+7], wc[9*l+4 +: 3]};      // {neg, hv, he}
    end
    wire               live;
    wire signed [16:0] s;
    wire [5:0]         emax;
    bitmod_lanes u_lanes (.t(t), .x(xc), .live(live), .s(s), .emax(emax));

    reg  [21:0]  acc;                  // A: {sign, exponent 6, mantissa 15}
    wire [21:0]  acc_n;
    wire [16:0]  sneg = -s;                         // |S| < 2^16: sneg[16] is the sign
    wire         _unused_ok = sneg[16];
    wire [15:0]  smag = s[16] ? sneg[15:0] : s[15:0];
    wire signed [7:0] se = $signed({2'b00, emax}) - 8'sd28;
    fp_round_add #(.EW(6), .MW(15), .IEEE(0), .PW(16), .PEW(8)) u_acc (
        .p_sign(s[16]), .p_sig(smag), .p_exp(se), .p_inf(1'b0), .p_nan(1'b0), .c(acc), .z(acc_n));
    wire [21:0]  acc_c = live ? acc_n : acc;       // no live lane: A is unchanged
    wire         gend  = lo & wl[52];

    always @(posedge clk or negedge rst_n)
        if (!rst_n) lo <= 1'b0;
        else        lo <= step;
    always @(posedge clk) begin
        if (step) begin
            xl <= x;
            wl <= w;
        end
        if (clr)
            acc <= 22'd0;
        else if (step | lo)
            acc <= gend ? 22'd0 : acc_c;
    end

    // ---- the bit-serial dequantizer, with one pending slot
    // A group that ends while the dequantizer is still busy with the previous one waits in the
    // pending slot and starts when it is free. Groups of >= 24 weights never wait (the config
    // rule); only a short last group of a row (K % g below 24) can, and its result then comes
    // later than the simulator's latency of 12 (docs/rtl.md, "BitMoD short last group").
    reg          dq;                   // serial cycles in progress
    reg  [3:0]   di;                   // scale bit
    reg          rnd;                  // the rounding cycle
    reg  [21:0]  da;                   // the group's A
    reg  [15:0]  ds;                   // its scale
    reg          dfp4;
    reg          pend;                 // pending slot
    reg  [21:0]  pa;
    reg  [15:0]  pscl;
    reg          pfp4;
    reg  [26:0]  prod;
    wire [31:0]  out;
    // the serial unit is free from the next cycle on when it is not in its serial cycles (its
    // rounding cycle reads da/prod/out before the edge that reloads them)
    wire         start_new  = gend && !dq && !pend;             // a group starts at once
    wire         start_pend = pend && !dq;                      // the pending one starts
    wire         a_s, s_s;
    wire [15:0]  a_m;
    wire [10:0]  s_m;
    wire signed [7:0] a_l;
    wire signed [6:0] s_l;
    /* verilator lint_off PINCONNECTEMPTY */
    fp_unpack #(.EW(6), .MW(15), .IEEE(0)) u_ua (.a(da), .sign(a_s), .sig(a_m), .lsb(a_l), .zero(), .inf(), .nan());
    fp_unpack #(.EW(5), .MW(10), .IEEE(1)) u_us (.a(ds), .sign(s_s), .sig(s_m), .lsb(s_l), .zero(), .inf(), .nan());
    /* verilator lint_on PINCONNECTEMPTY */
    wire signed [8:0] pe = $signed({a_l[7], a_l}) + $signed({{2{s_l[6]}}, s_l}) - (dfp4 ? 9'sd1 : 9'sd0);
    wire [26:0]  pinc = s_m[di] ? ({11'd0, a_m} << di) : 27'd0;
    wire [31:0]  out_n;
    fp_round_add #(.EW(8), .MW(23), .IEEE(1), .PW(27), .PEW(9)) u_deq (
        .p_sign(a_s ^ s_s), .p_sig(prod), .p_exp(pe), .p_inf(1'b0), .p_nan(1'b0), .c(out), .z(out_n));
    always @(posedge clk or negedge rst_n)
        if (!rst_n) begin
            dq   <= 1'b0;
            di   <= 4'd0;
            rnd  <= 1'b0;
            pend <= 1'b0;
        end else begin
            rnd <= dq && di == 4'd10;
            if (start_new || start_pend) begin
                dq <= 1'b1;
                di <= 4'd0;
            end else if (dq) begin
                di <= di + 4'd1;
                if (di == 4'd10) dq <= 1'b0;
            end
            if (gend && !start_new) pend <= 1'b1;
            else if (start_pend)    pend <= 1'b0;
        end
    always @(posedge clk) begin
        if (start_new) begin
            da   <= acc_c;
            ds   <= wl[51:36];
            dfp4 <= wl[53];
            prod <= 27'd0;
        end else if (start_pend) begin
            da   <= pa;
            ds   <= pscl;
            dfp4 <= pfp4;
            prod <= 27'd0;
        end else if (dq)
            prod <= prod + pinc;
        if (gend && !start_new) begin
            pa   <= acc_c;
            pscl <= wl[51:36];
            pfp4 <= wl[53];
        end
    end
    acc_reg u_out (.clk(clk), .clr(clr), .ld(ld), .ld_val(ld_val), .en(rnd), .d(out_n), .q(out));
`ifndef SYNTHESIS
    /* verilator lint_off SYNCASYNCNET */
    always @(posedge clk)
        if (rst_n) begin
            if (step && lo)
                $error("pe_bitmod: a step arrived in the second cycle of the previous one (cycles per step < 2)");
            if (gend && pend && !start_pend)
                $error("pe_bitmod: a group ended with the dequantizer busy and a group pending");
        end
    /* verilator lint_on SYNCASYNCNET */
`endif
    assign res  = out;
    assign busy = lo | dq | rnd | pend;
endmodule
`default_nettype wire
