/* models/pack.c — see pack.h and docs/formats.md. */
#include "models/pack.h"

#include <string.h>

#include "base/alloc.h"
#include "models/fpx.h"

void pack_put_bits(uint8_t *row, int index, int bits, uint32_t value)
{
    if (bits == 8) {
        row[index] = (uint8_t)value;
        return;
    }
    if (bits == 16) {
        row[2 * index] = (uint8_t)value;
        row[2 * index + 1] = (uint8_t)(value >> 8);
        return;
    }
    if (bits == 4) {
        uint8_t *b = &row[index >> 1];
        *b = (index & 1) ? (uint8_t)((*b & 0x0f) | (value & 15) << 4) : (uint8_t)((*b & 0xf0) | (value & 15));
        return;
    }
    size_t bit = (size_t)index * (size_t)bits;
    for (int i = 0; i < bits; i++, bit++) {
        uint8_t m = (uint8_t)(1u << (bit & 7));
        if ((value >> i) & 1)
            row[bit >> 3] |= m;
        else
            row[bit >> 3] &= (uint8_t)~m;
    }
}

uint32_t pack_get_bits(const uint8_t *row, int index, int bits)
{
    if (bits == 8)
        return row[index];
    if (bits == 16)
        return (uint32_t)row[2 * index] | (uint32_t)row[2 * index + 1] << 8;
    if (bits == 4)
        return (row[index >> 1] >> ((index & 1) * 4)) & 15;
    size_t bit = (size_t)index * (size_t)bits;
    uint32_t v = 0;
    for (int i = 0; i < bits; i++, bit++)
        v |= (uint32_t)((row[bit >> 3] >> (bit & 7)) & 1) << i;
    return v;
}

uint8_t pack_olive_byte(uint8_t lo, uint8_t hi) { return (uint8_t)((lo & 15) | (hi & 15) << 4); }

static int olive_outlier_ok(uint8_t nib) { return (nib & 7) != 0; } /* (e, m) = (0, 0) unused */

int pack_olive_byte_decode(FmtId fmt, uint8_t byte, uint8_t *lo, uint8_t *hi)
{
    (void)fmt;
    uint8_t a = byte & 15, b = byte >> 4;
    if (a == 8 && b == 8)
        return -1;
    if (a == 8) {
        if (!olive_outlier_ok(b))
            return -1;
        *lo = 8;
        *hi = (uint8_t)(16 + b);
    } else if (b == 8) {
        if (!olive_outlier_ok(a))
            return -1;
        *lo = (uint8_t)(16 + a);
        *hi = 8;
    } else {
        *lo = a;
        *hi = b;
    }
    return 0;
}

static int code_bits(const QMat *q)
{
    if (q->scheme == QS_FP16)
        return 16;
    return fmt_get(q->fmt)->bits;
}

void pack_free(PackedMat *p)
{
    mp_free(p->codes);
    mp_free(p->scale16);
    mp_free(p->scale32);
    mp_free(p->zero4);
    mp_free(p->meta);
    memset(p, 0, sizeof *p);
}

size_t pack_bytes(const PackedMat *p)
{
    size_t ns = p->per_tensor ? 1 : (size_t)p->rows * p->ngroups, n = (size_t)p->rows * p->row_bytes;
    if (p->scale16)
        n += ns * 2;
    if (p->scale32)
        n += (p->per_tensor ? 1 : (size_t)p->rows) * 4;
    if (p->zero4)
        n += (size_t)p->rows * p->zero_row_bytes;
    if (p->meta)
        n += ns;
    return n;
}

static uint8_t type_of(FmtId f)
{
    switch (f) {
    case FMT_OLIVE_FLINT4:
    case FMT_FLINT4: return 1;
    case FMT_POT4: return 2;
    case FMT_ANT_INT8: return 3;
    default: return 0;
    }
}

static FmtId fmt_of(QScheme s, uint8_t type, FmtId fallback)
{
    if (s == QS_OLIVE)
        return type ? FMT_OLIVE_FLINT4 : FMT_OLIVE_INT4;
    if (s == QS_ANT)
        return type == 1 ? FMT_FLINT4 : type == 2 ? FMT_POT4 : type == 3 ? FMT_ANT_INT8 : FMT_ANT_INT4;
    return fallback;
}

static int alloc_packed(PackedMat *p, MpErr *e)
{
    size_t ns = p->per_tensor ? 1 : (size_t)p->rows * p->ngroups;
    p->row_bytes = ((size_t)p->cols * p->bits + 7) / 8;
    p->codes = mp_calloc((size_t)p->rows, p->row_bytes);
    int ok = p->codes != NULL;
    switch (p->scheme) {
    case QS_ASYM_GROUP:
        p->zero_row_bytes = ((size_t)p->ngroups + 1) / 2;
        p->zero4 = mp_calloc((size_t)p->rows, p->zero_row_bytes);
        p->scale16 = mp_calloc(ns, 2);
        ok = ok && p->zero4 && p->scale16;
        break;
    case QS_BITMOD:
        p->scale16 = mp_calloc(ns, 2);
        p->meta = mp_calloc(ns, 1);
        ok = ok && p->scale16 && p->meta;
        break;
    case QS_SYM_ROW:
    case QS_OLIVE:
    case QS_ANT:
        p->scale32 = mp_calloc(p->per_tensor ? 1 : (size_t)p->rows, 4);
        ok = ok && p->scale32;
        break;
    case QS_FP16: break;
    }
    if (!ok) {
        pack_free(p);
        return mp_errf(e, MP_ENOMEM, "out of memory packing a %d x %d matrix", p->rows, p->cols);
    }
    return MP_OK;
}

int pack_matrix(const QMat *q, PackedMat *p, MpErr *e)
{
    memset(p, 0, sizeof *p);
    p->scheme = q->scheme;
    p->fmt = q->fmt;
    p->rows = q->rows;
    p->cols = q->cols;
    p->group = q->group;
    p->ngroups = q->ngroups;
    p->per_tensor = q->per_tensor;
    p->bits = code_bits(q);
    p->type = type_of(q->fmt);
    int rc = alloc_packed(p, e);
    if (rc)
        return rc;
    for (int r = 0; r < q->rows; r++) {
        uint8_t *row = p->codes + (size_t)r * p->row_bytes;
        for (int c = 0; c < q->cols; c++) {
            size_t i = (size_t)r * q->cols + c;
            uint32_t v = q->scheme == QS_FP16 ? (uint32_t)q->u[i] : (uint32_t)q->code[i] & ((1u << p->bits) - 1);
            pack_put_bits(row, c, p->bits, v);
        }
        /* OliVe, odd cols: the missing partner of a last outlier is written as its victim */
        if (q->scheme == QS_OLIVE && (q->cols & 1) && q->code[(size_t)r * q->cols + q->cols - 1] >= 16)
            pack_put_bits(row, q->cols, 4, 8);
    }
    size_t ns = q->per_tensor ? 1 : (size_t)q->rows * q->ngroups;
    for (size_t g = 0; g < ns; g++) {
        switch (q->scheme) {
        case QS_ASYM_GROUP:
            p->scale16[g] = fp16_from_f64(q->scale[g]); /* exact: an fp16 value */
            pack_put_bits(p->zero4 + (g / q->ngroups) * p->zero_row_bytes, (int)(g % q->ngroups), 4,
                          (uint32_t)q->zero[g]);
            break;
        case QS_BITMOD:
            /* stored scale = signed native scale * unit; native = stored / unit, exact */
            p->scale16[g] = fp16_from_f64((double)q->scale[g] / quant_bitmod_unit(q->fmt));
            p->meta[g] = (uint8_t)(q->variant[g] == BM_EA_POS || q->variant[g] == BM_EA_NEG);
            break;
        case QS_SYM_ROW:
        case QS_OLIVE:
        case QS_ANT: p->scale32[g] = q->scale[g]; break;
        case QS_FP16: break;
        }
    }
    return MP_OK;
}

int pack_alloc(const QParams *qp, int rows, int cols, uint8_t type, PackedMat *p, MpErr *e)
{
    memset(p, 0, sizeof *p);
    if (rows < 1 || cols < 1)
        return mp_errf(e, MP_EINPUT, "cannot allocate an empty %d x %d packed matrix", rows, cols);
    const int max_type = qp->scheme == QS_OLIVE ? 1 : qp->scheme == QS_ANT ? 3 : 0;
    if (type > max_type)
        return mp_errf(e, MP_EINPUT, "element type %u: this scheme takes 0..%d", (unsigned)type, max_type);
    /* the QMat geometry of quant_matrix (models/quant.c); tests/test_pack.c checks they agree */
    p->scheme = qp->scheme;
    p->fmt = fmt_of(qp->scheme, type, qp->fmt);
    p->rows = rows;
    p->cols = cols;
    p->group = cols;
    switch (qp->scheme) {
    case QS_FP16: p->per_tensor = 1; break;
    case QS_ASYM_GROUP:
    case QS_BITMOD: p->group = qp->group > 0 ? qp->group : 128; break;
    case QS_OLIVE:
    case QS_ANT: p->per_tensor = qp->per_tensor; break;
    case QS_SYM_ROW: break;
    }
    p->ngroups = p->per_tensor ? 1 : (cols + p->group - 1) / p->group;
    p->bits = qp->scheme == QS_FP16 ? 16 : fmt_get(p->fmt)->bits;
    p->type = type_of(p->fmt);
    return alloc_packed(p, e);
}

int unpack_matrix(const PackedMat *p, QMat *q, MpErr *e)
{
    QParams qp = {p->scheme, fmt_of(p->scheme, p->type, p->fmt), p->group, p->per_tensor, BM_ERR_FP16, 0, ANT_FB_OFF, 0};
    int rc = quant_alloc(q, &qp, p->rows, p->cols, p->group, p->per_tensor, e);
    if (rc)
        return rc;
    const size_t ns = p->per_tensor ? 1 : (size_t)p->rows * p->ngroups;
    const FmtDesc *f = p->scheme == QS_FP16 ? NULL : fmt_get(q->fmt);
    for (size_t g = 0; g < ns; g++) {
        switch (p->scheme) {
        case QS_ASYM_GROUP:
            q->scale[g] = fp16_to_f32(p->scale16[g]);
            q->zero[g] = (int32_t)pack_get_bits(p->zero4 + (g / p->ngroups) * p->zero_row_bytes,
                                                (int)(g % p->ngroups), 4);
            break;
        case QS_BITMOD: {
            double s = fp16_to_f64(p->scale16[g]);
            int ea = p->meta[g] & 1, neg = s < 0 || (p->scale16[g] & 0x8000);
            q->variant[g] = (uint8_t)(ea ? (neg ? BM_EA_NEG : BM_EA_POS) : (neg ? BM_ER_NEG : BM_ER_POS));
            q->scale[g] = (float)(s * quant_bitmod_unit(q->fmt));
            break;
        }
        case QS_SYM_ROW:
        case QS_OLIVE:
        case QS_ANT: q->scale[g] = p->scale32[g]; break;
        case QS_FP16: q->scale[g] = 1.0f; break;
        }
    }
    for (int r = 0; r < p->rows; r++) {
        const uint8_t *row = p->codes + (size_t)r * p->row_bytes;
        for (int c = 0; c < p->cols; c++) {
            size_t i = (size_t)r * p->cols + c;
            uint32_t v = pack_get_bits(row, c, p->bits);
            if (p->scheme == QS_FP16) {
                q->u[i] = (int32_t)v;
                continue;
            }
            if (p->scheme == QS_OLIVE) {
                if (c & 1)
                    continue; /* decoded with its partner */
                uint8_t lo, hi, byte = row[c / 2];
                if (pack_olive_byte_decode(q->fmt, byte, &lo, &hi) != 0) {
                    quant_free(q);
                    return mp_errf(e, MP_EINPUT, "OliVe row %d byte %d: illegal pair byte 0x%02x", r, c / 2, byte);
                }
                q->code[i] = lo;
                q->u[i] = lo == 8 ? 0 : f->value[lo];
                if (c + 1 < p->cols) {
                    q->code[i + 1] = hi;
                    q->u[i + 1] = hi == 8 ? 0 : f->value[hi];
                }
                continue;
            }
            q->code[i] = (uint8_t)v;
            if (p->scheme == QS_BITMOD && (int)v == f->special_code) {
                int g = quant_gidx(q, r, c);
                int32_t sp = quant_bitmod_special(q->fmt, (BitmodVariant)q->variant[g]);
                q->u[i] = sp < 0 ? -sp : sp; /* POS grid: the special is stored positive */
                continue;
            }
            if (!f->valid[v]) {
                quant_free(q);
                return mp_errf(e, MP_EINPUT, "%s row %d element %d: code 0x%x is not a value of the format", f->name,
                               r, c, v);
            }
            q->u[i] = f->value[v];
        }
    }
    if (q->dq16)
        quant_fill_dq16(q);
    return MP_OK;
}
