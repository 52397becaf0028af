// rtl/edge/mp_dec_expint.v — the edge decoder of OliVe and ANT: one element code to <e, i>
// (value = i << e, i a 4-bit signed integer, e 0..6). docs/formats.md has the codes.
// OLIVE = 1: in = {parity, pair byte}: the element is the low nibble (parity 0) or the high one;
//   a nibble 1000 is a victim (0) and makes the other nibble an abfloat outlier ±(2+m) << (e+bias),
//   bias 2 under int4 normals (type 0), 3 under flint4 (type 1); normals: int4 -7..7 or flint4.
// OLIVE = 0 (ANT): in = a 4-bit code: type 0 int -8..7, 1 flint4, 2 PoT ±2^(k-1) (k = 0: 0).
// flint4 magnitudes {0,1,2,3,4,6,8,16} as <e,i>: 0,1,<1,1>,3,<2,1>,<1,3>,<3,1>,<4,1>.
`default_nettype none
module mp_dec_expint #(
    parameter integer OLIVE = 1
) (
    input  wire [8:0] in,
    input  wire [1:0] typ,
    output reg  [6:0] out            // {e[2:0], i[3:0]}
);
    reg [3:0] n, other;
    reg [2:0] fe;
    reg [3:0] fi;
    always @* begin
        if (OLIVE != 0) begin
            n     = in[8] ? in[7:4] : in[3:0];
            other = in[8] ? in[3:0] : in[7:4];
        end else begin
            n     = in[3:0];
            other = 4'd0;
        end
        // flint4 magnitude index -> <e, |i|>
        case (n[2:0])
            3'd0: begin fe = 3'd0; fi = 4'd0; end
            3'd1: begin fe = 3'd0; fi = 4'd1; end
            3'd2: begin fe = 3'd1; fi = 4'd1; end
            3'd3: begin fe = 3'd0; fi = 4'd3; end
            3'd4: begin fe = 3'd2; fi = 4'd1; end
            3'd5: begin fe = 3'd1; fi = 4'd3; end
            3'd6: begin fe = 3'd3; fi = 4'd1; end
            default: begin fe = 3'd4; fi = 4'd1; end
        endcase
        if (OLIVE != 0 && n == 4'b1000)                         // victim
            out = 7'd0;
        else if (OLIVE != 0 && other == 4'b1000)                // abfloat outlier
            out = {{1'b0, n[2:1]} + (typ[0] ? 3'd3 : 3'd2), n[3] ? -{3'b001, n[0]} : {3'b001, n[0]}};
        else if (typ == 2'd1)                                   // flint4
            out = {fe, n[3] ? -fi : fi};
        else if (OLIVE == 0 && typ == 2'd2)                     // PoT
            out = (n[2:0] == 3'd0) ? 7'd0 : {n[2:0] - 3'd1, n[3] ? 4'b1111 : 4'b0001};
        else                                                    // int (two's complement)
            out = {3'd0, n};
    end
endmodule
`default_nettype wire
