// systemc/test_regs.cpp — the accelerator's TLM-2.0 target against its documented register map
// (mpacc_regs.h, docs/systemc.md): reset values, access rules and error responses, the busy lock,
// the interrupt, every descriptor error code (the model must report them, never crash), and good
// GEMMs at both fidelities (outputs = golden_gemm_hw, CYCLES = sim_gemm, time = CYCLES x period).
// One platform (sc_platform.h) with one C-model accelerator of three 4x4 modes: int8, OliVe,
// MixPE-W4A8. Ends with "sc-regs: N passed, N failed".
#include <cinttypes>
#include <cstring>
#include <string>
#include <vector>

#include <systemc>

extern "C" {
#include "sim/engine.h"
#include "sim/energy.h"
}
#include "mpacc_drv.h"
#include "sc_case.h"
#include "sc_check.h"
#include "sc_platform.h"

using sc_core::sc_time;
using sc_core::sc_time_stamp;

namespace {

MpChecks check;
const char *const MODES[] = {"iso/int8", "iso/olive", "iso/mixpe-w4a8"};
enum { M_INT8, M_OLIVE, M_MIXPE, NMODES };
const uint64_t MEM = 4 << 20; // bytes of memory

const char *resp(tlm::tlm_response_status s)
{
    switch (s) {
    case tlm::TLM_OK_RESPONSE: return "OK";
    case tlm::TLM_ADDRESS_ERROR_RESPONSE: return "ADDRESS_ERROR";
    case tlm::TLM_COMMAND_ERROR_RESPONSE: return "COMMAND_ERROR";
    case tlm::TLM_BURST_ERROR_RESPONSE: return "BURST_ERROR";
    case tlm::TLM_BYTE_ENABLE_ERROR_RESPONSE: return "BYTE_ENABLE_ERROR";
    case tlm::TLM_GENERIC_ERROR_RESPONSE: return "GENERIC_ERROR";
    default: return "INCOMPLETE";
    }
}

struct Env {
    MpPlatform &p;
    const std::vector<MpMode> &modes;
    uint64_t R; // register base
    uint32_t rd32(unsigned off)
    {
        uint32_t v = 0xdeadbeef;
        p.host.read32(R + off, &v);
        return v;
    }
    uint64_t rd64(unsigned off)
    {
        uint64_t v = 0xdeadbeef;
        p.host.read64(R + off, &v);
        return v;
    }
};

// Reset values: every register of the table in mpacc_regs.h, the irq line low.
void reset_values(Env &v)
{
    const ArchConfig &c0 = v.modes[0].cfg;
    const struct {
        unsigned off;
        int w;
        uint64_t want;
    } regs[] = {
        {MPACC_ID, 32, 0x4341504d},
        {MPACC_VERSION, 32, 0x00010000},
        {MPACC_NMODES, 32, NMODES},
        {MPACC_BACKEND, 32, 0},
        {MPACC_MODE, 32, 0},
        {MPACC_MODE_KIND, 32, (uint64_t)(PE_INT8 | 8 << 8 | c0.group_size << 16)},
        {MPACC_MODE_ARRAY, 32, 4 | 4 << 16},
        {MPACC_MODE_CLOCK_KHZ, 32, 1000000},
        {MPACC_GEMM_M, 32, 0}, {MPACC_GEMM_N, 32, 0}, {MPACC_GEMM_K, 32, 0}, {MPACC_FORMAT, 32, 0},
        {MPACC_OPTIONS, 32, 0}, {MPACC_W_CODES, 64, 0}, {MPACC_W_SCALES, 64, 0}, {MPACC_W_ZEROS, 64, 0},
        {MPACC_W_META, 64, 0}, {MPACC_X_CODES, 64, 0}, {MPACC_X_SCALES, 64, 0}, {MPACC_Y_ADDR, 64, 0},
        {MPACC_CTRL, 32, 0}, {MPACC_STATUS, 32, 0}, {MPACC_ERROR_CODE, 32, 0}, {MPACC_IRQ_ENABLE, 32, 0},
        {MPACC_IRQ_STATUS, 32, 0}, {MPACC_ERROR_ADDR, 64, 0}, {MPACC_CYCLES, 64, 0}, {MPACC_ENERGY_FJ, 64, 0},
        {MPACC_COMPUTE_CYCLES, 64, 0}, {MPACC_MEM_TIME_PS, 64, 0}, {MPACC_MEM_RD_BYTES, 64, 0},
        {MPACC_MEM_WR_BYTES, 64, 0}, {MPACC_TOTAL_CYCLES, 64, 0}, {MPACC_TOTAL_ENERGY_FJ, 64, 0},
        {MPACC_GEMMS, 32, 0},
    };
    int bad = 0;
    for (const auto &r : regs) {
        uint64_t got = r.w == 32 ? v.rd32(r.off) : v.rd64(r.off);
        if (got != r.want) {
            printf("    register 0x%03x: reset value 0x%" PRIx64 ", documented 0x%" PRIx64 "\n", r.off, got, r.want);
            bad++;
        }
    }
    check(bad == 0, "reset values of all %zu registers as documented", sizeof regs / sizeof regs[0]);
    check(!v.p.irq[0]->read(), "irq low after reset");
}

// Access rules and the TLM responses of docs/systemc.md "Responses".
void access_rules(Env &v)
{
    MpHost &h = v.p.host;
    unsigned char b[16] = {0};
    tlm::tlm_response_status s;
    for (unsigned off : {0x034u, 0x03cu, 0x078u, 0x094u, 0x0e4u, 0x0fcu}) {
        s = h.raw(tlm::TLM_READ_COMMAND, v.R + off, b, 4);
        check(s == tlm::TLM_ADDRESS_ERROR_RESPONSE, "read of the hole at 0x%03x: %s (ADDRESS_ERROR)", off, resp(s));
    }
    s = h.raw(tlm::TLM_READ_COMMAND, v.R + MPACC_REG_SPAN, b, 4);
    check(s == tlm::TLM_ADDRESS_ERROR_RESPONSE, "read past the register window: %s (ADDRESS_ERROR, from the bus)",
          resp(s));
    s = h.raw(tlm::TLM_READ_COMMAND, v.R + 0x002, b, 4);
    check(s == tlm::TLM_ADDRESS_ERROR_RESPONSE, "4-byte read at 0x002 (unaligned): %s (ADDRESS_ERROR)", resp(s));
    s = h.raw(tlm::TLM_READ_COMMAND, v.R + MPACC_W_CODES + 4, b, 8);
    check(s == tlm::TLM_ADDRESS_ERROR_RESPONSE, "8-byte read at 0x044 (unaligned): %s (ADDRESS_ERROR)", resp(s));
    s = h.raw(tlm::TLM_READ_COMMAND, v.R + MPACC_ID, b, 2);
    check(s == tlm::TLM_BURST_ERROR_RESPONSE, "2-byte read: %s (BURST_ERROR)", resp(s));
    s = h.raw(tlm::TLM_READ_COMMAND, v.R + MPACC_W_CODES, b, 16);
    check(s == tlm::TLM_BURST_ERROR_RESPONSE, "16-byte read: %s (BURST_ERROR)", resp(s));
    s = h.raw(tlm::TLM_READ_COMMAND, v.R + MPACC_W_CODES, b, 8, 4);
    check(s == tlm::TLM_BURST_ERROR_RESPONSE, "8-byte read, streaming width 4: %s (BURST_ERROR)", resp(s));
    const unsigned char be[4] = {0xff, 0xff, 0, 0};
    s = h.raw(tlm::TLM_WRITE_COMMAND, v.R + MPACC_GEMM_M, b, 4, 0, be, 4);
    check(s == tlm::TLM_BYTE_ENABLE_ERROR_RESPONSE, "write with byte enables: %s (BYTE_ENABLE_ERROR)", resp(s));
    s = h.raw(tlm::TLM_IGNORE_COMMAND, v.R + MPACC_ID, b, 4);
    check(s == tlm::TLM_OK_RESPONSE, "IGNORE command: %s (OK)", resp(s));
    // read-only registers refuse writes and keep their values
    for (unsigned off : {MPACC_ID, MPACC_VERSION, MPACC_NMODES, MPACC_MODE_KIND, MPACC_STATUS, MPACC_ERROR_CODE,
                         MPACC_CYCLES + 4, MPACC_GEMMS}) {
        uint32_t before = v.rd32(off);
        s = h.write32(v.R + off, 0x12345678);
        check(s == tlm::TLM_COMMAND_ERROR_RESPONSE && v.rd32(off) == before,
              "write to read-only 0x%03x: %s (COMMAND_ERROR), value kept", off, resp(s));
    }
    s = h.write64(v.R + MPACC_MODE_ARRAY, 1);
    check(s == tlm::TLM_COMMAND_ERROR_RESPONSE, "8-byte write over MODE_ARRAY, MODE_CLOCK_KHZ: %s (COMMAND_ERROR)",
          resp(s));
    // 64-bit registers: two 4-byte halves or one 8-byte access; 8 bytes over two 32-bit registers
    h.write32(v.R + MPACC_W_CODES, 0x89abcdef);
    h.write32(v.R + MPACC_W_CODES + 4, 0x01234567);
    check(v.rd64(MPACC_W_CODES) == 0x0123456789abcdefull, "W_CODES: two 4-byte writes, one 8-byte read");
    h.write64(v.R + MPACC_Y_ADDR, 0xfedcba9876543210ull);
    check(v.rd32(MPACC_Y_ADDR) == 0x76543210u && v.rd32(MPACC_Y_ADDR + 4) == 0xfedcba98u,
          "Y_ADDR: one 8-byte write, low word first");
    s = h.write64(v.R + MPACC_GEMM_M, 7ull | 9ull << 32);
    check(s == tlm::TLM_OK_RESPONSE && v.rd32(MPACC_GEMM_M) == 7 && v.rd32(MPACC_GEMM_N) == 9,
          "8-byte write to GEMM_M and GEMM_N together");
    h.write64(v.R + MPACC_W_CODES, 0);
    h.write64(v.R + MPACC_Y_ADDR, 0);
    // MODE selects what MODE_* show; out of range reads 0
    h.write32(v.R + MPACC_MODE, M_OLIVE);
    check(v.rd32(MPACC_MODE_KIND) == (uint32_t)(PE_OLIVE | 4 << 8 | v.modes[M_OLIVE].cfg.group_size << 16),
          "MODE 1: MODE_KIND = olive, 4-bit weights");
    h.write32(v.R + MPACC_MODE, 7);
    check(v.rd32(MPACC_MODE_KIND) == 0 && v.rd32(MPACC_MODE_ARRAY) == 0, "MODE 7 (no such mode): MODE_* read 0");
    h.write32(v.R + MPACC_MODE, 0);
    // CTRL reads 0; the debug interface reads without side effects
    check(v.rd32(MPACC_CTRL) == 0, "CTRL reads 0");
    uint32_t id = 0;
    unsigned n = h.debug_read(v.R + MPACC_ID, &id, 4);
    check(n == 4 && id == MPACC_ID_VALUE, "transport_dbg read of ID: %u bytes, 0x%08x", n, id);
    // the bus: unmapped addresses
    s = h.raw(tlm::TLM_READ_COMMAND, 0x80000000ull, b, 4);
    check(s == tlm::TLM_ADDRESS_ERROR_RESPONSE, "bus: read of an unmapped address: %s (ADDRESS_ERROR)", resp(s));
    // DMI into the memory through the bus
    tlm::tlm_generic_payload t;
    tlm::tlm_dmi dmi;
    t.set_address(0x1000);
    t.set_command(tlm::TLM_READ_COMMAND);
    bool ok = h.socket->get_direct_mem_ptr(t, dmi);
    if (ok && dmi.is_write_allowed() && dmi.get_start_address() == 0 && dmi.get_end_address() == MEM - 1)
        dmi.get_dmi_ptr()[0x1000] = 0x5a;
    uint8_t byte = 0;
    h.read(0x1000, &byte, 1);
    check(ok && byte == 0x5a, "DMI of the memory through the bus: [0, 0x%" PRIx64 "], a write through it read back",
          MEM - 1);
}

// Run one GEMM of case c in mode `mode` from memory base (operands there, Y after them).
MpGemmResult run(Env &v, uint32_t mode, const MpCase &c, uint32_t options, bool irq, MpGemmAddrs *ad,
                 uint64_t base = 0, MpGemmDesc *override_desc = nullptr)
{
    uint64_t end = 0;
    MpGemmAddrs a;
    mpdrv_put_operands(v.p.host, base, c.pw, c.px, &a, &end);
    if (ad)
        *ad = a;
    MpGemmDesc d = override_desc ? *override_desc : mpdrv_desc(mode, c.pw, c.px, a, options);
    MpGemmResult r;
    mpdrv_run(v.p.host, v.R, d, irq ? v.p.irq[0].get() : nullptr, sc_time(100, sc_core::SC_NS),
              sc_time(10, sc_core::SC_MS), &r);
    return r;
}

bool outputs_ok(Env &v, const MpCase &c, uint64_t y)
{
    std::vector<float> out(c.yg.size());
    mpdrv_get_y(v.p.host, y, out.size(), out.data());
    return memcmp(out.data(), c.yg.data(), out.size() * 4) == 0;
}

// Good GEMMs: values, cycles, energy, time, counters, at both fidelities.
void good_gemms(Env &v)
{
    MpErr e = {};
    const struct {
        int mode, m, n, k;
        uint32_t opt;
        bool irq;
    } cases[] = {
        {M_INT8, 3, 5, 37, 0, true},           // one partial tile
        {M_OLIVE, 6, 9, 130, 0, false},        // several tiles, odd K, polled
        {M_MIXPE, 4, 4, 256, MPACC_OPT_CYCLE, true},  // cycle fidelity, two weight groups
        {M_INT8, 9, 7, 64, MPACC_OPT_CYCLE, true},    // cycle fidelity, several tiles
    };
    uint64_t total = 0;
    int i = 0;
    for (const auto &k : cases) {
        const ArchConfig &cfg = v.modes[k.mode].cfg;
        MpCase c;
        if (c.make(cfg, k.m, k.n, k.k, 100 + i, &e)) {
            check(false, "case %d: %s", i, e.msg);
            continue;
        }
        MpGemmAddrs a;
        MpGemmResult r = run(v, k.mode, c, k.opt, k.irq, &a);
        const SimGemm sg = {k.m, k.n, k.k, 0, 1, 0, 0, 0, 0, 0, 0}; // every field: C++17 has no designators
        SimResult f;
        EnergyBreakdown en = {};
        bool sim_ok = sim_gemm(&cfg, &sg, FID_FAST, NULL, NULL, &f, &e) == MP_OK &&
                      energy_compute(&v.modes[k.mode].tech, &cfg, &f.ev, &en, &e) == MP_OK;
        const sc_time want = sc_time::from_value(mpacc_period(cfg).value() * r.cycles);
        const bool time_ok = k.irq ? r.t_end - r.t_start == want
                                   : r.t_end - r.t_start >= want && r.t_end - r.t_start < want + sc_time(100, sc_core::SC_NS);
        check(r.status == MPACC_STATUS_DONE && r.error == 0 && outputs_ok(v, c, a.y),
              "%s %dx%dx%d%s: DONE, outputs = golden_gemm_hw", MODES[k.mode], k.m, k.n, k.k,
              k.opt ? " (cycle fidelity)" : "");
        check(sim_ok && (int64_t)r.cycles == f.ev.cycles && (int64_t)r.compute_cycles == f.ev.compute_cycles &&
                  r.energy_fj == (uint64_t)llround(en.total * 1000),
              "  CYCLES %" PRIu64 " = sim_gemm %" PRId64 ", COMPUTE_CYCLES %" PRIu64 ", ENERGY_FJ %" PRIu64
              " = energy_compute",
              r.cycles, f.ev.cycles, r.compute_cycles, r.energy_fj);
        check(time_ok, "  START to %s: %s, CYCLES x period %s", k.irq ? "irq" : "STATUS polled idle",
              (r.t_end - r.t_start).to_string().c_str(), want.to_string().c_str());
        total += r.cycles;
        i++;
    }
    check(v.rd64(MPACC_TOTAL_CYCLES) == total && v.rd32(MPACC_GEMMS) == 4, "TOTAL_CYCLES %" PRIu64 " = the sum, GEMMS 4",
          v.rd64(MPACC_TOTAL_CYCLES));
    v.p.host.write32(v.R + MPACC_CTRL, MPACC_CTRL_CLEAR_TOTALS);
    check(v.rd64(MPACC_TOTAL_CYCLES) == 0 && v.rd64(MPACC_TOTAL_ENERGY_FJ) == 0 && v.rd32(MPACC_GEMMS) == 0 &&
              v.rd64(MPACC_CYCLES) != 0,
          "CTRL.CLEAR_TOTALS clears the totals, not the last GEMM's counters");
}

// Busy lock and interrupt handshake.
void busy_and_irq(Env &v)
{
    MpErr e = {};
    MpHost &h = v.p.host;
    MpCase c;
    if (c.make(v.modes[M_INT8].cfg, 4, 4, 200, 7, &e)) {
        check(false, "case: %s", e.msg);
        return;
    }
    uint64_t end;
    MpGemmAddrs a;
    mpdrv_put_operands(h, 0, c.pw, c.px, &a, &end);
    MpGemmDesc d = mpdrv_desc(M_INT8, c.pw, c.px, a, 0);
    h.write32(v.R + MPACC_IRQ_STATUS, 1);
    h.write32(v.R + MPACC_IRQ_ENABLE, 0);
    h.write32(v.R + MPACC_GEMM_M, d.m);
    h.write32(v.R + MPACC_GEMM_N, d.n);
    h.write32(v.R + MPACC_GEMM_K, d.k);
    h.write32(v.R + MPACC_FORMAT, d.format);
    h.write32(v.R + MPACC_OPTIONS, 0);
    for (int i = 0; i < MPL_ARRAYS; i++)
        h.write64(v.R + MPACC_W_CODES + 8 * i, d.addr.w[i]);
    h.write64(v.R + MPACC_X_CODES, d.addr.x[MPL_CODES]);
    h.write64(v.R + MPACC_X_SCALES, d.addr.x[MPL_SCALES]);
    h.write64(v.R + MPACC_Y_ADDR, d.addr.y);
    h.write32(v.R + MPACC_CTRL, MPACC_CTRL_START);
    sc_core::wait(sc_time(10, sc_core::SC_NS));
    check(v.rd32(MPACC_STATUS) == MPACC_STATUS_BUSY, "STATUS = BUSY 10 ns after START");
    tlm::tlm_response_status s1 = h.write32(v.R + MPACC_GEMM_M, 1), s2 = h.write32(v.R + MPACC_CTRL, 1),
                             s3 = h.write64(v.R + MPACC_Y_ADDR, 0x40);
    check(s1 == tlm::TLM_COMMAND_ERROR_RESPONSE && s2 == tlm::TLM_COMMAND_ERROR_RESPONSE &&
              s3 == tlm::TLM_COMMAND_ERROR_RESPONSE && v.rd32(MPACC_GEMM_M) == 4,
          "while BUSY: GEMM_M, CTRL, Y_ADDR writes refused (%s, %s, %s), GEMM_M still readable", resp(s1), resp(s2),
          resp(s3));
    // irq disabled: IRQ_STATUS rises, the line stays low
    while (v.rd32(MPACC_STATUS) & MPACC_STATUS_BUSY)
        sc_core::wait(sc_time(50, sc_core::SC_NS));
    check(v.rd32(MPACC_STATUS) == MPACC_STATUS_DONE && v.rd32(MPACC_IRQ_STATUS) == 1 && !v.p.irq[0]->read(),
          "end with IRQ_ENABLE = 0: DONE, IRQ_STATUS = 1, irq low");
    check(outputs_ok(v, c, a.y), "its outputs = golden_gemm_hw");
    h.write32(v.R + MPACC_IRQ_ENABLE, 1);
    sc_core::wait(sc_core::SC_ZERO_TIME);
    sc_core::wait(sc_core::SC_ZERO_TIME);
    check(v.p.irq[0]->read(), "IRQ_ENABLE = 1 with IRQ_STATUS pending: irq high");
    h.write32(v.R + MPACC_IRQ_STATUS, 0);
    sc_core::wait(sc_core::SC_ZERO_TIME);
    sc_core::wait(sc_core::SC_ZERO_TIME);
    check(v.p.irq[0]->read() && v.rd32(MPACC_IRQ_STATUS) == 1, "IRQ_STATUS write of 0 clears nothing");
    h.write32(v.R + MPACC_IRQ_STATUS, 1);
    sc_core::wait(sc_core::SC_ZERO_TIME);
    sc_core::wait(sc_core::SC_ZERO_TIME);
    check(!v.p.irq[0]->read() && v.rd32(MPACC_IRQ_STATUS) == 0, "IRQ_STATUS write of 1 clears it: irq low");
    h.write32(v.R + MPACC_IRQ_ENABLE, 0);
}

// Every descriptor error: STATUS.ERROR, the documented code, irq, no crash; then a good GEMM.
void descriptor_errors(Env &v)
{
    MpErr e = {};
    MpCase ci, co, cm;
    if (ci.make(v.modes[M_INT8].cfg, 2, 3, 40, 11, &e) || co.make(v.modes[M_OLIVE].cfg, 2, 3, 40, 12, &e) ||
        cm.make(v.modes[M_MIXPE].cfg, 2, 3, 256, 13, &e)) {
        check(false, "cases: %s", e.msg);
        return;
    }
    uint64_t end;
    MpGemmAddrs ai, ao, am;
    MpHost &h = v.p.host;
    mpdrv_put_operands(h, 0, ci.pw, ci.px, &ai, &end);
    mpdrv_put_operands(h, end, co.pw, co.px, &ao, &end);
    mpdrv_put_operands(h, end, cm.pw, cm.px, &am, &end);
    const MpGemmDesc di = mpdrv_desc(M_INT8, ci.pw, ci.px, ai, 0), dol = mpdrv_desc(M_OLIVE, co.pw, co.px, ao, 0),
                     dm = mpdrv_desc(M_MIXPE, cm.pw, cm.px, am, 0);
    struct Bad {
        const char *what;
        MpGemmDesc d;
        uint32_t code;
        uint64_t addr; // ERROR_ADDR when not ~0
    };
    std::vector<Bad> bad;
    // a case: the good descriptor `base` with one change made by `edit`
    auto add = [&](const char *what, const MpGemmDesc &base, auto edit, uint32_t code, uint64_t addr = ~0ull) {
        MpGemmDesc d = base;
        edit(d);
        bad.push_back(Bad{what, d, code, addr});
    };
    add("MODE 3 of 3 modes", di, [](MpGemmDesc &d) { d.mode = 3; }, MPACC_E_MODE);
    add("K = 0", di, [](MpGemmDesc &d) { d.k = 0; }, MPACC_E_SHAPE);
    add("M x K = 2^30 elements", di, [](MpGemmDesc &d) { d.m = 1u << 20; d.k = 1u << 10; }, MPACC_E_SHAPE);
    add("MixPE, K = 200: not a multiple of the 128-weight group", dm, [](MpGemmDesc &d) { d.k = 200; },
        MPACC_E_GROUP);
    add("OliVe, W element type 2", dol, [](MpGemmDesc &d) { d.format = 2; }, MPACC_E_FORMAT);
    add("int8, X element type 1", di, [](MpGemmDesc &d) { d.format = 1u << MPACC_FORMAT_X_SHIFT; }, MPACC_E_FORMAT);
    add("FORMAT bit 4", di, [](MpGemmDesc &d) { d.format = 0x10; }, MPACC_E_FORMAT);
    add("int8 W_SCALES 2 bytes off (fp32 scales)", di, [](MpGemmDesc &d) { d.addr.w[MPL_SCALES] += 2; },
        MPACC_E_ALIGN, di.addr.w[MPL_SCALES] + 2);
    add("Y_ADDR 1 byte off", di, [](MpGemmDesc &d) { d.addr.y += 1; }, MPACC_E_ALIGN, di.addr.y + 1);
    add("W_CODES at the end of memory (runs past it)", di, [](MpGemmDesc &d) { d.addr.w[MPL_CODES] = MEM - 8; },
        MPACC_E_BUS, MEM - 8);
    add("X_CODES unmapped", di, [](MpGemmDesc &d) { d.addr.x[MPL_CODES] = 0x200000000ull; }, MPACC_E_BUS,
        0x200000000ull);
    add("Y_ADDR past the end of memory", di, [](MpGemmDesc &d) { d.addr.y = MEM - 4; }, MPACC_E_BUS, MEM - 4);
    for (const Bad &b : bad) {
        MpGemmResult r;
        mpdrv_run(h, v.R, b.d, v.p.irq[0].get(), sc_time(100, sc_core::SC_NS), sc_time(10, sc_core::SC_MS), &r);
        check(!r.timed_out && r.status == MPACC_STATUS_ERROR && r.error == b.code &&
                  (b.addr == ~0ull || r.error_addr == b.addr),
              "%s: STATUS 0x%x, ERROR_CODE %u %s (want %s), irq%s; %s", b.what, r.status, r.error,
              mpdrv_error_name(r.error), mpdrv_error_name(b.code), r.timed_out ? " MISSING" : "",
              v.p.accel[0]->last_error().c_str());
    }
    // an illegal OliVe pair byte in memory
    uint8_t illegal = 0x88;
    h.write(ao.w[MPL_CODES], &illegal, 1);
    MpGemmResult r;
    mpdrv_run(h, v.R, dol, v.p.irq[0].get(), sc_time(100, sc_core::SC_NS), sc_time(10, sc_core::SC_MS), &r);
    check(r.status == MPACC_STATUS_ERROR && r.error == MPACC_E_DATA, "OliVe W byte 0x88 (1000/1000): ERROR_CODE %u %s; %s",
          r.error, mpdrv_error_name(r.error), v.p.accel[0]->last_error().c_str());
    // and the accelerator still works
    mpdrv_run(h, v.R, dm, v.p.irq[0].get(), sc_time(100, sc_core::SC_NS), sc_time(10, sc_core::SC_MS), &r);
    check(r.status == MPACC_STATUS_DONE && r.error == 0 && outputs_ok(v, cm, am.y) &&
              v.p.accel[0]->last_error().empty(),
          "after the errors: a good MixPE GEMM is DONE with golden outputs, ERROR_CODE 0");
}

} // namespace

int sc_main(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    std::vector<MpMode> modes(NMODES);
    MpErr e = {};
    for (int i = 0; i < NMODES; i++)
        if (mpacc_mode_load(MODES[i], "arch.rows=4,arch.cols=4", &modes[i], &e)) {
            fprintf(stderr, "%s: %s\n", MODES[i], e.msg);
            return 2;
        }
    printf("# sc-regs: the register map of one C-model accelerator, modes %s, %s, %s at 4x4 (seeds 7..104)\n",
           MODES[0], MODES[1], MODES[2]);
    MpPlatform pf("regs", MEM, {MpAccelSpec{modes, MpAccelOptions()}}, [&](MpPlatform &p) {
        Env v{p, modes, p.regs(0)};
        reset_values(v);
        access_rules(v);
        good_gemms(v);
        busy_and_irq(v);
        descriptor_errors(v);
    });
    sc_core::sc_start();
    return check.summary("sc-regs");
}
