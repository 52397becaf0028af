/* sim/events.h — what a simulated GEMM counts. Every byte that moves and every operation with an
 * energy cost is an event; energy = events x the technology table (sim/energy.h).
 *
 * Fast and cycle fidelity produce identical SimEvents for the same GEMM and config (tested).
 */
#ifndef MP_SIM_EVENTS_H
#define MP_SIM_EVENTS_H

#include <stdint.h>

#include "traces/vecop.h"

enum { BUF_W, BUF_X, BUF_Y, BUF_V, BUF_COUNT }; /* weight, activation (input), output, vector unit buffers */

typedef struct SimEvents {
    int64_t cycles;          /* accelerator cycles from start to the last output in DRAM      */
    int64_t compute_cycles;  /* cycles the PE array was running a tile (fill/drain included)   */
    int64_t stall_cycles;    /* cycles the array waited for data (cycles - compute, at most)   */
    int64_t macs;            /* multiply-accumulates of the GEMM (M*N*K)                        */
    int64_t pe_busy;         /* PE-cycles spent on MAC steps (sum over PEs)                    */
    int64_t pe_total;        /* rows*cols*cycles: busy + idle PE-cycles (leakage, idle energy)  */
    int64_t mac_capacity;    /* pe_total x the GEMM's peak MACs per PE-cycle (utilization = macs / this) */
    int64_t sram_read_bits[BUF_COUNT];
    int64_t sram_write_bits[BUF_COUNT];
    int64_t dram_read_bits;  /* weights + activations (+ partial sums read back)               */
    int64_t dram_write_bits; /* outputs (+ partial sums spilled)                               */
    int64_t decoder_ops;     /* OliVe/ANT edge decodes (one per element entering the array)     */
    int64_t dequant_ops;     /* per-group (MixPE, BitMoD) or per-weight (w4a16-dq) dequants     */
    int64_t xsum_ops;        /* MixPE: in-group activation sums (shared across columns)         */
    int64_t rescale_ops;     /* fp32 multiplies of the output finish (scales applied per output) */
    int64_t requant_ops;     /* elements scaled and rounded into (or scaled out of) an integer
                              * operand format on the DMA path                                  */
    int64_t requant_max_ops; /* compares of the max reduction of dynamic (per-token) scales     */
    int64_t ovp_ops;         /* elements through OliVe's outlier-victim pair encoder            */
    int64_t round_ops;       /* fp32 -> fp16 roundings of stored outputs                        */
    int64_t vec_ops[VC_COUNT]; /* vector unit operations by class (sim/vecunit.h)               */
    int64_t vec_busy;        /* cycles the vector unit was computing                            */
} SimEvents;

void sim_events_add(SimEvents *into, const SimEvents *e, int64_t times);

#endif
