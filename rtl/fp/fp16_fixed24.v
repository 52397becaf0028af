// rtl/fp/fp16_fixed24.v — an fp16 value as an exact integer in units of 2^-24 (its smallest
// subnormal): X = (-1)^s * (e ? (1024 | m) << (e - 1) : m). |X| < 2^41 (e = 31 is treated as a
// number, like models/golden.c: Inf/NaN never reach a PE). 42-bit two's complement.
`default_nettype none
module fp16_fixed24 (
    input  wire [15:0]        h,
    output wire signed [41:0] v
);
    wire [4:0]  e   = h[14:10];
    wire [40:0] mag = (|e) ? ({30'd0, 1'b1, h[9:0]} << (e - 5'd1)) : {31'd0, h[9:0]};
    assign v = h[15] ? -$signed({1'b0, mag}) : $signed({1'b0, mag});
endmodule
`default_nettype wire
