// rtl/pe/pe_mixpe_w4a16.v — MixPE W4A16 PE (docs/pe.md "mixpe-w4a16"): the fp16 activation as
// an exact integer X = x * 2^24 (rtl/fp/fp16_fixed24.v); u * x as exponent-shifted copies of x,
// i.e. sum_i bit_i(u) * (X << i); exact in-group sums; one dequantization per group.
//   step cycle : p = sum_i bit_i(u) * (X << i)      (46-bit signed, exact)
//   +1         : in-group sum; at a group end D = sum - z * sum(X)
//   +2         : out = fma32(rne32(D) * 2^-24, s_g, out)      (latency 2)
// x = {sum of X over the group (at the group's last weight), x fp16}; w as pe_mixpe_w4a8.v.
// Common PE port list: see pe_int8.v.
`default_nettype none
module pe_mixpe_w4a16 #(
    parameter integer XW   = 65,
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
    localparam integer SXW = XW - 16;
    wire signed [41:0] xf;
    fp16_fixed24 u_fx (.h(x[15:0]), .v(xf));
    wire signed [45:0] xe = {{4{xf[41]}}, xf};
    wire signed [45:0] pn = (w[0] ? xe : 46'sd0) + (w[1] ? xe <<< 1 : 46'sd0)
                          + (w[2] ? xe <<< 2 : 46'sd0) + (w[3] ? xe <<< 3 : 46'sd0);
    reg                  pv, pg;
    reg signed [45:0]    p;
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
            psx <= $signed(x[XW-1:16]);
        end
    wire gbusy;
    mixpe_group #(.PW(46), .SXW(SXW), .GLOG(GLOG), .XEXP(-24)) u_grp (
        .clk(clk), .rst_n(rst_n), .clr(clr), .pv(pv), .p(p), .g(pg), .z(pz), .s(ps), .sx(psx),
        .ld(ld), .ld_val(ld_val), .res(res), .busy(gbusy));
    assign busy = pv | gbusy;
endmodule
`default_nettype wire
