/* tests/test_isonorm.c — designs put on a GPU's footing (sim/isonorm.c): iso-bandwidth gives the
 * GPU's memory at its measured copy bandwidth; iso-area gives the largest core count whose area fits
 * the die (area(C) <= die < area(C + 1), recomputed here with sim/area.c), lanes per core kept;
 * iso-power the largest core count under a power target (a stated monotone power function), with
 * the bounds reported as capped; the design as configured is unchanged. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "testutil.h"
#include "sim/area.h"
#include "sim/isonorm.h"
#include "sim/point.h"

static void load(const char *arch, ArchConfig *c, TechTable *t)
{
    MpErr e = {0};
    if (point_load_arch(arch, NULL, c, t, &e) != MP_OK)
        fail_msg("%s", e.msg);
}

static const IsoGpu gpu = {814, 4, DRAM_HBM3, 5, 3000};

static double area_of(const TechTable *t, const ArchConfig *c, int cores, int lanes_per_core, int buf_per_core)
{
    ArchConfig x = *c;
    x.cores = cores;
    x.vec_lanes = cores * lanes_per_core;
    x.vec_buf_kib = cores * buf_per_core;
    AreaBreakdown a;
    MpErr e = {0};
    if (area_compute(t, &x, &a, &e) != MP_OK)
        fail_msg("%s", e.msg);
    return a.total_mm2;
}

static void conf_and_bandwidth(void **state)
{
    (void)state;
    ArchConfig c, o;
    TechTable t;
    load("iso/bitmod-w4", &c, &t);
    int capped = 1;
    MpErr e = {0};
    assert_int_equal(iso_normalise(&c, &t, &gpu, ISO_CONF, NULL, NULL, 0, &o, &capped, &e), MP_OK);
    assert_memory_equal(&c, &o, sizeof c);
    assert_int_equal(capped, 0);
    assert_int_equal(iso_normalise(&c, &t, &gpu, ISO_BW, NULL, NULL, 0, &o, &capped, &e), MP_OK);
    /* 3000 GB/s x 8 / 1 GHz / 5 channels */
    assert_int_equal(o.dram_bits_per_cycle, 4800);
    assert_int_equal(o.dram_channels, 5);
    assert_int_equal(o.dram_tech, DRAM_HBM3);
    assert_true(o.dram_pj_per_bit == 0);
    assert_int_equal(o.cores, c.cores);
    assert_int_equal(o.node_nm, 4); /* the GPU's node: one process against one process */
    assert_int_equal(o.rows, c.rows);
}

static void area_fills_die(void **state)
{
    (void)state;
    static const char *const archs[] = {"iso/fp16", "iso/olive", "iso/mixpe-w4a8"};
    for (int i = 0; i < 3; i++) {
        ArchConfig c, o;
        TechTable t;
        load(archs[i], &c, &t);
        for (int d = 0; d < 2; d++) {
            IsoGpu g = gpu;
            g.die_mm2 = d ? 60 : 5; /* a small die keeps the core counts within [arch] cores */
            int capped = 1;
            MpErr e = {0};
            assert_int_equal(iso_normalise(&c, &t, &g, ISO_AREA, NULL, NULL, 0, &o, &capped, &e), MP_OK);
            assert_int_equal(capped, 0);
            assert_int_equal(o.node_nm, 4);
            assert_int_equal(o.dram_channels, 5);
            const int lpc = c.vec_lanes / c.cores, bpc = c.vec_buf_kib / c.cores;
            assert_int_equal(o.vec_lanes, o.cores * lpc);
            assert_int_equal(o.vec_buf_kib, o.cores * bpc);
            ArchConfig at4 = o;
            double a = area_of(&t, &at4, o.cores, lpc, bpc), a1 = area_of(&t, &at4, o.cores + 1, lpc, bpc);
            if (!(a <= g.die_mm2 && a1 > g.die_mm2))
                fail_msg("%s die %.0f: %d cores %.3f mm2, %d cores %.3f mm2", archs[i], g.die_mm2, o.cores, a,
                         o.cores + 1, a1);
        }
    }
    /* a die smaller than one core: one core, capped */
    ArchConfig c, o;
    TechTable t;
    load("iso/fp16", &c, &t);
    IsoGpu tiny = gpu;
    tiny.die_mm2 = 0.01;
    int capped = 0;
    MpErr e = {0};
    assert_int_equal(iso_normalise(&c, &t, &tiny, ISO_AREA, NULL, NULL, 0, &o, &capped, &e), MP_OK);
    assert_int_equal(o.cores, 1);
    assert_int_equal(capped, 1);
}

/* Stated monotone functions: 7 W plus 3 W per core; tokens/s 10 per core up to `sat` cores, flat above */
typedef struct Fake {
    int calls, sat;
} Fake;

static int fake_eval(const ArchConfig *c, void *ctx, double *w, double *tps, MpErr *e)
{
    (void)e;
    Fake *f = ctx;
    f->calls++;
    *w = 7 + 3.0 * c->cores;
    *tps = 10.0 * (c->cores < f->sat ? c->cores : f->sat);
    return MP_OK;
}

static void power_search(void **state)
{
    (void)state;
    ArchConfig c, o;
    TechTable t;
    load("iso/int8", &c, &t);
    Fake f = {0, 1 << 30};
    int capped = 1;
    MpErr e = {0};
    /* no saturation: the most cores within 100 W, 7 + 3 x 31 = 100 <= 100 < 103 */
    assert_int_equal(iso_normalise(&c, &t, &gpu, ISO_POWER, fake_eval, &f, 100, &o, &capped, &e), MP_OK);
    assert_int_equal(o.cores, 31);
    assert_int_equal(capped, 0);
    assert_true(f.calls <= 32);
    /* tokens/s flat from 20 cores: the fewest within 1% of 31 cores' speed */
    f.sat = 20;
    assert_int_equal(iso_normalise(&c, &t, &gpu, ISO_POWER, fake_eval, &f, 100, &o, &capped, &e), MP_OK);
    assert_int_equal(o.cores, 20);
    assert_int_equal(o.vec_lanes, 20 * 16);
    f.sat = 1 << 30;
    assert_int_equal(iso_normalise(&c, &t, &gpu, ISO_POWER, fake_eval, &f, 5, &o, &capped, &e), MP_OK);
    assert_int_equal(o.cores, 1);
    assert_int_equal(capped, 1);
    /* out of reach: the most cores allowed, then the fewest within 1% of their speed */
    const IniKey *k = arch_schema_find("arch", "cores");
    assert_int_equal(iso_normalise(&c, &t, &gpu, ISO_POWER, fake_eval, &f, 1e9, &o, &capped, &e), MP_OK);
    assert_int_equal(capped, 1);
    assert_int_equal(o.cores, (int)ceil(0.99 * k->max));
    /* 32 lanes per core: no more cores than keep [vector] lanes in range (65536 / 32) */
    ArchConfig wide = c;
    wide.vec_lanes = 32;
    assert_int_equal(iso_normalise(&wide, &t, &gpu, ISO_POWER, fake_eval, &f, 1e9, &o, &capped, &e), MP_OK);
    assert_int_equal(o.cores, (int)ceil(0.99 * 2048));
    assert_int_equal(iso_normalise(&wide, &t, &gpu, ISO_AREA, NULL, NULL, 0, &o, &capped, &e), MP_OK);
    assert_true(o.vec_lanes == 32 * o.cores && o.cores <= 2048);
    /* no target (a GPU file without energy): refused, not a 1-core guess */
    MpErr e1 = {0};
    assert_int_equal(iso_normalise(&c, &t, &gpu, ISO_POWER, fake_eval, &f, NAN, &o, &capped, &e1), MP_EINPUT);
    assert_non_null(strstr(e1.msg, "needs the GPU's power"));
    /* iso-power without an evaluation function is an internal error, not a guess */
    MpErr e2 = {0};
    assert_int_equal(iso_normalise(&c, &t, &gpu, ISO_POWER, NULL, NULL, 100, &o, &capped, &e2), MP_EINTERNAL);
    /* a node with no scaling row */
    IsoGpu g = gpu;
    g.node_nm = 3;
    MpErr e3 = {0};
    assert_int_equal(iso_normalise(&c, &t, &g, ISO_AREA, NULL, NULL, 0, &o, &capped, &e3), MP_EINPUT);
    assert_non_null(strstr(e3.msg, "3 nm"));
}

/* The h100-class presets (configs/h100-class/): each is its iso preset at iso-area on the H100's facts
 * (dse/gpureq.c) with the datasheet bandwidth, 3350 GB/s in 5 HBM3 stacks, instead of a measured one. */
static const char *const kinds[] = {"fp16", "int8", "w4a16-dq", "mixpe-w4a8", "mixpe-w4a16", "bitmod-w4",
                                    "bitmod-w3", "olive", "ant", "olive-w4a16", "ant-w4a16"};
#define NKINDS ((int)(sizeof kinds / sizeof kinds[0]))
static const IsoGpu h100_datasheet = {814, 4, DRAM_HBM3, 5, 3350};

static void h100_class_expected(int i, ArchConfig *want, TechTable *t)
{
    char iso[64];
    snprintf(iso, sizeof iso, "iso/%s", kinds[i]);
    ArchConfig c;
    load(iso, &c, t);
    int capped = 1;
    MpErr e = {0};
    if (iso_normalise(&c, t, &h100_datasheet, ISO_AREA, NULL, NULL, 0, want, &capped, &e) != MP_OK || capped)
        fail_msg("%s: %s (capped %d)", iso, e.msg, capped);
}

static void h100_class_presets(void **state)
{
    (void)state;
    for (int i = 0; i < NKINDS; i++) {
        ArchConfig want, got;
        TechTable t;
        h100_class_expected(i, &want, &t);
        char name[64];
        snprintf(name, sizeof name, "h100-class/%s", kinds[i]);
        load(name, &got, &t);
        if (got.cores != want.cores || got.vec_lanes != want.vec_lanes || got.node_nm != want.node_nm ||
            got.dram_channels != want.dram_channels || got.dram_bits_per_cycle != want.dram_bits_per_cycle ||
            got.dram_tech != want.dram_tech || got.dram_pj_per_bit != 0 || got.rows != want.rows ||
            got.vec_buf_kib != want.vec_buf_kib ||
            got.cols != want.cols || got.pe_kind != want.pe_kind || got.sram_weight_kib != want.sram_weight_kib ||
            got.sram_act_kib != want.sram_act_kib || got.sram_out_kib != want.sram_out_kib)
            fail_msg("%s: cores %d lanes %d node %d, %d x %d bits %d; want cores %d lanes %d node %d, %d x %d bits", name,
                     got.cores, got.vec_lanes, got.node_nm, got.dram_channels, got.dram_bits_per_cycle, got.dram_tech,
                     want.cores, want.vec_lanes, want.node_nm, want.dram_channels, want.dram_bits_per_cycle);
    }
}

int main(int argc, char **argv)
{
    if (argc == 2 && !strcmp(argv[1], "--print-h100-class")) { /* the values configs/h100-class/ holds */
        for (int i = 0; i < NKINDS; i++) {
            ArchConfig w;
            TechTable t;
            h100_class_expected(i, &w, &t);
            AreaBreakdown a;
            MpErr e = {0};
            if (area_compute(&t, &w, &a, &e) != MP_OK)
                return 1;
            printf("%s cores=%d lanes=%d buf=%d bits=%d area=%.3f pe=%.3f sram=%.3f\n", kinds[i], w.cores, w.vec_lanes,
                   w.vec_buf_kib, w.dram_bits_per_cycle, a.total_mm2, a.pe_mm2, a.sram_mm2);
        }
        return 0;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(conf_and_bandwidth),
        cmocka_unit_test(area_fills_die),
        cmocka_unit_test(power_search),
        cmocka_unit_test(h100_class_presets),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
