/* models/quant.h — quantized matrices and the quantizers that make them.
 *
 * A QMat holds a rows x cols matrix whose cols run along the GEMM's reduction
 * dimension K (weights W[N x K], activations X[M x K]). Every element is kept three
 * ways: its code (the packed layout's field, see pack.h), its value in grid units
 * `u` (exact integer; fp16 matrices keep the fp16 bit pattern there instead), and
 * the scale of its group, so that
 *
 *     real value = (u - zero[g]) * scale[g]         g = row * ngroups + col / group
 *
 * with zero == 0 except for the asymmetric uint4 scheme. One scale per tensor is
 * stored as ngroups = 1, per_tensor = 1 (g is then always 0).
 */
#ifndef MP_MODELS_QUANT_H
#define MP_MODELS_QUANT_H

#include <stdint.h>

#include "base/err.h"
#include "models/fmt.h"

typedef enum QScheme {
    QS_FP16,         /* fp16 elements (u = fp16 bits), no scale                         */
    QS_SYM_ROW,      /* symmetric, fp32 scale = max|row| / max code (int8, int4)        */
    QS_ASYM_GROUP,   /* uint4, fp16 scale and uint4 zero per group (MixPE, w4a16-dq)    */
    QS_BITMOD,       /* FP3/FP4 + per-group special value, signed fp16 scale per group  */
    QS_OLIVE,        /* outlier-victim pairs; fp32 scale per row (W) or per tensor (X)  */
    QS_ANT           /* int/flint/PoT chosen per tensor; fp32 scale per row or tensor   */
} QScheme;

/* BitMoD per-group datatype variants, in the reference quantizer's candidate order.
 * NEG grids are POS grids negated, carried by a negative scale. */
typedef enum { BM_ER_POS, BM_ER_NEG, BM_EA_POS, BM_EA_NEG } BitmodVariant;

typedef enum { BM_ERR_FP16, BM_ERR_F64 } BitmodErrMode;

/* ANT's 8-bit fallback (docs/formats.md, "ANT"): off (4-bit types only, the PE kinds' default), by
 * the tensor's 4-bit MSNR (the best 4-bit type's error against the tensor's mean magnitude,
 * 10 log10(mean(|x|)^2 / mean(err^2)), below ant_fb_db: the tensor is stored as ant-int8), or always (a tensor that must follow its partner: ANT runs a layer's weights and
 * activations at 8 bits together). */
typedef enum { ANT_FB_OFF, ANT_FB_MSNR, ANT_FB_INT8 } AntFallback;
/* The threshold of the accuracy formats ant-w4a4-mp / ant-w4a16-mp (our assumption: ANT's artifact
 * picks the 8-bit layers by a hand-set count, docs/sources.md "ANT 8-bit layers"). */
#define ANT_FB_DB_DEFAULT 6.0

typedef struct QMat {
    QScheme scheme;
    FmtId fmt;          /* element format (OliVe/ANT: the type chosen for the tensor)   */
    int rows, cols;
    int group;          /* elements per scale group along cols                           */
    int ngroups;        /* scale groups per row (1 with per_tensor)                      */
    int per_tensor;
    uint8_t *code;      /* rows*cols element codes (OliVe: 0..15 normal, 16..31 outlier, 8 victim) */
    int32_t *u;         /* rows*cols values in grid units (fp16: bits)                   */
    float *scale;       /* rows*ngroups (or 1) scales; BitMoD: signed; fp16 schemes hold fp16 values */
    int32_t *zero;      /* rows*ngroups zero points (QS_ASYM_GROUP), else NULL           */
    uint8_t *variant;   /* rows*ngroups BitmodVariant (QS_BITMOD), else NULL             */
    uint16_t *dq16;     /* QS_ASYM_GROUP: rows*cols fp16(fp16(u - zero) * scale), the value a
                           dequantize-to-fp16 unit produces (w4a16-dq datapath), else NULL */
    /* statistics the quantizer reports */
    long long n_outlier_pairs;    /* OliVe: pairs holding an outlier                     */
    long long n_bitmod_disagree;  /* BitMoD: groups where fp16 and fp64 error pick differently */
    double olive_alpha_sum;       /* OliVe: sum of chosen alpha / x_max (for reports)    */
    double ant_msnr4_db;          /* ANT: MSNR of the best 4-bit type over the tensor, dB
                                     (10 log10(mean(|x|)^2 / mean(err^2)); +inf when exact) */
    double ant_mse4;              /* ANT: that type's mean squared error (ANT's ranking key) */
} QMat;

typedef struct QParams {
    QScheme scheme;
    FmtId fmt;           /* QS_SYM_ROW: FMT_INT8 or FMT_INT4; QS_BITMOD: FP3 or FP4      */
    int group;           /* QS_ASYM_GROUP / QS_BITMOD group size (default 128)           */
    int per_tensor;      /* QS_OLIVE / QS_ANT: 1 for activations                         */
    BitmodErrMode bm_err;
    int bm_only;         /* QS_BITMOD: 0 = per-group mixture; 1 + v = always variant v    */
    AntFallback ant_fb;  /* QS_ANT: the 8-bit fallback (ANT_FB_OFF: 4-bit types only)     */
    double ant_fb_db;    /* QS_ANT, ANT_FB_MSNR: fall back when the 4-bit MSNR < this (dB) */
} QParams;

/* Quantize src (rows x cols, row-major, fp32) into q (allocated here; free with quant_free). */
int quant_matrix(const QParams *p, const float *src, int rows, int cols, QMat *q, MpErr *e) MP_MUST_CHECK;
void quant_free(QMat *q);
/* Allocate q's arrays for a rows x cols matrix of scheme p (zeroed), groups of `group` columns
 * (one per row when per_tensor is 0 and group = cols); MP_ENOMEM leaves q freed. The one
 * allocator of QMat arrays: quant_matrix and unpack_matrix (models/pack.c) both use it. */
int quant_alloc(QMat *q, const QParams *p, int rows, int cols, int group, int per_tensor, MpErr *e) MP_MUST_CHECK;
/* The reference quantizers: the straightforward implementations that define the results, slow
 * (BitMoD emulates every fp16 operation per weight and candidate). quant_matrix must equal them
 * bit for bit in every field of q; tests/test_quant.c checks it. Same contract as quant_matrix. */
int quant_matrix_ref(const QParams *p, const float *src, int rows, int cols, QMat *q, MpErr *e) MP_MUST_CHECK;
/* Fill q->dq16 from u, zero and scale (QS_ASYM_GROUP; unpack_matrix uses it too). */
void quant_fill_dq16(QMat *q);
/* Dequantized value of element (r, c), exactly as defined above, in double. */
double quant_value(const QMat *q, int r, int c);
/* Quantize v (rows x cols) as p says and replace every element by its dequantized value rounded to
 * fp32: what an operand stored in that format holds when it is read back. */
int quant_roundtrip(const QParams *p, float *v, int rows, int cols, MpErr *e) MP_MUST_CHECK;
/* Scale index of (r, c). */
static inline int quant_gidx(const QMat *q, int r, int c)
{
    return q->per_tensor ? 0 : r * q->ngroups + c / q->group;
}

/* BitMoD: the grid of a variant in grid units (FP4 units are 1/2 of E2M1's native values),
 * value of the special code, and the unit's size in native values (FP4: 0.5, FP3: 1). */
int32_t quant_bitmod_special(FmtId fmt, BitmodVariant v);
double quant_bitmod_unit(FmtId fmt);

/* OliVe: quantize one pair (a, b) already divided by the scale (grid units) into two
 * codes following the pair rule; returns 1 if the pair holds an outlier. */
int quant_olive_pair(FmtId fmt, double a, double b, uint8_t *ca, uint8_t *cb);

#endif
