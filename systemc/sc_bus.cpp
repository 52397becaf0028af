// systemc/sc_bus.cpp — see sc_bus.h.
#include "sc_bus.h"

MpBus::MpBus(sc_core::sc_module_name name) : sc_core::sc_module(name), tsock("tsock"), isock("isock")
{
    tsock.register_b_transport(this, &MpBus::b_transport);
    tsock.register_transport_dbg(this, &MpBus::transport_dbg);
    tsock.register_get_direct_mem_ptr(this, &MpBus::get_direct_mem_ptr);
    isock.register_invalidate_direct_mem_ptr(this, &MpBus::invalidate_direct_mem_ptr);
}

void MpBus::add_range(uint64_t base, uint64_t size)
{
    for (const Range &r : ranges_)
        if (base < r.base + r.size && r.base < base + size)
            SC_REPORT_ERROR("mpbus", "attach: address ranges overlap");
    ranges_.push_back(Range{base, size});
}

int MpBus::decode(uint64_t addr, uint64_t len) const
{
    for (size_t i = 0; i < ranges_.size(); i++)
        if (addr >= ranges_[i].base && addr - ranges_[i].base < ranges_[i].size &&
            len <= ranges_[i].size - (addr - ranges_[i].base))
            return (int)i;
    return -1;
}

void MpBus::b_transport(int id, tlm::tlm_generic_payload &t, sc_core::sc_time &delay)
{
    (void)id;
    const uint64_t addr = t.get_address();
    const int i = decode(addr, t.get_data_length() ? t.get_data_length() : 1);
    if (i < 0) {
        t.set_response_status(tlm::TLM_ADDRESS_ERROR_RESPONSE);
        return;
    }
    t.set_address(addr - ranges_[i].base);
    isock[i]->b_transport(t, delay);
    t.set_address(addr);
}

unsigned MpBus::transport_dbg(int id, tlm::tlm_generic_payload &t)
{
    (void)id;
    const uint64_t addr = t.get_address();
    const int i = decode(addr, t.get_data_length() ? t.get_data_length() : 1);
    if (i < 0)
        return 0;
    t.set_address(addr - ranges_[i].base);
    unsigned n = isock[i]->transport_dbg(t);
    t.set_address(addr);
    return n;
}

bool MpBus::get_direct_mem_ptr(int id, tlm::tlm_generic_payload &t, tlm::tlm_dmi &dmi)
{
    (void)id;
    const uint64_t addr = t.get_address();
    const int i = decode(addr, 1);
    if (i < 0)
        return false;
    const Range &r = ranges_[i];
    t.set_address(addr - r.base);
    bool ok = isock[i]->get_direct_mem_ptr(t, dmi);
    t.set_address(addr);
    // back to bus addresses, clipped to the target's range (the pointer moves with the start)
    uint64_t s = dmi.get_start_address(), e = dmi.get_end_address();
    if (s >= r.size) {
        dmi.set_start_address(r.base);
        dmi.set_end_address(r.base);
        return false;
    }
    if (e >= r.size)
        e = r.size - 1;
    dmi.set_start_address(r.base + s);
    dmi.set_end_address(r.base + e);
    return ok;
}

void MpBus::invalidate_direct_mem_ptr(int id, sc_dt::uint64 start, sc_dt::uint64 end)
{
    const Range &r = ranges_[id];
    const uint64_t s = r.base + start, e = end >= r.size ? r.base + r.size - 1 : r.base + end;
    for (unsigned i = 0; i < tsock.size(); i++)
        tsock[i]->invalidate_direct_mem_ptr(s, e);
}
