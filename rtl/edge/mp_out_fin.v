// rtl/edge/mp_out_fin.v — the finish unit of one array column: turns an accumulator leaving the
// array into the output (docs/pe.md), when the tile ends the K range (last); else passes the
// raw partial sum.
//   int8, olive, ant     y = rne32(rne32(rne32(acc) * s_w[n]) * s_x[m])   (int -> fp32, 2 fp32 muls)
//   mixpe-w4a8(-bs)      y = rne32(out * s_x[m])
//   olive-w4a16,         y = rne32(out * s_w[n])   (fp32 accumulator, the weight row's scale:
//   ant-w4a16                                        col_scale in both orientations, see mp_array)
//   the others           y = out (already fp32)
// A multiply is the FMA with c = -0 (rtl/fp/fp_fma.v).
`default_nettype none
module mp_out_fin #(
    parameter integer KIND = 1
) (
    input  wire [31:0] res,
    input  wire [31:0] row_scale,
    input  wire [31:0] col_scale,
    input  wire        last,
    output wire [31:0] y
);
`include "mp_kinds.vh"
    wire _unused_ok = &{1'b0, row_scale, col_scale, last};   // not every kind uses every port
    generate
        if (KIND == K_INT8 || KIND == K_OLIVE || KIND == K_ANT) begin : g_int
            wire [31:0] mag = res[31] ? -res : res;
            wire [31:0] f0, f1, f2;
            fp_round_add #(.EW(8), .MW(23), .IEEE(1), .PW(32), .PEW(2)) u_cvt (
                .p_sign(res[31]), .p_sig(mag), .p_exp(2'sd0), .p_inf(1'b0), .p_nan(1'b0), .c(32'h80000000), .z(f0));
            fp_fma #(.EW(8), .MW(23)) u_mw (.a(f0), .b(col_scale), .c(32'h80000000), .z(f1));
            fp_fma #(.EW(8), .MW(23)) u_mx (.a(f1), .b(row_scale), .c(32'h80000000), .z(f2));
            assign y = last ? f2 : res;
        end else if (KIND == K_MIXPE_W4A8 || KIND == K_MIXPE_W4A8_BS) begin : g_sx
            wire [31:0] f;
            fp_fma #(.EW(8), .MW(23)) u_mx (.a(res), .b(row_scale), .c(32'h80000000), .z(f));
            assign y = last ? f : res;
        end else if (KIND == K_OLIVE_W4A16 || KIND == K_ANT_W4A16) begin : g_sw
            wire [31:0] f;
            fp_fma #(.EW(8), .MW(23)) u_mw (.a(res), .b(col_scale), .c(32'h80000000), .z(f));
            assign y = last ? f : res;
        end else begin : g_pass
            assign y = res;
        end
    endgenerate
endmodule
`default_nettype wire
