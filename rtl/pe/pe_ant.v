// rtl/pe/pe_ant.v — ant PE: the <exponent, integer> MAC (rtl/pe/pe_expint.v); the ant-specific
// part is the edge decoder (rtl/edge/mp_dec_expint.v). Common PE port list: see pe_int8.v.
`default_nettype none
module pe_ant #(
    parameter integer XW = 7,
    parameter integer WW = 7
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
    pe_expint u_mac (.clk(clk), .rst_n(rst_n), .clr(clr), .v(xv & wv), .x(x[6:0]), .w(w[6:0]),
                     .ld(ld), .ld_val(ld_val), .res(res), .busy(busy));
endmodule
`default_nettype wire
