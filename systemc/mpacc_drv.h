// systemc/mpacc_drv.h — host software for the accelerator: put a GEMM's packed operands in memory,
// program the descriptor (mpacc_regs.h), start, wait for the end (irq or STATUS polling), read the
// counters and the outputs. What a driver on a platform's CPU does; the example platform (vp.cpp)
// and the tests use it. docs/systemc.md walks through the same register sequence.
#ifndef MP_SYSTEMC_MPACC_DRV_H
#define MP_SYSTEMC_MPACC_DRV_H

#include <cstdint>

#include <systemc>
#include <tlm>

extern "C" {
#include "models/pack.h"
#include "mpacc_layout.h"
}
#include "sc_host.h"

// Where one GEMM's arrays lie (bus addresses; 0 for an array the matrix does not have).
struct MpGemmAddrs {
    uint64_t w[MPL_ARRAYS], x[MPL_ARRAYS], y;
};

// One GEMM descriptor: Y[m x n] = X[m x k] * W[n x k]^T in mode `mode`.
struct MpGemmDesc {
    uint32_t mode, m, n, k, format, options;
    MpGemmAddrs addr;
};

// What the registers said at the end of a GEMM, and when it started and ended.
struct MpGemmResult {
    tlm::tlm_response_status bus;   // first failing register access, else TLM_OK_RESPONSE
    bool timed_out;                 // no end within the timeout
    uint32_t status, error;         // STATUS, ERROR_CODE
    uint64_t error_addr, cycles, energy_fj, compute_cycles, mem_time_ps, rd_bytes, wr_bytes;
    sc_core::sc_time t_start, t_end; // START written; end seen (irq: exact; polling: to the poll period)
};

// Lay W, X and Y out from base upward (every array 64-byte aligned) and write W and X through h.
// *end: the first byte after Y. Returns the first error response (TLM_OK_RESPONSE if none).
tlm::tlm_response_status mpdrv_put_operands(MpHost &h, uint64_t base, const PackedMat &w, const PackedMat &x,
                                            MpGemmAddrs *a, uint64_t *end);
// The descriptor of Y = X W^T for operands packed as w (N x K) and x (M x K), element types included.
MpGemmDesc mpdrv_desc(uint32_t mode, const PackedMat &w, const PackedMat &x, const MpGemmAddrs &a, uint32_t options);
// Program d at register base regs, START, wait (irq: non-NULL = IRQ_ENABLE and wait on it, then clear
// IRQ_STATUS; NULL = poll STATUS every poll), then read the result registers into *r.
void mpdrv_run(MpHost &h, uint64_t regs, const MpGemmDesc &d, const sc_core::sc_signal_in_if<bool> *irq,
               const sc_core::sc_time &poll, const sc_core::sc_time &timeout, MpGemmResult *r);
// Read count fp32 outputs at y.
tlm::tlm_response_status mpdrv_get_y(MpHost &h, uint64_t y, size_t count, float *out);
// "E_BUS" etc. for an ERROR_CODE.
const char *mpdrv_error_name(uint32_t code);

#endif
