// systemc/sc_memory.cpp — see sc_memory.h.
#include "sc_memory.h"

#include <algorithm>
#include <cstring>

MpMemory::MpMemory(sc_core::sc_module_name name, uint64_t size, sc_core::sc_time period, unsigned latency_cycles,
                   unsigned bytes_per_cycle)
    : sc_core::sc_module(name), socket("socket"), mem_(size, 0), period_(period), latency_(latency_cycles),
      bytes_per_cycle_(bytes_per_cycle ? bytes_per_cycle : 1)
{
    socket.register_b_transport(this, &MpMemory::b_transport);
    socket.register_transport_dbg(this, &MpMemory::transport_dbg);
    socket.register_get_direct_mem_ptr(this, &MpMemory::get_direct_mem_ptr);
}

void MpMemory::b_transport(tlm::tlm_generic_payload &t, sc_core::sc_time &delay)
{
    const uint64_t addr = t.get_address();
    const unsigned len = t.get_data_length();
    if (t.get_command() == tlm::TLM_IGNORE_COMMAND) {
        t.set_response_status(tlm::TLM_OK_RESPONSE);
        return;
    }
    if (addr >= mem_.size() || len > mem_.size() - addr) {
        t.set_response_status(tlm::TLM_ADDRESS_ERROR_RESPONSE);
        return;
    }
    if (t.get_streaming_width() < len) {
        t.set_response_status(tlm::TLM_BURST_ERROR_RESPONSE);
        return;
    }
    const unsigned char *be = t.get_byte_enable_ptr();
    const unsigned bel = t.get_byte_enable_length();
    if (be && bel == 0) {
        t.set_response_status(tlm::TLM_BYTE_ENABLE_ERROR_RESPONSE);
        return;
    }
    unsigned char *d = t.get_data_ptr();
    uint8_t *m = &mem_[addr];
    const bool rd = t.get_command() == tlm::TLM_READ_COMMAND;
    if (!be)
        rd ? memcpy(d, m, len) : memcpy(m, d, len);
    else
        for (unsigned i = 0; i < len; i++)
            if (be[i % bel] == TLM_BYTE_ENABLED) {
                if (rd)
                    d[i] = m[i];
                else
                    m[i] = d[i];
            }
    const uint64_t cycles = (addr == next_addr_ ? 0 : latency_) + (len + bytes_per_cycle_ - 1) / bytes_per_cycle_;
    delay += sc_core::sc_time::from_value(period_.value() * cycles);
    next_addr_ = addr + len;
    t.set_dmi_allowed(true);
    t.set_response_status(tlm::TLM_OK_RESPONSE);
}

unsigned MpMemory::transport_dbg(tlm::tlm_generic_payload &t)
{
    const uint64_t addr = t.get_address();
    if (addr >= mem_.size())
        return 0;
    const unsigned len = (unsigned)std::min<uint64_t>(t.get_data_length(), mem_.size() - addr);
    if (t.get_command() == tlm::TLM_READ_COMMAND)
        memcpy(t.get_data_ptr(), &mem_[addr], len);
    else if (t.get_command() == tlm::TLM_WRITE_COMMAND)
        memcpy(&mem_[addr], t.get_data_ptr(), len);
    else
        return 0;
    return len;
}

bool MpMemory::get_direct_mem_ptr(tlm::tlm_generic_payload &t, tlm::tlm_dmi &dmi)
{
    (void)t;
    dmi.allow_read_write();
    dmi.set_dmi_ptr(mem_.data());
    dmi.set_start_address(0);
    dmi.set_end_address(mem_.size() - 1);
    dmi.set_read_latency(period_ * (double)latency_);
    dmi.set_write_latency(period_ * (double)latency_);
    return true;
}
