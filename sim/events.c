/* sim/events.c — see events.h. */
#include "sim/events.h"

void sim_events_add(SimEvents *into, const SimEvents *e, int64_t t)
{
    into->cycles += e->cycles * t;
    into->compute_cycles += e->compute_cycles * t;
    into->stall_cycles += e->stall_cycles * t;
    into->macs += e->macs * t;
    into->pe_busy += e->pe_busy * t;
    into->pe_total += e->pe_total * t;
    into->mac_capacity += e->mac_capacity * t;
    for (int b = 0; b < BUF_COUNT; b++) {
        into->sram_read_bits[b] += e->sram_read_bits[b] * t;
        into->sram_write_bits[b] += e->sram_write_bits[b] * t;
    }
    into->dram_read_bits += e->dram_read_bits * t;
    into->dram_write_bits += e->dram_write_bits * t;
    into->decoder_ops += e->decoder_ops * t;
    into->dequant_ops += e->dequant_ops * t;
    into->xsum_ops += e->xsum_ops * t;
    into->rescale_ops += e->rescale_ops * t;
    into->requant_ops += e->requant_ops * t;
    into->requant_max_ops += e->requant_max_ops * t;
    into->ovp_ops += e->ovp_ops * t;
    into->round_ops += e->round_ops * t;
    for (int c = 0; c < VC_COUNT; c++)
        into->vec_ops[c] += e->vec_ops[c] * t;
    into->vec_busy += e->vec_busy * t;
}
