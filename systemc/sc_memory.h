// systemc/sc_memory.h — a byte-addressed memory as a TLM-2.0 target: the example platform's DRAM.
//
// Loosely timed: b_transport adds to the initiator's delay
//     (the transaction continues the previous one's address stream ? 0 : latency)
//   + ceil(bytes / bytes_per_cycle)                                               cycles of `period`,
// a streaming memory that pays its latency once per stream of consecutive addresses (as the
// simulator's DRAM channel pays it once per transfer, docs/simulator.md §4). Reads and writes, byte
// enables supported; streaming width below the length is not (TLM_BURST_ERROR_RESPONSE); an access
// outside [0, size) is TLM_ADDRESS_ERROR_RESPONSE. DMI: the whole memory, read and write, with the
// latency as DMI latency. transport_dbg: reads and writes without time.
#ifndef MP_SYSTEMC_SC_MEMORY_H
#define MP_SYSTEMC_SC_MEMORY_H

#include <cstdint>
#include <vector>

#include <systemc>
#include <tlm>
#include <tlm_utils/simple_target_socket.h>

class MpMemory : public sc_core::sc_module {
public:
    tlm_utils::simple_target_socket<MpMemory> socket;

    // size in bytes (zero-filled); period of one cycle; latency in cycles per stream; bytes per cycle >= 1.
    MpMemory(sc_core::sc_module_name name, uint64_t size, sc_core::sc_time period, unsigned latency_cycles,
             unsigned bytes_per_cycle);

    uint64_t size() const { return mem_.size(); }
    uint8_t *data() { return mem_.data(); } // backdoor (no time): for loaders and checks

private:
    void b_transport(tlm::tlm_generic_payload &t, sc_core::sc_time &delay);
    unsigned transport_dbg(tlm::tlm_generic_payload &t);
    bool get_direct_mem_ptr(tlm::tlm_generic_payload &t, tlm::tlm_dmi &dmi);

    std::vector<uint8_t> mem_;
    sc_core::sc_time period_;
    unsigned latency_, bytes_per_cycle_;
    uint64_t next_addr_ = UINT64_MAX; // where the previous transaction ended: a stream continues there
};

#endif
