// systemc/sc_host.h — the host side of a platform: an initiator socket, blocking accesses for host
// software, and a thread that runs that software (a std::function given at construction).
//
// Loosely timed: an access issues b_transport transactions of at most burst_bytes with a local time
// offset starting at 0 and then waits the delay the targets annotated, so the host's own time moves
// with its memory traffic and a register write happens at the simulated time it is issued.
#ifndef MP_SYSTEMC_SC_HOST_H
#define MP_SYSTEMC_SC_HOST_H

#include <cstdint>
#include <functional>

#include <systemc>
#include <tlm>
#include <tlm_utils/simple_initiator_socket.h>

class MpHost : public sc_core::sc_module {
public:
    tlm_utils::simple_initiator_socket<MpHost> socket;

    // program runs in an SC_THREAD of this module (64 MiB stack: it may quantize big matrices).
    MpHost(sc_core::sc_module_name name, std::function<void()> program, unsigned burst_bytes = 4096);
    SC_HAS_PROCESS(MpHost);

    // Blocking accesses from the program's thread; the TLM response of the first failing
    // transaction (TLM_OK_RESPONSE when all succeeded).
    tlm::tlm_response_status write(uint64_t addr, const void *src, size_t len);
    tlm::tlm_response_status read(uint64_t addr, void *dst, size_t len);
    tlm::tlm_response_status write32(uint64_t addr, uint32_t v);
    tlm::tlm_response_status write64(uint64_t addr, uint64_t v);
    tlm::tlm_response_status read32(uint64_t addr, uint32_t *v);
    tlm::tlm_response_status read64(uint64_t addr, uint64_t *v);
    // One raw transaction as given (tests of a target's responses): len bytes, streaming width sw
    // (0: len), optional byte enables.
    tlm::tlm_response_status raw(tlm::tlm_command cmd, uint64_t addr, void *data, unsigned len, unsigned sw = 0,
                                 const unsigned char *be = nullptr, unsigned be_len = 0);
    // transport_dbg read: bytes the target delivered.
    unsigned debug_read(uint64_t addr, void *dst, unsigned len);
    // Wait until irq is high (at once if it is), at most timeout; true if it is high.
    bool wait_irq(const sc_core::sc_signal_in_if<bool> &irq, const sc_core::sc_time &timeout);

private:
    void main();
    std::function<void()> program_;
    unsigned burst_;
};

#endif
