// rtl/edge/mp_edge_w.v — the unit at the top edge of one array column (weights), per kind:
//   fp16, int8          pass-through
//   w4a16-dq            the dequantizer: d = fp16(fp16(u - z) * s) with one RNE (u - z is exact),
//                       one register (docs/pe.md "w4a16-dq")
//   mixpe-*             {group end, scale, zero, u}: the group metadata rides with the weight
//   bitmod              four code decoders (rtl/edge/mp_dec_bitmod.v): {fp4, group end, scale, terms}
//   olive, ant          the edge decoder (code -> <e, i>), one register
// in: fp16 / int8; {scale16, zero4, code4}; BitMoD {scale16, meta, 4 codes}; OliVe {parity, byte};
// ANT code.
`default_nettype none
module mp_edge_w #(
    parameter integer KIND = 1,
    parameter integer WFW  = 8,
    parameter integer WW   = 8
) (
    input  wire           clk,
    input  wire           rst_n,
    input  wire           clr,
    input  wire [1:0]     cfg_type,
    input  wire           cfg_fp3,
    input  wire           in_v,
    input  wire [WFW-1:0] in,
    input  wire           gend,
    output wire           out_v,
    output wire [WW-1:0]  out,
    output wire           busy
);
`include "mp_kinds.vh"
    // the common port list: not every kind uses every port
    wire _unused_ok = &{1'b0, clk, rst_n, clr, cfg_type, cfg_fp3, gend};
    generate
        if (KIND == K_W4A16_DQ) begin : g_dq
            // (u - z) * s exactly: |u - z| <= 15 times the scale's 11-bit significand
            wire [4:0]  df  = {1'b0, in[3:0]} - {1'b0, in[7:4]};
            wire [4:0]  dfn = -df;                          // |u - z| <= 15: dfn[4] = 0 when used
            wire [3:0]  dm  = df[4] ? dfn[3:0] : df[3:0];
            wire        s_s, s_z, s_i, s_n;
            wire        _unused_dq = &{1'b0, dfn[4], s_z};
            wire [10:0] s_m;
            wire signed [6:0] s_l;
            fp_unpack #(.EW(5), .MW(10), .IEEE(1)) u_s (.a(in[23:8]), .sign(s_s), .sig(s_m), .lsb(s_l),
                                                          .zero(s_z), .inf(s_i), .nan(s_n));
            wire [14:0] pm = {11'd0, dm} * {4'd0, s_m};
            wire [15:0] d16;
            fp_round_add #(.EW(5), .MW(10), .IEEE(1), .PW(15), .PEW(7)) u_r (
                .p_sign(df[4] ^ s_s), .p_sig(pm), .p_exp(s_l), .p_inf(s_i), .p_nan(s_n | (s_i & ~|dm)),
                .c(16'h8000), .z(d16));
            reg        v;
            reg [15:0] r;
            always @(posedge clk or negedge rst_n)
                if (!rst_n) v <= 1'b0;
                else        v <= in_v;
            always @(posedge clk) r <= d16;
            assign out_v = v;
            assign out   = r;
            assign busy  = v;
        end else if (KIND == K_OLIVE || KIND == K_ANT) begin : g_dec
            reg           v;
            reg [6:0]     r;
            wire [6:0]    dec;
            mp_dec_expint #(.OLIVE(KIND == K_OLIVE ? 1 : 0)) u_dec (
                .in({{(9-WFW){1'b0}}, in}), .typ(cfg_type), .out(dec));
            always @(posedge clk or negedge rst_n)
                if (!rst_n) v <= 1'b0;
                else        v <= in_v;
            always @(posedge clk) r <= dec;
            assign out_v = v;
            assign out   = r;
            assign busy  = v;
        end else if (KIND == K_MIXPE_W4A8 || KIND == K_MIXPE_W4A8_BS || KIND == K_MIXPE_W4A16) begin : g_meta
            assign out_v = in_v;
            assign out   = {gend, in};
            assign busy  = 1'b0;
        end else if (KIND == K_BITMOD) begin : g_bm
            wire [35:0] terms;
            genvar l;
            for (l = 0; l < 4; l = l + 1) begin : g_l
                mp_dec_bitmod u_dec (.code(in[4*l+3:4*l]), .fp3(cfg_fp3), .ea(in[16]), .out(terms[9*l+8:9*l]));
            end
            assign out_v = in_v;
            assign out   = {~cfg_fp3, gend, in[32:17], terms};
            assign busy  = 1'b0;
        end else begin : g_pass
            assign out_v = in_v;
            assign out   = in[WW-1:0];
            assign busy  = 1'b0;
        end
    endgenerate
endmodule
`default_nettype wire
