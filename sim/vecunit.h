/* sim/vecunit.h — the vector unit: the work between the GEMMs (traces/vecop.h), timed and counted.
 *
 * The unit has `lanes` fp32 lanes and a double-buffered SRAM of buf_kib ([vector] in the config).
 * A job (one VecRow of the workload) streams its rows through it in chunks of whole rows, each
 * chunk as large as half the buffer holds (at least one row):
 *
 *   load chunk j (one DRAM transfer: every input tensor's elements of those rows)
 *   compute chunk j of n rows: Σ over its rows of row_cycles(w) + scalar + blocks x syncs x sync + depth
 *       row_cycles(w) = Σ_c per_elem[c] x ceil(w / lanes) x ii[c]            (lane issues)
 *       scalar        = ceil(n x blocks / lanes) x Σ_c per_row[c] x ii[c]    (the rows' scalar ops,
 *                                                                             lanes rows at a time)
 *       sync          = ceil(log2 lanes) x latency[reduce] + latency[rcp]    (a tree, then the scalar)
 *       depth         = the largest latency of a class the job uses          (the pipeline drains)
 *   The rows of a chunk interleave: a row's reduction drains while the next row's pass issues, so
 *   only the chunk's last row exposes its reductions' latency (per key block when fused).
 *   store chunk j (one DRAM transfer of its outputs)
 *
 * A row that does not fit half the buffer is streamed once per pass: its inputs are read from DRAM
 * `passes` times.
 *
 * on the accelerator's memory system as one channel of channels x bits_per_cycle (every channel,
 * interleaved: transfers in issue order, latency + ceil(bits / (channels x bits_per_cycle)) each). Double-buffered (the config's [sram] double_buffer): chunk j+1
 * is loaded while chunk j computes (issued when j starts), chunk j's store overlaps j+1's compute,
 * and chunk j+2 starts only once chunk j's store is done (its output half is free). Without double
 * buffering load, compute and store of each chunk follow one another.
 *
 * Tensors are stored in DRAM in the design's formats (VecTensor: the residual stream fp16, layer
 * outputs at out_format, K entries at kv_format, scores at out_format or on chip when fused); the
 * lanes compute in fp32, so an integer input costs one fma per element to dequantize and an
 * integer output one fma to scale and round, plus, for a dynamic per-token scale, a compare per
 * element and one more reduction (sync) per row.
 *
 * Overlap with the PE array (docs/simulator.md, "Vector unit"): none. Every vector row waits for the
 * GEMM that produces its input and the next GEMM waits for it, as in a decoder layer at batch 1
 * every step depends on the one before. The only concurrency is inside one part of a job (DRAM
 * against lanes): the `serial` parts (layers) run apart, each paying its own fill and drain, and
 * the result is one part's times `serial`. The PE array idles (and leaks) meanwhile: pe_total
 * counts its rows x cols PEs over the job's cycles.
 *
 *   FID_FAST:  the recurrence over chunks, jumping whole periods once they repeat (max-plus, as the
 *              GEMM engine's instances) and per-chunk sums in closed form.
 *   FID_CYCLE: ticks the channel and the lanes cycle by cycle, row by row.
 * Both give the same SimResult (tests/test_vecunit.c, randomized).
 */
#ifndef MP_SIM_VECUNIT_H
#define MP_SIM_VECUNIT_H

#include <stdint.h>

#include "base/err.h"
#include "sim/config.h"
#include "sim/engine.h"
#include "traces/workload.h"

/* A vector row resolved against a design: what each element and row costs, in bits and operations. */
typedef struct VecJob {
    int kind;                  /* VecKindId                                                   */
    int64_t rows, width, count;/* rows per instance, elements per row, instances              */
    int64_t serial;            /* the instances run in `serial` parts one after another (the
                                * layers), count / serial together in each                    */
    int causal;                /* row i of an instance holds min(width, width - rows + i + 1)  */
    int64_t blocks;            /* per-row work repeats per key block (fused softmax); else 1   */
    int64_t tile_width;        /* elements of a row resident in the buffer at once: width, or a
                                * key block (fused softmax: the S tile's columns)             */
    int64_t per_elem[VC_COUNT], per_row[VC_COUNT];
    int64_t passes, syncs;
    double in_dram_bits, out_dram_bits; /* per element, all input / output tensors together    */
    double in_sram_bits, out_sram_bits; /* per element in the vector buffer                    */
} VecJob;

/* Resolve row v on config c. fused: scores stay on chip (VT_SCORE costs no DRAM); blocks >= 1;
 * tile: elements of a row resident at once (0: the whole row). */
void vu_job(const ArchConfig *c, const VecRow *v, int fused, int64_t blocks, int64_t tile, VecJob *j);

/* Time and count job j at fidelity fid. r is zeroed first; r->map is left empty. MP_EINPUT for a
 * job beyond the work limits (sim/engine.h: MPSIM_MAX_STEPS counts chunks, MPSIM_MAX_PE_CYCLES
 * the lane-cycles of cycle fidelity). */
int vu_run(const ArchConfig *c, const VecJob *j, Fidelity fid, SimResult *r, MpErr *e) MP_MUST_CHECK;

/* Key blocks of bn keys that the rows of one instance of v see, summed over its rows: rows x
 * ceil(width / bn), or under the causal mask Σ_i ceil((width - rows + i + 1) / bn) (fused attention's
 * rescales: one per visible block of a query row). */
int64_t vu_visible_blocks(const VecRow *v, int64_t bn);

/* Rows of one chunk, and the cycles of one reduction (sync), for reports and the worked example. */
int64_t vu_chunk_rows(const ArchConfig *c, const VecJob *j);
int64_t vu_sync_cycles(const ArchConfig *c);

#endif
