// rtl/pe/pe_expint.v — the OliVe and ANT PE (docs/pe.md "olive", "ant"): the <exponent, integer>
// MAC. The kinds differ only in their edge decoders (rtl/edge/mp_dec_expint.v), which turn codes
// into <e, i> (e 0..6, i a 4-bit signed integer); a product <a,b> x <c,d> = (b * d) << (a + c)
// is an exact integer.
//   step cycle : p <= (i_x * i_w) << (e_x + e_w)     (|p| <= 192 * 192 = 36864)
//   +1         : acc <= acc + p                        (32-bit)
// (+1 more at the edge: the decoders' register: latency 2 in all.)
// x = w = {e[2:0], i[3:0]}. Common PE port list: rtl/pe/pe_ports.vh.
`default_nettype none
module pe_expint #(
    parameter integer XW = 7,
    parameter integer WW = 7
) (
`include "pe/pe_ports.vh"
);
    reg               pv;
    reg signed [20:0] p;
    wire [31:0]       acc;
    wire signed [7:0] ip = $signed(x[3:0]) * $signed(w[3:0]);
    wire [3:0]        sh = {1'b0, x[6:4]} + {1'b0, w[6:4]};
    always @(posedge clk or negedge rst_n)
        if (!rst_n) pv <= 1'b0;
        else        pv <= xv & wv;
    always @(posedge clk)
        if (xv & wv) p <= $signed({{13{ip[7]}}, ip}) <<< sh;
    acc_reg u_acc (.clk(clk), .clr(clr), .ld(ld), .ld_val(ld_val), .en(pv), .d(acc + {{11{p[20]}}, p}), .q(acc));
    assign res  = acc;
    assign busy = pv;
endmodule
`default_nettype wire
