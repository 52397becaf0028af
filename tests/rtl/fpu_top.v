// tests/rtl/fpu_top.v — the fp units on their own, for tests/rtl/fpu_tb.cpp (random vectors
// against the C library: fmaf, fp16_mul, fpx_round of the BitMoD accumulator, int -> float), and
// the <e,i> -> fp16 converter of the weight-only OliVe/ANT weight edge (exhaustively).
`default_nettype none
module fpu_top (
    input  wire [31:0] a32, b32, c32,
    output wire [31:0] fma32,
    input  wire [15:0] a16, b16,
    output wire [15:0] mul16,
    input  wire [21:0] acc,          // {6,15} minifloat
    input  wire [16:0] s17,          // signed lane sum
    input  wire signed [7:0] e8,     // its exponent
    output wire [21:0] acc_out,
    input  wire [63:0] i64,          // signed integer
    input  wire signed [7:0] ie,     // times 2^ie
    output wire [31:0] i2f,
    input  wire [6:0]  ei,           // {e[2:0], i[3:0]}: i << e
    output wire [15:0] ei16
);
    mp_expint_fp16 u_ei (.in(ei), .h(ei16));
    fp_fma #(.EW(8), .MW(23)) u_fma32 (.a(a32), .b(b32), .c(c32), .z(fma32));
    fp_fma #(.EW(5), .MW(10)) u_mul16 (.a(a16), .b(b16), .c(16'h8000), .z(mul16));
    wire [15:0] s_mag = s17[16] ? 16'(-s17) : s17[15:0];
    fp_round_add #(.EW(6), .MW(15), .IEEE(0), .PW(16), .PEW(8)) u_acc (
        .p_sign(s17[16]), .p_sig(s_mag), .p_exp(e8), .p_inf(1'b0), .p_nan(1'b0), .c(acc), .z(acc_out));
    wire [63:0] i_mag = i64[63] ? -i64 : i64;
    fp_round_add #(.EW(8), .MW(23), .IEEE(1), .PW(64), .PEW(8)) u_i2f (
        .p_sign(i64[63]), .p_sig(i_mag), .p_exp(ie), .p_inf(1'b0), .p_nan(1'b0), .c(32'h80000000), .z(i2f));
endmodule
`default_nettype wire
