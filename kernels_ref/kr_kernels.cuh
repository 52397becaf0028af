/* kernels_ref/kr_kernels.cuh — the variant dispatch of one kind; each kr_k_<kind>.cu instantiates it.
 *
 * The kernels, bottom-up (docs/gpu.md, "Kernels"):
 *   kr_ptx.cuh     the hand-written PTX (fp16x2 ops, mma.sync, cp.async, bulk copies, ldmatrix, wgmma)
 *   kr_kind.cuh    the per-kind pieces: group widths, group parameters, decoders, dequantization
 *   kr_gemv.cuh    GEMV v1, v4, v5 (M <= 16)
 *   kr_gemv6.cuh   GEMV v6 (M = 1)
 *   kr_gemm.cuh    GEMM v2 and v3 (any M; the contenders above 16)
 * The kind is a template parameter of each family; the bit-level decoders are kr_decode.h, shared
 * with the CPU tests. Which variant KR_VAR_AUTO takes is kr_auto_variant (kr_launch.cu).
 */
#ifndef MP_KERNELS_REF_KR_KERNELS_CUH
#define MP_KERNELS_REF_KR_KERNELS_CUH

#include "kr_gemm.cuh"
#include "kr_gemv.cuh"
#include "kr_gemv6.cuh"

namespace kr {

template <int KIND>
static int launch_kind(KrVariant var, const KrWeights *w, const KrActs *x, const uint32_t *lut, float *y,
                       cudaStream_t st)
{
    switch (var) {
    case KR_VAR_GEMV_R1S8:
    case KR_VAR_GEMV_R1S4:
        return with_tiles(x->m, [&](auto nt) {
            constexpr int NT = decltype(nt)::value;
            return var == KR_VAR_GEMV_R1S8 ? launch_gemv<KIND, NT, 1, 8>(w, x, lut, y, st)
                                           : launch_gemv<KIND, NT, 1, 4>(w, x, lut, y, st);
        });
    case KR_VAR_GEMV4:
    case KR_VAR_GEMV4_P1:
    case KR_VAR_GEMV4_P2:
    case KR_VAR_GEMV4_P4:
    case KR_VAR_GEMV4_P8:
    case KR_VAR_GEMV5:
    case KR_VAR_GEMV5_P1:
    case KR_VAR_GEMV5_P2:
    case KR_VAR_GEMV5_P4:
    case KR_VAR_GEMV5_P8: {
        const bool v4 = var <= KR_VAR_GEMV4_P8;
        const int P = var == KR_VAR_GEMV4 || var == KR_VAR_GEMV5 ? gemv4_parts(KIND, w->n)
                                                                 : 1 << (var - (v4 ? KR_VAR_GEMV4_P1 : KR_VAR_GEMV5_P1));
        if (KIND == K_W4A8 && P != 1)
            return -1; /* the exact chain of FMAs runs over all groups in one warp */
        return with_tiles(x->m, [&](auto nt) {
            return with_parts(P, [&](auto p) {
                constexpr int NT = decltype(nt)::value, PP = decltype(p)::value;
                return v4 ? launch_gemv4<KIND, NT, PP, 4>(w, x, lut, y, st)
                          : launch_gemv5<KIND, NT, PP, 4, 2>(w, x, lut, y, st);
            });
        });
    }
    case KR_VAR_GEMV6_P1:
    case KR_VAR_GEMV6_P2:
    case KR_VAR_GEMV6_P4:
    case KR_VAR_GEMV6_P8:
    case KR_VAR_GEMV6S2_P1:
    case KR_VAR_GEMV6S2_P2:
    case KR_VAR_GEMV6S2_P4:
    case KR_VAR_GEMV6S2_P8: {
        const bool s2 = var >= KR_VAR_GEMV6S2_P1;
        return with_parts(1 << (var - (s2 ? KR_VAR_GEMV6S2_P1 : KR_VAR_GEMV6_P1)), [&](auto p) {
            constexpr int PP = decltype(p)::value;
            return s2 ? launch_gemv6<KIND, PP, 2, KR_GV6_U2>(w, x, lut, y, st)
                      : launch_gemv6<KIND, PP, 1, KR_GV6_U1>(w, x, lut, y, st);
        });
    }
    case KR_VAR_GEMM2_64: return launch_gemm2<KIND, 64, 64, 32, 32, 3>(w, x, lut, y, st);
    case KR_VAR_GEMM2_128: return launch_gemm2<KIND, 128, 128, 32, 64, 3>(w, x, lut, y, st);
    case KR_VAR_GEMM3: return launch_gemm3<KIND, Tr<KIND>::INT8 || Tr<KIND>::OLIVE ? 4 : 3>(w, x, lut, y, st);
    default: return -1;
    }
}

} // namespace kr

/* Each kr_k_<kind>.cu defines its entry point with this macro. */
#define KR_DEFINE_KIND(NAME, KIND)                                                                                    \
    extern "C" int NAME(KrVariant var, const KrWeights *w, const KrActs *x, const uint32_t *lut, float *y,            \
                        void *st)                                                                                     \
    {                                                                                                                 \
        return kr::launch_kind<KIND>(var, w, x, lut, y, (cudaStream_t)st);                                            \
    }

#endif
