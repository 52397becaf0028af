// rtl/edge/mp_deq_w4a16.v — the w4a16-dq weight dequantizer (docs/pe.md "w4a16-dq"), combinational:
// d = fp16(fp16(u - z) * s) with one RNE (u - z is exact). in = {scale fp16, zero uint4, code u}.
// (u - z) * s is exact: |u - z| <= 15 times the scale's 11-bit significand; the rounding is
// rtl/fp/fp_round_add.v in fp16 (the fp16 multiply of models/, IEEE zero signs and Inf/NaN).
`default_nettype none
module mp_deq_w4a16 (
    input  wire [23:0] in,
    output wire [15:0] d
);
    wire [4:0]  df  = {1'b0, in[3:0]} - {1'b0, in[7:4]};
    wire [4:0]  dfn = -df;                          // |u - z| <= 15: dfn[4] = 0 when used
    wire [3:0]  dm  = df[4] ? dfn[3:0] : df[3:0];
    wire        s_s, s_z, s_i, s_n;
    wire        _unused_ok = &{1'b0, dfn[4], s_z};
    wire [10:0] s_m;
    wire signed [6:0] s_l;
    fp_unpack #(.EW(5), .MW(10), .IEEE(1)) u_s (.a(in[23:8]), .sign(s_s), .sig(s_m), .lsb(s_l),
                                                  .zero(s_z), .inf(s_i), .nan(s_n));
    wire [14:0] pm = {11'd0, dm} * {4'd0, s_m};
    fp_round_add #(.EW(5), .MW(10), .IEEE(1), .PW(15), .PEW(7)) u_r (
        .p_sign(df[4] ^ s_s), .p_sig(pm), .p_exp(s_l), .p_inf(s_i), .p_nan(s_n | (s_i & ~|dm)),
        .c(16'h8000), .z(d));
endmodule
`default_nettype wire
