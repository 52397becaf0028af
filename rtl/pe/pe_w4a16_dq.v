// rtl/pe/pe_w4a16_dq.v — w4a16-dq PE (docs/pe.md "w4a16-dq"): the fp16 MAC of pe_fp16.v on
// weights dequantized to fp16 at the column edge (rtl/edge/mp_edge_w.v: one fp16 multiply with
// RNE per weight entering the array, a pipeline stage of its own: latency 2 in all).
// Common PE port list: see pe_int8.v.
`default_nettype none
module pe_w4a16_dq #(
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
    pe_fp16 #(.XW(XW), .WW(WW)) u_mac (.clk(clk), .rst_n(rst_n), .clr(clr), .xv(xv), .x(x), .wv(wv), .w(w),
                                       .ld(ld), .ld_val(ld_val), .res(res), .busy(busy));
endmodule
`default_nettype wire
