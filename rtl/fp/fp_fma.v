// rtl/fp/fp_fma.v — correctly rounded fused multiply-add z = RNE(a * b + c).
// a is in (AEW, AMW), b in (BEW, BMW), c and z in (EW, MW); by default all three are the same
// format (fp32: EW = 8, MW = 23). The product of the two significands is exact; fp_round_add
// does the only rounding. A plain multiply is this unit with c = -0 (0x80000000 for fp32), which
// gives the IEEE sign of a zero product. MixPE's dequantizer uses a = fp32, b = fp16.
`default_nettype none
module fp_fma #(
    parameter integer EW  = 8,
    parameter integer MW  = 23,
    parameter integer AEW = EW,
    parameter integer AMW = MW,
    parameter integer BEW = EW,
    parameter integer BMW = MW
) (
    input  wire [AEW+AMW:0] a,
    input  wire [BEW+BMW:0] b,
    input  wire [EW+MW:0]   c,
    output wire [EW+MW:0]   z
);
    localparam integer PEW = ((AEW > BEW) ? AEW : BEW) + 3;
    wire                  as, bs, az, bz, ai, bi, an, bn;
    wire [AMW:0]          am;
    wire [BMW:0]          bm;
    wire signed [AEW+1:0] al;
    wire signed [BEW+1:0] bl;
    fp_unpack #(.EW(AEW), .MW(AMW), .IEEE(1)) u_a (.a(a), .sign(as), .sig(am), .lsb(al), .zero(az), .inf(ai), .nan(an));
    fp_unpack #(.EW(BEW), .MW(BMW), .IEEE(1)) u_b (.a(b), .sign(bs), .sig(bm), .lsb(bl), .zero(bz), .inf(bi), .nan(bn));
    wire [AMW+BMW+1:0]   p  = {{(BMW+1){1'b0}}, am} * {{(AMW+1){1'b0}}, bm};
    wire signed [PEW-1:0] pe = $signed({{(PEW-AEW-2){al[AEW+1]}}, al}) + $signed({{(PEW-BEW-2){bl[BEW+1]}}, bl});
    wire                  pnan = an | bn | (ai & bz) | (bi & az);
    wire                  pinf = ai | bi;
    fp_round_add #(.EW(EW), .MW(MW), .IEEE(1), .PW(AMW+BMW+2), .PEW(PEW)) u_r (
        .p_sign(as ^ bs), .p_sig(p), .p_exp(pe), .p_inf(pinf), .p_nan(pnan), .c(c), .z(z));
endmodule
`default_nettype wire
