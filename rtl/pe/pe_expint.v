// rtl/pe/pe_expint.v — the <exponent, integer> MAC shared by OliVe and ANT (docs/pe.md):
// the edge decoders turn codes into <e, i> (e 0..6, i a 4-bit signed integer); a product
// <a,b> x <c,d> = (b * d) << (a + c) is an exact integer.
//   step cycle : p <= (i_x * i_w) << (e_x + e_w)     (|p| <= 192 * 192 = 36864)
//   +1         : acc <= acc + p                        (32-bit)
// (+1 more at the edge: the decoders, rtl/edge/mp_dec_expint.v: latency 2 in all.)
`default_nettype none
module pe_expint (
    input  wire        clk,
    input  wire        rst_n,
    input  wire        clr,
    input  wire        v,
    input  wire [6:0]  x,
    input  wire [6:0]  w,
    input  wire        ld,
    input  wire [31:0] ld_val,
    output wire [31:0] res,
    output wire        busy
);
    reg               pv;
    reg signed [20:0] p;
    reg signed [31:0] acc;
    wire signed [7:0] ip = $signed(x[3:0]) * $signed(w[3:0]);
    wire [3:0]        sh = {1'b0, x[6:4]} + {1'b0, w[6:4]};
    always @(posedge clk or negedge rst_n)
        if (!rst_n) pv <= 1'b0;
        else        pv <= v;
    always @(posedge clk)
        if (v) p <= $signed({{13{ip[7]}}, ip}) <<< sh;
    always @(posedge clk)
        if (clr)     acc <= 32'sd0;
        else if (ld) acc <= $signed(ld_val);
        else if (pv) acc <= acc + {{11{p[20]}}, p};
    assign res  = acc;
    assign busy = pv;
endmodule
`default_nettype wire
