// systemc/vp.cpp — the example virtual platform: one linear layer of an LLM, end to end.
//
// A host, a memory and the accelerator on a bus (systemc/sc_platform.h). The host program
//   1. quantizes the layer's weights and activations (seeded synthetic LLM-like tensors,
//      traces/synth.c) for the accelerator's PE kind and packs them (models/quant.c, models/pack.c),
//   2. writes them into memory through its initiator socket, programs the GEMM descriptor, starts
//      the accelerator and waits for its interrupt (or polls STATUS),
//   3. reads the outputs back.
// sc_main then checks, each a numbered check in the summary:
//   * STATUS.DONE, no error, no bus error;
//   * the outputs against golden_gemm_hw on the host's own quantized operands, bit for bit;
//   * CYCLES against the simulator run the way `mpsim run` runs it (point_eval over the same model,
//     phase and config: that layer's cycles per instance), exactly; ENERGY_FJ against its energy;
//   * the time from START to the interrupt = CYCLES x the clock period;
//   * MEM_RD_BYTES / MEM_WR_BYTES = the packed operands' bytes / the outputs' bytes;
//   * with --expect-json FILE (`mpsim run ... --json FILE` for the same arguments): cycles and
//     energy of the layer as the mpsim binary wrote them.
// Ends with "vp: N passed, N failed"; exit 0 when all passed, 1 when a check failed, 2 bad input.
//
//   build/systemc/vp --arch iso/mixpe-w4a8 --model llama2-7b --phase decode --layer q_proj --seed 1
#include <cinttypes>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include <cJSON.h>
#include <systemc>

extern "C" {
#include "base/alloc.h"
#include "base/fileio.h"
#include "models/golden.h"
#include "base/cli.h"
#include "base/parse.h"
#include "sim/engine.h"
#include "sim/point.h"
#include "traces/synth.h"
}
#include "mpacc_drv.h"
#include "sc_check.h"
#include "sc_platform.h"

namespace {

struct Args {
    const char *arch = "iso/mixpe-w4a8", *set = nullptr, *model = "llama2-7b", *phase = "decode";
    const char *layer = "q_proj", *expect = nullptr;
    const char *seq_text = nullptr, *kv_text = nullptr; // --seq, --kv as typed; nullptr: not given
    int64_t seq = POINT_LEN_DEFAULT, kv = POINT_LEN_DEFAULT, batch = 1, seed = 1, burst = 256;
    int poll = 0, cycle = 0;
};

MpChecks check;

// The layer as `mpsim run --json` wrote it: cycles and energy of one instance. false if absent.
bool json_layer(const char *path, const char *layer, const char *kind, int64_t m, int64_t n, int64_t k,
                double *cycles, double *energy_pj, std::string *why)
{
    MpErr e = {};
    char *txt = NULL;
    size_t len = 0;
    if (mp_read_file(path, 1 << 26, &txt, &len, &e)) {
        *why = e.msg;
        return false;
    }
    cJSON *root = cJSON_ParseWithLength(txt, len);
    mp_free(txt);
    bool ok = false;
    const cJSON *pk = cJSON_GetObjectItem(root, "pe_kind");
    const cJSON *ls = cJSON_GetObjectItem(root, "layers");
    if (!root || !cJSON_IsString(pk) || !cJSON_IsArray(ls))
        *why = "not an `mpsim run --json` file";
    else if (strcmp(pk->valuestring, kind))
        *why = std::string("its pe_kind is ") + pk->valuestring + ", the accelerator's " + kind;
    else {
        const cJSON *l;
        *why = std::string("no layer '") + layer + "' with this shape";
        cJSON_ArrayForEach(l, ls) {
            const cJSON *nm = cJSON_GetObjectItem(l, "name"), *cnt = cJSON_GetObjectItem(l, "count");
            if (!cJSON_IsString(nm) || strcmp(nm->valuestring, layer) || !cJSON_IsNumber(cnt) ||
                cJSON_GetObjectItem(l, "m")->valuedouble != (double)m ||
                cJSON_GetObjectItem(l, "n")->valuedouble != (double)n ||
                cJSON_GetObjectItem(l, "k")->valuedouble != (double)k)
                continue;
            /* one instance on its own: the layer's instances run back to back (sim/run.h) */
            const cJSON *ic = cJSON_GetObjectItem(l, "instance_cycles"), *ie = cJSON_GetObjectItem(l, "instance_energy_pj");
            if (!cJSON_IsNumber(ic) || !cJSON_IsNumber(ie)) {
                *why = "the layer has no instance_cycles / instance_energy_pj";
                break;
            }
            *cycles = ic->valuedouble;
            *energy_pj = ie->valuedouble;
            ok = true;
            break;
        }
    }
    cJSON_Delete(root);
    return ok;
}

} // namespace

int sc_main(int argc, char **argv)
{
    Args a;
    const CliOpt opts[] = {
        {"arch", CLI_STR, &a.arch, "NAME|FILE", "accelerator preset or config file (default iso/mixpe-w4a8)"},
        {"set", CLI_STR, &a.set, "S.K=V,...", "override config keys, as mpsim run --set"},
        {"model", CLI_STR, &a.model, "NAME", "built-in model (default llama2-7b)"},
        {"phase", CLI_STR, &a.phase, "PHASE", "prefill or decode (default decode)"},
        {"seq", CLI_STR, &a.seq_text, "N", "prefill sequence length"},
        {"kv", CLI_STR, &a.kv_text, "N", "decode KV length"},
        {"batch", CLI_INT, &a.batch, "B", "batch (default 1)"},
        {"layer", CLI_STR, &a.layer, "NAME", "the weight GEMM to run (default q_proj)"},
        {"seed", CLI_INT, &a.seed, "S", "seed of the synthetic operands (default 1)"},
        {"burst", CLI_INT, &a.burst, "BYTES", "the accelerator's largest memory transaction (default 256)"},
        {"poll", CLI_FLAG, &a.poll, "", "poll STATUS instead of waiting for the interrupt"},
        {"cycle", CLI_FLAG, &a.cycle, "", "OPTIONS.CYCLE: the simulator at cycle fidelity (small layers only)"},
        {"expect-json", CLI_STR, &a.expect, "FILE", "`mpsim run --json` output for the same arguments: compare"},
        {NULL, CLI_FLAG, NULL, NULL, NULL},
    };
    const CliSpec spec = {"vp", "[options]",
                          "The example SystemC virtual platform: one layer GEMM of an LLM on the accelerator's TLM-2.0 "
                          "model, checked against the golden model and the simulator (docs/systemc.md).",
                          NULL, opts, 0, 0};
    MpErr e = {};
    int rc = cli_parse(&spec, argc, argv, NULL, NULL, &e);
    if (rc == CLI_HELP_SHOWN)
        return 0;
    // --seq/--kv: absent is "not given"; a value typed must be >= 1 (-1 is no default, issue 20)
    const char *len_flag[2] = {"seq", "kv"}, *len_text[2] = {a.seq_text, a.kv_text};
    int64_t *len_out[2] = {&a.seq, &a.kv};
    for (int i = 0; rc == MP_OK && i < 2; i++)
        if (len_text[i] && (mp_parse_i64(len_text[i], len_out[i]) != 0 || *len_out[i] < 1))
            rc = mp_errf(&e, MP_EINPUT, "vp: --%s '%s': expected an integer >= 1", len_flag[i], len_text[i]);
    if (rc == MP_OK && (a.burst < 4 || a.burst > (1 << 20)))
        rc = mp_errf(&e, MP_EINPUT, "vp: --burst %" PRId64 ": expected 4..1048576", a.burst);
    // the design and the layer, as mpsim run loads them
    MpMode mode;
    Workload *w = NULL;
    if (rc == MP_OK)
        rc = mpacc_mode_load(a.arch, a.set, &mode, &e);
    if (rc == MP_OK)
        rc = point_workload(a.model, a.phase, a.seq, a.kv, a.batch, &w, &e);
    const Gemm *g = NULL;
    for (int i = 0; rc == MP_OK && w && i < w->ngemm; i++)
        if (!strcmp(w->gemms[i].name, a.layer))
            g = &w->gemms[i];
    if (rc == MP_OK && (!g || g->role != WL_WEIGHT_ACT))
        rc = mp_errf(&e, MP_EINPUT, "vp: --layer '%s': not a weight GEMM of %s %s (see mpsim trace show)", a.layer,
                     a.model, a.phase);
    if (rc)
        return cli_fail(&e);
    const ArchConfig &cfg = mode.cfg;
    const PeKindId kind = (PeKindId)cfg.pe_kind;
    const int M = (int)g->m, N = (int)g->n, K = (int)g->k;
    printf("# vp: %s (%s %dx%d at %.0f MHz) | %s %s %s: M=%d N=%d K=%d | seed %" PRId64
           " (synthetic operands, traces/synth.c; replay: --seed %" PRId64 ")\n",
           cfg.name, pe_kind_names[kind], cfg.rows, cfg.cols, cfg.clock_mhz, a.model, a.phase, a.layer, M, N, K, a.seed,
           a.seed);

    // operands: seeded LLM-like tensors, quantized and packed for the kind
    SynParams sp;
    syn_params_default(&sp);
    QParams wq, xq;
    sim_operand_params(&cfg, 0, &wq, &xq);
    std::vector<float> wf((size_t)N * K), xf((size_t)M * K), yg((size_t)M * N), y((size_t)M * N, NAN);
    QMat qw = {}, qx = {};
    PackedMat pw = {}, px = {};
    if ((rc = syn_weights(&sp, (uint64_t)a.seed, (size_t)N, (size_t)K, wf.data(), &e)) ||
        (rc = syn_acts(&sp, (uint64_t)a.seed, (size_t)M, (size_t)K, xf.data(), NULL, &e)) ||
        (rc = quant_matrix(&wq, wf.data(), N, K, &qw, &e)) || (rc = quant_matrix(&xq, xf.data(), M, K, &qx, &e)) ||
        (rc = pack_matrix(&qw, &pw, &e)) || (rc = pack_matrix(&qx, &px, &e)) ||
        (rc = golden_gemm_hw(kind, &qw, &qx, yg.data(), &e)))
        return cli_fail(&e);
    std::vector<float>().swap(wf);
    // the simulator as `mpsim run` runs it: the whole workload, this layer's numbers per instance
    Point pt;
    RunOpts ro = {FID_FAST, NULL, 1, 0, MAP_OBJ_TIME, NULL, NULL};
    if ((rc = point_eval(&cfg, &mode.tech, w, &ro, 1, &pt, &e)))
        return cli_fail(&e);
    const int li = (int)(g - w->gemms);
    const int64_t sim_cycles = pt.res.layer[li].r.ev.cycles; // one instance on its own
    EnergyBreakdown one;
    if ((rc = energy_compute(&mode.tech, &cfg, &pt.res.layer[li].r.ev, &one, &e)))
        return cli_fail(&e);
    const double sim_energy_pj = one.total;
    point_free(&pt);

    // the platform: memory for the operands and the outputs
    size_t opbytes = 0;
    for (int i = 0; i < MPL_ARRAYS; i++)
        opbytes += mpl_bytes(&pw, (MplArray)i) + mpl_bytes(&px, (MplArray)i);
    const uint64_t mem_bytes = ((opbytes + (uint64_t)M * N * 4 + 1024) + (1 << 20) - 1) & ~(uint64_t)((1 << 20) - 1);
    MpAccelOptions ao;
    ao.burst_bytes = (unsigned)a.burst;
    MpGemmResult res = {};
    bool ran = false;
    tlm::tlm_response_status put = tlm::TLM_INCOMPLETE_RESPONSE, get = tlm::TLM_INCOMPLETE_RESPONSE;
    MpPlatform pf("vp", mem_bytes, {MpAccelSpec{{mode}, ao}}, [&](MpPlatform &p) {
        MpGemmAddrs ad;
        uint64_t end = 0;
        put = mpdrv_put_operands(p.host, MpPlatform::MEM_BASE, pw, px, &ad, &end);
        if (put != tlm::TLM_OK_RESPONSE)
            return;
        const MpGemmDesc d = mpdrv_desc(0, pw, px, ad, a.cycle ? MPACC_OPT_CYCLE : 0);
        const sc_core::sc_time period = mpacc_period(cfg);
        mpdrv_run(p.host, p.regs(0), d, a.poll ? nullptr : p.irq[0].get(), period * 1000.0, period * 1e12, &res);
        get = mpdrv_get_y(p.host, ad.y, y.size(), y.data());
        ran = true;
    });
    sc_core::sc_start();

    // the checks
    printf("# accelerator: %" PRIu64 " cycles (%" PRIu64 " computing), %.6f uJ; memory: %" PRIu64 " bytes read, %" PRIu64
           " written, %.3f us of annotated memory time against %.3f us simulated\n",
           res.cycles, res.compute_cycles, res.energy_fj / 1e9, res.rd_bytes, res.wr_bytes, res.mem_time_ps / 1e6,
           (res.t_end - res.t_start).to_seconds() * 1e6);
    check(ran && put == tlm::TLM_OK_RESPONSE && get == tlm::TLM_OK_RESPONSE && res.bus == tlm::TLM_OK_RESPONSE &&
              !res.timed_out,
          "host: operands written, registers programmed, outputs read (no error response, no timeout)");
    check(res.status == MPACC_STATUS_DONE && res.error == 0, "STATUS = DONE (0x%x), ERROR_CODE = %u %s%s%s",
          res.status, res.error, mpdrv_error_name(res.error), res.error ? ": " : "",
          res.error ? pf.accel[0]->last_error().c_str() : "");
    size_t bad = 0, first = 0;
    for (size_t i = 0; i < y.size(); i++)
        if (memcmp(&y[i], &yg[i], 4) && !bad++)
            first = i;
    check(bad == 0, "outputs = golden_gemm_hw bit for bit: %zu of %zu differ%s", bad, y.size(),
          bad ? (" (first (" + std::to_string(first / N) + ", " + std::to_string(first % N) + "): " +
                 std::to_string(y[first]) + " vs " + std::to_string(yg[first]) + ")").c_str()
              : "");
    check((int64_t)res.cycles == sim_cycles, "CYCLES %" PRIu64 " = the simulator's %" PRId64 " (point_eval, as mpsim run)",
          res.cycles, sim_cycles);
    check(mp_rel_close(res.energy_fj / 1e3, sim_energy_pj, 1e-9), "ENERGY_FJ %" PRIu64 " = the simulator's %.3f pJ",
          res.energy_fj, sim_energy_pj);
    const sc_core::sc_time period = mpacc_period(cfg), span = res.t_end - res.t_start,
                           want = sc_core::sc_time::from_value(period.value() * res.cycles);
    if (a.poll)
        check(span >= want && span < want + period * 1001.0,
              "START to end seen by polling: %s, CYCLES x period = %s (poll every 1000 cycles)", span.to_string().c_str(),
              want.to_string().c_str());
    else
        check(span == want, "START to interrupt: %s = CYCLES x period %s", span.to_string().c_str(),
              want.to_string().c_str());
    check(res.rd_bytes == opbytes && res.wr_bytes == (uint64_t)M * N * 4,
          "MEM_RD_BYTES %" PRIu64 " = packed operands %zu, MEM_WR_BYTES %" PRIu64 " = outputs %d", res.rd_bytes, opbytes,
          res.wr_bytes, M * N * 4);
    if (a.expect) {
        double jc = 0, je = 0;
        std::string why;
        bool ok = json_layer(a.expect, a.layer, pe_kind_names[kind], M, N, K, &jc, &je, &why);
        check(ok && jc == (double)res.cycles, "%s: %s cycles %.0f = CYCLES %" PRIu64, a.expect,
              ok ? a.layer : why.c_str(), jc, res.cycles);
        check(ok && mp_rel_close(je, res.energy_fj / 1e3, 1e-9), "%s: energy %.3f pJ = ENERGY_FJ / 1000", a.expect, je);
    }
    quant_free(&qw);
    quant_free(&qx);
    pack_free(&pw);
    pack_free(&px);
    wl_destroy(w);
    return check.summary("vp");
}
