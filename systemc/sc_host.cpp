// systemc/sc_host.cpp — see sc_host.h.
#include "sc_host.h"

#include <algorithm>

#include "sc_payload.h"

MpHost::MpHost(sc_core::sc_module_name name, std::function<void()> program, unsigned burst_bytes)
    : sc_core::sc_module(name), socket("socket"), program_(std::move(program)), burst_(burst_bytes ? burst_bytes : 4)
{
    SC_THREAD(main);
    set_stack_size(64 << 20);
}

void MpHost::main()
{
    if (program_)
        program_();
}

tlm::tlm_response_status MpHost::raw(tlm::tlm_command cmd, uint64_t addr, void *data, unsigned len, unsigned sw,
                                     const unsigned char *be, unsigned be_len)
{
    tlm::tlm_generic_payload t;
    t.set_command(cmd);
    t.set_address(addr);
    t.set_data_ptr(static_cast<unsigned char *>(data));
    t.set_data_length(len);
    t.set_streaming_width(sw ? sw : len);
    t.set_byte_enable_ptr(const_cast<unsigned char *>(be));
    t.set_byte_enable_length(be ? be_len : 0);
    t.set_dmi_allowed(false);
    t.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
    sc_core::sc_time d = sc_core::SC_ZERO_TIME;
    socket->b_transport(t, d);
    wait(d);
    return t.get_response_status();
}

static tlm::tlm_response_status xfer(tlm_utils::simple_initiator_socket<MpHost> &s, unsigned burst,
                                     tlm::tlm_command cmd, uint64_t addr, unsigned char *p, size_t len,
                                     sc_core::sc_time *d)
{
    tlm::tlm_generic_payload t;
    for (size_t done = 0; done < len;) {
        const unsigned n = (unsigned)std::min<size_t>(burst, len - done);
        sc_payload_set(t, cmd, addr + done, p + done, n);
        s->b_transport(t, *d);
        if (t.is_response_error())
            return t.get_response_status();
        done += n;
    }
    return tlm::TLM_OK_RESPONSE;
}

tlm::tlm_response_status MpHost::write(uint64_t addr, const void *src, size_t len)
{
    sc_core::sc_time d = sc_core::SC_ZERO_TIME;
    tlm::tlm_response_status r =
        xfer(socket, burst_, tlm::TLM_WRITE_COMMAND, addr, (unsigned char *)const_cast<void *>(src), len, &d);
    wait(d);
    return r;
}

tlm::tlm_response_status MpHost::read(uint64_t addr, void *dst, size_t len)
{
    sc_core::sc_time d = sc_core::SC_ZERO_TIME;
    tlm::tlm_response_status r = xfer(socket, burst_, tlm::TLM_READ_COMMAND, addr, (unsigned char *)dst, len, &d);
    wait(d);
    return r;
}

// Registers are little-endian (systemc/mpacc_regs.h): bytes built explicitly.
tlm::tlm_response_status MpHost::write32(uint64_t addr, uint32_t v)
{
    unsigned char b[4];
    for (int i = 0; i < 4; i++)
        b[i] = (unsigned char)(v >> (8 * i));
    return raw(tlm::TLM_WRITE_COMMAND, addr, b, 4);
}

tlm::tlm_response_status MpHost::write64(uint64_t addr, uint64_t v)
{
    unsigned char b[8];
    for (int i = 0; i < 8; i++)
        b[i] = (unsigned char)(v >> (8 * i));
    return raw(tlm::TLM_WRITE_COMMAND, addr, b, 8);
}

tlm::tlm_response_status MpHost::read32(uint64_t addr, uint32_t *v)
{
    unsigned char b[4] = {0, 0, 0, 0};
    tlm::tlm_response_status r = raw(tlm::TLM_READ_COMMAND, addr, b, 4);
    *v = 0;
    for (int i = 0; i < 4; i++)
        *v |= (uint32_t)b[i] << (8 * i);
    return r;
}

tlm::tlm_response_status MpHost::read64(uint64_t addr, uint64_t *v)
{
    unsigned char b[8] = {0, 0, 0, 0, 0, 0, 0, 0};
    tlm::tlm_response_status r = raw(tlm::TLM_READ_COMMAND, addr, b, 8);
    *v = 0;
    for (int i = 0; i < 8; i++)
        *v |= (uint64_t)b[i] << (8 * i);
    return r;
}

unsigned MpHost::debug_read(uint64_t addr, void *dst, unsigned len)
{
    tlm::tlm_generic_payload t;
    t.set_command(tlm::TLM_READ_COMMAND);
    t.set_address(addr);
    t.set_data_ptr(static_cast<unsigned char *>(dst));
    t.set_data_length(len);
    t.set_streaming_width(len);
    return socket->transport_dbg(t);
}

bool MpHost::wait_irq(const sc_core::sc_signal_in_if<bool> &irq, const sc_core::sc_time &timeout)
{
    if (irq.read())
        return true;
    wait(timeout, irq.posedge_event());
    return irq.read();
}
