// rtl/pe/pe_ports.vh — the common PE port list: every PE module's port list is this file
//   module pe_<x> #(parameter integer XW = .., parameter integer WW = .. [, ...]) (
//   `include "pe/pe_ports.vh"
//   );
// and rtl/mp_array.sv connects every kind's PE to it the same way. XW / WW: the operand bundles of
// the kind as they travel through the PEs (rtl/mp_kinds.vh kind_xw / kind_ww).
//   clr       tile start: clear the accumulator and any group state
//   xv, x     the activation operand at this PE this cycle (x moves right)
//   wv, w     the weight operand (w moves down); xv = wv in every cycle (mp_array asserts it)
//   ld        load the accumulator with ld_val (the partial sum of an earlier K block)
//   res       the accumulator as 32 bits (int32 for the integer kinds, fp32 bits otherwise): the
//             value that leaves the array
//   busy      a step is still in the PE's pipeline (the array's RUN phase ends when none is)
// clr / ld / res are rtl/pe/acc_reg.v in every PE here.
    input  wire          clk,
    input  wire          rst_n,
    input  wire          clr,
    input  wire          xv,
    input  wire [XW-1:0] x,
    input  wire          wv,
    input  wire [WW-1:0] w,
    input  wire          ld,
    input  wire [31:0]   ld_val,
    output wire [31:0]   res,
    output wire          busy
