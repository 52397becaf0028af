// rtl/mp_pipe.v — N pipeline registers for an operand and its valid bit (N = 0: a wire).
// The valid bits are reset; the data are not (they are read only where valid). busy: a valid
// operand is inside. The array's skew and operand registers and the edge units' output registers.
`default_nettype none
module mp_pipe #(
    parameter integer W = 8,
    parameter integer N = 1
) (
    input  wire         clk,
    input  wire         rst_n,
    input  wire         in_v,
    input  wire [W-1:0] in,
    output wire         out_v,
    output wire [W-1:0] out,
    output wire         busy
);
    generate
        if (N == 0) begin : g_wire
            wire _unused_ok = &{1'b0, clk, rst_n};
            assign out_v = in_v;
            assign out   = in;
            assign busy  = 1'b0;
        end else begin : g_reg
            reg [N-1:0] v;
            reg [W-1:0] r [N];
            integer k;
            always @(posedge clk or negedge rst_n)
                if (!rst_n) v <= {N{1'b0}};
                else begin
                    v[0] <= in_v;
                    for (k = 1; k < N; k = k + 1) v[k] <= v[k-1];
                end
            always @(posedge clk) begin
                r[0] <= in;
                for (k = 1; k < N; k = k + 1) r[k] <= r[k-1];
            end
            assign out_v = v[N-1];
            assign out   = r[N-1];
            assign busy  = |v;
        end
    endgenerate
endmodule
`default_nettype wire
