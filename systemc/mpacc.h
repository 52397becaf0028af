// systemc/mpacc.h — the accelerator as a SystemC TLM-2.0 module, wrapping the C simulator.
//
//              regs (target)  +-----------------+  mem (initiator)
//   host/bus ---------------->|     MpAccel     |-----------------> bus/memory
//                             |  C model or RTL |
//                     irq <---+-----------------+
//
// Host software programs a GEMM descriptor in the register map of mpacc_regs.h (shapes, mode,
// element types, the addresses of the packed operands of mpacc_layout.h and of the fp32 outputs)
// and writes CTRL.START. The model then
//   1. checks the descriptor (a bad one ends the GEMM at once with STATUS.ERROR and ERROR_CODE);
//   2. reads every operand array through `mem` with b_transport, in transactions of at most
//      burst_bytes; an error response ends the GEMM with MPACC_E_BUS;
//   3. computes, on those bytes (unpack_matrix of models/pack.h):
//        C model, OPTIONS.CYCLE = 0: values = golden_gemm_hw (the hardware-exact datapath), timing =
//          sim_gemm at fast fidelity — the function `mpsim run` uses, so CYCLES equals the cycles
//          `mpsim run` reports for the same GEMM and config;
//        C model, OPTIONS.CYCLE = 1: sim_gemm at cycle fidelity on the data (every output computed
//          by the cycle-level array), checked against golden_gemm_hw and against fast fidelity's
//          cycles and events (a difference is MPACC_E_CHECK);
//        RTL backend (an MpTileEngine, systemc/rtl_tile.h): the mapping is forced to one SRAM block
//          (Bm = M, Bn = N, Bk = K; orientation and loop order the mapper's choice) and that block's
//          tiles run back to back on the Verilated RTL, clocked in SystemC; the DRAM transfers
//          around them take the C model's cycles for that mapping (see "Timing" below); a GEMM that
//          does not fit the buffers as one block is E_BACKEND;
//   4. lets simulated time pass (see "Timing"), writes Y through `mem`, sets the counters, STATUS.DONE
//      and IRQ_STATUS, and drives irq = IRQ_ENABLE & IRQ_STATUS.
//
// Timing. The simulator is the timing authority: a GEMM started at t0 ends (STATUS.DONE, irq) at
// t0 + CYCLES x period, period = 1 / clock_mhz of the mode (rounded to the SystemC time resolution).
// The delays the memory system annotates on the model's transactions are summed in MEM_TIME_PS but not
// waited on: the simulator's DRAM channel (the mode's [dram] keys) already timed those bytes, and
// waiting on both would count them twice. A platform whose memory is slower than the config assumes
// shows MEM_TIME_PS above CYCLES x period. RTL backend: the C model's non-compute cycles (the DRAM
// transfers, CYCLES - COMPUTE_CYCLES of sim_gemm for the one-block mapping) pass first, then the RTL
// array runs the block's tiles back to back on its own clock;
// CYCLES = those cycles + the RTL's; waiting for the RTL clock's edges adds less than two periods.
// Energy is always the C model's (energy_compute over the GEMM's events, sim/energy.h).
#ifndef MP_SYSTEMC_MPACC_H
#define MP_SYSTEMC_MPACC_H

#include <cstdint>
#include <string>
#include <vector>

#include <systemc>
#include <tlm>
#include <tlm_utils/simple_initiator_socket.h>
#include <tlm_utils/simple_target_socket.h>

extern "C" {
#include "base/err.h"
#include "models/pack.h"
#include "sim/config.h"
#include "sim/energy.h"
#include "sim/petime.h"
}
#include "mpacc_regs.h"

// One configuration the accelerator can run a GEMM in; register MODE picks one per GEMM.
struct MpMode {
    ArchConfig cfg;
    TechTable tech;
};

// A preset name or .ini path, "section.key=value,..." overrides (set may be NULL) and the config's
// energy table — what `mpsim run --arch A --set S` loads (sim/point.h point_load_arch).
int mpacc_mode_load(const char *arch, const char *set, MpMode *m, MpErr *e);

// The period of a mode's clock, rounded to the SystemC time resolution.
sc_core::sc_time mpacc_period(const ArchConfig &c);

// The output-stationary tiles of a GEMM mapped to one SRAM block, handed to an MpTileEngine: the
// tiles of that one step in the C engine's order (sim/engine.c tile_next: token-edge tiles outer,
// channel-edge tiles inner), every one over the whole K (first_k = last_k = 1), run back to back.
struct MpTileJob {
    const ArchConfig *cfg;    // the mode
    PeTiming pt;              // pe_timing(cfg)
    std::vector<Tile> tiles;
    const PackedMat *pw, *px; // the operands as read from memory (W: N x K, X: M x K)
    float *y;                 // receives the M x N outputs, row-major (row stride n)
    int64_t n;                // N
};

// A tile engine in place of the C model: the RTL array (systemc/rtl_tile.h).
class MpTileEngine {
public:
    virtual ~MpTileEngine() {}
    // Can it run tiles of config c? (kind, array size, dataflow, clock). If not, the reason in *why.
    virtual bool supports(const ArchConfig &c, std::string *why) const = 0;
    // Run the job's tiles back to back, blocking the calling SC_THREAD for as long as the hardware
    // takes. Returns the cycles (clock edges from the one that samples the first start to the one
    // that raises the last done), or -1 with the reason in *why (no done in time, an output left
    // not exactly once).
    virtual int64_t run_tiles(const MpTileJob &job, std::string *why) = 0;
};

struct MpAccelOptions {
    unsigned burst_bytes = 256;        // largest memory transaction, bytes (>= 4)
    MpTileEngine *tiles = nullptr;     // nullptr: the C model; else this engine (BACKEND = RTL)
};

class MpAccel : public sc_core::sc_module {
public:
    tlm_utils::simple_target_socket<MpAccel> regs; // the register map, MPACC_REG_SPAN bytes
    tlm_utils::simple_initiator_socket<MpAccel> mem; // operand reads, output writes
    sc_core::sc_out<bool> irq;                     // IRQ_ENABLE[0] & IRQ_STATUS[0]

    // modes: at least one; each config is used as given (validated by config_load).
    MpAccel(sc_core::sc_module_name name, const std::vector<MpMode> &modes, const MpAccelOptions &opt);
    SC_HAS_PROCESS(MpAccel);

    // The message of the last error (ERROR_CODE says which kind); empty after a good GEMM.
    const std::string &last_error() const { return err_msg_; }

private:
    enum Access { RO, RW, WO, W1C };
    struct Reg {
        unsigned off, width; // byte offset; 32 or 64 bits
        Access acc;
    };
    static const Reg kRegs[];
    static const Reg *find_reg(unsigned off, bool *high);
    uint64_t reg_value(unsigned off) const;
    void reg_set(unsigned off, uint64_t v);
    tlm::tlm_response_status access(tlm::tlm_generic_payload &t, bool debug, const sc_core::sc_time &delay);
    void b_transport(tlm::tlm_generic_payload &t, sc_core::sc_time &delay);
    unsigned transport_dbg(tlm::tlm_generic_payload &t);
    void run();         // SC_THREAD: one GEMM per START
    void irq_update();  // SC_METHOD: the only writer of irq
    int gemm();         // one GEMM; returns an MPACC_E_* code
    int fail(int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
    bool mem_xfer(tlm::tlm_command cmd, uint64_t addr, uint8_t *data, size_t len);

    std::vector<MpMode> modes_;
    MpAccelOptions opt_;
    sc_core::sc_event start_ev_, irq_ev_;
    std::string err_msg_;
    // registers (mpacc_regs.h)
    uint32_t mode_ = 0, m_ = 0, n_ = 0, k_ = 0, format_ = 0, options_ = 0;
    uint64_t addr_[7] = {0, 0, 0, 0, 0, 0, 0}; // W_CODES .. Y_ADDR, in register order
    uint32_t status_ = 0, error_ = 0, irq_enable_ = 0, irq_status_ = 0, gemms_ = 0;
    uint64_t error_addr_ = 0, cycles_ = 0, energy_fj_ = 0, compute_cycles_ = 0, mem_time_ps_ = 0;
    uint64_t rd_bytes_ = 0, wr_bytes_ = 0, total_cycles_ = 0, total_energy_fj_ = 0;
};

#endif
