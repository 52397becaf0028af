// rtl/edge/mp_edge.v — the unit at the edge of one array row (COLUMN = 0: the activations, x) or
// one array column (COLUMN = 1: the weights, w), per kind: a combinational function of the step's
// operand bundle, then kind_ed(KIND) registers (rtl/mp_kinds.vh: the simulator's edge cycles ED).
//   kind          row edge (x)                                column edge (w)                    ED
//   fp16, int8    pass                                        pass                               0
//   w4a16-dq      pass (its register matches the dequantizer) the dequantizer (mp_deq_w4a16.v)   1
//   mixpe-*       the activation group sum: sum(x) over the   {group end, scale, zero, u}: the   0
//                 group rides with the group's last x,        group metadata rides with u
//                 {sum, x}; W4A16: of X = x * 2^24 (exact)
//   bitmod        pass                                        4 code decoders (mp_dec_bitmod.v): 0
//                                                             {fp4, group end, scale, terms}
//   olive, ant    the decoder, code -> <e, i> (mp_dec_expint.v)                                  1
//   olive-w4a16,  pass (fp16; its register matches the        the decoder to <e, i> and <e, i>   1
//   ant-w4a16     decoder's)                                  -> fp16, exact (mp_expint_fp16.v)
// in (FW bits, kind_xfw / kind_wfw): row edge fp16 / int8 / 4 lanes of fp16 / OliVe {parity, pair
// byte} / ANT code; column edge fp16 / int8 / {scale16, zero4, code4} / BitMoD {scale16, meta,
// 4 codes} / OliVe {parity, pair byte} / ANT code (olive-w4a16 / ant-w4a16: fp16 activations, the
// weights of olive / ant). out (OW bits): kind_xw / kind_ww.
`default_nettype none
module mp_edge #(
    parameter integer KIND   = 1,
    parameter integer COLUMN = 0,      // 0: row edge (x), 1: column edge (w)
    parameter integer FW     = 8,
    parameter integer OW     = 8,
    parameter integer GLOG   = 7
) (
    input  wire          clk,
    input  wire          rst_n,
    input  wire          clr,
    input  wire [1:0]    cfg_type,
    input  wire          cfg_fp3,
    input  wire          in_v,
    input  wire [FW-1:0] in,
    input  wire          gend,
    output wire          out_v,
    output wire [OW-1:0] out,
    output wire          busy
);
`include "mp_kinds.vh"
    // the common port list: not every kind uses every port
    wire _unused_ok = &{1'b0, clr, cfg_type, cfg_fp3, gend};
    localparam integer MIXPE = (KIND == K_MIXPE_W4A8 || KIND == K_MIXPE_W4A8_BS || KIND == K_MIXPE_W4A16) ? 1 : 0;
    wire [OW-1:0] f;                   // the edge's function of this step's bundle
    generate
        if (KIND == K_OLIVE || KIND == K_ANT) begin : g_dec
            mp_dec_expint #(.OLIVE(KIND == K_OLIVE ? 1 : 0)) u_dec (
                .in({{(9-FW){1'b0}}, in}), .typ(cfg_type), .out(f));
        end else if ((KIND == K_OLIVE_W4A16 || KIND == K_ANT_W4A16) && COLUMN != 0) begin : g_dec16
            wire [6:0] ei;
            mp_dec_expint #(.OLIVE(KIND == K_OLIVE_W4A16 ? 1 : 0)) u_dec (
                .in({{(9-FW){1'b0}}, in}), .typ(cfg_type), .out(ei));
            mp_expint_fp16 u_h (.in(ei), .h(f));
        end else if (KIND == K_W4A16_DQ && COLUMN != 0) begin : g_dq
            mp_deq_w4a16 u_deq (.in(in), .d(f));
        end else if (MIXPE != 0 && COLUMN != 0) begin : g_meta
            assign f = {gend, in};
        end else if (MIXPE != 0) begin : g_sum
            localparam integer VW = (KIND == K_MIXPE_W4A16) ? 42 : 8;   // one element
            localparam integer SW = OW - FW;                             // the group sum
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
                        $error("mp_edge: a weight group longer than 2^GLOG = %0d (build with a larger GLOG)", 1 << GLOG);
                    n <= gend ? 0 : n + 1;
                end
`endif
            assign f = {tot, in};
        end else if (KIND == K_BITMOD && COLUMN != 0) begin : g_bm
            wire [35:0] terms;
            genvar l;
            for (l = 0; l < 4; l = l + 1) begin : g_l
                mp_dec_bitmod u_dec (.code(in[4*l+3:4*l]), .fp3(cfg_fp3), .ea(in[16]), .out(terms[9*l+8:9*l]));
            end
            assign f = {~cfg_fp3, gend, in[32:17], terms};
        end else begin : g_pass
            assign f = in[OW-1:0];
        end
    endgenerate
    mp_pipe #(.W(OW), .N(kind_ed(KIND))) u_reg (.clk(clk), .rst_n(rst_n), .in_v(in_v), .in(f), .out_v(out_v),
                                                 .out(out), .busy(busy));
endmodule
`default_nettype wire
