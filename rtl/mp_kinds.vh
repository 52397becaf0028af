// rtl/mp_kinds.vh — the PE kinds and the operand widths of each, included inside modules.
// docs/rtl.md tabulates the bundles.
//
// The kind table is the one list of the RTL's kinds, one "K_<NAME> = <id>, // PE <module>" a line:
//   * the ids are models/pekind.h's PeKindId, and NAME is the kind's name there in upper case with
//     '-' as '_' (pe_kind_names[id] = "w4a16-dq" <-> K_W4A16_DQ = id); a C test checks the two;
//   * rtl/rtl.mk reads the table (make's kind names, -GKIND ids, and the PE module that
//     make verify-rtl replaces);
//   * <module> is the PE module (rtl/pe/<module>.v) that rtl/mp_array.sv instantiates for the
//     kind: one module per datapath, so kinds that share a datapath share it.
localparam integer
    K_FP16          = 0,    // PE pe_fp16
    K_INT8          = 1,    // PE pe_int8
    K_W4A16_DQ      = 2,    // PE pe_fp16      (on weights dequantized at the column edge)
    K_MIXPE_W4A8    = 3,    // PE pe_mixpe
    K_MIXPE_W4A8_BS = 4,    // PE pe_mixpe     (SERIAL = 1)
    K_MIXPE_W4A16   = 5,    // PE pe_mixpe     (A16 = 1)
    K_BITMOD        = 6,    // PE pe_bitmod
    K_OLIVE         = 7,    // PE pe_expint
    K_ANT           = 8,    // PE pe_expint    (the kinds differ in their edge decoders)
    K_OLIVE_W4A16   = 9,    // PE pe_fp16      (on weights decoded to fp16 at the weight edge)
    K_ANT_W4A16     = 10;   // PE pe_fp16      (on weights decoded to fp16 at the weight edge)

// Operand widths:
//   XFW / WFW  operand bundle fed to the row (x) / column (w) edge for one step (from the SRAMs)
//   XW  / WW   bundle after the edge unit, as it travels through the PEs
//   ED         cycles of the edge units (decoders, dequantizer) before the skew registers

function automatic integer kind_xfw(input integer k);
    case (k)
        K_FP16, K_W4A16_DQ, K_MIXPE_W4A16, K_OLIVE_W4A16, K_ANT_W4A16: kind_xfw = 16;  // fp16
        K_INT8, K_MIXPE_W4A8, K_MIXPE_W4A8_BS: kind_xfw = 8;  // int8
        K_BITMOD: kind_xfw = 64;                             // 4 lanes of fp16
        K_OLIVE: kind_xfw = 9;                               // {element parity, pair byte}
        default: kind_xfw = 4;                               // ANT code
    endcase
endfunction

function automatic integer kind_wfw(input integer k);
    case (k)
        K_FP16: kind_wfw = 16;
        K_INT8: kind_wfw = 8;
        K_W4A16_DQ, K_MIXPE_W4A8, K_MIXPE_W4A8_BS, K_MIXPE_W4A16: kind_wfw = 24; // {scale16, zero4, code4}
        K_BITMOD: kind_wfw = 33;                             // {scale16, meta (EA), 4 codes of 4 bits}
        K_OLIVE, K_OLIVE_W4A16: kind_wfw = 9;                // {element parity, pair byte}
        default: kind_wfw = 4;                               // ANT code (ant, ant-w4a16)
    endcase
endfunction

// g <= 2^glog weights per group (docs/pe.md widths are for g = 128, glog = 7)
function automatic integer kind_xw(input integer k, input integer glog);
    case (k)
        K_FP16, K_W4A16_DQ, K_OLIVE_W4A16, K_ANT_W4A16: kind_xw = 16;
        K_INT8: kind_xw = 8;
        K_MIXPE_W4A8, K_MIXPE_W4A8_BS: kind_xw = 8 + 8 + glog;   // {sum x over the group, x}
        K_MIXPE_W4A16: kind_xw = 16 + 42 + glog;                 // {sum of x * 2^24, x}
        K_BITMOD: kind_xw = 64;
        default: kind_xw = 7;                                    // <e[2:0], i[3:0]>
    endcase
endfunction

function automatic integer kind_ww(input integer k);
    case (k)
        K_FP16, K_W4A16_DQ, K_OLIVE_W4A16, K_ANT_W4A16: kind_ww = 16;  // fp16 (dequantized / decoded)
        K_INT8: kind_ww = 8;
        K_MIXPE_W4A8, K_MIXPE_W4A8_BS, K_MIXPE_W4A16: kind_ww = 25;  // {group end, scale16, zero4, u4}
        K_BITMOD: kind_ww = 54;                          // {fp4, group end, scale16, 4 lanes x 9}
        default: kind_ww = 7;
    endcase
endfunction

function automatic integer kind_ed(input integer k);
    case (k)
        K_W4A16_DQ, K_OLIVE, K_ANT, K_OLIVE_W4A16, K_ANT_W4A16: kind_ed = 1;
        default: kind_ed = 0;
    endcase
endfunction
