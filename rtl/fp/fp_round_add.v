// rtl/fp/fp_round_add.v — mpsim's one rounding unit: an exact operand plus a float, rounded once.
//
//     z = round_RNE( (-1)^p_sign * p_sig * 2^p_exp  +  c )          in the format (EW, MW)
//
// p is any exact value (a product of significands, an integer, a lane sum); c and z are floats
// of (EW, MW). Every rounding of every PE kind goes through this unit (docs/rtl.md):
//   fp32 FMA        p = a.sig * b.sig, p_exp = a.lsb + b.lsb, c = addend      (fp_fma.v)
//   fp32 multiply   the FMA with c = -0 (keeps the exact sign of a zero product)
//   int -> fp32     p = |i|, p_exp = scale exponent, c = -0
//   fp16 multiply   EW = 5, MW = 10 (w4a16-dq dequantizer)
//   BitMoD accum.   EW = 6, MW = 15, IEEE = 0: no Inf/NaN, overflow saturates
// Method: the larger-magnitude operand is placed in a window of SW + 4 bits (carry, SW significand
// bits, two guard bits and a sticky bit); the smaller is shifted right by the exponent difference
// with every bit shifted out ORed into the sticky bit. An effective subtraction that loses bits
// (shift >= 2) cancels at most one bit, so at least SW + 1 >= MW + 2 bits stay above the sticky
// bit: it never sits at or next to the rounding position, and RNE of the window equals RNE of the
// exact sum. Shifts of 0 or 1 lose no bits (exact). IEEE specials: NaN in -> canonical quiet NaN;
// Inf - Inf = NaN; overflow -> Inf (IEEE = 0: saturate). Zeros: x + (-x) = +0, (-0) + (-0) = -0.
`default_nettype none
module fp_round_add #(
    parameter integer EW   = 8,
    parameter integer MW   = 23,
    parameter integer IEEE = 1,
    parameter integer PW   = 48,   // significand width of the exact operand
    parameter integer PEW  = 12    // width of its signed exponent
) (
    input  wire                  p_sign,
    input  wire [PW-1:0]         p_sig,
    input  wire signed [PEW-1:0] p_exp,
    input  wire                  p_inf,
    input  wire                  p_nan,
    input  wire [EW+MW:0]        c,
    output reg  [EW+MW:0]        z
);
    localparam integer SW   = (PW > MW + 1) ? PW : MW + 1;        // aligned significand width
    localparam integer WW   = SW + 4;                             // the window
    localparam integer XE0  = (PEW > EW + 2) ? PEW : EW + 2;
    localparam integer XEW  = XE0 + 4;                            // internal exponent width
    localparam integer SHW  = $clog2(WW + 1);                     // shift amounts 0..WW
    localparam integer BIAS = (1 << (EW - 1)) - 1;
    // constants as XEW-bit signed values (slices of 32-bit parameters keep the widths exact)
    localparam [31:0] EMIN_W  = 1 - BIAS - MW;                    // lsb exponent of subnormals
    localparam [31:0] EBIAS_W = BIAS + MW;                        // biased code = lsb + EBIAS
    localparam [31:0] EMAXB_W = (IEEE != 0) ? (1 << EW) - 2 : (1 << EW) - 1;  // largest finite code
    localparam [31:0] PTOP_W  = PW - 1;
    localparam [31:0] CTOP_W  = MW;
    localparam [31:0] WOFF_W  = SW + 2;                           // window bit k is 2^(k + top - WOFF)
    localparam [31:0] WW_W    = WW;
    localparam [31:0] PWS_W   = SW - PW;
    localparam [31:0] CWS_W   = SW - MW - 1;
    wire signed [XEW-1:0] EMIN  = $signed(EMIN_W[XEW-1:0]);
    wire signed [XEW-1:0] EBIAS = $signed(EBIAS_W[XEW-1:0]);
    wire signed [XEW-1:0] EMAXB = $signed(EMAXB_W[XEW-1:0]);
    wire signed [XEW-1:0] PTOP  = $signed(PTOP_W[XEW-1:0]);
    wire signed [XEW-1:0] CTOP  = $signed(CTOP_W[XEW-1:0]);
    wire signed [XEW-1:0] WOFF  = $signed(WOFF_W[XEW-1:0]);
    wire signed [XEW-1:0] XWW   = $signed(WW_W[XEW-1:0]);
    localparam [MW-1:0] QNAN_M = {1'b1, {(MW-1){1'b0}}};

    // ---- unpack c
    wire                 c_sign, c_zero, c_inf, c_nan;
    wire [MW:0]          c_sig;
    wire signed [EW+1:0] c_lsb;
    fp_unpack #(.EW(EW), .MW(MW), .IEEE(IEEE)) u_c (
        .a(c), .sign(c_sign), .sig(c_sig), .lsb(c_lsb), .zero(c_zero), .inf(c_inf), .nan(c_nan));

    // ---- leading-zero counts
    wire [SHW-1:0] lzp, lzc_c, lzs;
    wire [WW-1:0]  sum;
    fp_lzc #(.W(PW), .CW(SHW)) u_lzp (.v(p_sig), .n(lzp));
    fp_lzc #(.W(MW + 1), .CW(SHW)) u_lzc (.v(c_sig), .n(lzc_c));
    fp_lzc #(.W(WW), .CW(SHW)) u_lzs (.v(sum), .n(lzs));

    // ---- normalise: MSB at bit SW-1, exponent of the MSB ("top")
    wire                 p_zero = ~|p_sig;
    wire [SW-1:0]        p_al   = {{(SW-PW){1'b0}}, p_sig} << (lzp + PWS_W[SHW-1:0]);
    wire [SW-1:0]        c_al   = {{(SW-MW-1){1'b0}}, c_sig} << (lzc_c + CWS_W[SHW-1:0]);
    wire signed [XEW-1:0] p_top = $signed({{(XEW-PEW){p_exp[PEW-1]}}, p_exp}) + PTOP
                                  - $signed({{(XEW-SHW){1'b0}}, lzp});
    wire signed [XEW-1:0] c_top = $signed({{(XEW-EW-2){c_lsb[EW+1]}}, c_lsb}) + CTOP
                                  - $signed({{(XEW-SHW){1'b0}}, lzc_c});

    // ---- the larger magnitude goes into the window unshifted
    wire p_big = c_zero ? 1'b1 : p_zero ? 1'b0 : (p_top > c_top) || (p_top == c_top && p_al >= c_al);
    wire [SW-1:0]         big_al   = p_big ? p_al : c_al;
    wire [SW-1:0]         sml_al   = p_big ? c_al : p_al;
    wire signed [XEW-1:0] big_top  = p_big ? p_top : c_top;
    wire signed [XEW-1:0] sml_top  = p_big ? c_top : p_top;
    wire                  big_sign = p_big ? p_sign : c_sign;
    wire                  sub      = p_sign ^ c_sign;
    wire signed [XEW-1:0] d        = big_top - sml_top;
    wire [WW-1:0]         big_w    = {1'b0, big_al, 3'b000};
    wire [WW-1:0]         sml_full = {1'b0, sml_al, 3'b000};

    reg  [WW-1:0] sml_w, amask;
    reg           asticky;
    always @* begin
        sml_w   = {WW{1'b0}};
        amask   = {WW{1'b0}};
        asticky = 1'b0;
        if (~|sml_al) begin
            asticky = 1'b0;
        end else if (d >= XWW) begin
            asticky = 1'b1;
        end else begin
            sml_w   = sml_full >> d[SHW-1:0];
            amask   = ~({WW{1'b1}} << d[SHW-1:0]);
            asticky = |(sml_full & amask);
        end
        sml_w[0] = sml_w[0] | asticky;
    end
    assign sum = sub ? big_w - sml_w : big_w + sml_w;

    // ---- normalise the sum and round to MW+1 bits (subnormal: at the fixed lsb EMIN)
    wire signed [XEW-1:0] msb     = XWW - 1 - $signed({{(XEW-SHW){1'b0}}, lzs});
    wire signed [XEW-1:0] wlsb    = big_top - WOFF;
    wire signed [XEW-1:0] res_top = wlsb + msb;
    wire signed [XEW-1:0] e_norm  = (res_top - CTOP > EMIN) ? res_top - CTOP : EMIN;
    wire signed [XEW-1:0] rpos    = e_norm - wlsb;
    /* verilator lint_off UNUSEDSIGNAL */
    wire signed [XEW-1:0] nrpos   = -rpos;      // only its low bits are used as a shift
    /* verilator lint_on UNUSEDSIGNAL */

    reg [MW+1:0]          keep;
    reg [WW-1:0]          rmask, rone;
    /* verilator lint_off UNUSEDSIGNAL */
    reg [WW-1:0]          shifted;              // its top bits are zero by construction
    /* verilator lint_on UNUSEDSIGNAL */
    reg                   rbit, rsticky;
    reg signed [XEW-1:0]  e_lsb, biased;
    always @* begin
        keep    = {(MW+2){1'b0}};
        rmask   = {WW{1'b0}};
        rone    = {WW{1'b0}};
        shifted = {WW{1'b0}};
        rbit    = 1'b0;
        rsticky = 1'b0;
        e_lsb   = e_norm;
        if (rpos <= 0) begin
            shifted = sum << nrpos[SHW-1:0];    // exact: at most MW+1 significant bits
            keep    = shifted[MW+1:0];
        end else if (rpos > XWW) begin
            keep    = {(MW+2){1'b0}};           // far below the smallest subnormal: rounds to 0
        end else begin
            shifted = sum >> rpos[SHW-1:0];
            keep    = shifted[MW+1:0];
            rone    = {{(WW-1){1'b0}}, 1'b1} << (rpos[SHW-1:0] - 1'b1);
            rbit    = |(sum & rone);
            rmask   = rone - 1'b1;
            rsticky = |(sum & rmask);
            keep    = keep + {{(MW+1){1'b0}}, rbit & (rsticky | keep[0])};
        end
        if (keep[MW+1]) begin                   // the rounding carried into the next binade
            keep  = keep >> 1;
            e_lsb = e_lsb + 1;
        end
        biased = keep[MW] ? e_lsb + EBIAS : {XEW{1'b0}};

        if (~|sum)                              // exact zero: -0 only for (-0) + (-0)
            z = {(p_zero & c_zero) ? (p_sign & c_sign) : 1'b0, {(EW+MW){1'b0}}};
        else if (biased > EMAXB)                // overflow
            z = (IEEE != 0) ? {big_sign, {EW{1'b1}}, {MW{1'b0}}}
                            : {big_sign, EMAXB[EW-1:0], {MW{1'b1}}};
        else
            z = {big_sign, biased[EW-1:0], keep[MW-1:0]};
        if (IEEE != 0) begin
            if (p_nan | c_nan | (p_inf & c_inf & (p_sign ^ c_sign)))
                z = {1'b0, {EW{1'b1}}, QNAN_M};
            else if (p_inf)
                z = {p_sign, {EW{1'b1}}, {MW{1'b0}}};
            else if (c_inf)
                z = {c_sign, {EW{1'b1}}, {MW{1'b0}}};
        end
    end
endmodule
`default_nettype wire
