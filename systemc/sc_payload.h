// systemc/sc_payload.h — one plain TLM-2.0 data transfer: the payload fields every burst of the
// platform's initiators (the accelerator's DMA, the host) sets the same way.
#ifndef MP_SC_PAYLOAD_H
#define MP_SC_PAYLOAD_H

#include <cstdint>

#include <tlm>

// A read or write of n bytes at addr from/to data: streaming width n (no wrap), no byte enables,
// no DMI hint, response INCOMPLETE until a target answers.
inline void sc_payload_set(tlm::tlm_generic_payload &t, tlm::tlm_command cmd, uint64_t addr, unsigned char *data,
                           unsigned n)
{
    t.set_command(cmd);
    t.set_address(addr);
    t.set_data_ptr(data);
    t.set_data_length(n);
    t.set_streaming_width(n);
    t.set_byte_enable_ptr(nullptr);
    t.set_byte_enable_length(0);
    t.set_dmi_allowed(false);
    t.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
}

#endif
