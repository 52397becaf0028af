/* kernels_ref/kr_step_olive_host.c — the host side of OliVe's activation quantizer (kr_step_olive.h): its
 * table from models/fmt, and the four steps run sequentially (tests/test_kernels_cpu.c compares them
 * with quant_matrix). */
#include <math.h>
#include <stdlib.h>

#include "kernels_ref/kr_step_olive.h"
#include "models/fmt.h"

void ks_olive_tab_init(KsOliveTab *t)
{
    static const FmtId ids[2] = {FMT_OLIVE_INT4, FMT_OLIVE_FLINT4};
    for (int ty = 0; ty < 2; ty++) {
        const FmtDesc *f = fmt_get(ids[ty]);
        int n = 0;
        t->first_out[ty] = -1;
        for (int i = 0; i < f->nsorted && n < KS_OLIVE_MAXMAG; i++) { /* magnitudes: sorted values >= 0 */
            if (f->sorted[i] < 0)
                continue;
            const uint8_t c = f->sorted_code[i];
            if (c >= 16 && t->first_out[ty] < 0)
                t->first_out[ty] = n;
            t->mag[ty][n] = f->sorted[i];
            t->code[ty][0][n] = c;
            uint8_t neg = c; /* outliers: the sign bit of the nibble; normals: the code of -value */
            if (c >= 16)
                neg = (uint8_t)(c | 8);
            else
                for (int k = 0; k < 16; k++)
                    if (f->valid[k] && f->value[k] == -f->value[c] && f->value[c] != 0)
                        neg = (uint8_t)k;
            t->code[ty][1][n] = neg;
            n++;
        }
        t->n[ty] = n;
        t->nmax[ty] = ids[ty] == FMT_OLIVE_INT4 ? 7 : 16;
    }
}

static double host_err(const KsOliveTab *t, int ty, double s, const float *x, long npairs)
{
    float th[KS_OLIVE_MAXMAG];
    ks_olive_thresholds(t, ty, s, th);
    double e = 0;
    for (long j = 0; j < npairs; j++)
        e += ks_olive_pair_err(t, ty, th, s, x[2 * j], x[2 * j + 1]);
    return e;
}

void ks_olive_quant_host(const KsOliveTab *t, const float *x, int rows, int cols, uint8_t *bytes, float *scale,
                         int *type)
{
    const long n = (long)rows * cols, np = n / 2;
    double s1 = 0, s2 = 0;
    for (long i = 0; i < n; i++)
        s1 += x[i], s2 += (double)x[i] * x[i];
    const double mu = s1 / (double)n, sd = sqrt(fmax(s2 / (double)n - mu * mu, 0.0));
    const double xmax = fmax(fabs(mu + 3 * sd), fabs(mu - 3 * sd));
    double sb[2], eb[2];
    for (int ty = 0; ty < 2; ty++) {
        int best = 0;
        double be = 0;
        for (int c = 0; c < (xmax == 0 ? 1 : KS_OLIVE_NCAND); c++) {
            const double e = host_err(t, ty, ks_olive_cand(t, ty, xmax, c), x, np);
            if (c == 0 || e < be)
                be = e, best = c;
        }
        sb[ty] = (double)(float)ks_olive_cand(t, ty, xmax, best);
        eb[ty] = host_err(t, ty, sb[ty], x, np);
    }
    const int ty = eb[1] < eb[0] ? 1 : 0;
    float th[KS_OLIVE_MAXMAG];
    ks_olive_thresholds(t, ty, sb[ty], th);
    for (long j = 0; j < np; j++)
        bytes[j] = ks_olive_pair_byte(t, ty, th, x[2 * j], x[2 * j + 1]);
    *scale = (float)sb[ty];
    *type = ty;
}
