/* sim/energy.c — the technology table schema and loader, and events x prices. See energy.h;
 * the model and every number's source are in docs/energy.md. */
#include "sim/energy.h"

#include <math.h>
#include <pthread.h>
#include <stddef.h>
#include <string.h>
#include <sys/stat.h>

#define T(field) offsetof(TechTable, field)
#define PE_OFF(id, field) (offsetof(TechTable, pe) + (size_t)(id) * sizeof(TechPe) + offsetof(TechPe, field))
#define DRAM_OFF(id) (offsetof(TechTable, dram_pj_per_bit) + (size_t)(id) * sizeof(double))
#define DRAM_BG(id) (offsetof(TechTable, dram_bg_mw_per_gbps) + (size_t)(id) * sizeof(double))
#define DRAM_CH(id) (offsetof(TechTable, dram_channel_gbps) + (size_t)(id) * sizeof(double))
#define NUM(sec, key, off, lo, hi, unit, doc) {sec, key, INI_F64, off, lo, hi, NULL, NULL, 0, unit, doc}

/* One row per key; every number is required (a table must state all of them). The rows of the PE
 * kinds go between head and tail: four per kind, in its PeKind row's tech_section, built once by
 * energy_tech_schema() so that a new kind needs no line here. */
static const IniKey schema_head[] = {
    {"mpsim", "tech_version", INI_INT, T(version), 1, 1, NULL, NULL, 0, "", "technology table format version"},
    {"tech", "name", INI_STR, T(name), 0, 0, "", NULL, sizeof(((TechTable *)0)->name), "",
     "table name shown in reports (default: file stem)"},
    NUM("tech", "node_nm", T(node_nm), 1, 1000, "nm", "process node of the numbers"),
};
static const IniKey schema_pe[] = { /* offsets relative to TechPe */
    NUM(NULL, "busy_pj", offsetof(TechPe, busy_pj), 0, 1000, "pJ", "dynamic energy of one busy PE-cycle"),
    NUM(NULL, "leak_mw", offsetof(TechPe, leak_mw), 0, 1000, "mW", "leakage power of one PE"),
    NUM(NULL, "area_um2", offsetof(TechPe, area_um2), 0.001, 1e7, "um2", "area of one PE incl. its I/O registers"),
    NUM(NULL, "dequant_pj", offsetof(TechPe, dequant_pj), 0, 1000, "pJ", "energy of one dequant op (0: none)"),
};
static const IniKey schema_tail[] = {
    NUM("decoder", "pj_per_op", T(decoder_pj), 0, 1000, "pJ", "one element decoded by an edge decoder"),
    NUM("decoder", "area_um2", T(decoder_area_um2), 0, 1e7, "um2", "one edge decoder"),
    NUM("xsum", "pj_per_op", T(xsum_pj), 0, 1000, "pJ", "one integer add of an activation group sum"),
    NUM("xsum", "area_um2", T(xsum_area_um2), 0, 1e7, "um2", "one activation-sum adder with its register"),
    NUM("dequant_unit", "area_um2", T(dequant_unit_area_um2), 0, 1e7, "um2",
        "one edge dequantizer of w4a16-dq (fp16 multiplier)"),
    NUM("sram", "ref_kib", T(sram_ref_kib), 0.001, 1 << 20, "KiB", "bank size the per-bit energies are for"),
    NUM("sram", "read_pj_per_bit", T(sram_read_pj_per_bit), 0, 100, "pJ/bit", "read energy at ref_kib"),
    NUM("sram", "write_pj_per_bit", T(sram_write_pj_per_bit), 0, 100, "pJ/bit", "write energy at ref_kib"),
    NUM("sram", "leak_mw_per_kib", T(sram_leak_mw_per_kib), 0, 100, "mW/KiB", "leakage power per KiB"),
    NUM("sram", "area_um2_per_kib", T(sram_area_um2_per_kib), 0, 1e6, "um2/KiB", "area per KiB incl. periphery"),
    NUM("dram", "ddr4_pj_per_bit", DRAM_OFF(DRAM_DDR4), 0.001, 1000, "pJ/bit", "DDR4 energy per bit moved"),
    NUM("dram", "lpddr5_pj_per_bit", DRAM_OFF(DRAM_LPDDR5), 0.001, 1000, "pJ/bit", "LPDDR5 energy per bit moved"),
    NUM("dram", "hbm3_pj_per_bit", DRAM_OFF(DRAM_HBM3), 0.001, 1000, "pJ/bit", "HBM3 energy per bit moved"),
    NUM("dram", "ddr5_pj_per_bit", DRAM_OFF(DRAM_DDR5), 0.001, 1000, "pJ/bit", "DDR5 energy per bit moved"),
    NUM("dram", "ddr4_bg_mw_per_gbps", DRAM_BG(DRAM_DDR4), 0, 1000, "mW per GB/s",
        "DDR4 background and refresh power per GB/s of peak bandwidth"),
    NUM("dram", "lpddr5_bg_mw_per_gbps", DRAM_BG(DRAM_LPDDR5), 0, 1000, "mW per GB/s",
        "LPDDR5 background and refresh power per GB/s of peak bandwidth"),
    NUM("dram", "hbm3_bg_mw_per_gbps", DRAM_BG(DRAM_HBM3), 0, 1000, "mW per GB/s",
        "HBM3 background and refresh power per GB/s of peak bandwidth"),
    NUM("dram", "ddr5_bg_mw_per_gbps", DRAM_BG(DRAM_DDR5), 0, 1000, "mW per GB/s",
        "DDR5 background and refresh power per GB/s of peak bandwidth"),
    NUM("dram", "ddr4_channel_gbps", DRAM_CH(DRAM_DDR4), 0.1, 1e5, "GB/s", "one DDR4 channel's peak bandwidth"),
    NUM("dram", "lpddr5_channel_gbps", DRAM_CH(DRAM_LPDDR5), 0.1, 1e5, "GB/s", "one LPDDR5 channel's peak bandwidth"),
    NUM("dram", "hbm3_channel_gbps", DRAM_CH(DRAM_HBM3), 0.1, 1e5, "GB/s", "one HBM3 stack's peak bandwidth"),
    NUM("dram", "ddr5_channel_gbps", DRAM_CH(DRAM_DDR5), 0.1, 1e5, "GB/s", "one DDR5 channel's peak bandwidth"),
    NUM("rescale", "pj_per_op", T(rescale_pj), 0, 1000, "pJ", "one fp32 multiply of the output finish"),
    NUM("requant", "scale_pj", T(requant_scale_pj), 0, 1000, "pJ",
        "one element scaled and rounded into an integer format (or scaled out of one)"),
    NUM("requant", "max_pj", T(requant_max_pj), 0, 1000, "pJ", "one compare of a per-token max reduction"),
    NUM("requant", "ovp_pj", T(requant_ovp_pj), 0, 1000, "pJ", "one element through OliVe's pair encoder"),
    NUM("requant", "round_pj", T(requant_round_pj), 0, 1000, "pJ", "one fp32 -> fp16 rounding"),
    NUM("vector", "fma_pj", T(vec_pj[VC_FMA]), 0, 1000, "pJ", "one fp32 add, multiply or multiply-add"),
    NUM("vector", "cmp_pj", T(vec_pj[VC_CMP]), 0, 1000, "pJ", "one compare / max"),
    NUM("vector", "exp_pj", T(vec_pj[VC_EXP]), 0, 1000, "pJ", "one exponential"),
    NUM("vector", "rcp_pj", T(vec_pj[VC_RCP]), 0, 1000, "pJ", "one reciprocal or reciprocal square root"),
    NUM("vector", "act_pj", T(vec_pj[VC_ACT]), 0, 1000, "pJ", "one SiLU or GELU"),
    NUM("vector", "rope_pj", T(vec_pj[VC_ROPE]), 0, 1000, "pJ", "one rotary-embedding rotation of an element"),
    NUM("vector", "reduce_pj", T(vec_pj[VC_REDUCE]), 0, 1000, "pJ", "one add into a reduction tree"),
    NUM("vector", "leak_mw_per_lane", T(vec_leak_mw_per_lane), 0, 1000, "mW", "leakage of one vector lane"),
    NUM("vector", "area_um2_per_lane", T(vec_area_um2_per_lane), 0, 1e7, "um2",
        "one fp32 vector lane with its special-function units"),
};
#define NHEAD (int)(sizeof schema_head / sizeof schema_head[0])
#define NPE (int)(sizeof schema_pe / sizeof schema_pe[0])
#define NTAIL (int)(sizeof schema_tail / sizeof schema_tail[0])

static IniKey schema_rows[NHEAD + NPE * PE_KIND_COUNT + NTAIL];

static void schema_build(void)
{
    int n = 0;
    for (int i = 0; i < NHEAD; i++)
        schema_rows[n++] = schema_head[i];
    for (int k = 0; k < PE_KIND_COUNT; k++)
        for (int i = 0; i < NPE; i++) {
            schema_rows[n] = schema_pe[i];
            schema_rows[n].section = pe_kinds[k].tech_section;
            schema_rows[n++].offset = PE_OFF(k, busy_pj) - offsetof(TechPe, busy_pj) + schema_pe[i].offset;
        }
    for (int i = 0; i < NTAIL; i++)
        schema_rows[n++] = schema_tail[i];
}

const IniKey *energy_tech_schema(int *len)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, schema_build);
    *len = (int)(sizeof schema_rows / sizeof schema_rows[0]);
    return schema_rows;
}

static int file_exists(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0 && S_ISREG(st.st_mode);
}

int energy_tech_name_ok(const char *name)
{
    size_t n = strlen(name);
    if (n == 0 || n >= sizeof(((TechTable *)0)->name) || name[0] == '.')
        return 0;
    return strspn(name, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-") == n;
}

int energy_tech_resolve(const char *name, char *path, size_t cap)
{
    if (!energy_tech_name_ok(name))
        return -1;
    int n = snprintf(path, cap, "%s/configs/tech/%s.ini", config_datadir(), name);
    return n > 0 && (size_t)n < cap && file_exists(path) ? 0 : -1;
}

/* Load the table at path; a table without [tech] name is named by the file's stem. */
static int load_path(const char *path, TechTable *t, MpErr *e)
{
    memset(t, 0, sizeof *t); /* padding and string tails too: loaded tables compare with memcmp */
    int nkeys;
    const IniKey *schema = energy_tech_schema(&nkeys);
    int rc = ini_schema_load(path, schema, nkeys, t, NULL, e);
    if (rc)
        return rc;
    if (!t->name[0]) {
        const char *b = strrchr(path, '/');
        snprintf(t->name, sizeof t->name, "%s", b ? b + 1 : path);
        char *dot = strrchr(t->name, '.');
        if (dot)
            *dot = '\0';
    }
    return MP_OK;
}

int energy_tech_load(const char *name, TechTable *t, char *path_out, size_t path_cap, MpErr *e)
{
    char path[1024];
    memset(t, 0, sizeof *t);
    if (!energy_tech_name_ok(name))
        return mp_errf(e, MP_EINPUT,
                       "'%.63s%s': not a technology table name (a table is named by its file configs/tech/<name>.ini: "
                       "letters, digits, '.', '_', '-', not starting with '.')",
                       name, strlen(name) > 63 ? "..." : "");
    if (energy_tech_resolve(name, path, sizeof path) != 0)
        return mp_errf(e, MP_EINPUT, "%s: no such technology table (tables live in %s/configs/tech/)", name,
                       config_datadir());
    if (path_out)
        snprintf(path_out, path_cap, "%s", path);
    return load_path(path, t, e);
}

int energy_tech_load_file(const char *path, TechTable *t, MpErr *e)
{
    if (!file_exists(path)) {
        memset(t, 0, sizeof *t);
        return mp_errf(e, MP_EINPUT, "%s: no such file", path);
    }
    return load_path(path, t, e);
}

void energy_tech_print(FILE *f, const TechTable *t)
{
    int nkeys;
    const IniKey *schema = energy_tech_schema(&nkeys);
    ini_schema_print(f, schema, nkeys, t, NULL);
}

double energy_dram_pj_per_bit(const TechTable *t, const ArchConfig *c)
{
    if (c->dram_pj_per_bit > 0)
        return c->dram_pj_per_bit;
    if (c->dram_tech >= 0 && c->dram_tech < DRAM_TECHS)
        return t->dram_pj_per_bit[c->dram_tech];
    return -1;
}

double energy_dram_bg_mw(const TechTable *t, const ArchConfig *c)
{
    if (c->dram_tech >= 0 && c->dram_tech < DRAM_TECHS) {
        /* peak bandwidth: every channel's bits x MHz -> GB/s */
        const double gbps = (double)(c->dram_channels > 1 ? c->dram_channels : 1) * c->dram_bits_per_cycle *
                            c->clock_mhz / 8000.0;
        return t->dram_bg_mw_per_gbps[c->dram_tech] * gbps;
    }
    return c->dram_bg_mw;
}

int energy_dram_note(const TechTable *t, const ArchConfig *c, char *buf, size_t cap)
{
    if (c->dram_tech < 0 || c->dram_tech >= DRAM_TECHS)
        return 0;
    const double gbps = c->dram_bits_per_cycle * c->clock_mhz / 8000.0, peak = t->dram_channel_gbps[c->dram_tech];
    if (gbps <= peak * (1 + 1e-9))
        return 0;
    snprintf(buf, cap, "one DRAM channel of %.1f GB/s is above what one %s channel gives (%.1f GB/s, [dram] %s_channel_gbps "
             "of the energy table): add channels",
             gbps, arch_schema_enum_name("dram", "tech", c->dram_tech), peak,
             arch_schema_enum_name("dram", "tech", c->dram_tech));
    return 1;
}

double energy_sram_pj_per_bit(const TechTable *t, double kib, int banks, int write)
{
    double bank_kib = kib / (banks > 0 ? banks : 1);
    double ref = write ? t->sram_write_pj_per_bit : t->sram_read_pj_per_bit;
    return bank_kib > 0 ? ref * sqrt(bank_kib / t->sram_ref_kib) : 0;
}

double energy_sram_pj_per_access(const TechTable *t, double kib, int banks, int port_bits, int write)
{
    return port_bits * energy_sram_pj_per_bit(t, kib, banks, write);
}

double energy_leak_pj_per_pe_cycle(const TechTable *t, int kind, double clock_mhz)
{
    if (kind < 0 || kind >= PE_KIND_COUNT || clock_mhz <= 0)
        return 0;
    return t->pe[kind].leak_mw * 1000.0 / clock_mhz;
}

int energy_node_factors(const TechTable *t, const ArchConfig *c, TechScaleRow *f, MpErr *e)
{
    TechScaleRow id;
    techscale_between(c->node_nm, c->node_nm, &id); /* the identity */
    *f = id;
    if (c->node_nm == t->node_nm)
        return MP_OK;
    if (t->node_nm != (int)t->node_nm || techscale_between((int)t->node_nm, c->node_nm, f) != 0) {
        *f = id;
        char nodes[64];
        techscale_node_list(nodes, sizeof nodes);
        return mp_errf(e, MP_EINPUT, "%s: no technology scaling from %g nm (table %s) to %d nm (nodes: %s nm)",
                       c->name, t->node_nm, t->name, c->node_nm, nodes);
    }
    return MP_OK;
}

double energy_node_clock_mhz(const TechTable *t, const ArchConfig *c)
{
    TechScaleRow f;
    MpErr e = {0};
    return energy_node_factors(t, c, &f, &e) == MP_OK ? c->clock_mhz / f.delay : c->clock_mhz;
}

int energy_compute(const TechTable *t, const ArchConfig *c, const SimEvents *ev, EnergyBreakdown *out, MpErr *e)
{
    memset(out, 0, sizeof *out);
    if (c->pe_kind < 0 || c->pe_kind >= PE_KIND_COUNT)
        return mp_errf(e, MP_EINPUT, "%s: pe_kind %d has no row in technology table %s", c->name, c->pe_kind,
                       t->name);
    if (c->clock_mhz <= 0)
        return mp_errf(e, MP_EINPUT, "%s: clock_mhz must be > 0", c->name);
    double dram_pj = energy_dram_pj_per_bit(t, c);
    if (dram_pj < 0)
        return mp_errf(e, MP_EINPUT, "%s: [dram] tech = custom needs pj_per_bit > 0", c->name);
    TechScaleRow f;
    int rc = energy_node_factors(t, c, &f, e);
    if (rc)
        return rc;
    const double ke = f.energy, kl = f.leak; /* dynamic energy and leakage at the config's node */
    const TechPe *pe = &t->pe[c->pe_kind];
    const double kib[BUF_COUNT] = {[BUF_W] = c->sram_weight_kib, [BUF_X] = c->sram_act_kib, [BUF_Y] = c->sram_out_kib,
                                   [BUF_V] = c->vec_buf_kib};
    const double pj_per_cycle = 1000.0 / c->clock_mhz; /* mW -> pJ per cycle */

    out->pe = (double)ev->pe_busy * pe->busy_pj * c->pe_energy_scale * ke;
    /* SRAM leakage: every core's weight, activation and output buffers, the vector unit's one */
    const int cores = c->cores > 1 ? c->cores : 1;
    double sram_kib = 0;
    for (int b = 0; b < BUF_COUNT; b++) {
        out->sram_buf[b] = (double)ev->sram_read_bits[b] * energy_sram_pj_per_bit(t, kib[b], c->sram_banks, 0) +
                           (double)ev->sram_write_bits[b] * energy_sram_pj_per_bit(t, kib[b], c->sram_banks, 1);
        out->sram_buf[b] *= ke;
        out->sram += out->sram_buf[b];
        sram_kib += kib[b] * (b == BUF_V ? 1 : cores);
    }
    /* DRAM: off chip, not scaled with the accelerator's node */
    out->dram_bg = (double)ev->cycles * energy_dram_bg_mw(t, c) * pj_per_cycle;
    out->dram = (double)(ev->dram_read_bits + ev->dram_write_bits) * dram_pj + out->dram_bg;
    out->decoder = (double)ev->decoder_ops * t->decoder_pj * ke;
    out->dequant = (double)ev->dequant_ops * pe->dequant_pj * ke;
    out->leakage_pe = (double)ev->pe_total * pe->leak_mw * pj_per_cycle * kl;
    out->leakage_sram = (double)ev->cycles * sram_kib * t->sram_leak_mw_per_kib * pj_per_cycle * kl;
    out->leakage_vec = (double)ev->cycles * c->vec_lanes * t->vec_leak_mw_per_lane * pj_per_cycle * kl;
    out->leakage = out->leakage_pe + out->leakage_sram + out->leakage_vec;
    for (int k = 0; k < VC_COUNT; k++)
        out->vector += (double)ev->vec_ops[k] * t->vec_pj[k] * ke;
    out->rescale = (double)ev->rescale_ops * t->rescale_pj * ke;
    out->requant = ((double)ev->requant_ops * t->requant_scale_pj + (double)ev->requant_max_ops * t->requant_max_pj +
                    (double)ev->ovp_ops * t->requant_ovp_pj + (double)ev->round_ops * t->requant_round_pj) *
                   ke;
    out->other = (double)ev->xsum_ops * t->xsum_pj * ke + out->rescale + out->requant;
    out->total =
        out->pe + out->sram + out->dram + out->decoder + out->dequant + out->leakage + out->other + out->vector;
    return MP_OK;
}

void energy_print_shares(FILE *f, const char *title, const ShareCol *cols, int ncols, const SharePart *parts,
                         int nparts, double total)
{
    double tot = total > 0 ? total : 1;
    fprintf(f, "%-22s", title);
    for (int c = 0; c < ncols; c++)
        fprintf(f, " %*s", cols[c].width, cols[c].unit);
    fprintf(f, " %7s\n", "share");
    for (int i = 0; i < nparts; i++) {
        fprintf(f, "%-22s", parts[i].label);
        for (int c = 0; c < ncols; c++)
            fprintf(f, " %*.*f", cols[c].width, cols[c].digits, parts[i].v * cols[c].scale);
        fprintf(f, " %6.1f%%\n", 100.0 * parts[i].v / tot);
    }
}

void energy_print(FILE *f, const EnergyBreakdown *b)
{
    static const ShareCol cols[] = {{"pJ", 16, 1, 1.0}, {"uJ", 12, 4, 1e-6}};
    const SharePart parts[] = {
        {"PE dynamic", b->pe},
        {"SRAM", b->sram},
        {"  weight buffer", b->sram_buf[BUF_W]},
        {"  activation buffer", b->sram_buf[BUF_X]},
        {"  output buffer", b->sram_buf[BUF_Y]},
        {"  vector buffer", b->sram_buf[BUF_V]},
        {"DRAM", b->dram},
        {"  background", b->dram_bg},
        {"decoders", b->decoder},
        {"dequant", b->dequant},
        {"leakage", b->leakage},
        {"  PE leakage", b->leakage_pe},
        {"  SRAM leakage", b->leakage_sram},
        {"  vector leakage", b->leakage_vec},
        {"vector unit", b->vector},
        {"other", b->other},
        {"  output rescale", b->rescale},
        {"  requantization", b->requant},
        {"total", b->total},
    };
    energy_print_shares(f, "energy", cols, 2, parts, (int)(sizeof parts / sizeof parts[0]), b->total);
}
