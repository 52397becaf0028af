// rtl/pe/bitmod_lanes.v — one cycle of the BitMoD PE's lanes (docs/pe.md "bitmod", steps 1-3):
// four signed power-of-two weight terms times four fp16 activations, aligned to the largest
// exponent in a 14-bit field with truncation, summed into a 17-bit signed S.
//   lane l: mx = 11-bit significand (subnormal: exponent 1, no hidden bit), E_l = e_x + t_l;
//           a zero term or a zero activation drops out
//   a_l = (mx << 3) >> (E_max - E_l), truncated (a shift of 14 or more gives 0)
//   S = sum of +-a_l; the value is S * 2^(E_max - 28) in grid units (live = 0: no lane)
// t = {lane3 .. lane0}, each {neg, valid, exponent[2:0]}; x = {lane3 .. lane0} fp16.
`default_nettype none
module bitmod_lanes (
    input  wire [19:0]        t,
    input  wire [63:0]        x,
    output wire               live,
    output wire signed [16:0] s,
    output wire [5:0]         emax
);
    wire [3:0]  lv;
    wire [5:0]  e   [4];
    wire [10:0] mx  [4];
    wire [3:0]  neg;
    genvar l;
    generate
        for (l = 0; l < 4; l = l + 1) begin : g_l
            wire [15:0] h  = x[16*l+15:16*l];
            wire [4:0]  ex = h[14:10];
            assign mx[l]  = {|ex, h[9:0]};
            assign e[l]   = {1'b0, (|ex) ? ex : 5'd1} + {3'b000, t[5*l+2:5*l]};
            assign lv[l]  = t[5*l+3] & (|mx[l]);
            assign neg[l] = t[5*l+4] ^ h[15];
        end
    endgenerate
    reg [5:0] m;
    integer k;
    always @* begin
        m = 6'd0;
        for (k = 0; k < 4; k = k + 1)
            if (lv[k] && e[k] > m) m = e[k];
    end
    reg signed [16:0] acc;
    reg [5:0]         sh;
    reg [13:0]        a;
    always @* begin
        acc = 17'sd0;
        for (k = 0; k < 4; k = k + 1) begin
            sh = m - e[k];
            a  = (sh >= 6'd14) ? 14'd0 : ({mx[k], 3'b000} >> sh[3:0]);
            if (lv[k]) acc = neg[k] ? acc - $signed({3'b000, a}) : acc + $signed({3'b000, a});
        end
    end
    assign live = |lv;
    assign s    = acc;
    assign emax = m;
endmodule
`default_nettype wire
