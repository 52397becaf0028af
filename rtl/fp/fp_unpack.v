// rtl/fp/fp_unpack.v — split a binary float (EW exponent bits, MW mantissa bits) into an exact
// significand and the exponent of its least significant bit:
//     value = (-1)^sign * sig * 2^lsb            (sig has MW+1 bits, hidden bit included)
// Subnormals have exponent code 0, no hidden bit and lsb = 1 - bias - MW. IEEE = 1: the all-ones
// exponent encodes Inf / NaN; IEEE = 0 (small accumulator formats): every code is a number.
`default_nettype none
module fp_unpack #(
    parameter integer EW   = 8,
    parameter integer MW   = 23,
    parameter integer IEEE = 1
) (
    input  wire [EW+MW:0]      a,
    output wire                sign,
    output wire [MW:0]         sig,
    output wire signed [EW+1:0] lsb,
    output wire                zero,
    output wire                inf,
    output wire                nan
);
    localparam integer BIAS = (1 << (EW - 1)) - 1;
    localparam [31:0] OFF_W = BIAS + MW;
    wire [EW+1:0] OFF = OFF_W[EW+1:0];
    wire [EW-1:0] e = a[EW+MW-1:MW];
    wire [MW-1:0] m = a[MW-1:0];
    wire          top = (IEEE != 0) && (&e);
    assign sign = a[EW+MW];
    assign sig  = {|e, m};
    // lsb = max(e, 1) - bias - MW
    assign lsb  = $signed({2'b00, (|e) ? e : {{(EW-1){1'b0}}, 1'b1}}) - $signed(OFF);
    assign zero = ~|e & ~|m;
    assign inf  = top & ~|m;
    assign nan  = top & |m;
endmodule
`default_nettype wire
