// systemc/sc_case.cpp — see sc_case.h.
#include "sc_case.h"

extern "C" {
#include "sim/engine.h"
#include "traces/synth.h"
}

MpCase::~MpCase()
{
    quant_free(&qw);
    quant_free(&qx);
    pack_free(&pw);
    pack_free(&px);
}

int MpCase::make(const ArchConfig &c, int m, int n, int k, uint64_t seed, MpErr *e)
{
    M = m;
    N = n;
    K = k;
    SynParams sp;
    syn_params_default(&sp);
    QParams wq, xq;
    sim_operand_params(&c, 0, &wq, &xq);
    std::vector<float> wf((size_t)n * k), xf((size_t)m * k);
    yg.assign((size_t)m * n, 0.0f);
    int rc;
    if ((rc = syn_weights(&sp, seed, (size_t)n, (size_t)k, wf.data(), e)) ||
        (rc = syn_acts(&sp, seed, (size_t)m, (size_t)k, xf.data(), NULL, e)) ||
        (rc = quant_matrix(&wq, wf.data(), n, k, &qw, e)) || (rc = quant_matrix(&xq, xf.data(), m, k, &qx, e)) ||
        (rc = pack_matrix(&qw, &pw, e)) || (rc = pack_matrix(&qx, &px, e)))
        return rc;
    return golden_gemm_hw((PeKindId)c.pe_kind, &qw, &qx, yg.data(), e);
}
