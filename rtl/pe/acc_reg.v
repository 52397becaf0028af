// rtl/pe/acc_reg.v — the result register of a PE, i.e. the semantics of the common port list's
// clr / ld / res (rtl/pe/pe_int8.v): cleared at a tile's start (clr), loaded with the partial sum
// of an earlier K block (ld), else it takes the PE's next value d when en. clr wins over ld, ld
// over en. 32 bits: int32 for the integer kinds, fp32 otherwise.
`default_nettype none
module acc_reg (
    input  wire        clk,
    input  wire        clr,
    input  wire        ld,
    input  wire [31:0] ld_val,
    input  wire        en,
    input  wire [31:0] d,
    output reg  [31:0] q
);
    always @(posedge clk)
        if (clr)     q <= 32'd0;
        else if (ld) q <= ld_val;
        else if (en) q <= d;
endmodule
`default_nettype wire
