// systemc/sc_case.h — one test GEMM for the SystemC checks: seeded synthetic LLM-like operands
// (traces/synth.c) quantized and packed for a mode (sim_operand_params, models/quant.c, pack.c), and
// the golden outputs (golden_gemm_hw on those quantized operands).
#ifndef MP_SYSTEMC_SC_CASE_H
#define MP_SYSTEMC_SC_CASE_H

#include <cstdint>
#include <vector>

extern "C" {
#include "models/golden.h"
#include "models/pack.h"
#include "sim/config.h"
}

struct MpCase {
    int M = 0, N = 0, K = 0;
    QMat qw{}, qx{};
    PackedMat pw{}, px{};
    std::vector<float> yg; // M x N, row-major

    MpCase() = default;
    MpCase(const MpCase &) = delete;
    MpCase &operator=(const MpCase &) = delete;
    ~MpCase();
    // W (N x K) from syn_weights(seed), X (M x K) from syn_acts(seed), quantized for c's kind and
    // group. MP_OK or an MpErr code (message in e).
    int make(const ArchConfig &c, int m, int n, int k, uint64_t seed, MpErr *e);
};

#endif
