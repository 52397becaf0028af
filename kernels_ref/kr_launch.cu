/* kernels_ref/kr_launch.cu — kr_launch: dispatch to the per-kind entry points (kr_k_*.cu). */
#include "kr_api.h"

extern "C" {
typedef int (*KrKindFn)(KrVariant, const KrWeights *, const KrActs *, const uint32_t *, float *, void *);
int kr_launch_mixpe16(KrVariant, const KrWeights *, const KrActs *, const uint32_t *, float *, void *);
int kr_launch_dq(KrVariant, const KrWeights *, const KrActs *, const uint32_t *, float *, void *);
int kr_launch_w4a8(KrVariant, const KrWeights *, const KrActs *, const uint32_t *, float *, void *);
int kr_launch_fp4(KrVariant, const KrWeights *, const KrActs *, const uint32_t *, float *, void *);
int kr_launch_fp3(KrVariant, const KrWeights *, const KrActs *, const uint32_t *, float *, void *);
int kr_launch_olive(KrVariant, const KrWeights *, const KrActs *, const uint32_t *, float *, void *);

const char *const kr_kernel_names[KR_KERNEL_COUNT] = {"mixpe-w4a16", "w4a16-dq",  "mixpe-w4a8",
                                                      "bitmod-w4",   "bitmod-w3", "olive-w4a4"};
const char *const kr_variant_names[KR_VAR_COUNT] = {
    "auto",     "gemv-r1s8", "gemv-r2s4", "gemv-r4s2", "gemv-r1s4",  "gemm-64",   "gemm-128",
    "gemv2",    "gemv2-p1",  "gemv2-p2",  "gemv2-p4",  "gemm2-64",   "gemm2-128",
    "gemv3",    "gemv3-p1",  "gemv3-p2",  "gemv3-p4"};

KrVariant kr_auto_variant(KrKernel kern, int m)
{
    /* From the committed H100 results (kernels_ref/results/h100/, all variants timed): per kernel and
     * range of M, the variant whose worst slowdown against the fastest passing one is smallest. */
    if (m <= 16) {
        switch (kern) {
        case KR_MIXPE_W4A8: return KR_VAR_GEMV_R1S8;
        case KR_W4A16_DQ: return m <= 4 ? KR_VAR_GEMV_R1S8 : KR_VAR_GEMV3;
        case KR_OLIVE_W4A4: return KR_VAR_GEMV2_P4;
        default: return KR_VAR_GEMV3_P4; /* mixpe-w4a16, bitmod-w4, bitmod-w3 */
        }
    }
    if (m <= 64 || kern == KR_MIXPE_W4A8)
        return KR_VAR_GEMM2_64;
    return KR_VAR_GEMM2_128;
}

int kr_launch(KrKernel kern, KrVariant var, const KrWeights *w, const KrActs *x, const uint32_t *olive_lut, float *y,
              void *stream)
{
    static const KrKindFn fns[KR_KERNEL_COUNT] = {kr_launch_mixpe16, kr_launch_dq,  kr_launch_w4a8,
                                                  kr_launch_fp4,     kr_launch_fp3, kr_launch_olive};
    if ((int)kern < 0 || kern >= KR_KERNEL_COUNT || !w || !x || !y || w->k != x->k || w->k % 128 != 0 ||
        w->ngroups != w->k / 128 || w->n <= 0 || x->m <= 0 || (kern == KR_OLIVE_W4A4 && !olive_lut))
        return -1;
    if (var == KR_VAR_AUTO)
        var = kr_auto_variant(kern, x->m);
    if (((var >= KR_VAR_GEMV_R1S8 && var <= KR_VAR_GEMV_R1S4) || (var >= KR_VAR_GEMV2 && var <= KR_VAR_GEMV2_P4) ||
         var >= KR_VAR_GEMV3) &&
        x->m > 16)
        return -1;
    return fns[kern](var, w, x, olive_lut, y, stream);
}
}
