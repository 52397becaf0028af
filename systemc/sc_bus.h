// systemc/sc_bus.h — an address decoder joining initiators (host, accelerators) to targets (memory,
// accelerator registers): the smallest interconnect a TLM-2.0 platform needs.
//
// Targets are attached with a base address and a size; ranges must not overlap. A transaction is
// sent to the target whose range holds all of [address, address + length), with the address made
// local (address - base) and restored on return; one that no range holds wholly gets
// TLM_ADDRESS_ERROR_RESPONSE. The bus adds no delay. transport_dbg and DMI are forwarded (DMI
// ranges translated back to bus addresses and clipped to the target's range; invalidations are
// passed on to every initiator).
#ifndef MP_SYSTEMC_SC_BUS_H
#define MP_SYSTEMC_SC_BUS_H

#include <cstdint>
#include <vector>

#include <systemc>
#include <tlm>
#include <tlm_utils/multi_passthrough_initiator_socket.h>
#include <tlm_utils/multi_passthrough_target_socket.h>

class MpBus : public sc_core::sc_module {
public:
    tlm_utils::multi_passthrough_target_socket<MpBus> tsock;    // bind any number of initiators
    tlm_utils::multi_passthrough_initiator_socket<MpBus> isock; // targets, through attach()

    explicit MpBus(sc_core::sc_module_name name);
    // Bind target socket t at [base, base + size) (before the simulation starts).
    template <class S> void attach(S &t, uint64_t base, uint64_t size)
    {
        isock.bind(t);
        add_range(base, size);
    }

private:
    struct Range {
        uint64_t base, size;
    };
    void add_range(uint64_t base, uint64_t size);
    int decode(uint64_t addr, uint64_t len) const; // target index or -1
    void b_transport(int id, tlm::tlm_generic_payload &t, sc_core::sc_time &delay);
    unsigned transport_dbg(int id, tlm::tlm_generic_payload &t);
    bool get_direct_mem_ptr(int id, tlm::tlm_generic_payload &t, tlm::tlm_dmi &dmi);
    void invalidate_direct_mem_ptr(int id, sc_dt::uint64 start, sc_dt::uint64 end);

    std::vector<Range> ranges_; // index = isock binding order
};

#endif
