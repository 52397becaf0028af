// systemc/sc_platform.h — the example platform: a host, a memory and accelerators on one bus.
//
//     host (MpHost) ----------\                    /---- memory (MpMemory)  [MEM_BASE, + mem_bytes)
//                              >---- MpBus ------<
//     accelerator i, mem -----/                    \---- accelerator i, regs [regs(i), + MPACC_REG_SPAN)
//     accelerator i, irq ---> irq[i] (sc_signal<bool>, the host waits on it)
//
// The constructor is the whole recipe for embedding MpAccel in another platform: bind its target
// socket `regs` where your bus decodes its register window, its initiator socket `mem` to a bus
// that reaches the memory holding the operands, and its `irq` to your interrupt controller.
#ifndef MP_SYSTEMC_SC_PLATFORM_H
#define MP_SYSTEMC_SC_PLATFORM_H

#include <functional>
#include <memory>
#include <vector>

#include <systemc>

#include "mpacc.h"
#include "sc_bus.h"
#include "sc_host.h"
#include "sc_memory.h"

// One accelerator of the platform: its modes and options (backend).
struct MpAccelSpec {
    std::vector<MpMode> modes;
    MpAccelOptions opt;
};

class MpPlatform : public sc_core::sc_module {
public:
    static constexpr uint64_t MEM_BASE = 0;                  // the memory, mem_bytes from here
    static constexpr uint64_t REGS_BASE = 0x100000000ull;    // accelerator i's registers at REGS_BASE + i * REGS_STRIDE
    static constexpr uint64_t REGS_STRIDE = 0x1000;

    MpBus bus;
    MpMemory memory;
    MpHost host;
    std::vector<std::unique_ptr<MpAccel>> accel;
    std::vector<std::unique_ptr<sc_core::sc_signal<bool>>> irq;

    // The memory streams at the DRAM rate of the first accelerator's first mode (its [dram]
    // bits_per_cycle and latency_cycles at its clock: sc_memory.h). program runs on the host; the
    // simulation stops (sc_stop) when it returns.
    MpPlatform(sc_core::sc_module_name name, uint64_t mem_bytes, const std::vector<MpAccelSpec> &accels,
               std::function<void(MpPlatform &)> program);

    uint64_t regs(int i) const { return REGS_BASE + (uint64_t)i * REGS_STRIDE; }
};

#endif
