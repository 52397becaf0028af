/* tests/test_pekind.c — the PeKind table (models/pekind.c): its rows agree with each other, with
 * the RTL's kind ids (rtl/mp_kinds.vh), the presets, the accuracy formats and the GPU results; the
 * group rules are the same for configs and the golden model; and no code outside the table, the
 * datapaths and the tests names a specific kind. */
#include <ctype.h>
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "models/golden.h"
#include "models/pekind.h"
#include "sim/config.h"
#include "sim/engine.h"
#include "sim/petime.h"
#include "testutil.h"

/* "mixpe-w4a8-bs" -> "MIXPE_W4A8_BS" */
static void upper_id(const char *name, char *out, size_t cap)
{
    size_t i = 0;
    for (; name[i] && i + 1 < cap; i++)
        out[i] = name[i] == '-' ? '_' : (char)toupper((unsigned char)name[i]);
    out[i] = '\0';
}

/* rtl/mp_kinds.vh declares K_<KIND> = <id>, // PE <module> for every kind, with the C enum's ids, and
 * no other; each module exists. */
static void rtl_ids_match_enum(void **state)
{
    (void)state;
    static char vh[1 << 16];
    char path[1024];
    snprintf(path, sizeof path, "%s/rtl/mp_kinds.vh", config_datadir());
    assert_true(tu_slurp(path, vh, sizeof vh) > 0);
    int seen = 0;
    for (const char *p = strstr(vh, "K_"); p; p = strstr(p + 1, "K_")) {
        if (p > vh && (isalnum((unsigned char)p[-1]) || p[-1] == '_'))
            continue;
        char id[64];
        int n = 0, val;
        if (sscanf(p, "%63[A-Z0-9_] = %d%n", id, &val, &n) != 2)
            continue; /* a use, not the declaration */
        int found = 0;
        for (int k = 0; k < PE_KIND_COUNT; k++) {
            char want[64];
            upper_id(pe_kind_names[k], want, sizeof want);
            if (!strcmp(id + 2, want)) {
                if (val != k)
                    fail_msg("rtl/mp_kinds.vh: %s = %d, but PeKindId of %s is %d", id, val, pe_kind_names[k], k);
                found = 1;
            }
        }
        if (!found)
            fail_msg("rtl/mp_kinds.vh: %s = %d names no PE kind", id, val);
        /* "// PE <module>" on the same line: the PE module of the kind exists */
        const char *eol = strchr(p, '\n'), *pe = strstr(p, "// PE ");
        char mod[64], mpath[1200];
        if (!pe || (eol && pe > eol) || sscanf(pe, "// PE %63[a-z0-9_]", mod) != 1)
            fail_msg("rtl/mp_kinds.vh: %s has no '// PE <module>'", id);
        snprintf(mpath, sizeof mpath, "%s/rtl/pe/%s.v", config_datadir(), mod);
        FILE *mf = fopen(mpath, "r");
        if (!mf)
            fail_msg("rtl/mp_kinds.vh: %s: no %s", id, mpath);
        fclose(mf);
        seen++;
    }
    assert_int_equal(seen, PE_KIND_COUNT);
    /* rtl/rtl.mk maps NAME back with '_' -> '-': no kind name may hold '_' */
    for (int k = 0; k < PE_KIND_COUNT; k++)
        assert_null(strchr(pe_kind_names[k], '_'));
}

/* Each row's facts agree with each other: variants have formats of this datapath, presets of
 * this kind (or of the kind whose datapath it shares) at the variant's width, timing matches. */
static void rows_are_consistent(void **state)
{
    (void)state;
    for (int k = 0; k < PE_KIND_COUNT; k++) {
        const PeKind *p = &pe_kinds[k];
        const char *name = pe_kind_names[k];
        assert_true(pe_kind_nvariants((PeKindId)k) >= 1);
        assert_int_equal(p->timing.w_bits, p->var[0].weight_bits);
        assert_int_equal(p->k_align, p->timing.lanes);
        assert_non_null(p->run);
        assert_non_null(p->finish);
        assert_non_null(p->bound);
        char sec[64];
        snprintf(sec, sizeof sec, "pe.%s", name);
        assert_string_equal(p->tech_section, sec);
        for (int v = 0; v < pe_kind_nvariants((PeKindId)k); v++) {
            const PeVariant *pv = &p->var[v];
            const NumFormat *f = num_format_find(pv->format);
            if (!f)
                fail_msg("%s: variant %d's format %s is not a format", name, v, pv->format);
            const PeKind *fk = &pe_kinds[f->kind];
            if (fk->run != p->run || fk->finish != p->finish || f->wq.scheme != p->wscheme ||
                f->xq.scheme != p->xscheme)
                fail_msg("%s: format %s runs another datapath", name, pv->format);
            assert_ptr_equal(pe_kind_variant((PeKindId)k, pv->weight_bits), pv);
            ArchConfig c;
            MpErr e = {0};
            if (config_load(pv->preset, &c, NULL, NULL, 0, &e))
                fail_msg("%s: preset %s: %s", name, pv->preset, e.msg);
            if (c.pe_kind != k && pe_kinds[c.pe_kind].run != p->run)
                fail_msg("%s: preset %s is of kind %s", name, pv->preset, pe_kind_names[c.pe_kind]);
            assert_int_equal(c.weight_bits, pv->weight_bits);
            assert_int_equal(pe_timing(&c).w_bits, pv->weight_bits);
        }
        assert_null(pe_kind_variant((PeKindId)k, 5)); /* no kind runs 5-bit weights */
    }
    /* BitMoD's dequantizer: 12 busy cycles / 2 cycles per step = 6 steps of 4 weights */
    assert_int_equal(pe_kind_min_group(PE_BITMOD), 24);
    assert_int_equal(pe_kind_min_group(PE_FP16), 1);
}

/* Every GPU kernel a variant names has been measured: it appears in a results file. */
static void gpu_kernels_are_measured(void **state)
{
    (void)state;
    char dir[1024];
    snprintf(dir, sizeof dir, "%s/kernels_ref/results", config_datadir());
    static char buf[1 << 22];
    for (int k = 0; k < PE_KIND_COUNT; k++)
        for (int v = 0; v < pe_kind_nvariants((PeKindId)k); v++) {
            const char *kern = pe_kinds[k].var[v].gpu_kernel;
            if (!kern)
                continue;
            char want[96];
            snprintf(want, sizeof want, "\"kernel\": \"%s\"", kern);
            int found = 0;
            DIR *gd = opendir(dir);
            assert_non_null(gd);
            for (struct dirent *g; !found && (g = readdir(gd));) {
                if (g->d_name[0] == '.')
                    continue;
                char sub[1400];
                snprintf(sub, sizeof sub, "%s/%s", dir, g->d_name);
                DIR *fd = opendir(sub);
                for (struct dirent *f; fd && !found && (f = readdir(fd));) {
                    if (!strstr(f->d_name, ".json"))
                        continue;
                    char file[1800];
                    snprintf(file, sizeof file, "%s/%s", sub, f->d_name);
                    found = tu_slurp(file, buf, sizeof buf) > 0 && strstr(buf, want);
                }
                if (fd)
                    closedir(fd);
            }
            closedir(gd);
            if (!found)
                fail_msg("%s: GPU kernel %s is in no results file under %s", pe_kind_names[k], kern, dir);
        }
}

/* One group rule for configs and for the golden model. */
static void group_rules_are_shared(void **state)
{
    (void)state;
    static const struct {
        const char *arch;
        int group, ok;
        const char *why; /* the config error's reason */
    } cases[] = {
        {"iso/bitmod-w4", 24, 1, NULL},
        {"iso/bitmod-w4", 26, 0, "group_size = 26: bitmod needs a multiple of its 4 lanes"},
        {"iso/bitmod-w4", 20, 0, "group_size = 20: bitmod needs at least 24 weights per group"},
        {"iso/bitmod-w4", 128, 1, NULL},
        {"iso/mixpe-w4a8", 4096, 1, NULL},
        {"iso/mixpe-w4a8", 8192, 0, "group_size = 8192: mixpe-w4a8's exact in-group sum holds at most 4096"},
        {"iso/mixpe-w4a16", 8192, 0, "group_size = 8192: mixpe-w4a16's exact in-group sum holds at most 4096"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        ArchConfig c;
        MpErr e = {0};
        assert_int_equal(config_load(cases[i].arch, &c, NULL, NULL, 0, &e), MP_OK);
        char set[64];
        snprintf(set, sizeof set, "quant.group_size=%d", cases[i].group);
        int crc = config_apply_sets(&c, set, &e);
        assert_int_equal(crc == MP_OK, cases[i].ok);
        if (cases[i].why && !strstr(e.msg, cases[i].why))
            fail_msg("%s %s: '%s' does not say '%s'", cases[i].arch, set, e.msg, cases[i].why);
        /* the golden model refuses the datapath's groups (a weight matrix of that group size); the
         * minimum is the dequantizer's timing, a config rule only */
        MpErr ge = {0};
        int grc = pe_kind_check_group((PeKindId)c.pe_kind, cases[i].group, &ge);
        const int dp_ok = cases[i].ok || cases[i].group < pe_kind_min_group((PeKindId)c.pe_kind);
        assert_int_equal(grc == MP_OK, dp_ok);
        QMat w, x;
        memset(&w, 0, sizeof w);
        memset(&x, 0, sizeof x);
        w.scheme = pe_kinds[c.pe_kind].wscheme;
        x.scheme = pe_kinds[c.pe_kind].xscheme;
        w.cols = x.cols = cases[i].group;
        w.group = cases[i].group;
        MpErr ke = {0};
        assert_int_equal(golden_check((PeKindId)c.pe_kind, &w, &x, &ke) == MP_OK, dp_ok);
    }
}


/* Evaluate rtl/mp_kinds.vh's `function ... <fn>(input integer k[, glog])` for kind id k: the case
 * line whose labels name K_<KIND> (or `default`), its right side a sum of integers and `glog`.
 * *base and *per_glog get the value as base + per_glog * glog. 0 on success. */
static int vh_width(const char *vh, const char *fn, int kind, int *base, int *per_glog)
{
    char head[96], want[64];
    snprintf(head, sizeof head, "integer %s(", fn);
    const char *p = strstr(vh, head), *end = p ? strstr(p, "endfunction") : NULL;
    if (!p || !end)
        return -1;
    snprintf(want, sizeof want, "K_");
    upper_id(pe_kind_names[kind], want + 2, sizeof want - 2);
    const char *dflt = NULL, *hit = NULL;
    for (const char *l = strchr(p, '\n'); l && l < end; l = strchr(l + 1, '\n')) {
        const char *colon = strchr(l, ':'), *eol = strchr(l + 1, '\n');
        if (!colon || (eol && colon > eol))
            continue;
        char labels[256];
        snprintf(labels, sizeof labels, "%.*s", (int)(colon - l), l);
        if (strstr(labels, "default"))
            dflt = colon;
        for (char *t = strtok(labels, " ,\n\t"); t; t = strtok(NULL, " ,\n\t"))
            if (!strcmp(t, want))
                hit = colon;
    }
    const char *rhs = hit ? hit : dflt;
    if (!rhs || !(rhs = strchr(rhs, '=')))
        return -1;
    *base = *per_glog = 0;
    for (rhs++; *rhs && *rhs != ';';) {
        while (*rhs == ' ' || *rhs == '+')
            rhs++;
        if (isdigit((unsigned char)*rhs))
            *base += (int)strtol(rhs, (char **)&rhs, 10);
        else if (!strncmp(rhs, "glog", 4))
            (*per_glog)++, rhs += 4;
        else if (*rhs != ';')
            return -1;
    }
    return 0;
}

/* The C table's RTL bundle widths (the harness's waveform view) are the RTL's own (mp_kinds.vh). */
static void rtl_widths_match_vh(void **state)
{
    (void)state;
    static char vh[1 << 16];
    char path[1024];
    snprintf(path, sizeof path, "%s/rtl/mp_kinds.vh", config_datadir());
    assert_true(tu_slurp(path, vh, sizeof vh) > 0);
    for (int k = 0; k < PE_KIND_COUNT; k++) {
        int xb, xg, wb, wg;
        if (vh_width(vh, "kind_xw", k, &xb, &xg) || vh_width(vh, "kind_ww", k, &wb, &wg))
            fail_msg("rtl/mp_kinds.vh: cannot read kind_xw/kind_ww of %s", pe_kind_names[k]);
        if (xb != pe_kinds[k].rtl.xw || xg != pe_kinds[k].rtl.xw_glog || wb != pe_kinds[k].rtl.ww || wg != 0)
            fail_msg("%s: RTL widths x %d + %d glog, w %d in mp_kinds.vh; x %d + %d glog, w %d in the PeKind row",
                     pe_kind_names[k], xb, xg, wb, pe_kinds[k].rtl.xw, pe_kinds[k].rtl.xw_glog, pe_kinds[k].rtl.ww);
    }
}

/* Attention (activation x activation) runs on the datapath that takes the kind's activation scheme
 * on both operands: pinned per kind, so a reordered table cannot change it silently. */
static void act_act_datapaths(void **state)
{
    (void)state;
    static const PeKindId want[PE_KIND_COUNT] = {
        [PE_FP16] = PE_FP16,      [PE_INT8] = PE_INT8,          [PE_W4A16_DQ] = PE_FP16,
        [PE_MIXPE_W4A8] = PE_INT8, [PE_MIXPE_W4A8_BS] = PE_INT8, [PE_MIXPE_W4A16] = PE_FP16,
        [PE_BITMOD] = PE_FP16,    [PE_OLIVE] = PE_OLIVE,        [PE_ANT] = PE_ANT,
    };
    for (int k = 0; k < PE_KIND_COUNT; k++) {
        ArchConfig c;
        memset(&c, 0, sizeof c);
        c.pe_kind = k;
        c.weight_bits = pe_kinds[k].var[0].weight_bits;
        assert_int_equal(sim_datapath_kind(&c, 0), k);
        if (sim_datapath_kind(&c, 1) != want[k])
            fail_msg("%s: attention runs on %s, expected %s", pe_kind_names[k], pe_kind_names[sim_datapath_kind(&c, 1)],
                     pe_kind_names[want[k]]);
    }
}

/* ---- no code outside the table names a kind ---- */

static int names_a_kind(const char *text, char *which, size_t cap)
{
    /* a kind by its id: "pe_kind == 6", "KIND != 2", "(PeKindId)7" */
    static const char *const by_id[] = {"pe_kind == ", "pe_kind != ", "KIND == ", "KIND != ",
                                        "(PeKindId)"};
    for (size_t i = 0; i < sizeof by_id / sizeof by_id[0]; i++)
        for (const char *p = strstr(text, by_id[i]); p; p = strstr(p + 1, by_id[i]))
            if (isdigit((unsigned char)p[strlen(by_id[i])])) {
                snprintf(which, cap, "%.*s", (int)strlen(by_id[i]) + 1, p);
                return 1;
            }
    for (int k = 0; k < PE_KIND_COUNT; k++) {
        char id[64];
        snprintf(id, sizeof id, "PE_");
        upper_id(pe_kind_names[k], id + 3, sizeof id - 3);
        for (const char *p = strstr(text, id); p; p = strstr(p + 1, id)) {
            char after = p[strlen(id)];
            if ((p == text || !(isalnum((unsigned char)p[-1]) || p[-1] == '_')) &&
                !(isalnum((unsigned char)after) || after == '_')) {
                snprintf(which, cap, "%s", id);
                return 1;
            }
        }
    }
    return 0;
}

static void scan_dir(const char *root, const char *rel, int *files, char *bad, size_t cap)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", root, rel);
    DIR *d = opendir(path);
    if (!d)
        return;
    static char text[1 << 21];
    for (struct dirent *en; (en = readdir(d));) {
        const char *n = en->d_name;
        if (n[0] == '.')
            continue;
        char sub[1400];
        snprintf(sub, sizeof sub, "%s/%s", rel, n);
        size_t l = strlen(n);
        int src = (l > 2 && (!strcmp(n + l - 2, ".c") || !strcmp(n + l - 2, ".h"))) ||
                  (l > 4 && (!strcmp(n + l - 4, ".cpp") || !strcmp(n + l - 4, ".cuh"))) ||
                  (l > 3 && !strcmp(n + l - 3, ".cu"));
        if (!strchr(n, '.')) {
            scan_dir(root, sub, files, bad, cap);
            continue;
        }
        /* the table and the enum's own file */
        if (!src || !strcmp(sub, "models/pekind.c") || !strcmp(sub, "models/pekind.h"))
            continue;
        char full[1800], which[64];
        snprintf(full, sizeof full, "%s/%s", root, sub);
        (*files)++;
        if (tu_slurp(full, text, sizeof text) > 0 && names_a_kind(text, which, sizeof which) &&
            strlen(bad) + strlen(sub) + strlen(which) + 8 < cap)
            snprintf(bad + strlen(bad), cap - strlen(bad), " %s (%s)", sub, which);
    }
    closedir(d);
}

static void only_the_table_names_kinds(void **state)
{
    (void)state;
    static const char *const dirs[] = {"base", "models", "traces", "dataflow", "sim", "dse", "cli",
                                       "bench", "rtl", "systemc", "kernels_ref"};
    char bad[4096] = "";
    int files = 0;
    for (size_t i = 0; i < sizeof dirs / sizeof dirs[0]; i++)
        scan_dir(config_datadir(), dirs[i], &files, bad, sizeof bad);
    assert_true(files > 100);
    /* systemc/test_regs.cpp is a test of register values for two named kinds */
    char *t = strstr(bad, " systemc/test_regs.cpp (");
    if (t) {
        char *end = strchr(t + 1, ')');
        memmove(t, end + 1, strlen(end + 1) + 1);
    }
    if (bad[0])
        fail_msg("kind constants outside models/pekind.[ch]:%s", bad);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(rtl_ids_match_enum),     cmocka_unit_test(rows_are_consistent),
        cmocka_unit_test(gpu_kernels_are_measured), cmocka_unit_test(group_rules_are_shared),
        cmocka_unit_test(only_the_table_names_kinds), cmocka_unit_test(rtl_widths_match_vh),
        cmocka_unit_test(act_act_datapaths),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
