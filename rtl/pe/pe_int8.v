// rtl/pe/pe_int8.v — int8 PE (docs/pe.md "int8"): exact integer MAC.
//   step cycle : p <= x * w              (8 x 8 signed, exact)
//   +1 (latency 1): acc <= acc + p        (32-bit: exact for K <= 2^17)
// The output roundings rne32(rne32(rne32(acc) * s_w) * s_x) happen at the column output
// (rtl/edge/mp_out_fin.v). res is the accumulator, also the partial sum between K blocks.
// Common PE port list (every rtl/pe/pe_<kind>.v has it; rtl/mp_array.sv instantiates it):
//   clr   tile start: clear the accumulator and any group state
//   xv,x  the activation operand at this PE this cycle (x moves right); wv,w the weight (moves down)
//   ld    load the accumulator with ld_val (partial sum of an earlier K block)
//   res   the accumulator as 32 bits; busy: a step is still in the PE's pipeline
`default_nettype none
module pe_int8 #(
    parameter integer XW = 8,
    parameter integer WW = 8
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
    reg               pv;
    reg signed [15:0] p;
    reg signed [31:0] acc;
    always @(posedge clk or negedge rst_n)
        if (!rst_n) pv <= 1'b0;
        else        pv <= xv & wv;
    always @(posedge clk)
        if (xv & wv) p <= $signed(x[7:0]) * $signed(w[7:0]);
    always @(posedge clk)
        if (clr)     acc <= 32'sd0;
        else if (ld) acc <= $signed(ld_val);
        else if (pv) acc <= acc + {{16{p[15]}}, p};
    assign res  = acc;
    assign busy = pv;
endmodule
`default_nettype wire
