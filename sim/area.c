/* sim/area.c — see area.h. */
#include "sim/area.h"

#include <string.h>

#include "models/pekind.h"

#define UM2_TO_MM2 1e-6

double area_pe_array_mm2(const TechTable *t, int kind, int rows, int cols)
{
    if (kind < 0 || kind >= PE_KIND_COUNT)
        return 0;
    return (double)rows * cols * t->pe[kind].area_um2 * UM2_TO_MM2;
}

void area_edge_units(int kind, int rows, int cols, int orientation, int *decoders, int *dequant_units,
                     int *xsum_units)
{
    /* the edge units follow the kind's timing row (the rest of its hardware is inside the PE
     * figure): decoders on the edges of the coded operands; one weight dequantizer per lane of the weight edge and one
     * activation-sum adder per lane of the activation edge — the columns and rows with tokens on
     * the rows (mxn), the rows and columns with channels on the rows (nxm), both edges when the
     * array supports both orientations (auto) */
    const PeTiming *t = kind >= 0 && kind < PE_KIND_COUNT ? &pe_kinds[kind].timing : NULL;
    const int wedge = orientation == ORIENT_MXN ? cols : orientation == ORIENT_NXM ? rows : rows + cols;
    const int xedge = orientation == ORIENT_MXN ? rows : orientation == ORIENT_NXM ? cols : rows + cols;
    /* a decoder turns either operand's codes into PE operands: one per lane of each edge that
     * carries decoded codes (both edges when both operands are coded) */
    const int dec = t ? t->edge_decoders : 0;
    *decoders = dec == (PE_DEC_W | PE_DEC_X) ? rows + cols : dec == PE_DEC_W ? wedge : dec == PE_DEC_X ? xedge : 0;
    *dequant_units = t && t->weight_dequant ? wedge : 0;
    *xsum_units = t && t->xsum ? xedge : 0;
}

int area_compute(const TechTable *t, const ArchConfig *c, AreaBreakdown *out, MpErr *e)
{
    memset(out, 0, sizeof *out);
    if (c->pe_kind < 0 || c->pe_kind >= PE_KIND_COUNT)
        return mp_errf(e, MP_EINPUT, "%s: pe_kind %d has no row in technology table %s", c->name, c->pe_kind,
                       t->name);
    TechScaleRow f;
    int rc = energy_node_factors(t, c, &f, e);
    if (rc)
        return rc;
    const double ka = f.area * UM2_TO_MM2; /* logic µm² of the table at the config's node, in mm² */
    int dec, deq, xs;
    area_edge_units(c->pe_kind, c->rows, c->cols, c->orientation, &dec, &deq, &xs);
    /* every core has its array, its edge units and its weight, activation and output buffers; the
     * one vector unit (lanes and buffer) serves them all (sim/cores.h) */
    const double cores = c->cores > 1 ? c->cores : 1;
    out->pe_mm2 = cores * area_pe_array_mm2(t, c->pe_kind, c->rows, c->cols) * f.area;
    out->decoder_mm2 = cores * dec * t->decoder_area_um2 * ka;
    out->dequant_mm2 = cores * deq * t->dequant_unit_area_um2 * ka;
    out->xsum_mm2 = cores * xs * t->xsum_area_um2 * ka;
    out->sram_mm2 = (cores * ((double)c->sram_weight_kib + c->sram_act_kib + c->sram_out_kib) + c->vec_buf_kib) *
                    t->sram_area_um2_per_kib * f.sram_area * UM2_TO_MM2;
    out->vector_mm2 = (double)c->vec_lanes * t->vec_area_um2_per_lane * ka;
    out->total_mm2 =
        out->pe_mm2 + out->decoder_mm2 + out->dequant_mm2 + out->xsum_mm2 + out->sram_mm2 + out->vector_mm2;
    return MP_OK;
}

void area_print(FILE *f, const AreaBreakdown *a)
{
    static const ShareCol col = {"mm2", 12, 4, 1.0};
    const SharePart parts[] = {
        {"PE array", a->pe_mm2},
        {"edge decoders", a->decoder_mm2},
        {"edge dequantizers", a->dequant_mm2},
        {"activation-sum adders", a->xsum_mm2},
        {"SRAM", a->sram_mm2},
        {"vector unit", a->vector_mm2},
        {"total", a->total_mm2},
    };
    energy_print_shares(f, "area", &col, 1, parts, (int)(sizeof parts / sizeof parts[0]), a->total_mm2);
}
