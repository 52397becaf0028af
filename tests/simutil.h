/* tests/simutil.h — a small random accelerator config for the engine's randomized tests (header-only,
 * static). Needs <cmocka.h> and testutil.h before it. */
#ifndef MP_TESTS_SIMUTIL_H
#define MP_TESTS_SIMUTIL_H

#include "models/pekind.h"
#include "sim/config.h"

/* Config defaults, then kind `kind` with a random variant (narrowest first: BitMoD 3 + below(2)
 * bits), a random array up to 8 x 8, dataflow `df` (-1: drawn after the array), groups of 4..32,
 * small buffers so that blocking, residency and K blocks all occur, random banks, ports, double
 * buffering and DRAM. The draws are in this order, whatever the caller. */
static inline ArchConfig tu_small_config(PeKindId kind, int df, MpRng *r)
{
    ArchConfig c;
    MpErr e = {0};
    if (ini_schema_defaults(arch_schema, arch_schema_len, &c, &e))
        fail_msg("%s", e.msg);
    c.pe_kind = kind;
    const int nv = pe_kind_nvariants(kind);
    c.weight_bits = pe_kinds[kind].var[nv > 1 ? nv - 1 - (int)mp_rng_below(r, (uint64_t)nv) : 0].weight_bits;
    c.rows = 1 + (int)mp_rng_below(r, 8);
    c.cols = 1 + (int)mp_rng_below(r, 8);
    c.dataflow = df >= 0 ? df : (int)mp_rng_below(r, 2);
    c.group_size = 4 * (1 + (int)mp_rng_below(r, 8)); /* 4..32 */
    c.sram_weight_kib = 1 + (int)mp_rng_below(r, 4);
    c.sram_act_kib = 1 + (int)mp_rng_below(r, 4);
    c.sram_out_kib = 1 + (int)mp_rng_below(r, 4);
    c.sram_banks = 1 + (int)mp_rng_below(r, 4);
    c.sram_port_bits = 8 << mp_rng_below(r, 6);
    c.double_buffer = (int)mp_rng_below(r, 2);
    c.dram_bits_per_cycle = 8 << mp_rng_below(r, 6);
    c.dram_latency_cycles = (int)mp_rng_below(r, 20);
    return c;
}

#endif
