// systemc/mpacc.cpp — see mpacc.h and docs/systemc.md.
#include "mpacc.h"

#include <algorithm>
#include <cmath>
#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <memory>

extern "C" {
#include "models/golden.h"
#include "dataflow/map.h"
#include "sim/engine.h"
#include "sim/point.h"
#include "mpacc_layout.h"
#include "sc_payload.h"
}

using sc_core::sc_time;

int mpacc_mode_load(const char *arch, const char *set, MpMode *m, MpErr *e)
{
    memset(m, 0, sizeof *m);
    return point_load_arch(arch, set, &m->cfg, &m->tech, e);
}

sc_time mpacc_period(const ArchConfig &c) { return sc_time(1e6 / c.clock_mhz, sc_core::SC_PS); }

// ------------------------------------------------------------------ the register map

// Every register, in offset order (mpacc_regs.h has the table with reset values and meanings).
const MpAccel::Reg MpAccel::kRegs[] = {
    {MPACC_ID, 32, RO},           {MPACC_VERSION, 32, RO},        {MPACC_NMODES, 32, RO},
    {MPACC_BACKEND, 32, RO},      {MPACC_MODE, 32, RW},           {MPACC_MODE_KIND, 32, RO},
    {MPACC_MODE_ARRAY, 32, RO},   {MPACC_MODE_CLOCK_KHZ, 32, RO}, {MPACC_GEMM_M, 32, RW},
    {MPACC_GEMM_N, 32, RW},       {MPACC_GEMM_K, 32, RW},         {MPACC_FORMAT, 32, RW},
    {MPACC_OPTIONS, 32, RW},      {MPACC_W_CODES, 64, RW},        {MPACC_W_SCALES, 64, RW},
    {MPACC_W_ZEROS, 64, RW},      {MPACC_W_META, 64, RW},         {MPACC_X_CODES, 64, RW},
    {MPACC_X_SCALES, 64, RW},     {MPACC_Y_ADDR, 64, RW},         {MPACC_CTRL, 32, WO},
    {MPACC_STATUS, 32, RO},       {MPACC_ERROR_CODE, 32, RO},     {MPACC_IRQ_ENABLE, 32, RW},
    {MPACC_IRQ_STATUS, 32, W1C},  {MPACC_ERROR_ADDR, 64, RO},     {MPACC_CYCLES, 64, RO},
    {MPACC_ENERGY_FJ, 64, RO},    {MPACC_COMPUTE_CYCLES, 64, RO}, {MPACC_MEM_TIME_PS, 64, RO},
    {MPACC_MEM_RD_BYTES, 64, RO}, {MPACC_MEM_WR_BYTES, 64, RO},   {MPACC_TOTAL_CYCLES, 64, RO},
    {MPACC_TOTAL_ENERGY_FJ, 64, RO}, {MPACC_GEMMS, 32, RO},
};

// Descriptor registers: locked while a GEMM runs.
static bool is_descriptor(unsigned off) { return off >= MPACC_MODE && off < MPACC_Y_ADDR + 8; }

// The register holding the word at off (*high: its upper half), or nullptr for a hole.
const MpAccel::Reg *MpAccel::find_reg(unsigned off, bool *high)
{
    for (const Reg &r : kRegs) {
        if (r.off == off) {
            *high = false;
            return &r;
        }
        if (r.width == 64 && r.off + 4 == off) {
            *high = true;
            return &r;
        }
    }
    return nullptr;
}

uint64_t MpAccel::reg_value(unsigned off) const
{
    const MpMode *md = mode_ < modes_.size() ? &modes_[mode_] : nullptr;
    switch (off) {
    case MPACC_ID: return MPACC_ID_VALUE;
    case MPACC_VERSION: return MPACC_VERSION_VALUE;
    case MPACC_NMODES: return modes_.size();
    case MPACC_BACKEND: return opt_.tiles ? MPACC_BACKEND_RTL : MPACC_BACKEND_C;
    case MPACC_MODE: return mode_;
    case MPACC_MODE_KIND:
        return md ? ((uint32_t)md->cfg.pe_kind & 0xff) | ((uint32_t)md->cfg.weight_bits & 0xff) << 8 |
                        ((uint32_t)md->cfg.group_size & 0xffff) << 16
                  : 0;
    case MPACC_MODE_ARRAY: return md ? ((uint32_t)md->cfg.rows & 0xffff) | ((uint32_t)md->cfg.cols & 0xffff) << 16 : 0;
    case MPACC_MODE_CLOCK_KHZ: return md ? (uint64_t)llround(md->cfg.clock_mhz * 1000) : 0;
    case MPACC_GEMM_M: return m_;
    case MPACC_GEMM_N: return n_;
    case MPACC_GEMM_K: return k_;
    case MPACC_FORMAT: return format_;
    case MPACC_OPTIONS: return options_;
    case MPACC_CTRL: return 0;
    case MPACC_STATUS: return status_;
    case MPACC_ERROR_CODE: return error_;
    case MPACC_IRQ_ENABLE: return irq_enable_;
    case MPACC_IRQ_STATUS: return irq_status_;
    case MPACC_ERROR_ADDR: return error_addr_;
    case MPACC_CYCLES: return cycles_;
    case MPACC_ENERGY_FJ: return energy_fj_;
    case MPACC_COMPUTE_CYCLES: return compute_cycles_;
    case MPACC_MEM_TIME_PS: return mem_time_ps_;
    case MPACC_MEM_RD_BYTES: return rd_bytes_;
    case MPACC_MEM_WR_BYTES: return wr_bytes_;
    case MPACC_TOTAL_CYCLES: return total_cycles_;
    case MPACC_TOTAL_ENERGY_FJ: return total_energy_fj_;
    case MPACC_GEMMS: return gemms_;
    default:
        if (off >= MPACC_W_CODES && off <= MPACC_Y_ADDR)
            return addr_[(off - MPACC_W_CODES) / 8];
        return 0;
    }
}

// Writes of RW registers (RO ones never get here); W1C and WO are handled by the caller.
void MpAccel::reg_set(unsigned off, uint64_t v)
{
    switch (off) {
    case MPACC_MODE: mode_ = (uint32_t)v; break;
    case MPACC_GEMM_M: m_ = (uint32_t)v; break;
    case MPACC_GEMM_N: n_ = (uint32_t)v; break;
    case MPACC_GEMM_K: k_ = (uint32_t)v; break;
    case MPACC_FORMAT: format_ = (uint32_t)v; break;
    case MPACC_OPTIONS: options_ = (uint32_t)v; break;
    case MPACC_IRQ_ENABLE: irq_enable_ = (uint32_t)v; break;
    default:
        if (off >= MPACC_W_CODES && off <= MPACC_Y_ADDR)
            addr_[(off - MPACC_W_CODES) / 8] = v;
        break;
    }
}

// One register access: checks everything before changing anything, so a refused access has no
// effect. debug (transport_dbg): reads only, no side effects. Effects (START, irq) happen at the
// initiator's local time, now + delay.
tlm::tlm_response_status MpAccel::access(tlm::tlm_generic_payload &t, bool debug, const sc_time &delay)
{
    const tlm::tlm_command cmd = t.get_command();
    if (cmd == tlm::TLM_IGNORE_COMMAND)
        return tlm::TLM_OK_RESPONSE;
    if (t.get_byte_enable_ptr())
        return tlm::TLM_BYTE_ENABLE_ERROR_RESPONSE;
    const unsigned len = t.get_data_length();
    if ((len != 4 && len != 8) || (!debug && t.get_streaming_width() < len))
        return tlm::TLM_BURST_ERROR_RESPONSE;
    const uint64_t addr = t.get_address();
    if (addr % len || addr >= MPACC_REG_SPAN || addr + len > MPACC_REG_SPAN)
        return tlm::TLM_ADDRESS_ERROR_RESPONSE;
    const Reg *r[2];
    bool high[2];
    const unsigned nw = len / 4;
    for (unsigned w = 0; w < nw; w++)
        if (!(r[w] = find_reg((unsigned)addr + 4 * w, &high[w])))
            return tlm::TLM_ADDRESS_ERROR_RESPONSE;
    unsigned char *d = t.get_data_ptr();
    if (cmd == tlm::TLM_READ_COMMAND) {
        for (unsigned w = 0; w < nw; w++) {
            uint32_t v = (uint32_t)(reg_value(r[w]->off) >> (high[w] ? 32 : 0));
            for (int b = 0; b < 4; b++)
                d[4 * w + b] = (unsigned char)(v >> (8 * b));
        }
        return tlm::TLM_OK_RESPONSE;
    }
    if (debug)
        return tlm::TLM_COMMAND_ERROR_RESPONSE;
    const bool busy = status_ & MPACC_STATUS_BUSY;
    for (unsigned w = 0; w < nw; w++)
        if (r[w]->acc == RO || (busy && (is_descriptor(r[w]->off) || r[w]->off == MPACC_CTRL)))
            return tlm::TLM_COMMAND_ERROR_RESPONSE;
    for (unsigned w = 0; w < nw; w++) {
        uint32_t v = 0;
        for (int b = 0; b < 4; b++)
            v |= (uint32_t)d[4 * w + b] << (8 * b);
        const unsigned off = r[w]->off;
        switch (r[w]->acc) {
        case RW: {
            uint64_t old = reg_value(off);
            uint64_t nv = high[w] ? (old & 0xffffffffull) | (uint64_t)v << 32 : (old & ~0xffffffffull) | v;
            reg_set(off, r[w]->width == 32 ? (uint32_t)nv : nv);
            if (off == MPACC_IRQ_ENABLE)
                irq_ev_.notify(delay);
            break;
        }
        case W1C:
            irq_status_ &= ~v;
            irq_ev_.notify(delay);
            break;
        case WO: /* CTRL */
            if (v & MPACC_CTRL_CLEAR_TOTALS)
                total_cycles_ = total_energy_fj_ = gemms_ = 0;
            if (v & MPACC_CTRL_START) {
                status_ = MPACC_STATUS_BUSY;
                start_ev_.notify(delay);
            }
            break;
        case RO: break;
        }
    }
    return tlm::TLM_OK_RESPONSE;
}

void MpAccel::b_transport(tlm::tlm_generic_payload &t, sc_time &delay)
{
    t.set_dmi_allowed(false); // register accesses take no time of their own: delay is unchanged
    t.set_response_status(access(t, false, delay));
}

unsigned MpAccel::transport_dbg(tlm::tlm_generic_payload &t)
{
    const bool ok = access(t, true, sc_core::SC_ZERO_TIME) == tlm::TLM_OK_RESPONSE;
    return ok && t.get_command() == tlm::TLM_READ_COMMAND ? t.get_data_length() : 0;
}

// ------------------------------------------------------------------ the GEMM

MpAccel::MpAccel(sc_core::sc_module_name name, const std::vector<MpMode> &modes, const MpAccelOptions &opt)
    : sc_core::sc_module(name), regs("regs"), mem("mem"), irq("irq"), modes_(modes), opt_(opt)
{
    if (modes_.empty())
        SC_REPORT_ERROR("mpacc", "an accelerator needs at least one mode");
    if (opt_.burst_bytes < 4)
        opt_.burst_bytes = 4;
    regs.register_b_transport(this, &MpAccel::b_transport);
    regs.register_transport_dbg(this, &MpAccel::transport_dbg);
    SC_THREAD(run);
    // the C library (quantizers, golden, simulator) runs on this thread's stack
    set_stack_size(64 << 20);
    SC_METHOD(irq_update);
    sensitive << irq_ev_;
}

void MpAccel::irq_update() { irq.write((irq_enable_ & irq_status_ & MPACC_IRQ_DONE) != 0); }

int MpAccel::fail(int code, const char *fmt, ...)
{
    char b[1200];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(b, sizeof b, fmt, ap);
    va_end(ap);
    err_msg_ = b;
    return code;
}

// A read or write of len bytes at addr through `mem`, in transactions of at most burst_bytes.
// Annotated delays are summed in MEM_TIME_PS (mpacc.h, "Timing"). false: an error response, whose
// transaction's address is in ERROR_ADDR.
bool MpAccel::mem_xfer(tlm::tlm_command cmd, uint64_t addr, uint8_t *data, size_t len)
{
    tlm::tlm_generic_payload t;
    for (size_t done = 0; done < len;) {
        const unsigned n = (unsigned)std::min<size_t>(opt_.burst_bytes, len - done);
        sc_payload_set(t, cmd, addr + done, data + done, n);
        sc_time d = sc_core::SC_ZERO_TIME;
        mem->b_transport(t, d);
        mem_time_ps_ += (uint64_t)llround(d.to_seconds() * 1e12);
        if (t.is_response_error()) {
            error_addr_ = addr + done;
            return false;
        }
        (cmd == tlm::TLM_READ_COMMAND ? rd_bytes_ : wr_bytes_) += n;
        done += n;
    }
    return true;
}

namespace {
struct Packed { // owns a PackedMat
    PackedMat p;
    Packed() { memset(&p, 0, sizeof p); }
    ~Packed() { pack_free(&p); }
};
struct Quant { // owns a QMat
    QMat q;
    Quant() { memset(&q, 0, sizeof q); }
    ~Quant() { quant_free(&q); }
};
} // namespace

int MpAccel::gemm()
{
    err_msg_.clear();
    error_addr_ = cycles_ = energy_fj_ = compute_cycles_ = mem_time_ps_ = rd_bytes_ = wr_bytes_ = 0;
    MpErr e;
    mp_err_clear(&e);
    // 1. the descriptor
    if (mode_ >= modes_.size())
        return fail(MPACC_E_MODE, "MODE %u: this accelerator has %zu modes", mode_, modes_.size());
    const ArchConfig &c = modes_[mode_].cfg;
    const PeKindId kind = (PeKindId)c.pe_kind;
    const uint64_t M = m_, N = n_, K = k_;
    if (!M || !N || !K || M * K > MPACC_MAX_ELEMS || N * K > MPACC_MAX_ELEMS || M * N > MPACC_MAX_ELEMS)
        return fail(MPACC_E_SHAPE, "GEMM %llux%llux%llu: every dimension must be >= 1 and every operand at most %u elements",
                    (unsigned long long)M, (unsigned long long)N, (unsigned long long)K, MPACC_MAX_ELEMS);
    const int kal = pe_k_align(&c);
    if (K % (uint64_t)kal)
        return fail(MPACC_E_GROUP, "K = %llu is not a multiple of %d (the %s mode's %s)", (unsigned long long)K, kal,
                    pe_kind_names[kind], kal == c.group_size ? "weight group" : "lanes");
    const unsigned wtype = format_ >> MPACC_FORMAT_W_SHIFT & 3, xtype = format_ >> MPACC_FORMAT_X_SHIFT & 3;
    if (format_ & ~(3u << MPACC_FORMAT_W_SHIFT | 3u << MPACC_FORMAT_X_SHIFT))
        return fail(MPACC_E_FORMAT, "FORMAT 0x%x: bits other than [1:0] and [9:8] set", format_);
    QParams wq, xq;
    sim_operand_params(&c, 0, &wq, &xq);
    Packed pw, px;
    int rc = pack_alloc(&wq, (int)N, (int)K, (uint8_t)wtype, &pw.p, &e);
    if (rc == MP_OK)
        rc = pack_alloc(&xq, (int)M, (int)K, (uint8_t)xtype, &px.p, &e);
    if (rc)
        return fail(rc == MP_EINPUT ? MPACC_E_FORMAT : MPACC_E_SIM, "FORMAT 0x%x for %s: %s", format_,
                    pe_kind_names[kind], e.msg);
    struct {
        uint64_t addr;
        PackedMat *p;
        MplArray a;
        const char *reg;
    } arrays[] = {{addr_[0], &pw.p, MPL_CODES, "W_CODES"},  {addr_[1], &pw.p, MPL_SCALES, "W_SCALES"},
                  {addr_[2], &pw.p, MPL_ZEROS, "W_ZEROS"},  {addr_[3], &pw.p, MPL_META, "W_META"},
                  {addr_[4], &px.p, MPL_CODES, "X_CODES"},  {addr_[5], &px.p, MPL_SCALES, "X_SCALES"}};
    const uint64_t yaddr = addr_[6];
    for (auto &a : arrays)
        if (mpl_bytes(a.p, a.a) && a.addr % mpl_align(a.p, a.a)) {
            error_addr_ = a.addr;
            return fail(MPACC_E_ALIGN, "%s = 0x%llx is not %u-byte aligned", a.reg, (unsigned long long)a.addr,
                        mpl_align(a.p, a.a));
        }
    if (yaddr % 4) {
        error_addr_ = yaddr;
        return fail(MPACC_E_ALIGN, "Y_ADDR = 0x%llx is not 4-byte aligned", (unsigned long long)yaddr);
    }
    // 2. the operands, through the initiator socket
    std::vector<uint8_t> buf;
    for (auto &a : arrays) {
        size_t n = mpl_bytes(a.p, a.a);
        if (!n)
            continue;
        buf.resize(n);
        if (!mem_xfer(tlm::TLM_READ_COMMAND, a.addr, buf.data(), n))
            return fail(MPACC_E_BUS, "reading %s (%zu bytes from 0x%llx): error response at 0x%llx", a.reg, n,
                        (unsigned long long)a.addr, (unsigned long long)error_addr_);
        mpl_load(a.p, a.a, buf.data());
    }
    Quant qw, qx;
    if ((rc = unpack_matrix(&pw.p, &qw.q, &e)) || (rc = unpack_matrix(&px.p, &qx.q, &e)))
        return fail(rc == MP_EINPUT ? MPACC_E_DATA : MPACC_E_SIM, "operands: %s", e.msg);
    // 3. values and timing
    const SimGemm sg = {(int64_t)M, (int64_t)N, (int64_t)K, 0, 1, 0, 0, 0, 0, 0, 0}; // every field: C++17 has no designators
    SimResult fast;
    if ((rc = sim_gemm(&c, &sg, FID_FAST, NULL, NULL, &fast, &e)))
        return fail(MPACC_E_SIM, "simulator: %s", e.msg);
    std::vector<float> y((size_t)(M * N)), yg;
    const sc_time period = mpacc_period(c);
    SimEvents ev = fast.ev;
    int64_t rtl_cycles = -1;
    if (opt_.tiles) {
        std::string why;
        if (!opt_.tiles->supports(c, &why))
            return fail(MPACC_E_BACKEND, "RTL backend: %s", why.c_str());
        // the RTL backend runs one SRAM block: the mapping forced to Bm = M, Bn = N, Bk = K (the
        // orientation and loop order free), timed by the simulator for that same mapping
        const MapForce one = {(int64_t)M, (int64_t)N, (int64_t)K, -1, -1};
        MpErr fe = {};
        if (sim_gemm(&c, &sg, FID_FAST, &one, NULL, &fast, &fe))
            return fail(MPACC_E_BACKEND, "RTL backend: the GEMM must fit the SRAM buffers as one block: %s", fe.msg);
        if (fast.map.steps != 1)
            return fail(MPACC_E_BACKEND, "RTL backend: %llux%llux%llu forced to one block maps to %lld steps",
                        (unsigned long long)M, (unsigned long long)N, (unsigned long long)K, (long long)fast.map.steps);
        ev = fast.ev;
        // the step's tiles in the C engine's order (sim/engine.c tile_next, OS: token-edge tiles
        // outer, channel-edge tiles inner) and the mapper's orientation (trans: channels on the rows)
        MapProblem mp;
        sim_map_problem(&c, &sg, &mp);
        const int64_t em = map_m_unit(&mp, fast.map.trans), en = map_n_unit(&mp, fast.map.trans);
        MpTileJob job = {&c, pe_timing(&c), {}, &pw.p, &px.p, y.data(), (int64_t)N};
        for (int64_t m0 = 0; m0 < (int64_t)M; m0 += em)
            for (int64_t n0 = 0; n0 < (int64_t)N; n0 += en)
                job.tiles.push_back({m0, n0, 0, (int)std::min<int64_t>(em, (int64_t)M - m0),
                                     (int)std::min<int64_t>(en, (int64_t)N - n0), (int)K, 1, 1, fast.map.trans});
        if ((int64_t)job.tiles.size() != fast.tiles)
            return fail(MPACC_E_SIM, "RTL backend: %zu tiles, the simulator ran %lld", job.tiles.size(),
                        (long long)fast.tiles);
        // the step's operand loads (and everything else outside the array's busy time) as the
        // simulator times them, then the tiles on the RTL: one step's compute is one busy window
        const int64_t stall = fast.ev.cycles - fast.ev.compute_cycles;
        wait(sc_time::from_value(period.value() * (uint64_t)stall));
        rtl_cycles = opt_.tiles->run_tiles(job, &why);
        if (rtl_cycles < 0)
            return fail(MPACC_E_RTL, "RTL array: %s", why.c_str());
        ev.cycles = stall + rtl_cycles;
        ev.compute_cycles = rtl_cycles;
    } else if (options_ & MPACC_OPT_CYCLE) {
        std::vector<GoldenAcc> ps((size_t)(M * N));
        for (auto &a : ps)
            golden_acc_reset(&a);
        ArrayData d = {&qw.q, &qx.q, ps.data(), y.data()};
        SimResult cyc;
        if ((rc = sim_gemm(&c, &sg, FID_CYCLE, NULL, &d, &cyc, &e)))
            return fail(rc == MP_ECHECK ? MPACC_E_CHECK : MPACC_E_SIM, "simulator (cycle fidelity): %s", e.msg);
        if (memcmp(&cyc.ev, &fast.ev, sizeof ev))
            return fail(MPACC_E_CHECK, "cycle fidelity (%lld cycles) and fast fidelity (%lld cycles) disagree",
                        (long long)cyc.ev.cycles, (long long)fast.ev.cycles);
        yg.resize(y.size());
        if ((rc = golden_gemm_hw(kind, &qw.q, &qx.q, yg.data(), &e)))
            return fail(MPACC_E_SIM, "golden: %s", e.msg);
        for (size_t i = 0; i < y.size(); i++)
            if (memcmp(&y[i], &yg[i], 4))
                return fail(MPACC_E_CHECK, "cycle fidelity output (%zu, %zu) = %a, golden %a", i / N, i % N,
                            (double)y[i], (double)yg[i]);
    } else if ((rc = golden_gemm_hw(kind, &qw.q, &qx.q, y.data(), &e))) {
        return fail(MPACC_E_SIM, "golden: %s", e.msg);
    }
    EnergyBreakdown en;
    if ((rc = energy_compute(&modes_[mode_].tech, &c, &fast.ev, &en, &e)))
        return fail(MPACC_E_SIM, "energy: %s", e.msg);
    // 4. time, outputs, counters
    if (!opt_.tiles)
        wait(sc_time::from_value(period.value() * (uint64_t)ev.cycles));
    buf.resize(y.size() * 4);
    for (size_t i = 0; i < y.size(); i++) {
        uint32_t u;
        memcpy(&u, &y[i], 4);
        for (int b = 0; b < 4; b++)
            buf[4 * i + b] = (uint8_t)(u >> (8 * b));
    }
    if (!mem_xfer(tlm::TLM_WRITE_COMMAND, yaddr, buf.data(), buf.size()))
        return fail(MPACC_E_BUS, "writing Y (%zu bytes to 0x%llx): error response at 0x%llx", buf.size(),
                    (unsigned long long)yaddr, (unsigned long long)error_addr_);
    cycles_ = (uint64_t)ev.cycles;
    compute_cycles_ = (uint64_t)ev.compute_cycles;
    energy_fj_ = (uint64_t)llround(en.total * 1000);
    total_cycles_ += cycles_;
    total_energy_fj_ += energy_fj_;
    gemms_++;
    return MPACC_E_NONE;
}

void MpAccel::run()
{
    for (;;) {
        wait(start_ev_);
        const int code = gemm();
        error_ = (uint32_t)code;
        status_ = code ? MPACC_STATUS_ERROR : MPACC_STATUS_DONE;
        irq_status_ |= MPACC_IRQ_DONE;
        irq_ev_.notify(sc_core::SC_ZERO_TIME);
    }
}
