// rtl/fp/fp_lzc.v — leading-zero count of a W-bit vector (W for an all-zero vector), as a
// logarithmic shifter: at each stage, if the top 2^s bits are zero, shift them out and add 2^s.
`default_nettype none
module fp_lzc #(
    parameter integer W  = 32,
    parameter integer CW = $clog2(W + 1)
) (
    input  wire [W-1:0]  v,
    output wire [CW-1:0] n
);
    localparam integer S  = $clog2(W);      // stages: 2^(S-1) .. 1
    localparam integer PW = 1 << S;         // padded width
    localparam [31:0]  W_W = W;
    reg [PW-1:0] t;
    reg [CW:0]   c;
    integer s;
    always @* begin
        t = {v, {(PW-W){1'b1}}};            // ones below v: the count stops at W
        c = {(CW+1){1'b0}};
        for (s = S - 1; s >= 0; s = s - 1)
            if (~|(t >> (PW - (1 << s)))) begin
                t = t << (1 << s);
                c = c + (1 << s);
            end
        if (~|v) c = W_W[CW:0];
    end
    assign n = c[CW-1:0];
endmodule
`default_nettype wire
