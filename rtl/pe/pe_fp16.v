// rtl/pe/pe_fp16.v — fp16 PE (docs/pe.md "fp16"): acc = fma32(w, x, acc), one rounding per k.
//   step cycle : the exact product of the two fp16 values (22-bit significand; exact in fp32)
//   +1         : acc <= RNE32(product + acc)      (rtl/fp/fp_round_add.v: the FMA's rounding)
// Common PE port list: see pe_int8.v.
`default_nettype none
module pe_fp16 #(
    parameter integer XW = 16,
    parameter integer WW = 16
) (
    input  wire          clk,
    input  wire          rst_n,
    input  wire          clr,
    input  wire          xv,
    input  wire [XW-1:0] x,
    input  wire          wv,
    input  wire [WW-1:0] w,
    input  wire          ld,
    input  wire [31:0]   ld_val,
    output wire [31:0]   res,
    output wire          busy
);
    wire                xs, ws, xz, wz, xi, wi, xn, wn;
    wire [10:0]         xm, wm;
    wire signed [6:0]   xl, wl;
    fp_unpack #(.EW(5), .MW(10), .IEEE(1)) u_x (.a(x[15:0]), .sign(xs), .sig(xm), .lsb(xl), .zero(xz), .inf(xi), .nan(xn));
    fp_unpack #(.EW(5), .MW(10), .IEEE(1)) u_w (.a(w[15:0]), .sign(ws), .sig(wm), .lsb(wl), .zero(wz), .inf(wi), .nan(wn));

    reg               pv, ps, pinf, pnan;
    reg [21:0]        pm;
    reg signed [7:0]  pe;
    reg [31:0]        acc;
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
    always @(posedge clk)
        if (clr)     acc <= 32'd0;
        else if (ld) acc <= ld_val;
        else if (pv) acc <= sum;
    assign res  = acc;
    assign busy = pv;
endmodule
`default_nettype wire
