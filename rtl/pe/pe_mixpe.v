// rtl/pe/pe_mixpe.v — the MixPE PEs (docs/pe.md "mixpe-w4a8", "mixpe-w4a16"): u * x as shifted
// copies of x, sum_i bit_i(u) * (x << i) (no multiplier), exact in-group sums, one dequantization
// per group (rtl/pe/mixpe_group.v). One module for the three kinds:
//   mixpe-w4a8     A16 = 0, SERIAL = 0    x int8; p 12-bit signed, exact
//   mixpe-w4a8-bs  A16 = 0, SERIAL = 1    the same arithmetic, one conditional shift-add per
//                                         cycle over the 4 weight bits
//   mixpe-w4a16    A16 = 1, SERIAL = 0    the fp16 x as the exact integer X = x * 2^24
//                                         (rtl/fp/fp16_fixed24.v, 42 bits); p 46-bit signed
// Pipeline:
//   step cycle     : p = sum_i bit_i(u) * (x << i)          (SERIAL: cycles 0..3, b += bit_i(u) *
//                                                            (x << i), operands latched in cycle 0)
//   +1             : in-group sum; at a group end D = sum - z * sum(x)
//   +2             : out = fma32(rne32(D * 2^XEXP), s_g, out)   (XEXP = -24 for A16; latency 2)
// x = {sum of x (A16: of X) over the group, valid at the group's last weight; x int8 / fp16};
// w = {group end, scale fp16, zero uint4, u uint4}. W4A8's per-token scale s_x is applied at the
// column output (rtl/edge/mp_out_fin.v). Common PE port list: rtl/pe/pe_ports.vh.
`default_nettype none
module pe_mixpe #(
    parameter integer XW     = 23,
    parameter integer WW     = 25,
    parameter integer GLOG   = 7,
    parameter integer A16    = 0,      // activations: 0 int8, 1 fp16
    parameter integer SERIAL = 0       // 1: bit-serial, 4 cycles per step
) (
`include "pe/pe_ports.vh"
);
    localparam integer EW  = (A16 != 0) ? 16 : 8;      // x's field in the bundle
    localparam integer VW  = (A16 != 0) ? 42 : 8;      // x as an exact integer
    localparam integer PW  = VW + 4;                   // u * x (signed)
    localparam integer SXW = XW - EW;                  // the group sum
    localparam signed [PW-1:0] PZ = 0;

    wire                 step = xv & wv;
    wire signed [VW-1:0] xi;
    generate
        if (A16 != 0) begin : g_fx
            fp16_fixed24 u_fx (.h(x[15:0]), .v(xi));
        end else begin : g_int
            assign xi = $signed(x[7:0]);
        end
    endgenerate
    wire signed [PW-1:0] xe = {{4{xi[VW-1]}}, xi};

    // the product, complete in a cycle with pr_v, with the group metadata and sum of its step
    wire                 pr_v;
    wire signed [PW-1:0] pr;
    wire [24:4]          pr_w;        // {group end, scale, zero}
    wire [SXW-1:0]       pr_sx;
    wire                 sbusy;
    generate
        if (SERIAL == 0) begin : g_par
            assign pr    = (w[0] ? xe : PZ) + (w[1] ? xe <<< 1 : PZ)
                         + (w[2] ? xe <<< 2 : PZ) + (w[3] ? xe <<< 3 : PZ);
            assign pr_v  = step;
            assign pr_w  = w[24:4];
            assign pr_sx = x[XW-1:EW];
            assign sbusy = 1'b0;
        end else begin : g_ser
            reg  [1:0]           ph;          // bit being added in a serial cycle 1..3
            reg                  sv;          // serial cycles 1..3 in progress
            reg signed [PW-1:0]  b;           // partial product
            reg signed [VW-1:0]  xl;
            reg [24:0]           wl;
            reg [SXW-1:0]        sxl;
            wire signed [PW-1:0] xs   = {{4{xl[VW-1]}}, xl};
            wire signed [PW-1:0] term = wl[{3'b000, ph}] ? xs <<< ph : PZ;
            always @(posedge clk or negedge rst_n)
                if (!rst_n) begin
                    sv <= 1'b0;
                    ph <= 2'd0;
                end else if (step) begin
                    sv <= 1'b1;
                    ph <= 2'd1;
                end else if (sv) begin
                    ph <= ph + 2'd1;
                    if (ph == 2'd3) sv <= 1'b0;
                end
            always @(posedge clk)
                if (step) begin
                    xl  <= xi;
                    wl  <= w[24:0];
                    sxl <= x[XW-1:EW];
                    b   <= w[0] ? xe : PZ;
                end else if (sv) begin
                    b <= b + term;
                end
            assign pr    = b + term;
            assign pr_v  = sv && ph == 2'd3;
            assign pr_w  = wl[24:4];
            assign pr_sx = sxl;
            assign sbusy = sv;
`ifndef SYNTHESIS
            /* verilator lint_off SYNCASYNCNET */
            always @(posedge clk)
                if (rst_n && step && sv)
                    $error("pe_mixpe: a step arrived while the previous one is still serial (cycles per step < 4)");
            /* verilator lint_on SYNCASYNCNET */
`endif
        end
    endgenerate

    reg                  pv, pg;
    reg signed [PW-1:0]  p;
    reg [3:0]            pz;
    reg [15:0]           ps;
    reg signed [SXW-1:0] psx;
    always @(posedge clk or negedge rst_n)
        if (!rst_n) pv <= 1'b0;
        else        pv <= pr_v;
    always @(posedge clk)
        if (pr_v) begin
            p   <= pr;
            pg  <= pr_w[24];
            ps  <= pr_w[23:8];
            pz  <= pr_w[7:4];
            psx <= $signed(pr_sx);
        end
    wire gbusy;
    mixpe_group #(.PW(PW), .SXW(SXW), .GLOG(GLOG), .XEXP((A16 != 0) ? -24 : 0)) u_grp (
        .clk(clk), .rst_n(rst_n), .clr(clr), .pv(pv), .p(p), .g(pg), .z(pz), .s(ps), .sx(psx),
        .ld(ld), .ld_val(ld_val), .res(res), .busy(gbusy));
    assign busy = sbusy | pv | gbusy;
endmodule
`default_nettype wire
