// rtl/pe/pe_mixpe_w4a8.v — MixPE W4A8 PE (docs/pe.md "mixpe-w4a8"): shift-and-add products,
// exact in-group sums, one dequantization per group (rtl/pe/mixpe_group.v).
//   step cycle : p = sum_i bit_i(u) * (x << i)     (no multiplier; 12-bit signed, exact)
//   +1         : in-group sum; at a group end D = sum - z * sum(x)
//   +2         : out = fma32(D, s_g, out)          (latency 2)
// x = {sum of x over the group (valid at the group's last weight), x int8};
// w = {group end, scale fp16, zero uint4, u uint4}. The per-token scale s_x is applied at the
// column output (rtl/edge/mp_out_fin.v). Common PE port list: see pe_int8.v.
`default_nettype none
module pe_mixpe_w4a8 #(
    parameter integer XW   = 23,
    parameter integer WW   = 25,
    parameter integer GLOG = 7
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
    localparam integer SXW = XW - 8;
    wire signed [11:0] xe = {{4{x[7]}}, x[7:0]};
    wire signed [11:0] pn = (w[0] ? xe : 12'sd0) + (w[1] ? xe <<< 1 : 12'sd0)
                          + (w[2] ? xe <<< 2 : 12'sd0) + (w[3] ? xe <<< 3 : 12'sd0);
    reg                  pv, pg;
    reg signed [11:0]    p;
    reg [3:0]            pz;
    reg [15:0]           ps;
    reg signed [SXW-1:0] psx;
    always @(posedge clk or negedge rst_n)
        if (!rst_n) pv <= 1'b0;
        else        pv <= xv & wv;
    always @(posedge clk)
        if (xv & wv) begin
            p   <= pn;
            pg  <= w[24];
            ps  <= w[23:8];
            pz  <= w[7:4];
            psx <= $signed(x[XW-1:8]);
        end
    wire gbusy;
    mixpe_group #(.PW(12), .SXW(SXW), .GLOG(GLOG), .XEXP(0)) u_grp (
        .clk(clk), .rst_n(rst_n), .clr(clr), .pv(pv), .p(p), .g(pg), .z(pz), .s(ps), .sx(psx),
        .ld(ld), .ld_val(ld_val), .res(res), .busy(gbusy));
    assign busy = pv | gbusy;
endmodule
`default_nettype wire
