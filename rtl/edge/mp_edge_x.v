// rtl/edge/mp_edge_x.v — the unit at the left edge of one array row (activations), per kind:
//   fp16, int8, bitmod   pass-through
//   w4a16-dq             one register, matching the weight dequantizer's stage
//   mixpe-w4a8(-bs)      the row's activation group sum: sum(x) over the group rides with the
//                        group's last x ({sum, x}); shared by every column of the row
//   mixpe-w4a16          the same for X = x * 2^24 (exact)
//   olive, ant           the edge decoder (code -> <e, i>), one register
`default_nettype none
module mp_edge_x #(
    parameter integer KIND = 1,
    parameter integer XFW  = 8,
    parameter integer XW   = 8,
    parameter integer GLOG = 7
) (
    input  wire           clk,
    input  wire           rst_n,
    input  wire           clr,
    input  wire [1:0]     cfg_type,
    input  wire           in_v,
    input  wire [XFW-1:0] in,
    input  wire           gend,
    output wire           out_v,
    output wire [XW-1:0]  out,
    output wire           busy
);
`include "mp_kinds.vh"
    // the common port list: not every kind uses every port
    wire _unused_ok = &{1'b0, clk, rst_n, clr, cfg_type, gend};
    generate
        if (KIND == K_W4A16_DQ) begin : g_reg
            reg           v;
            reg [XW-1:0]  r;
            always @(posedge clk or negedge rst_n)
                if (!rst_n) v <= 1'b0;
                else        v <= in_v;
            always @(posedge clk) r <= in[XW-1:0];
            assign out_v = v;
            assign out   = r;
            assign busy  = v;
        end else if (KIND == K_OLIVE || KIND == K_ANT) begin : g_dec
            reg           v;
            reg [6:0]     r;
            wire [6:0]    dec;
            mp_dec_expint #(.OLIVE(KIND == K_OLIVE ? 1 : 0)) u_dec (
                .in({{(9-XFW){1'b0}}, in}), .typ(cfg_type), .out(dec));
            always @(posedge clk or negedge rst_n)
                if (!rst_n) v <= 1'b0;
                else        v <= in_v;
            always @(posedge clk) r <= dec;
            assign out_v = v;
            assign out   = r;
            assign busy  = v;
        end else if (KIND == K_MIXPE_W4A8 || KIND == K_MIXPE_W4A8_BS || KIND == K_MIXPE_W4A16) begin : g_sum
            localparam integer VW = (KIND == K_MIXPE_W4A16) ? 42 : 8;   // one element
            localparam integer SW = XW - XFW;                            // the group sum
            wire signed [VW-1:0] xv;
            if (KIND == K_MIXPE_W4A16) begin : g_fx
                fp16_fixed24 u_fx (.h(in[15:0]), .v(xv));
            end else begin : g_int
                assign xv = $signed(in[7:0]);
            end
            reg  signed [SW-1:0] s;
            wire signed [SW-1:0] tot = s + {{(SW-VW){xv[VW-1]}}, xv};
            always @(posedge clk)
                if (clr)       s <= {SW{1'b0}};
                else if (in_v) s <= gend ? {SW{1'b0}} : tot;
`ifndef SYNTHESIS
            integer n;
            always @(posedge clk)
                if (clr) n <= 0;
                else if (in_v) begin
                    if (n >= (1 << GLOG))
                        $error("mp_edge_x: a weight group longer than 2^GLOG = %0d (build with a larger GLOG)", 1 << GLOG);
                    n <= gend ? 0 : n + 1;
                end
`endif
            assign out_v = in_v;
            assign out   = {tot, in};
            assign busy  = 1'b0;
        end else begin : g_pass
            assign out_v = in_v;
            assign out   = in[XW-1:0];
            assign busy  = 1'b0;
        end
    endgenerate
endmodule
`default_nettype wire
