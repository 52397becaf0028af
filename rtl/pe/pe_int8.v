// rtl/pe/pe_int8.v — int8 PE (docs/pe.md "int8"): exact integer MAC.
//   step cycle : p <= x * w              (8 x 8 signed, exact)
//   +1 (latency 1): acc <= acc + p        (32-bit: exact for K <= 2^17)
// The output roundings rne32(rne32(rne32(acc) * s_w) * s_x) happen at the column output
// (rtl/edge/mp_out_fin.v). res is the accumulator, also the partial sum between K blocks.
// The common PE port list: rtl/pe/pe_ports.vh.
`default_nettype none
module pe_int8 #(
    parameter integer XW = 8,
    parameter integer WW = 8
) (
`include "pe/pe_ports.vh"
);
    reg               pv;
    reg signed [15:0] p;
    wire [31:0]       acc, acc_n;
    always @(posedge clk or negedge rst_n)
        if (!rst_n) pv <= 1'b0;
        else        pv <= xv & wv;
    always @(posedge clk)
        if (xv & wv) p <= $signed(x[7:0]) * $signed(w[7:0]);
    assign acc_n = acc + {{16{p[15]}}, p};
    acc_reg u_acc (.clk(clk), .clr(clr), .ld(ld), .ld_val(ld_val), .en(pv), .d(acc_n), .q(acc));
    assign res  = acc;
    assign busy = pv;
endmodule
`default_nettype wire
