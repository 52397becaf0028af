// rtl/pe/mixpe_group.v — the part MixPE's PEs share (docs/pe.md "mixpe-w4a8", "mixpe-w4a16"):
// the exact in-group sum and the one dequantization per group, two pipeline stages.
//   stage A (pv)  : sum = iacc + p; at the group's last weight (g):
//                   D = sum - z * sx  (sx = the group's activation sum from the row edge),
//                   iacc <= 0; else iacc <= sum
//   stage B       : out <= fma32(rne32(D * 2^XEXP), s, out)     (s: the group's fp16 scale)
// Every width is exact for groups of up to 2^GLOG weights. XEXP = 0 for W4A8 (D is an integer),
// -24 for W4A16 (D in units of 2^-24; rne32 then the exact scaling, as models/golden.c).
`default_nettype none
module mixpe_group #(
    parameter integer PW   = 12,   // product width (signed)
    parameter integer SXW  = 15,   // activation-sum width (signed)
    parameter integer GLOG = 7,
    parameter integer XEXP = 0
) (
    input  wire                  clk,
    input  wire                  rst_n,
    input  wire                  clr,
    input  wire                  pv,
    input  wire signed [PW-1:0]  p,
    input  wire                  g,
    input  wire [3:0]            z,
    input  wire [15:0]           s,
    input  wire signed [SXW-1:0] sx,
    input  wire                  ld,
    input  wire [31:0]           ld_val,
    output wire [31:0]           res,
    output wire                  busy
);
    localparam integer IAW = PW + GLOG;                          // in-group sum
    localparam integer ZW  = SXW + 5;                            // z * sx
    localparam integer DW  = ((IAW > ZW) ? IAW : ZW) + 1;        // D
    localparam [31:0]  XEXP_W = XEXP;

    reg signed [IAW-1:0] iacc;
    reg                  dv;
    reg signed [DW-1:0]  d;
    reg [15:0]           ds;
    wire [31:0]          out;

    wire signed [IAW-1:0] sum = iacc + {{(IAW-PW){p[PW-1]}}, p};
    wire signed [ZW-1:0]  zs  = $signed({1'b0, z}) * sx;
    wire signed [DW-1:0]  dn  = {{(DW-IAW){sum[IAW-1]}}, sum} - {{(DW-ZW){zs[ZW-1]}}, zs};

    always @(posedge clk or negedge rst_n)
        if (!rst_n) dv <= 1'b0;
        else        dv <= pv & g;
    always @(posedge clk) begin
        if (clr)
            iacc <= {IAW{1'b0}};
        else if (pv)
            iacc <= g ? {IAW{1'b0}} : sum;
        if (pv & g) begin
            d  <= dn;
            ds <= s;
        end
    end

    // stage B: int -> fp32 (one rounding, then the exact 2^XEXP), then the FMA with the scale
    wire [DW-1:0] dmag = d[DW-1] ? -d : d;
    wire [31:0]   df, fma;
    fp_round_add #(.EW(8), .MW(23), .IEEE(1), .PW(DW), .PEW(8)) u_cvt (
        .p_sign(d[DW-1]), .p_sig(dmag), .p_exp($signed(XEXP_W[7:0])), .p_inf(1'b0), .p_nan(1'b0),
        .c(32'h80000000), .z(df));
    fp_fma #(.EW(8), .MW(23), .AEW(8), .AMW(23), .BEW(5), .BMW(10)) u_fma (.a(df), .b(ds), .c(out), .z(fma));
    acc_reg u_out (.clk(clk), .clr(clr), .ld(ld), .ld_val(ld_val), .en(dv), .d(fma), .q(out));
    assign res  = out;
    assign busy = dv;
endmodule
`default_nettype wire
