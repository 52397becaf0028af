/* kernels_ref/kr_run_inputs.c — the runner's inputs (docs/gpu.md, "Inputs"): seeded synthetic
 * matrices of traces/synth.h, quantized and packed by models/ (the very bytes the kernels read), a
 * few thousand distinct rows replicated by a seeded map (kr_row_map), copied to the device. */
#include <math.h>
#include <string.h>

#include "kernels_ref/kr_host.h"
#include "kernels_ref/kr_run.h"
#include "traces/synth.h"

void kr_in_pack(const QMat *q, PackedMat *out)
{
    /* pack row blocks in parallel through views of q (pack_matrix only reads q) */
    MpErr e = {0};
    QMat v0 = *q;
    v0.rows = q->rows < 1 ? q->rows : 1;
    if (pack_matrix(&v0, out, &e)) { /* layout template: sizes per row */
        fprintf(stderr, "kr_runner: pack: %s\n", e.msg);
        exit(3);
    }
    PackedMat tmpl = *out;
    size_t rb = tmpl.row_bytes, zrb = tmpl.zero_row_bytes;
    int ng = q->per_tensor ? 0 : q->ngroups;
    uint8_t *codes = kr_xcalloc((size_t)q->rows, rb), *zero4 = tmpl.zero4 ? kr_xcalloc((size_t)q->rows, zrb) : NULL;
    uint16_t *s16 = tmpl.scale16 ? kr_xcalloc((size_t)q->rows * (ng ? ng : 1), 2) : NULL;
    uint8_t *meta = tmpl.meta ? kr_xcalloc((size_t)q->rows * (ng ? ng : 1), 1) : NULL;
    float *s32 = tmpl.scale32 ? kr_xcalloc(q->per_tensor ? 1 : (size_t)q->rows, 4) : NULL;
    const int BR = 64, nb = (q->rows + BR - 1) / BR;
    int failed = 0;
#pragma omp parallel for schedule(dynamic, 1) reduction(| : failed)
    for (int b = 0; b < nb; b++) {
        int r0 = b * BR, r1 = r0 + BR < q->rows ? r0 + BR : q->rows;
        QMat v = *q;
        v.rows = r1 - r0;
        size_t eo = (size_t)r0 * q->cols, go = q->per_tensor ? 0 : (size_t)r0 * q->ngroups;
        v.code = q->code + eo;
        v.u = q->u + eo;
        v.scale = q->scale + go;
        if (q->zero)
            v.zero = q->zero + go;
        if (q->variant)
            v.variant = q->variant + go;
        if (q->dq16)
            v.dq16 = q->dq16 + eo;
        PackedMat pb;
        MpErr eb = {0};
        if (pack_matrix(&v, &pb, &eb)) {
            failed = 1;
            continue;
        }
        memcpy(codes + (size_t)r0 * rb, pb.codes, (size_t)v.rows * rb);
        if (zero4)
            memcpy(zero4 + (size_t)r0 * zrb, pb.zero4, (size_t)v.rows * zrb);
        if (s16)
            memcpy(s16 + go, pb.scale16, (size_t)v.rows * ng * 2);
        if (meta)
            memcpy(meta + go, pb.meta, (size_t)v.rows * ng);
        if (s32 && !q->per_tensor)
            memcpy(s32 + r0, pb.scale32, (size_t)v.rows * 4);
        pack_free(&pb);
    }
    if (failed) {
        fprintf(stderr, "kr_runner: pack failed\n");
        exit(3);
    }
    if (s32 && q->per_tensor)
        s32[0] = q->scale[0];
    pack_free(out);
    *out = tmpl;
    out->rows = q->rows;
    out->codes = codes;
    out->zero4 = zero4;
    out->scale16 = s16;
    out->meta = meta;
    out->scale32 = s32;
}

void kr_in_expand(const PackedMat *b, int rows, const int *map, PackedMat *o)
{
    *o = *b;
    o->rows = rows;
    int ng = b->per_tensor ? 0 : b->ngroups;
    o->codes = kr_xmalloc((size_t)rows * b->row_bytes);
    o->zero4 = b->zero4 ? kr_xmalloc((size_t)rows * b->zero_row_bytes) : NULL;
    o->scale16 = b->scale16 ? kr_xmalloc((size_t)rows * ng * 2) : NULL;
    o->meta = b->meta ? kr_xmalloc((size_t)rows * ng) : NULL;
    o->scale32 = b->scale32 ? kr_xmalloc(b->per_tensor ? 4 : (size_t)rows * 4) : NULL;
#pragma omp parallel for schedule(static)
    for (int r = 0; r < rows; r++) {
        int s = map[r];
        memcpy(o->codes + (size_t)r * b->row_bytes, b->codes + (size_t)s * b->row_bytes, b->row_bytes);
        if (o->zero4)
            memcpy(o->zero4 + (size_t)r * b->zero_row_bytes, b->zero4 + (size_t)s * b->zero_row_bytes, b->zero_row_bytes);
        if (o->scale16)
            memcpy(o->scale16 + (size_t)r * ng, b->scale16 + (size_t)s * ng, (size_t)ng * 2);
        if (o->meta)
            memcpy(o->meta + (size_t)r * ng, b->meta + (size_t)s * ng, (size_t)ng);
        if (o->scale32 && !b->per_tensor)
            o->scale32[r] = b->scale32[s];
    }
    if (o->scale32 && b->per_tensor)
        o->scale32[0] = b->scale32[0];
}

void kr_in_free(PackedMat *p)
{
    free(p->codes);
    free(p->zero4);
    free(p->scale16);
    free(p->meta);
    free(p->scale32);
    memset(p, 0, sizeof *p);
}

static size_t al256(size_t n) { return (n + 255) & ~(size_t)255; }

void kr_in_upload(const PackedMat *p, DevPack *d)
{
    int ng = p->per_tensor ? 0 : p->ngroups;
    size_t nc = (size_t)p->rows * p->row_bytes, nz = p->zero4 ? (size_t)p->rows * p->zero_row_bytes : 0;
    size_t ns = p->scale16 ? (size_t)p->rows * ng * 2 : 0, nm = p->meta ? (size_t)p->rows * ng : 0;
    size_t n32 = p->scale32 ? (p->per_tensor ? 4 : (size_t)p->rows * 4) : 0;
    size_t off_z = al256(nc), off_s = off_z + al256(nz), off_m = off_s + al256(ns), off_32 = off_m + al256(nm);
    d->bytes = off_32 + al256(n32);
    CK(cudaMalloc(&d->blob, d->bytes));
    uint8_t *b = d->blob;
    d->codes = b;
    d->zero4 = nz ? b + off_z : NULL;
    d->scale16 = ns ? (uint16_t *)(b + off_s) : NULL;
    d->meta = nm ? b + off_m : NULL;
    d->scale32 = n32 ? (float *)(b + off_32) : NULL;
    CK(cudaMemcpy(d->codes, p->codes, nc, cudaMemcpyHostToDevice));
    if (nz)
        CK(cudaMemcpy(d->zero4, p->zero4, nz, cudaMemcpyHostToDevice));
    if (ns)
        CK(cudaMemcpy(d->scale16, p->scale16, ns, cudaMemcpyHostToDevice));
    if (nm)
        CK(cudaMemcpy(d->meta, p->meta, nm, cudaMemcpyHostToDevice));
    if (n32)
        CK(cudaMemcpy(d->scale32, p->scale32, n32, cudaMemcpyHostToDevice));
}

void kr_in_clone(const DevPack *s, DevPack *d)
{
    *d = *s;
    CK(cudaMalloc(&d->blob, s->bytes));
    CK(cudaMemcpy(d->blob, s->blob, s->bytes, cudaMemcpyDeviceToDevice));
    ptrdiff_t off = (uint8_t *)d->blob - (uint8_t *)s->blob;
    d->codes = s->codes + off;
    d->zero4 = s->zero4 ? s->zero4 + off : NULL;
    d->meta = s->meta ? s->meta + off : NULL;
    d->scale16 = s->scale16 ? (uint16_t *)((uint8_t *)s->scale16 + off) : NULL;
    d->scale32 = s->scale32 ? (float *)((uint8_t *)s->scale32 + off) : NULL;
}

int kr_in_copies(size_t bytes)
{
    int n = (int)ceil(160e6 / (double)bytes);
    return n < 2 ? 2 : n > KR_MAXCOPIES ? KR_MAXCOPIES : n;
}

void kr_in_weights(uint64_t seed, int rows, int K, float *w)
{
    SynParams sp;
    syn_params_default(&sp);
    const int BR = 32, nb = (rows + BR - 1) / BR;
    int failed = 0;
#pragma omp parallel for schedule(dynamic, 1) reduction(| : failed)
    for (int b = 0; b < nb; b++) {
        MpErr e = {0};
        int r0 = b * BR, n = r0 + BR < rows ? BR : rows - r0;
        if (syn_weights(&sp, seed + 0x9e3779b97f4a7c15ull * (uint64_t)(b + 1), (size_t)n, (size_t)K,
                        w + (size_t)r0 * K, &e))
            failed = 1;
    }
    if (failed) {
        fprintf(stderr, "kr_runner: synthetic weights failed\n");
        exit(3);
    }
}

void kr_in_quantize(const QParams *qp, const float *src, int rows, int cols, QMat *q)
{
    MpErr e = {0};
    if (quant_matrix(qp, src, rows, cols, q, &e)) {
        fprintf(stderr, "kr_runner: quantize: %s\n", e.msg);
        exit(3);
    }
}

int kr_in_wslot(int kern)
{
    switch (kern) {
    case KR_MIXPE_W4A16:
    case KR_W4A16_DQ:
    case KR_MIXPE_W4A8: return 0;
    case KR_BITMOD_W4: return 1;
    case KR_BITMOD_W3: return 2;
    case KR_OLIVE_W4A4: return 3;
    default: return 4;
    }
}
int kr_in_xslot(int kern) { return kern == KR_MIXPE_W4A8 ? 1 : kern == KR_OLIVE_W4A4 ? 2 : 0; }
static const QParams fp16_params = {QS_FP16, 0, 0, 0, BM_ERR_FP16, 0, ANT_FB_OFF, 0}; /* cuBLAS: W and X in fp16 */
const QParams *kr_in_wparams(int kern) { return kern == KR_CUBLAS ? &fp16_params : &kr_format((KrKernel)kern)->wq; }
const QParams *kr_in_xparams(int kern) { return kern == KR_CUBLAS ? &fp16_params : &kr_format((KrKernel)kern)->xq; }
