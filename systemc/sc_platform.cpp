// systemc/sc_platform.cpp — see sc_platform.h.
#include "sc_platform.h"

static const ArchConfig &first_cfg(const std::vector<MpAccelSpec> &a)
{
    if (a.empty() || a[0].modes.empty())
        SC_REPORT_ERROR("mpplatform", "a platform needs an accelerator with a mode");
    return a[0].modes[0].cfg;
}

MpPlatform::MpPlatform(sc_core::sc_module_name name, uint64_t mem_bytes, const std::vector<MpAccelSpec> &accels,
                       std::function<void(MpPlatform &)> program)
    : sc_core::sc_module(name), bus("bus"),
      memory("memory", mem_bytes, mpacc_period(first_cfg(accels)), (unsigned)first_cfg(accels).dram_latency_cycles,
             (unsigned)(first_cfg(accels).dram_bits_per_cycle / 8 > 0 ? first_cfg(accels).dram_bits_per_cycle / 8 : 1)),
      host("host", [this, program] {
          program(*this);
          sc_core::sc_stop(); // the RTL's clock would run on forever
      })
{
    // sc_stop() at the end of the host program is the normal end: no "stopped by user" line
    sc_core::sc_report_handler::set_actions("/OSCI/SystemC", sc_core::SC_INFO, sc_core::SC_DO_NOTHING);
    host.socket.bind(bus.tsock);                   // the host is an initiator on the bus
    bus.attach(memory.socket, MEM_BASE, mem_bytes); // the memory is a target
    for (size_t i = 0; i < accels.size(); i++) {
        char nm[32];
        snprintf(nm, sizeof nm, "accel%zu", i);
        accel.emplace_back(new MpAccel(nm, accels[i].modes, accels[i].opt));
        snprintf(nm, sizeof nm, "irq%zu", i);
        irq.emplace_back(new sc_core::sc_signal<bool>(nm));
        MpAccel &a = *accel.back();
        bus.attach(a.regs, regs((int)i), MPACC_REG_SPAN); // its registers: a target on the bus
        a.mem.bind(bus.tsock);                            // its operand port: an initiator on the bus
        a.irq.bind(*irq.back());                          // its interrupt line
    }
}
