// rtl/pe/pe_fp16.v — fp16 PE (docs/pe.md "fp16"): acc = fma32(w, x, acc), one rounding per k.
//   step cycle : the exact product of the two fp16 values (22-bit significand; exact in fp32)
//   +1         : acc <= RNE32(product + acc)      (rtl/fp/fp_round_add.v: the FMA's rounding)
// Also the w4a16-dq PE (docs/pe.md "w4a16-dq"): the same MAC on weights dequantized to fp16 at
// the column edge (rtl/edge/mp_deq_w4a16.v: one fp16 multiply with RNE per weight entering the
// array, a pipeline stage of its own: latency 2 in all), and the olive-w4a16 / ant-w4a16 PE
// (docs/pe.md): the weight's integer u (|u| <= 192) decoded to an exact fp16 at the column edge
// (rtl/edge/mp_expint_fp16.v, one stage: latency 2), so fma32(fp16(u), x, acc) is the golden's
// fmaf((float)u, x, acc). Common PE port list: rtl/pe/pe_ports.vh.
`default_nettype none
module pe_fp16 #(
    parameter integer XW = 16,
    parameter integer WW = 16
) (
`include "pe/pe_ports.vh"
);
    wire                xs, ws, xz, wz, xi, wi, xn, wn;
    wire [10:0]         xm, wm;
    wire signed [6:0]   xl, wl;
    fp_unpack #(.EW(5), .MW(10), .IEEE(1)) u_x (.a(x[15:0]), .sign(xs), .sig(xm), .lsb(xl), .zero(xz), .inf(xi), .nan(xn));
    fp_unpack #(.EW(5), .MW(10), .IEEE(1)) u_w (.a(w[15:0]), .sign(ws), .sig(wm), .lsb(wl), .zero(wz), .inf(wi), .nan(wn));

    reg               pv, ps, pinf, pnan;
    reg [21:0]        pm;
    reg signed [7:0]  pe;
    wire [31:0]       acc;
    always @(posedge clk or negedge rst_n)
        if (!rst_n) pv <= 1'b0;
        else        pv <= xv & wv;
    always @(posedge clk)
        if (xv & wv) begin
            ps   <= xs ^ ws;
            pm   <= {11'd0, xm} * {11'd0, wm};
            pe   <= {xl[6], xl} + {wl[6], wl};
            pinf <= xi | wi;
            pnan <= xn | wn | (xi & wz) | (wi & xz);
        end
    wire [31:0] sum;
    fp_round_add #(.EW(8), .MW(23), .IEEE(1), .PW(22), .PEW(8)) u_add (
        .p_sign(ps), .p_sig(pm), .p_exp(pe), .p_inf(pinf), .p_nan(pnan), .c(acc), .z(sum));
    acc_reg u_acc (.clk(clk), .clr(clr), .ld(ld), .ld_val(ld_val), .en(pv), .d(sum), .q(acc));
    assign res  = acc;
    assign busy = pv;
endmodule
`default_nettype wire
