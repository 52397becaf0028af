/* sim/techscale.c — the technology scaling table. See techscale.h; the derivation of every number is
 * in docs/energy.md, "Technology scaling", and tests/test_techscale.c recomputes it.
 *
 * Stillmaker & Baas (Integration 2017) give, per node from 180 to 7 nm, an area factor table and
 * polynomial fits in Vdd of delay (cubic), energy per operation (quadratic) and power (quadratic).
 * We evaluate the fits of the high-performance (HP) models at each node's nominal Vdd (32 and 20 nm
 * 0.9 V, 16 nm 0.85 V, 10 nm 0.75 V, 7 nm 0.7 V), take 28 nm as the geometric interpolation between
 * 32 and 20 nm (weight 4/12 toward 20 nm: 28 nm is not in their tables) and divide every node by it.
 * 5 and 4 nm are beyond every source: each factor continues the 10 -> 7 nm trend geometrically,
 * f(n) = f(7) x (f(7) / f(10))^((7 - n) / 3). */
#include "sim/techscale.h"

#include <stddef.h>
#include <stdio.h>

#define SB "Stillmaker & Baas 2017 (HP fits at nominal Vdd) / interpolated 28 nm"

/* sram_area: TSMC's published high-density 6T bitcells over 28 nm's 0.127 um2 (the cell of the 28 nm
 * table's [sram] area_um2_per_kib): 16 nm 0.070 um2 (16FinFET, IEDM 2013), 7 nm 0.027 um2 (N7, IEDM
 * 2016), 5 nm 0.021 um2 (N5, IEDM 2019); N4 keeps N5's cell. The array efficiency is taken unchanged. */
const TechScaleRow techscale_rows[] = {
    {28, 1, 1, 1, 1, 1, 0, "reference node: the 28 nm technology table itself (identity)"},
    {16, 0.5311, 0.3985, 0.5072, 0.7342, 0.070 / 0.127, 0, SB},
    {7, 0.1684, 0.1376, 0.1745, 0.3718, 0.027 / 0.127, 0, SB},
    {5, 0.1186, 0.1065, 0.1356, 0.3319, 0.021 / 0.127, 1,
     "extrapolation: the 10 -> 7 nm trend of Stillmaker & Baas continued"},
    {4, 0.0995, 0.0937, 0.1195, 0.3135, 0.021 / 0.127, 1,
     "extrapolation: the 10 -> 7 nm trend of Stillmaker & Baas continued"},
};
const int techscale_nrows = (int)(sizeof techscale_rows / sizeof techscale_rows[0]);

void techscale_node_list(char *buf, size_t cap)
{
    size_t n = 0;
    buf[0] = '\0';
    for (int i = 0; i < techscale_nrows && n < cap; i++)
        n += (size_t)snprintf(buf + n, cap - n, "%s%d", i ? ", " : "", techscale_rows[i].node_nm);
}

const TechScaleRow *techscale_find(int node_nm)
{
    for (int i = 0; i < techscale_nrows; i++)
        if (techscale_rows[i].node_nm == node_nm)
            return &techscale_rows[i];
    return NULL;
}

int techscale_between(int from_nm, int to_nm, TechScaleRow *out)
{
    *out = techscale_rows[0];
    out->node_nm = to_nm;
    if (from_nm == to_nm)
        return 0;
    const TechScaleRow *f = techscale_find(from_nm), *t = techscale_find(to_nm);
    if (!f || !t)
        return -1;
    out->area = t->area / f->area;
    out->energy = t->energy / f->energy;
    out->leak = t->leak / f->leak;
    out->delay = t->delay / f->delay;
    out->sram_area = t->sram_area / f->sram_area;
    out->extrapolated = t->extrapolated || f->extrapolated;
    out->source = t->source;
    return 0;
}
