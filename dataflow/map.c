/* dataflow/map.c — see map.h. */
#include "dataflow/map.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "base/alloc.h"

static int64_t cdiv(int64_t a, int64_t b) { return (a + b - 1) / b; }
static int64_t bits_of(double bits_per_elem, int64_t elems) { return (int64_t)ceil(bits_per_elem * (double)elems); }

/* Bits of all blocks of a rows x cols tensor cut into br x bc blocks, each rounded up to whole
 * bits on its own (how the engines count a block transfer). Only four block shapes exist. */
static int64_t blocked_bits(double bits, int64_t rows, int64_t br, int64_t cols, int64_t bc)
{
    const int64_t fr = rows / br, rr = rows % br, fc = cols / bc, rc = cols % bc;
    int64_t t = fr * fc * bits_of(bits, br * bc);
    if (rr)
        t += fc * bits_of(bits, rr * bc);
    if (rc)
        t += fr * bits_of(bits, br * rc);
    if (rr && rc)
        t += bits_of(bits, rr * rc);
    return t;
}

int64_t map_block_bits(double bits_per_elem, int64_t rows, int64_t cols) { return bits_of(bits_per_elem, rows * cols); }

int64_t map_fused_attn_need_bits(int64_t m, int64_t keys, int head_dim, int rows, int cols, double s_bits,
                                 double q_bits, double kv_bits, int acc_bits)
{
    const int64_t edge = rows > cols ? rows : cols, br = m < edge ? m : edge, bc = keys < edge ? keys : edge;
    return bits_of(s_bits, br * bc) + br * head_dim * (int64_t)acc_bits + bits_of(q_bits, br * head_dim) +
           2 * bits_of(kv_bits, bc * head_dim) + 2 * br * 32;
}

/* The causal mask at the block level: the last key the last query row of an M block sees is
 * lim = m0 + mb - 1 + causal_off; of the key blocks (nkb blocks of bkey keys) those starting at or
 * before lim run, the rest are skipped. The count is nondecreasing in the M block. */
static int64_t causal_blocks(const MapProblem *p, int64_t m0, int64_t mb, int64_t bkey, int64_t nkb)
{
    const int64_t lim = m0 + mb - 1 + p->causal_off;
    if (lim < 0)
        return 0;
    return lim / bkey + 1 < nkb ? lim / bkey + 1 : nkb;
}

/* Executed N blocks (*en) and K blocks (*ek) of M block im: a step (im, in, ik) runs when
 * in < *en and ik < *ek. Without a mask, all. */
static void exec_blocks(const MapProblem *p, const Mapping *mp, int64_t im, int64_t *en, int64_t *ek)
{
    const int64_t nn = cdiv(p->n, mp->bn), nk = cdiv(p->k, mp->bk), m0 = im * mp->bm;
    const int64_t mb = p->m - m0 < mp->bm ? p->m - m0 : mp->bm;
    *en = p->causal == MAP_CAUSAL_N ? causal_blocks(p, m0, mb, mp->bn, nn) : nn;
    *ek = p->causal == MAP_CAUSAL_K ? causal_blocks(p, m0, mb, mp->bk, nk) : nk;
}

/* Bits of the first cnt blocks along a dimension of extent full cut by blk (the last block of the
 * whole extent may be short), each block `other` elements wide and rounded up on its own. */
static int64_t run_bits(double bits, int64_t other, int64_t full, int64_t blk, int64_t cnt)
{
    const int64_t rem = full % blk;
    const int part = cnt == cdiv(full, blk) && rem; /* the short block is among them */
    return (cnt - part) * bits_of(bits, other * (blk < full ? blk : full)) + (part ? bits_of(bits, other * rem) : 0);
}

/* Traffic under a causal mask: per M block (O(nm), never more than the executed steps): every
 * executed step's blocks, less those resident from the previous *executed* step. Consecutive
 * executed steps share a block only across an output-block boundary where the earlier output block
 * ran a single K step (both then use K block 0): X within an M block's row of output blocks (order
 * MN), W down a column (order NM), W between M blocks of a single executed N block (MN), X between
 * columns whose only executed M block is the last (NM). The walk in tests/test_map.c checks it. */
static void causal_traffic(const MapProblem *p, Mapping *mp)
{
    const int64_t nm = cdiv(p->m, mp->bm), nn = cdiv(p->n, mp->bn);
    const int64_t kb0 = mp->bk < p->k ? mp->bk : p->k, nb0 = mp->bn < p->n ? mp->bn : p->n;
    int64_t w = 0, x = 0, y = 0, steps = 0, pen = 0, pek = 0; /* pen, pek: the previous executed M block's */
    for (int64_t im = 0; im < nm; im++) {
        const int64_t m0 = im * mp->bm, mb = p->m - m0 < mp->bm ? p->m - m0 : mp->bm;
        int64_t en, ek;
        exec_blocks(p, mp, im, &en, &ek);
        if (!en || !ek)
            continue;
        steps += en * ek;
        /* W blocks (in < en, ik < ek): en full-or-short N blocks by ek K blocks */
        const int64_t nshort = en == nn && p->n % mp->bn ? 1 : 0;
        w += (en - nshort) * run_bits(p->w_dram_bits, nb0, p->k, mp->bk, ek) +
             nshort * run_bits(p->w_dram_bits, p->n % mp->bn, p->k, mp->bk, ek);
        x += en * run_bits(p->x_dram_bits, mb, p->k, mp->bk, ek);
        y += run_bits(p->y_dram_bits, mb, p->n, mp->bn, en);
        const int first = pen == 0; /* no executed M block before this one */
        if (mp->order == ORDER_MN) {
            if (ek == 1) /* X (im, 0) resident along the row */
                x -= (en - 1) * bits_of(p->x_dram_bits, mb * kb0);
            if (!first && pek == 1 && pen == 1) /* W (0, 0) resident from the previous M block */
                w -= bits_of(p->w_dram_bits, nb0 * kb0);
        } else if (!first && pek == 1) {
            /* down each column both M blocks run (pen <= en): W (in, 0) resident */
            w -= run_bits(p->w_dram_bits, kb0, p->n, mp->bn, pen);
        }
        pen = en;
        pek = ek;
    }
    if (mp->order == ORDER_NM) {
        /* between columns: the last column's last M block (nm - 1) is the next column's first when
         * it is that column's only one */
        int64_t en1, ek1, en2 = 0, ek2;
        exec_blocks(p, mp, nm - 1, &en1, &ek1);
        if (nm > 1) {
            exec_blocks(p, mp, nm - 2, &en2, &ek2);
            en2 = ek2 ? en2 : 0; /* the columns in which M block nm - 2 runs */
        }
        const int64_t from = en2 > 1 ? en2 : 1, m0 = (nm - 1) * mp->bm;
        if (ek1 == 1 && en1 > from)
            x -= (en1 - from) * bits_of(p->x_dram_bits, (p->m - m0) * kb0);
    }
    mp->dram_w_bits = w;
    mp->dram_x_bits = x;
    mp->dram_y_bits = y;
    mp->steps = steps;
}

/* Number of block loads of W and X over the loop nest, honouring residency. */
void map_traffic(const MapProblem *p, Mapping *mp)
{
    if (p->causal != MAP_CAUSAL_NONE) {
        causal_traffic(p, mp);
    } else {
        const int64_t nm = cdiv(p->m, mp->bm), nn = cdiv(p->n, mp->bn), nk = cdiv(p->k, mp->bk);
        /* A block is resident across consecutive steps when they use the same block: X across the
         * inner N loop when nk == 1 (order MN); W across the inner M loop when nk == 1 (order NM).
         * With nk > 1 every step changes both blocks' K range, so both are reloaded. */
        int64_t w_loads_full, x_loads_full; /* how many times the whole tensor is streamed */
        if (mp->order == ORDER_MN) {
            w_loads_full = nk == 1 && nn == 1 ? 1 : nm;
            x_loads_full = nk == 1 ? 1 : nn;
        } else {
            x_loads_full = nk == 1 && nm == 1 ? 1 : nn;
            w_loads_full = nk == 1 ? 1 : nm;
        }
        /* a tensor streamed once while resident across steps moves as whole blocks too */
        mp->dram_w_bits = w_loads_full * blocked_bits(p->w_dram_bits, p->n, mp->bn, p->k, mp->bk);
        mp->dram_x_bits = x_loads_full * blocked_bits(p->x_dram_bits, p->m, mp->bm, p->k, mp->bk);
        mp->dram_y_bits = blocked_bits(p->y_dram_bits, p->m, mp->bm, p->n, mp->bn);
        mp->steps = nm * nn * nk;
    }
    /* an operand on chip moves no DRAM bit (map.h) */
    if (p->x_onchip)
        mp->dram_x_bits = 0;
    if (p->y_onchip)
        mp->dram_y_bits = 0;
}

/* Capacity check in double: products of block extents can exceed int64 for absurd blockings;
 * every capacity is far below 2^53, so the comparisons are exact where they matter. */
static int fits(const MapProblem *p, int64_t bm, int64_t bn, int64_t bk)
{
    double db = p->double_buffer ? 2 : 1;
    return db * ceil(p->w_bits * (double)bn * (double)bk) <= (double)p->wbuf_bits &&
           db * ceil(p->x_bits * (double)bm * (double)bk) <= (double)p->xbuf_bits &&
           db * (double)bm * (double)bn * p->acc_bits <= (double)p->ybuf_bits;
}

/* Candidate extents: multiples of `unit` doubling from unit, plus the full extent. */
static int candidates(int64_t full, int64_t unit, int64_t *out, int cap)
{
    int n = 0;
    if (unit >= full) {
        out[n++] = full;
        return n;
    }
    for (int64_t v = unit; v < full && n < cap - 1; v *= 2)
        out[n++] = v;
    out[n++] = full;
    return n;
}

int map_m_unit(const MapProblem *p, int trans) { return trans ? p->cols : p->rows; }
int map_n_unit(const MapProblem *p, int trans) { return trans ? p->rows : p->cols; }
const char *map_orient_name(int trans) { return trans ? "NxM" : "MxN"; }

static int check_problem(const MapProblem *p, MpErr *e)
{
    if (p->m < 1 || p->n < 1 || p->k < 1 || p->rows < 1 || p->cols < 1 || p->k_align < 1)
        return mp_errf(e, MP_EINPUT, "mapping: bad GEMM or array shape");
    if (p->causal < MAP_CAUSAL_NONE || p->causal > MAP_CAUSAL_K)
        return mp_errf(e, MP_EINPUT, "mapping: bad causal mask %d (0 none, 1 keys on N, 2 keys on K)", p->causal);
    if (p->m > MAP_DIM_MAX || p->n > MAP_DIM_MAX || p->k > MAP_DIM_MAX)
        return mp_errf(e, MP_EINPUT, "mapping: GEMM %lldx%lldx%lld: dimensions above 2^30 are not supported",
                       (long long)p->m, (long long)p->n, (long long)p->k);
    if (p->m * p->n > MAP_ELEMS_MAX || p->m * p->k > MAP_ELEMS_MAX || p->n * p->k > MAP_ELEMS_MAX)
        return mp_errf(e, MP_EINPUT, "GEMM %lldx%lldx%lld: an operand or the output above 2^50 elements is not supported",
                       (long long)p->m, (long long)p->n, (long long)p->k);
    return MP_OK;
}

/* forced extents: negative is an error; larger than the GEMM means the whole extent (one forcing
 * serves every GEMM of a model); Bk keeps the K alignment unless it is all of K */
static int clamp_force(const MapProblem *p, const MapForce *force, MapForce *fc, MpErr *e)
{
    *fc = force ? *force : MAP_FORCE_NONE;
    if (fc->bm < 0 || fc->bn < 0 || fc->bk < 0)
        return mp_errf(e, MP_EINPUT, "mapping: forced blocks must be >= 0 (0 = free)");
    if (fc->trans > 1 || fc->order > 1)
        return mp_errf(e, MP_EINPUT, "mapping: bad forced order or orientation");
    fc->bm = fc->bm > p->m ? p->m : fc->bm;
    fc->bn = fc->bn > p->n ? p->n : fc->bn;
    fc->bk = fc->bk > p->k ? p->k : fc->bk;
    if (fc->bk && fc->bk != p->k && fc->bk % p->k_align != 0)
        return mp_errf(e, MP_EINPUT,
                       "mapping: forced Bk = %lld is not a multiple of %d (the weight group or the PE's lanes) "
                       "and not all of K = %lld",
                       (long long)fc->bk, p->k_align, (long long)p->k);
    return MP_OK;
}

int map_enumerate(const MapProblem *p, const MapForce *force, Mapping **out, int *n, MpErr *e)
{
    *out = NULL;
    *n = 0;
    int rc = check_problem(p, e);
    MapForce f;
    if (rc == MP_OK)
        rc = clamp_force(p, force, &f, e);
    if (rc)
        return rc;
    int64_t cm[2][64], cn[2][64], ck[64];
    int nm[2], nn[2], nk = candidates(p->k, p->k_align, ck, 64);
    for (int t = 0; t < 2; t++) {
        nm[t] = candidates(p->m, map_m_unit(p, t), cm[t], 64);
        nn[t] = candidates(p->n, map_n_unit(p, t), cn[t], 64);
    }
    Mapping *v = NULL;
    int cnt = 0, vcap = 0;
    for (int t = 0; t < 2; t++) {
        if (f.trans >= 0 && f.trans != t)
            continue;
        for (int o = 0; o < 2; o++) {
            if (f.order >= 0 && f.order != o)
                continue;
            for (int a = 0; a < nm[t]; a++)
                for (int b = 0; b < nn[t]; b++)
                    for (int c = 0; c < nk; c++) {
                        Mapping mp = {f.bm ? f.bm : cm[t][a], f.bn ? f.bn : cn[t][b], f.bk ? f.bk : ck[c],
                                      (LoopOrder)o, t, 0, 0, 0, 0};
                        /* a forced extent repeats across the free loop: keep its first occurrence */
                        if ((f.bm && a) || (f.bn && b) || (f.bk && c) || !fits(p, mp.bm, mp.bn, mp.bk))
                            continue;
                        map_traffic(p, &mp);
                        Mapping *nv = mp_grow(v, cnt, &vcap, sizeof *v, 64);
                        if (!nv) {
                            mp_free(v);
                            return mp_errf(e, MP_ENOMEM, "out of memory in the mapper");
                        }
                        v = nv;
                        v[cnt++] = mp;
                    }
        }
    }
    if (!cnt && (f.bm || f.bn || f.bk))
        return mp_errf(e, MP_EINPUT,
                       "mapping: the forced blocks %lldx%lldx%lld (0 = free) of GEMM %lldx%lldx%lld do not fit the "
                       "buffers",
                       (long long)f.bm, (long long)f.bn, (long long)f.bk, (long long)p->m, (long long)p->n,
                       (long long)p->k);
    if (!cnt)
        return mp_errf(e, MP_EINPUT,
                       "mapping: no blocking of GEMM %lldx%lldx%lld fits the buffers (the smallest, %lldx%lldx%lld, "
                       "needs more SRAM); enlarge [sram] or reduce the array",
                       (long long)p->m, (long long)p->n, (long long)p->k, (long long)cm[0][0], (long long)cn[0][0],
                       (long long)ck[0]);
    *out = v;
    *n = cnt;
    return MP_OK;
}

int map_choose(const MapProblem *p, const MapForce *force, Mapping *out, MpErr *e)
{
    Mapping *v;
    int n;
    int rc = map_enumerate(p, force, &v, &n, e);
    if (rc)
        return rc;
    int best = 0;
    for (int i = 1; i < n; i++) {
        const Mapping *mp = &v[i], *bb = &v[best];
        int64_t tot = mp->dram_w_bits + mp->dram_x_bits + mp->dram_y_bits,
                btot = bb->dram_w_bits + bb->dram_x_bits + bb->dram_y_bits;
        /* equal DRAM traffic: fewer K blocks (partial sums spilled to the output buffer and read back
         * cost SRAM traffic and fill/drain time), then fewer steps */
        int64_t kb = cdiv(p->k, mp->bk), bkb = cdiv(p->k, bb->bk);
        if (tot < btot || (tot == btot && (kb < bkb || (kb == bkb && mp->steps < bb->steps))))
            best = i;
    }
    *out = v[best];
    mp_free(v);
    return MP_OK;
}

void map_describe(const Mapping *mp, char *buf, int cap)
{
    snprintf(buf, (size_t)cap, "%s blocks %lldx%lldx%lld order %s, %lld steps", map_orient_name(mp->trans),
             (long long)mp->bm, (long long)mp->bn, (long long)mp->bk, mp->order == ORDER_MN ? "MN" : "NM",
             (long long)mp->steps);
}

/* The block coordinates of grid position i (K innermost, then the order's inner loop). */
static void grid_coords(const Mapping *mp, int64_t nm, int64_t nn, int64_t nk, int64_t i, int64_t *im, int64_t *in,
                        int64_t *ik)
{
    const int64_t rest = i / nk;
    *ik = i % nk;
    if (mp->order == ORDER_MN) {
        *in = rest % nn;
        *im = rest / nn;
    } else {
        *im = rest % nm;
        *in = rest / nm;
    }
}

/* *it walks the grid of nm x nn x nk positions; under a causal mask the skipped positions are
 * passed over an output block at a time (the executed K steps of a block are a prefix). */
int map_next_step(const MapProblem *p, const Mapping *mp, int64_t *it, MapStep *st)
{
    const int64_t nm = cdiv(p->m, mp->bm), nn = cdiv(p->n, mp->bn), nk = cdiv(p->k, mp->bk), total = nm * nn * nk;
    int64_t i = *it, im, in, ik, en, ek;
    for (;; i = (i / nk + 1) * nk) {
        if (i >= total) {
            *it = total;
            return 0;
        }
        grid_coords(mp, nm, nn, nk, i, &im, &in, &ik);
        exec_blocks(p, mp, im, &en, &ek);
        if (in < en && ik < ek)
            break;
    }
    st->m0 = im * mp->bm;
    st->n0 = in * mp->bn;
    st->k0 = ik * mp->bk;
    st->mb = p->m - st->m0 < mp->bm ? p->m - st->m0 : mp->bm;
    st->nb = p->n - st->n0 < mp->bn ? p->n - st->n0 : mp->bn;
    st->kb = p->k - st->k0 < mp->bk ? p->k - st->k0 : mp->bk;
    st->first_k = ik == 0;
    st->last_k = ik == ek - 1; /* the last K step that runs: the store follows it */
    /* the previous executed step's block coordinates: the K step before, or the last executed K
     * step of the nearest earlier output block that runs */
    int have = 0;
    int64_t jm = im, jn = in, jk = ik - 1;
    if (ik > 0) {
        have = 1;
    } else {
        for (int64_t ob = i / nk - 1; ob >= 0 && !have; ob--) {
            int64_t pn, pk, zk;
            grid_coords(mp, nm, nn, nk, ob * nk, &jm, &jn, &zk);
            exec_blocks(p, mp, jm, &pn, &pk);
            if (jn < pn && pk > 0) {
                have = 1;
                jk = pk - 1;
            }
        }
    }
    if (!have) {
        st->load_w = st->load_x = 1;
    } else {
        st->load_w = !(jn == in && jk == ik);
        st->load_x = !(jm == im && jk == ik);
    }
    *it = i + 1;
    return 1;
}
