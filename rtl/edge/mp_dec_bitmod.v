// rtl/edge/mp_dec_bitmod.v — BitMoD weight decoder at the column edge: one code to its signed
// grid value u and then to its power-of-two terms (docs/pe.md "bitmod").
//   FP4 (units of 1/2): sign bit 3, index bits 2:0 -> {0,1,2,3,4,6,8,12}; 1000 = +special
//   FP3: sign bit 2, index bits 1:0 -> {0,1,2,4}; 100 = +special
//   special: FP4 ER 10 / EA 16; FP3 ER 3 / EA 6 (meta = 1 for EA). NEG variants are stored as
//   POS grids with a negative scale, so the special code always means +special.
//   terms: 1, 2, 4, 8, 16 alone; 3 = 2+1, 6 = 4+2, 10 = 8+2, 12 = 8+4 (5 = 4+1 is never produced)
// out = {neg, hi valid, hi exponent[2:0], lo valid, lo exponent[2:0]}
`default_nettype none
module mp_dec_bitmod (
    input  wire [3:0] code,
    input  wire       fp3,
    input  wire       ea,
    output reg  [8:0] out
);
    reg [4:0] mag;
    reg       neg;
    always @* begin
        if (fp3) begin
            neg = code[2] & (code[1:0] != 2'd0);
            case ({code[2], code[1:0]})
                3'b100: mag = ea ? 5'd6 : 5'd3;
                default: case (code[1:0])
                    2'd0: mag = 5'd0;
                    2'd1: mag = 5'd1;
                    2'd2: mag = 5'd2;
                    default: mag = 5'd4;
                endcase
            endcase
        end else begin
            neg = code[3] & (code[2:0] != 3'd0);
            case (code)
                4'b1000: mag = ea ? 5'd16 : 5'd10;
                default: case (code[2:0])
                    3'd0: mag = 5'd0;
                    3'd1: mag = 5'd1;
                    3'd2: mag = 5'd2;
                    3'd3: mag = 5'd3;
                    3'd4: mag = 5'd4;
                    3'd5: mag = 5'd6;
                    3'd6: mag = 5'd8;
                    default: mag = 5'd12;
                endcase
            endcase
        end
        case (mag)
            5'd1:  out = {neg, 1'b1, 3'd0, 1'b0, 3'd0};
            5'd2:  out = {neg, 1'b1, 3'd1, 1'b0, 3'd0};
            5'd3:  out = {neg, 1'b1, 3'd1, 1'b1, 3'd0};
            5'd4:  out = {neg, 1'b1, 3'd2, 1'b0, 3'd0};
            5'd5:  out = {neg, 1'b1, 3'd2, 1'b1, 3'd0};
            5'd6:  out = {neg, 1'b1, 3'd2, 1'b1, 3'd1};
            5'd8:  out = {neg, 1'b1, 3'd3, 1'b0, 3'd0};
            5'd10: out = {neg, 1'b1, 3'd3, 1'b1, 3'd1};
            5'd12: out = {neg, 1'b1, 3'd3, 1'b1, 3'd2};
            5'd16: out = {neg, 1'b1, 3'd4, 1'b0, 3'd0};
            default: out = {neg, 8'd0};
        endcase
    end
endmodule
`default_nettype wire
