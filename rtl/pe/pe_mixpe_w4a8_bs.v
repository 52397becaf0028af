// rtl/pe/pe_mixpe_w4a8_bs.v — MixPE W4A8, bit-serial variant (docs/pe.md): the same arithmetic
// as pe_mixpe_w4a8.v with one conditional shift-add per cycle over the 4 weight bits.
//   step cycles 0..3 : b += bit_i(u) * (x << i)      (operands latched in cycle 0)
//   +1, +2           : in-group sum / dequant as pe_mixpe_w4a8.v  (4 cycles per step, latency 2)
// Common PE port list: see pe_int8.v.
`default_nettype none
module pe_mixpe_w4a8_bs #(
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
    reg  [1:0]           ph;          // bit being added in a serial cycle 1..3
    reg                  sv;          // serial cycles 1..3 in progress
    reg signed [11:0]    b;           // partial product
    reg [XW-1:0]         xl;
    reg [WW-1:0]         wl;
    wire signed [11:0]   x0 = {{4{x[7]}}, x[7:0]};
    wire signed [11:0]   xs = {{4{xl[7]}}, xl[7:0]};
    wire signed [11:0]   term = wl[{3'b000, ph}] ? xs <<< ph : 12'sd0;
    reg                  pv, pg;
    reg signed [11:0]    p;
    reg [3:0]            pz;
    reg [15:0]           ps;
    reg signed [SXW-1:0] psx;
    always @(posedge clk or negedge rst_n)
        if (!rst_n) begin
            sv <= 1'b0;
            ph <= 2'd0;
            pv <= 1'b0;
        end else begin
            pv <= sv && ph == 2'd3;
            if (xv & wv) begin
                sv <= 1'b1;
                ph <= 2'd1;
            end else if (sv) begin
                ph <= ph + 2'd1;
                if (ph == 2'd3) sv <= 1'b0;
            end
        end
    always @(posedge clk) begin
        if (xv & wv) begin
            xl <= x;
            wl <= w;
            b  <= w[0] ? x0 : 12'sd0;
        end else if (sv) begin
            b <= b + term;
        end
        if (sv && ph == 2'd3) begin
            p   <= b + term;
            pg  <= wl[24];
            ps  <= wl[23:8];
            pz  <= wl[7:4];
            psx <= $signed(xl[XW-1:8]);
        end
    end
`ifndef SYNTHESIS
    /* verilator lint_off SYNCASYNCNET */
    always @(posedge clk)
        if (rst_n && (xv & wv) && sv)
            $error("pe_mixpe_w4a8_bs: a step arrived while the previous one is still serial (cycles per step < 4)");
    /* verilator lint_on SYNCASYNCNET */
`endif
    wire gbusy;
    mixpe_group #(.PW(12), .SXW(SXW), .GLOG(GLOG), .XEXP(0)) u_grp (
        .clk(clk), .rst_n(rst_n), .clr(clr), .pv(pv), .p(p), .g(pg), .z(pz), .s(ps), .sx(psx),
        .ld(ld), .ld_val(ld_val), .res(res), .busy(gbusy));
    assign busy = sv | pv | gbusy;
endmodule
`default_nettype wire
