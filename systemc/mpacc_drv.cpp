// systemc/mpacc_drv.cpp — see mpacc_drv.h.
#include "mpacc_drv.h"

#include <cstring>
#include <vector>

#include "mpacc_regs.h"

static uint64_t up64(uint64_t a) { return (a + 63) & ~(uint64_t)63; }

tlm::tlm_response_status mpdrv_put_operands(MpHost &h, uint64_t base, const PackedMat &w, const PackedMat &x,
                                            MpGemmAddrs *a, uint64_t *end)
{
    memset(a, 0, sizeof *a);
    uint64_t p = up64(base);
    std::vector<uint8_t> buf;
    const PackedMat *mats[2] = {&w, &x};
    for (int side = 0; side < 2; side++)
        for (int i = 0; i < MPL_ARRAYS; i++) {
            const size_t n = mpl_bytes(mats[side], (MplArray)i);
            if (!n)
                continue;
            buf.resize(n);
            mpl_store(mats[side], (MplArray)i, buf.data());
            (side ? a->x : a->w)[i] = p;
            tlm::tlm_response_status r = h.write(p, buf.data(), n);
            if (r != tlm::TLM_OK_RESPONSE)
                return r;
            p = up64(p + n);
        }
    a->y = p;
    *end = p + (uint64_t)x.rows * (uint64_t)w.rows * 4;
    return tlm::TLM_OK_RESPONSE;
}

MpGemmDesc mpdrv_desc(uint32_t mode, const PackedMat &w, const PackedMat &x, const MpGemmAddrs &a, uint32_t options)
{
    MpGemmDesc d;
    d.mode = mode;
    d.m = (uint32_t)x.rows;
    d.n = (uint32_t)w.rows;
    d.k = (uint32_t)w.cols;
    d.format = (uint32_t)w.type << MPACC_FORMAT_W_SHIFT | (uint32_t)x.type << MPACC_FORMAT_X_SHIFT;
    d.options = options;
    d.addr = a;
    return d;
}

void mpdrv_run(MpHost &h, uint64_t regs, const MpGemmDesc &d, const sc_core::sc_signal_in_if<bool> *irq,
               const sc_core::sc_time &poll, const sc_core::sc_time &timeout, MpGemmResult *r)
{
    r->bus = tlm::TLM_OK_RESPONSE;
    r->timed_out = false;
    r->status = r->error = 0;
    r->error_addr = r->cycles = r->energy_fj = r->compute_cycles = r->mem_time_ps = r->rd_bytes = r->wr_bytes = 0;
    auto chk = [r](tlm::tlm_response_status s) {
        if (s != tlm::TLM_OK_RESPONSE && r->bus == tlm::TLM_OK_RESPONSE)
            r->bus = s;
    };
    // 1. the descriptor
    chk(h.write32(regs + MPACC_MODE, d.mode));
    chk(h.write32(regs + MPACC_GEMM_M, d.m));
    chk(h.write32(regs + MPACC_GEMM_N, d.n));
    chk(h.write32(regs + MPACC_GEMM_K, d.k));
    chk(h.write32(regs + MPACC_FORMAT, d.format));
    chk(h.write32(regs + MPACC_OPTIONS, d.options));
    const uint64_t w_regs[MPL_ARRAYS] = {MPACC_W_CODES, MPACC_W_SCALES, MPACC_W_ZEROS, MPACC_W_META};
    for (int i = 0; i < MPL_ARRAYS; i++)
        chk(h.write64(regs + w_regs[i], d.addr.w[i]));
    chk(h.write64(regs + MPACC_X_CODES, d.addr.x[MPL_CODES]));
    chk(h.write64(regs + MPACC_X_SCALES, d.addr.x[MPL_SCALES]));
    chk(h.write64(regs + MPACC_Y_ADDR, d.addr.y));
    // 2. interrupt or polling, then START
    chk(h.write32(regs + MPACC_IRQ_STATUS, MPACC_IRQ_DONE)); // no stale interrupt
    chk(h.write32(regs + MPACC_IRQ_ENABLE, irq ? MPACC_IRQ_DONE : 0));
    if (r->bus != tlm::TLM_OK_RESPONSE)
        return;
    r->t_start = sc_core::sc_time_stamp();
    chk(h.write32(regs + MPACC_CTRL, MPACC_CTRL_START));
    // 3. the end
    const sc_core::sc_time deadline = r->t_start + timeout;
    if (irq) {
        r->timed_out = !h.wait_irq(*irq, timeout);
    } else {
        for (;;) {
            uint32_t st = MPACC_STATUS_BUSY;
            chk(h.read32(regs + MPACC_STATUS, &st));
            if (!(st & MPACC_STATUS_BUSY) || r->bus != tlm::TLM_OK_RESPONSE)
                break;
            if (sc_core::sc_time_stamp() >= deadline) {
                r->timed_out = true;
                break;
            }
            sc_core::wait(poll);
        }
    }
    r->t_end = sc_core::sc_time_stamp();
    // 4. results
    chk(h.read32(regs + MPACC_STATUS, &r->status));
    chk(h.read32(regs + MPACC_ERROR_CODE, &r->error));
    chk(h.read64(regs + MPACC_ERROR_ADDR, &r->error_addr));
    chk(h.read64(regs + MPACC_CYCLES, &r->cycles));
    chk(h.read64(regs + MPACC_ENERGY_FJ, &r->energy_fj));
    chk(h.read64(regs + MPACC_COMPUTE_CYCLES, &r->compute_cycles));
    chk(h.read64(regs + MPACC_MEM_TIME_PS, &r->mem_time_ps));
    chk(h.read64(regs + MPACC_MEM_RD_BYTES, &r->rd_bytes));
    chk(h.read64(regs + MPACC_MEM_WR_BYTES, &r->wr_bytes));
    if (irq)
        chk(h.write32(regs + MPACC_IRQ_STATUS, MPACC_IRQ_DONE));
}

tlm::tlm_response_status mpdrv_get_y(MpHost &h, uint64_t y, size_t count, float *out)
{
    std::vector<uint8_t> b(count * 4);
    tlm::tlm_response_status r = h.read(y, b.data(), b.size());
    for (size_t i = 0; i < count; i++) {
        uint32_t u = (uint32_t)b[4 * i] | (uint32_t)b[4 * i + 1] << 8 | (uint32_t)b[4 * i + 2] << 16 |
                     (uint32_t)b[4 * i + 3] << 24;
        memcpy(&out[i], &u, 4);
    }
    return r;
}

const char *mpdrv_error_name(uint32_t code)
{
    static const char *const n[] = {"none",   "E_MODE", "E_SHAPE", "E_GROUP", "E_FORMAT", "E_ALIGN",
                                    "E_BUS",  "E_DATA", "E_BACKEND", "E_RTL", "E_CHECK", "E_SIM"};
    return code < sizeof n / sizeof n[0] ? n[code] : "E_?";
}
