// rtl/edge/mp_expint_fp16.v — an <e, i> weight (mp_dec_expint.v: value i << e) to the fp16 of the
// same value, combinational and exact: the weight edge of olive-w4a16 and ant-w4a16 (docs/pe.md),
// whose fp16 PE then computes fma32(fp16(u), x, acc) = fma32((float)u, x, acc), the golden's
// dp_fpxint_run.
//   in   [6:4] e (0..7)   [3:0] i (two's complement, -8..7)
//   out  fp16: [15] sign = i[3]   [14:10] exponent 15 + p + e   [9:0] |i| below its leading one,
//        MSB-aligned (p = the position of |i|'s leading one, 0..3); i = 0 -> +0 (0x0000) for any e
// Exact: |i| <= 8 has at most 4 significant bits (fp16 keeps 11) and 15 + p + e <= 25 < 31, so
// every value is an fp16 normal or +0 and nothing rounds (the decoders give |i << e| <= 192; the
// unit holds the whole 7-bit input range, |i << e| <= 8 << 7 = 1024).
`default_nettype none
module mp_expint_fp16 (
    input  wire [6:0]  in,               // {e[2:0], i[3:0]}
    output wire [15:0] h                 // fp16
);
    wire [2:0] e   = in[6:4];
    wire [3:0] i   = in[3:0];
    wire [3:0] mag = i[3] ? -i : i;      // -8 -> 4'b1000 = 8 (unsigned)
    reg  [1:0] p;
    reg  [9:0] m;
    always @* begin
        casez (mag)
            4'b1???: begin p = 2'd3; m = {mag[2:0], 7'd0}; end
            4'b01??: begin p = 2'd2; m = {mag[1:0], 8'd0}; end
            4'b001?: begin p = 2'd1; m = {mag[0], 9'd0}; end
            default: begin p = 2'd0; m = 10'd0; end
        endcase
    end
    wire [4:0] ex = 5'd15 + {3'd0, p} + {2'd0, e};
    assign h = (mag == 4'd0) ? 16'h0000 : {i[3], ex, m};
endmodule
`default_nettype wire
