#!/usr/bin/env bash
# rtl/synth/synth.sh OUTDIR — Yosys synthesis of every PE kind and edge unit to generic gates
# (make synth; docs/area.md). Per unit:
#   synth -top UNIT; dfflegalize (plain DFFs, enables and sync resets as logic);
#   abc -g AND,NAND,OR,NOR,XOR,XNOR,MUX; stat
# and a transistor estimate from the cell counts with static-CMOS weights
#   NOT 2, NAND2/NOR2 4, AND2/OR2 6, XOR2/XNOR2/MUX2 12, DFF 24, DFF with async reset 28.
# Writes OUTDIR/<unit>.log, OUTDIR/<unit>.stat and OUTDIR/area.txt (one line per unit).
# SYNTH_ONLY=REGEX (extended, anchored) synthesizes only the units whose names match it.
set -euo pipefail
out=${1:-build/synth}
jobs=${SYNTH_JOBS:-2}
mkdir -p "$out"
cd "$(dirname "$0")/../.."
FP="rtl/fp/fp_unpack.v rtl/fp/fp_lzc.v rtl/fp/fp_round_add.v rtl/fp/fp_fma.v rtl/fp/fp16_fixed24.v"
PE="$(ls rtl/pe/*.v | tr '\n' ' ')"
EDGE="$(ls rtl/edge/*.v | tr '\n' ' ') rtl/mp_pipe.v"

# unit name | top module | chparam settings | what it is
units=$(cat <<'U'
pe_fp16|pe_fp16||fp16 PE: fp16 x fp16 product, fp32 accumulate (one rounding)
pe_int8|pe_int8||int8 PE: 8x8 multiply, 32-bit accumulate
pe_w4a16_dq|pe_fp16||w4a16-dq PE (the fp16 PE on dequantized weights)
pe_mixpe_w4a8|pe_mixpe||MixPE W4A8 PE: shift-add, in-group sum, fp32 FMA per group
pe_mixpe_w4a8_bs|pe_mixpe|-set SERIAL 1|MixPE W4A8 bit-serial PE
pe_mixpe_w4a16|pe_mixpe|-set A16 1 -set XW 65|MixPE W4A16 PE: exponent-shift, 52-bit in-group sum, FMA per group
pe_bitmod|pe_bitmod||BitMoD PE: 4 lanes, {6,15} accumulator, bit-serial dequantizer
pe_olive|pe_expint||OliVe PE: <e,i> shift-multiply, 32-bit accumulate
pe_ant|pe_expint||ANT PE: the same <e,i> MAC
pe_olive_w4a16|pe_fp16||olive-w4a16 / ant-w4a16 PE (the fp16 PE on weights decoded to fp16 at the edge)
edge_olive_dec|mp_edge|-set KIND 7 -set FW 9 -set OW 7|OliVe edge decoder (pair byte -> <e,i>) + register, one per row and column
edge_ant_dec|mp_edge|-set KIND 8 -set FW 4 -set OW 7|ANT edge decoder + register, one per row and column
edge_w4a16_dq|mp_edge|-set KIND 2 -set COLUMN 1 -set FW 24 -set OW 16|w4a16-dq weight dequantizer (fp16 multiply, RNE) + register, one per column
edge_w4a16_xreg|mp_edge|-set KIND 2 -set FW 16 -set OW 16|w4a16-dq activation register matching the dequantizer, one per row
edge_olive_w4a16_wdec|mp_edge|-set KIND 9 -set COLUMN 1 -set FW 9 -set OW 16|olive-w4a16 weight decoder (pair byte -> <e,i> -> fp16) + register, one per column (rows: as edge_w4a16_xreg)
edge_ant_w4a16_wdec|mp_edge|-set KIND 10 -set COLUMN 1 -set FW 4 -set OW 16|ant-w4a16 weight decoder (code -> <e,i> -> fp16) + register, one per column (rows: as edge_w4a16_xreg)
edge_mixpe_w4a8_xsum|mp_edge|-set KIND 3 -set FW 8 -set OW 23|MixPE W4A8 activation group sum, one per row
edge_mixpe_w4a16_xsum|mp_edge|-set KIND 5 -set FW 16 -set OW 65|MixPE W4A16 activation group sum (x * 2^24), one per row
edge_bitmod_dec|mp_edge|-set KIND 6 -set COLUMN 1 -set FW 33 -set OW 54|BitMoD weight decoders (4 codes -> terms), one per column
out_int|mp_out_fin|-set KIND 1|int8/OliVe/ANT output: int32 -> fp32, two fp32 multiplies, one per column
out_mixpe_w4a8|mp_out_fin|-set KIND 3|MixPE W4A8 output: one fp32 multiply, one per column
out_w4a16_sw|mp_out_fin|-set KIND 9|olive-w4a16 / ant-w4a16 output: one fp32 multiply (weight scale), one per column
part_fp32_fma|fp_fma||part: the fp32 FMA (fp_fma.v; MixPE dequant, output multiplies)
part_fp32_add|fp_round_add|-set PW 22 -set PEW 8|part: exact 22-bit product + fp32, rounded (the fp16 PE's accumulate)
part_bitmod_lanes|bitmod_lanes||part: BitMoD's four lanes (align, truncate, 17-bit sum)
part_bitmod_acc|fp_round_add|-set EW 6 -set MW 15 -set IEEE 0 -set PW 16 -set PEW 8|part: BitMoD's {6,15} accumulator add
part_bitmod_deq|fp_round_add|-set PW 27 -set PEW 9|part: BitMoD's dequant rounding (27-bit product + fp32)
part_mixpe_group8|mixpe_group|-set PW 12 -set SXW 15|part: MixPE W4A8 in-group sum + dequant (int -> fp32, FMA)
U
)
if [ -n "${SYNTH_ONLY:-}" ]; then
    units=$(echo "$units" | grep -E "^(${SYNTH_ONLY})\|") || { echo "synth: SYNTH_ONLY=$SYNTH_ONLY matches no unit"; exit 2; }
fi

run_one() {
    local name=$1 top=$2 params=$3
    local ys="$out/$name.ys"
    {
        echo "read_verilog -sv -Irtl $FP $PE $EDGE"
        [ -n "$params" ] && echo "chparam $params $top"
        echo "synth -top $top -flatten"
        echo "dfflegalize -cell \$_DFF_P_ 01 -cell \$_DFF_PN0_ 01"
        echo "abc -g AND,NAND,OR,NOR,XOR,XNOR,MUX"
        echo "opt_clean"
        echo "tee -q -o $out/$name.stat stat"
    } > "$ys"
    yosys -q -l "$out/$name.log" -s "$ys" > /dev/null 2>&1 || { echo "synth: $name FAILED (see $out/$name.log)"; return 1; }
}
export -f run_one
export out FP PE EDGE

start=$(date +%s)
echo "$units" | while IFS='|' read -r name top params desc; do printf '%s\0%s\0%s\0' "$name" "$top" "$params"; done |
    xargs -0 -n 3 -P "$jobs" bash -c 'run_one "$0" "$1" "$2"'

# cell counts -> one line per unit
{
    printf '%-24s %8s %8s %8s %8s %8s %8s %8s %8s %8s %8s %10s\n' unit cells NOT NAND NOR AND OR XOR+XNOR MUX DFF DFF-R transistors
    echo "$units" | while IFS='|' read -r name top params desc; do
        f="$out/$name.stat"
        c() { awk -v k="$1" '$1 == k { print $2 }' "$f" | head -1; }
        n() { local v; v=$(c "$1"); echo "${v:-0}"; }
        cells=$(awk '/Number of cells:/ { print $4 }' "$f" | tail -1)
        NOT=$(n '$_NOT_'); NAND=$(n '$_NAND_'); NOR=$(n '$_NOR_'); AND=$(n '$_AND_'); OR=$(n '$_OR_')
        XOR=$(( $(n '$_XOR_') + $(n '$_XNOR_') )); MUX=$(n '$_MUX_'); DFF=$(n '$_DFF_P_'); DFFR=$(n '$_DFF_PN0_')
        tr=$(( 2*NOT + 4*(NAND+NOR) + 6*(AND+OR) + 12*(XOR+MUX) + 24*DFF + 28*DFFR ))
        printf '%-24s %8s %8s %8s %8s %8s %8s %8s %8s %8s %8s %10s\n' "$name" "$cells" "$NOT" "$NAND" "$NOR" "$AND" "$OR" "$XOR" "$MUX" "$DFF" "$DFFR" "$tr"
    done
} > "$out/area.txt"
cat "$out/area.txt"
echo "synth: $(echo "$units" | wc -l) units in $(( $(date +%s) - start )) s; per-unit logs and stats in $out/"
