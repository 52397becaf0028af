// rtl/harness/rtl_data.h — the operand data of the RTL harness's tiles: windows cut from a real
// trace (safetensors weight/activation pairs) and six generators of float matrices that stress the
// datapaths (heavy tails with outlier columns, fp16's whole range, sparsity, ties, extremes, the
// project's synthetic LLM tensors). Header-only C++, for rtl_tb.cpp (one translation unit per
// model); bad trace files exit 2, as the harness's own options do.
#ifndef MP_RTL_HARNESS_RTL_DATA_H
#define MP_RTL_HARNESS_RTL_DATA_H

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

extern "C" {
#include "base/rng.h"
#include "traces/safetensors.h"
#include "traces/synth.h"
}

static int below(MpRng *r, int n) { return (int)mp_rng_below(r, (uint64_t)n); }

enum { GEN_COUNT = 6, GEN_TRACE = 6 };

/* Weight/activation pairs of a trace (safetensors): tensors of the same name in the two files
 * (mpsim's minilm trace), or 'weight' and 'act' (mpsim trace gen). Rows x cols, K = cols. */
struct TracePair {
    std::string name;
    int wr = 0, xr = 0, k = 0;
    std::vector<float> w, x;
};
static std::vector<TracePair> g_trace;

static std::vector<float> read_2d(StFile *f, size_t i, int *rows, int *cols)
{
    std::vector<float> v;
    if (st_rank(f, i) != 2 || !st_dtype_is_float(st_dtype(f, i))) return v;
    const uint64_t *sh = st_shape(f, i);
    if (sh[0] < 1 || sh[1] < 1 || sh[0] > (1u << 20) || sh[1] > (1u << 20)) return v;
    v.resize((size_t)sh[0] * sh[1]);
    MpErr e = {};
    if (st_read_f32(f, i, v.data(), v.size(), &e)) {
        fprintf(stderr, "%s: %s\n", st_path(f), e.msg);
        exit(2);
    }
    *rows = (int)sh[0];
    *cols = (int)sh[1];
    return v;
}

static void load_trace(const std::string &wpath, const std::string &xpath)
{
    MpErr e = {};
    StFile *fw = NULL, *fx = NULL;
    if (st_open(wpath.c_str(), &fw, &e) || st_open(xpath.c_str(), &fx, &e)) {
        fprintf(stderr, "trace: %s\n", e.msg);
        exit(2);
    }
    auto add = [&](size_t iw, size_t ix) {
        TracePair p;
        int wc = 0, xc = 0;
        p.name = st_name(fw, iw);
        p.w = read_2d(fw, iw, &p.wr, &wc);
        p.x = read_2d(fx, ix, &p.xr, &xc);
        if (!p.w.empty() && !p.x.empty() && wc == xc) {
            p.k = wc;
            g_trace.push_back(std::move(p));
        }
    };
    long iw = st_find(fw, "weight"), ix = st_find(fx, "act");
    if (iw >= 0 && ix >= 0) add((size_t)iw, (size_t)ix);
    for (size_t i = 0; i < st_count(fw); i++) {
        long j = st_find(fx, st_name(fw, i));
        if (j >= 0) add(i, (size_t)j);
    }
    st_close(fw);
    st_close(fx);
    if (g_trace.empty()) {
        fprintf(stderr, "trace: no weight/activation pair with the same K in %s and %s (same tensor names, or "
                        "'weight' and 'act')\n", wpath.c_str(), xpath.c_str());
        exit(2);
    }
}

/* A window of a trace pair: W rows [n, n+N), X rows [m, m+M), columns [k, k+K) of both. */
static void cut_trace(MpRng *r, int N, int M, int K, std::vector<float> &w, std::vector<float> &x, std::string *what)
{
    const TracePair &p = g_trace[(size_t)below(r, (int)g_trace.size())];
    int k0 = p.k > K ? below(r, p.k - K + 1) : 0;
    int n0 = p.wr > N ? below(r, p.wr - N + 1) : 0, m0 = p.xr > M ? below(r, p.xr - M + 1) : 0;
    w.assign((size_t)N * K, 0.0f);
    x.assign((size_t)M * K, 0.0f);
    for (int i = 0; i < N; i++)
        for (int k = 0; k < K; k++)
            w[(size_t)i * K + k] = p.w[(size_t)((n0 + i) % p.wr) * p.k + (k0 + k) % p.k];
    for (int i = 0; i < M; i++)
        for (int k = 0; k < K; k++)
            x[(size_t)i * K + k] = p.x[(size_t)((m0 + i) % p.xr) * p.k + (k0 + k) % p.k];
    char b[300];
    snprintf(b, sizeof b, "%s rows W %d.., X %d.., cols %d..", p.name.c_str(), n0, m0, k0);
    *what = b;
}

/* Float data for an R x C operand; act = 1 for activations; fp16ish: the operand is quantized to
 * fp16 (ranges that exercise fp16 subnormals and its largest values). */
static void gen_matrix(MpRng *r, int mode, int rows, int cols, int act, bool fp16ish, uint64_t seed,
                       std::vector<float> &m)
{
    m.assign((size_t)rows * cols, 0.0f);
    switch (mode) {
    case 0: { /* Student-t with per-column scales and a few outlier columns (tests/testutil.h) */
        std::vector<double> cs(cols);
        for (int c = 0; c < cols; c++) cs[c] = exp(0.5 * mp_rng_normal(r));
        int nout = below(r, 3);
        for (int i = 0; i < nout; i++) cs[below(r, cols)] *= 20 + below(r, 80);
        for (int i = 0; i < rows; i++)
            for (int c = 0; c < cols; c++) m[(size_t)i * cols + c] = (float)(0.05 * cs[c] * mp_rng_student_t(r, 5));
        break;
    }
    case 1: /* log-uniform magnitudes over a wide range: fp16 subnormals to near its maximum */
        for (auto &v : m) {
            double e = fp16ish ? -26 + 41 * mp_rng_uniform(r) : -12 + 20 * mp_rng_uniform(r);
            v = (float)((mp_rng_uniform(r) < 0.5 ? -1 : 1) * ldexp(1.0 + mp_rng_uniform(r), (int)floor(e)));
            if (fp16ish && fabsf(v) > 60000.f) v = copysignf(60000.f, v);
        }
        break;
    case 2: /* sparse */
        for (auto &v : m) v = mp_rng_uniform(r) < 0.7 ? 0.0f : (float)mp_rng_normal(r);
        break;
    case 3: /* constant rows / constant groups (zero ranges, ties) */
        for (int i = 0; i < rows; i++) {
            float c = (float)(mp_rng_normal(r) * 3);
            for (int k = 0; k < cols; k++) m[(size_t)i * cols + k] = (k % 7 == 3 && act) ? -c : c;
        }
        break;
    case 4: /* zero rows and extremes (the largest codes, large fp16 values) */
        for (int i = 0; i < rows; i++) {
            int kind = below(r, 3);
            for (int k = 0; k < cols; k++) {
                float big = fp16ish ? 60000.0f : 1000.0f;
                m[(size_t)i * cols + k] = kind == 0 ? 0.0f : kind == 1 ? (below(r, 2) ? big : -big)
                                                                        : (float)(big * (2 * mp_rng_uniform(r) - 1));
            }
        }
        break;
    default: { /* the project's synthetic LLM tensors (traces/synth.c) */
        SynParams p;
        syn_params_default(&p);
        MpErr e = {};
        int rc = act ? syn_acts(&p, seed, (size_t)rows, (size_t)cols, m.data(), NULL, &e)
                     : syn_weights(&p, seed, (size_t)rows, (size_t)cols, m.data(), &e);
        if (rc) {
            fprintf(stderr, "synthetic data: %s\n", e.msg);
            exit(3);
        }
        break;
    }
    }
}

#endif
