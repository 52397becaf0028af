/* sim/config.c — the accelerator config schema and its cross-field rules. */
#include "sim/config.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "models/opfmt.h"
#include "models/pekind.h"
#include "sim/energy.h"
#include "sim/techscale.h"

static const char *const dataflow_names[] = {"os", "ws", NULL};
static const char *const orientation_names[] = {"auto", "mxn", "nxm", NULL};
static const char *const dram_tech_names[] = {"ddr4", "lpddr5", "hbm3", "ddr5", "custom", NULL};

const char *const config_fmt_names[] = {"auto", "fp32", "fp16", "int8", "int4", "uint4", "bitmod-fp4",
                                        "bitmod-fp3", "olive4", "ant4", NULL};

#define F(field) offsetof(ArchConfig, field)
#define KEY(sec, key, type, field, lo, hi, def, unit, doc) {sec, key, type, F(field), lo, hi, def, NULL, 0, unit, doc}

/* One row per key. def == NULL marks a required key. Units are in key names too. */
const IniKey arch_schema[] = {
    KEY("mpsim", "config_version", INI_INT, version, 1, 1, "1", "", "config file format version"),
    {"arch", "name", INI_STR, F(name), 0, 0, "", NULL, sizeof(((ArchConfig *)0)->name), "",
     "design name shown in reports (default: preset name or file stem)"},
    {"arch", "pe_kind", INI_ENUM, F(pe_kind), 0, 0, NULL, pe_kind_names, 0, "", "PE kind (docs/pe.md)"},
    KEY("arch", "rows", INI_INT, rows, 1, 4096, NULL, "PEs", "PE array rows"),
    KEY("arch", "cols", INI_INT, cols, 1, 4096, NULL, "PEs", "PE array columns"),
    KEY("arch", "clock_mhz", INI_F64, clock_mhz, 1, 100000, "1000", "MHz", "accelerator clock"),
    {"arch", "dataflow", INI_ENUM, F(dataflow), 0, 0, "os", dataflow_names, 0, "",
     "os = output-stationary, ws = weight-stationary"},
    {"arch", "orientation", INI_ENUM, F(orientation), 0, 0, "auto", orientation_names, 0, "",
     "auto = the mapper puts tokens or output channels on the rows per GEMM (edge units on both edges); "
     "mxn = tokens on the rows only; nxm = output channels on the rows only"},
    KEY("arch", "cores", INI_INT, cores, 1, 4096, "1", "arrays",
        "identical PE arrays, each with its own weight/activation/output buffers as configured; a GEMM is split "
        "across them (docs/simulator.md, Cores and channels)"),
    KEY("quant", "weight_bits", INI_INT, weight_bits, 0, 16, "0", "bits",
        "bits per weight code; 0 = the PE kind's native width"),
    KEY("quant", "group_size", INI_INT, group_size, 1, 65536, "128", "weights", "quantization group along K"),
    KEY("quant", "weight_bits_eff", INI_F64, weight_bits_eff, 0, 64, "0", "bits",
        "stored bits per weight incl. metadata; 0 = derived from the format"),
    {"quant", "weight_format", INI_ENUM, F(weight_format), 0, 0, "auto", config_fmt_names, 0, "",
     "weight operand format (mpsim list formats); auto = the variant of weight_bits"},
    {"quant", "act_format", INI_ENUM, F(act_format), 0, 0, "auto", config_fmt_names, 0, "",
     "activation operand format the PEs compute with; auto = the PE kind's own"},
    {"quant", "kv_format", INI_ENUM, F(kv_format), 0, 0, "auto", config_fmt_names, 0, "",
     "KV-cache format as stored (written by k/v projections, read by attention); auto = act_format"},
    {"quant", "out_format", INI_ENUM, F(out_format), 0, 0, "auto", config_fmt_names, 0, "",
     "format layer outputs are stored in (requantized on the way out); auto = act_format"},
    KEY("sram", "weight_kib", INI_INT, sram_weight_kib, 1, 1 << 20, "512", "KiB", "weight buffer capacity"),
    KEY("sram", "act_kib", INI_INT, sram_act_kib, 1, 1 << 20, "512", "KiB", "activation buffer capacity"),
    KEY("sram", "out_kib", INI_INT, sram_out_kib, 1, 1 << 20, "256", "KiB", "output buffer capacity"),
    KEY("sram", "banks", INI_INT, sram_banks, 1, 1024, "8", "banks", "banks per buffer"),
    KEY("sram", "port_bits", INI_INT, sram_port_bits, 8, 65536, "256", "bits/cycle", "width of one bank port"),
    KEY("sram", "double_buffer", INI_BOOL, double_buffer, 0, 1, "true", "",
        "overlap the next tile's loads with compute"),
    KEY("dram", "bits_per_cycle", INI_INT, dram_bits_per_cycle, 1, 1 << 20, "256", "bits/cycle",
        "DRAM channel width per accelerator cycle"),
    KEY("dram", "channels", INI_INT, dram_channels, 1, 4096, "1", "channels",
        "DRAM channels, each bits_per_cycle wide with latency_cycles; interleaved, shared by the cores that have work"),
    KEY("dram", "latency_cycles", INI_INT, dram_latency_cycles, 0, 1000000, "100", "cycles",
        "DRAM access latency"),
    {"dram", "tech", INI_ENUM, F(dram_tech), 0, 0, "ddr4", dram_tech_names, 0, "",
     "DRAM technology for energy per bit"},
    KEY("dram", "pj_per_bit", INI_F64, dram_pj_per_bit, 0, 1000, "0", "pJ/bit",
        "DRAM energy per bit; 0 = from tech (required when tech = custom)"),
    KEY("dram", "bg_mw", INI_F64, dram_bg_mw, 0, 1e6, "0", "mW",
        "DRAM background and refresh power when tech = custom (other techs: the energy table's, per GB/s)"),
    {"energy", "tech", INI_STR, F(tech), 0, 0, "28nm", NULL, sizeof(((ArchConfig *)0)->tech), "",
     "energy/area table configs/tech/<tech>.ini"},
    KEY("energy", "pe_energy_scale", INI_F64, pe_energy_scale, 0.01, 100, "1", "",
        "multiplier on PE energy (e.g. 1.5 for place-and-route)"),
    KEY("energy", "node_nm", INI_INT, node_nm, 1, 1000, "28", "nm",
        "process node energy and area are scaled to from the table's own (docs/energy.md, Technology scaling): "
        "28, 16, 7, 5 or 4; the clock is not scaled"),
    /* Vector unit defaults: 16 lanes and the latencies of ONNXim's language-mode example config
     * (vector_core_width 16; add 11, mul 6, exp 4, gelu 1 cycles); every class fully pipelined
     * (one issue per lane per cycle, as ONNXim's vector unit); cmp 1, rcp 11 (as an add) and rope
     * 17 (a multiply then an add) are our assumptions. docs/simulator.md, "Vector unit". */
    KEY("vector", "lanes", INI_INT, vec_lanes, 1, 65536, "16", "lanes", "vector unit lanes (fp32)"),
    KEY("vector", "buf_kib", INI_INT, vec_buf_kib, 1, 1 << 20, "64", "KiB",
        "vector unit buffer (double-buffered: half holds the rows being loaded and stored)"),
    KEY("vector", "fma_ii", INI_INT, vec_ii[VC_FMA], 1, 1024, "1", "cycles", "cycles between fma issues on a lane"),
    KEY("vector", "cmp_ii", INI_INT, vec_ii[VC_CMP], 1, 1024, "1", "cycles", "cycles between compare issues"),
    KEY("vector", "exp_ii", INI_INT, vec_ii[VC_EXP], 1, 1024, "1", "cycles", "cycles between exp issues"),
    KEY("vector", "rcp_ii", INI_INT, vec_ii[VC_RCP], 1, 1024, "1", "cycles", "cycles between reciprocal issues"),
    KEY("vector", "act_ii", INI_INT, vec_ii[VC_ACT], 1, 1024, "1", "cycles", "cycles between SiLU/GELU issues"),
    KEY("vector", "rope_ii", INI_INT, vec_ii[VC_ROPE], 1, 1024, "1", "cycles", "cycles between RoPE issues"),
    KEY("vector", "reduce_ii", INI_INT, vec_ii[VC_REDUCE], 1, 1024, "1", "cycles", "cycles between tree adds"),
    KEY("vector", "fma_latency", INI_INT, vec_lat[VC_FMA], 0, 10000, "11", "cycles", "fma pipeline depth"),
    KEY("vector", "cmp_latency", INI_INT, vec_lat[VC_CMP], 0, 10000, "1", "cycles", "compare pipeline depth"),
    KEY("vector", "exp_latency", INI_INT, vec_lat[VC_EXP], 0, 10000, "4", "cycles", "exp pipeline depth"),
    KEY("vector", "rcp_latency", INI_INT, vec_lat[VC_RCP], 0, 10000, "11", "cycles", "reciprocal pipeline depth"),
    KEY("vector", "act_latency", INI_INT, vec_lat[VC_ACT], 0, 10000, "1", "cycles", "SiLU/GELU pipeline depth"),
    KEY("vector", "rope_latency", INI_INT, vec_lat[VC_ROPE], 0, 10000, "17", "cycles", "RoPE pipeline depth"),
    KEY("vector", "reduce_latency", INI_INT, vec_lat[VC_REDUCE], 0, 10000, "11", "cycles",
        "one level of the reduction tree"),
    KEY("attention", "fused", INI_BOOL, attn_fused, 0, 1, "false", "",
        "FlashAttention-style: S and P stay on chip (falls back, with a note, when the tiles do not fit)"),
};
const int arch_schema_len = (int)(sizeof arch_schema / sizeof arch_schema[0]);

const char *config_datadir(void)
{
    const char *d = getenv("MPSIM_DATADIR");
    return d && *d ? d : MPSIM_DATADIR;
}

static int file_exists(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0 && S_ISREG(st.st_mode);
}

int config_resolve(const char *name_or_path, char *path, size_t cap)
{
    size_t n = strlen(name_or_path);
    int looks_like_path = strchr(name_or_path, '.') != NULL || name_or_path[0] == '/' ||
                          (n > 4 && strcmp(name_or_path + n - 4, ".ini") == 0);
    if (file_exists(name_or_path) || looks_like_path) {
        snprintf(path, cap, "%s", name_or_path);
        return file_exists(path) ? 0 : -1;
    }
    snprintf(path, cap, "%s/configs/%s.ini", config_datadir(), name_or_path);
    return file_exists(path) ? 0 : -1;
}

static int row_index(const char *section, const char *key)
{
    for (int i = 0; i < arch_schema_len; i++)
        if (!strcmp(arch_schema[i].section, section) && !strcmp(arch_schema[i].key, key))
            return i;
    return 0;
}

/* "FILE:LINE" for a key set in a file, "FILE" alone (e.g. "--set") when no line is known. */
static const char *where_of(char *buf, size_t cap, const char *path, int line)
{
    if (line > 0)
        snprintf(buf, cap, "%s:%d", path, line);
    else
        snprintf(buf, cap, "%s", path);
    return buf;
}

/* Resolve the four operand formats against the kind's row: the weight format picks the variant
 * (it must agree with an explicit weight_bits), the activation format must be one the datapath
 * takes, the KV cache and outputs may be stored in any format of the activation family the
 * datapath's edge converters handle: fp32, fp16, int8 or int4 with a scale per row (a token's
 * vector is whole in the buffer: the converter scales each element), or the activation format. */
static int check_formats(const char *path, ArchConfig *c, const IniLoad *w, MpErr *e)
{
    char at[1100], list[256];
    const PeKindId kind = (PeKindId)c->pe_kind;
    const PeKind *pk = &pe_kinds[kind];
    const int nv = pe_kind_nvariants(kind);
    const int wl = w->line[row_index("quant", "weight_format")], xl = w->line[row_index("quant", "act_format")];
    const int kl = w->line[row_index("quant", "kv_format")], ol = w->line[row_index("quant", "out_format")];
    if (c->weight_format) {
        const PeVariant *v = NULL;
        list[0] = '\0';
        for (int i = 0; i < nv; i++) {
            if ((int)pk->var[i].wfmt == c->weight_format - 1)
                v = &pk->var[i];
            snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s", i ? ", " : "",
                     op_fmts[pk->var[i].wfmt].name);
        }
        if (!v)
            return mp_errf(e, MP_EINPUT, "%s: [quant] weight_format = %s: pe_kind %s takes %s",
                           where_of(at, sizeof at, path, wl ? wl : w->nlines), config_fmt_names[c->weight_format],
                           pe_kind_names[kind], list);
        if (w->line[row_index("quant", "weight_bits")] && v->weight_bits != c->weight_bits)
            return mp_errf(e, MP_EINPUT, "%s: [quant] weight_format = %s has %d-bit codes, weight_bits says %d",
                           where_of(at, sizeof at, path, wl ? wl : w->nlines), config_fmt_names[c->weight_format],
                           v->weight_bits, c->weight_bits);
        c->weight_bits = v->weight_bits;
    }
    list[0] = '\0';
    for (int f = 0; f < OPF_COUNT; f++)
        if (pk->xfmts >> f & 1)
            snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s", list[0] ? ", " : "", op_fmts[f].name);
    const int xf = config_act_fmt(c);
    if (!(pk->xfmts >> xf & 1))
        return mp_errf(e, MP_EINPUT, "%s: [quant] act_format = %s: pe_kind %s takes %s",
                       where_of(at, sizeof at, path, xl ? xl : w->nlines), op_fmts[xf].name, pe_kind_names[kind],
                       list);
    if (!num_format_for_operands(kind, c->weight_bits, xf)) /* a kind row whose xfmts has no format row */
        return mp_errf(e, MP_EINPUT, "%s: [quant] act_format = %s: no accuracy format of pe_kind %s has it",
                       where_of(at, sizeof at, path, xl ? xl : w->nlines), op_fmts[xf].name, pe_kind_names[kind]);
    const struct {
        int f, line;
        const char *key;
    } st[] = {{config_kv_fmt(c), kl, "kv_format"}, {config_out_fmt(c), ol, "out_format"}};
    for (int i = 0; i < 2; i++) {
        const int f = st[i].f;
        if (f != xf && !opfmt_is_float((OpFmtId)f) && f != OPF_INT8 && f != OPF_INT4)
            return mp_errf(e, MP_EINPUT,
                           "%s: [quant] %s = %s: stored operands are fp32, fp16, int8, int4 or the act_format (%s), "
                           "which the edge converters of pe_kind %s turn into its operands",
                           where_of(at, sizeof at, path, st[i].line ? st[i].line : w->nlines), st[i].key,
                           op_fmts[f].name, op_fmts[xf].name, pe_kind_names[kind]);
    }
    return MP_OK;
}

int config_act_fmt(const ArchConfig *c)
{
    if (c->act_format > 0)
        return c->act_format - 1;
    const unsigned m = c->pe_kind >= 0 && c->pe_kind < PE_KIND_COUNT ? pe_kinds[c->pe_kind].xfmts : 0;
    for (int f = 0; f < OPF_COUNT; f++)
        if (m >> f & 1)
            return f;
    return OPF_FP16;
}

int config_kv_fmt(const ArchConfig *c) { return c->kv_format > 0 ? c->kv_format - 1 : config_act_fmt(c); }
int config_out_fmt(const ArchConfig *c) { return c->out_format > 0 ? c->out_format - 1 : config_act_fmt(c); }

static int check_cross(const char *path, ArchConfig *c, const IniLoad *w, MpErr *e)
{
    char at[1100];
    int wl = w->line[row_index("quant", "weight_bits")];
    const PeKindId kind = (PeKindId)c->pe_kind;
    const PeKind *pk = &pe_kinds[kind];
    if (!pe_kind_variant(kind, c->weight_bits)) {
        char widths[64] = "";
        const int nv = pe_kind_nvariants(kind);
        for (int i = nv - 1; i >= 0; i--) /* narrowest first: "3 or 4" */
            snprintf(widths + strlen(widths), sizeof widths - strlen(widths), "%s%d", i < nv - 1 ? " or " : "",
                     pk->var[i].weight_bits);
        return mp_errf(e, MP_EINPUT, "%s: [quant] weight_bits = %d is not supported by pe_kind %s (%s)",
                       where_of(at, sizeof at, path, wl ? wl : w->nlines), c->weight_bits, pe_kind_names[kind],
                       pk->var[1].weight_bits ? widths : "leave it 0 for the native width");
    }
    if (c->weight_bits == 0)
        c->weight_bits = pk->var[0].weight_bits;
    int rc = check_formats(path, c, w, e);
    if (rc)
        return rc;
    int gl = w->line[row_index("quant", "group_size")];
    MpErr ge = {0};
    if (pe_kind_check_group(kind, c->group_size, &ge) != MP_OK) /* "group size N: <why>" */
        return mp_errf(e, MP_EINPUT, "%s: [quant] group_size = %s", where_of(at, sizeof at, path, gl ? gl : w->nlines),
                       ge.msg + strlen("group size "));
    if (c->group_size < pe_kind_min_group(kind))
        return mp_errf(e, MP_EINPUT,
                       "%s: [quant] group_size = %d: %s needs at least %d weights per group (its group dequantizer "
                       "is busy %d cycles a group and must keep up with the next)",
                       where_of(at, sizeof at, path, gl ? gl : w->nlines), c->group_size, pe_kind_names[kind],
                       pe_kind_min_group(kind), pk->timing.dq_busy);
    if (c->dram_tech == DRAM_CUSTOM && c->dram_pj_per_bit <= 0) {
        int l = w->line[row_index("dram", "tech")];
        return mp_errf(e, MP_EINPUT, "%s: [dram] tech = custom needs pj_per_bit > 0",
                       where_of(at, sizeof at, path, l ? l : w->nlines));
    }
    return MP_OK;
}

/* [energy] tech names a table that exists and loads (sim/energy.h: a name, never a path). */
static int check_tech(const char *path, const ArchConfig *c, const IniLoad *w, MpErr *e)
{
    char at[1100], tp[1024];
    int l = w->line[row_index("energy", "tech")];
    where_of(at, sizeof at, path, l ? l : w->nlines);
    if (!energy_tech_name_ok(c->tech))
        return mp_errf(e, MP_EINPUT,
                       "%s: [energy] tech = '%s': not a technology table name (a table is named by its file "
                       "configs/tech/<name>.ini: letters, digits, '.', '_', '-', not starting with '.'; not a path)",
                       at, c->tech);
    if (energy_tech_resolve(c->tech, tp, sizeof tp) != 0)
        return mp_errf(e, MP_EINPUT, "%s: [energy] tech = %s: no such technology table (tables live in %s/configs/tech/)",
                       at, c->tech, config_datadir());
    TechTable t;
    MpErr te = {0};
    if (energy_tech_load(c->tech, &t, NULL, 0, &te) != MP_OK)
        return mp_errf(e, te.code, "%s: [energy] tech = %s: %s", at, c->tech, te.msg);
    /* [energy] node_nm: the table's own node (nothing scaled), or a node of the scaling table when the
     * table's node has a row there too (sim/techscale.h) */
    TechScaleRow f;
    if (c->node_nm != t.node_nm &&
        (t.node_nm != (int)t.node_nm || techscale_between((int)t.node_nm, c->node_nm, &f) != 0)) {
        int nl = w->line[row_index("energy", "node_nm")];
        char nodes[64];
        techscale_node_list(nodes, sizeof nodes);
        where_of(at, sizeof at, path, nl ? nl : w->nlines);
        if (!techscale_find(c->node_nm))
            return mp_errf(e, MP_EINPUT, "%s: [energy] node_nm = %d: no technology scaling row for it (nodes: %s nm)",
                           at, c->node_nm, nodes);
        return mp_errf(e, MP_EINPUT,
                       "%s: [energy] node_nm = %d: technology table %s is for %g nm, which has no scaling row "
                       "(nodes: %s nm); leave node_nm at %g",
                       at, c->node_nm, c->tech, t.node_nm, nodes, t.node_nm);
    }
    return MP_OK;
}

static void stem_of(const char *path, char *out, size_t cap)
{
    const char *b = strrchr(path, '/');
    b = b ? b + 1 : path;
    snprintf(out, cap, "%s", b);
    char *dot = strrchr(out, '.');
    if (dot)
        *dot = '\0';
}

int config_preset_name_ok(const char *name)
{
    static const char ok[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-";
    const char *p = name;
    for (;;) {
        size_t n = strspn(p, ok);
        if (n == 0)
            return 0; /* empty segment: leading, trailing or doubled '/' */
        p += n;
        if (*p == '\0')
            return 1;
        if (*p++ != '/')
            return 0;
    }
}

static int load_resolved(const char *name_or_path, const char *path, ArchConfig *c, IniLoad *w, MpErr *e);

int config_load_preset(const char *name, ArchConfig *c, IniLoad *where, MpErr *e)
{
    char path[1024];
    IniLoad local;
    if (!config_preset_name_ok(name))
        return mp_errf(e, MP_EINPUT, "'%s': not a preset name", name);
    int n = snprintf(path, sizeof path, "%s/configs/%s.ini", config_datadir(), name);
    struct stat st;
    if (n < 0 || (size_t)n >= sizeof path || stat(path, &st) != 0 || !S_ISREG(st.st_mode))
        return mp_errf(e, MP_EINPUT, "%s: no such preset (presets live in %s/configs/)", name, config_datadir());
    return load_resolved(name, path, c, where ? where : &local, e);
}

int config_load(const char *name_or_path, ArchConfig *c, IniLoad *where, char *path_out, size_t path_cap,
                MpErr *e)
{
    char path[1024];
    IniLoad local;
    IniLoad *w = where ? where : &local;
    if (config_resolve(name_or_path, path, sizeof path) != 0)
        return mp_errf(e, MP_EINPUT, "%s: no such config file or preset (presets live in %s/configs/)", name_or_path,
                       config_datadir());
    if (path_out)
        snprintf(path_out, path_cap, "%s", path);
    return load_resolved(name_or_path, path, c, w, e);
}

/* Load the file at path, found for name_or_path (a preset keeps that name, a file gets its stem). */
static int load_resolved(const char *name_or_path, const char *path, ArchConfig *c, IniLoad *w, MpErr *e)
{
    int rc = ini_schema_load(path, arch_schema, arch_schema_len, c, w, e);
    if (rc)
        return rc;
    if ((rc = check_cross(path, c, w, e)) != MP_OK || (rc = check_tech(path, c, w, e)) != MP_OK)
        return rc;
    if (!c->name[0]) {
        /* a preset keeps its name ("iso/fp16"), a file its stem */
        char p2[1024];
        snprintf(p2, sizeof p2, "%s/configs/%s.ini", config_datadir(), name_or_path);
        if (!strcmp(p2, path))
            snprintf(c->name, sizeof c->name, "%s", name_or_path);
        else
            stem_of(path, c->name, sizeof c->name);
    }
    return MP_OK;
}

int config_apply_sets(ArchConfig *out, const char *list, MpErr *e)
{
    ArchConfig work = *out, *c = &work; /* *out changes only when the whole list applies */
    char buf[2048];
    if (strlen(list) >= sizeof buf)
        return mp_errf(e, MP_EINPUT, "--set: list longer than %zu characters", sizeof buf - 1);
    snprintf(buf, sizeof buf, "%s", list);
    int kind_changed = 0, bits_set = 0, tech_set = 0, fmt_set[4] = {0, 0, 0, 0};
    static const char *const fmt_keys[4] = {"weight_format", "act_format", "kv_format", "out_format"};
    /* every item between commas counts: an empty one (",,", a leading or trailing comma, blanks
     * only) is a mistake, not nothing to do */
    for (char *tok = buf, *next; tok; tok = next) {
        next = strchr(tok, ',');
        if (next)
            *next++ = '\0';
        if (tok[strspn(tok, " \t")] == '\0')
            return mp_errf(e, MP_EINPUT, "--set: empty item in '%s' (expected section.key=value,...)", list);
        char *eq = strchr(tok, '='), *dot = strchr(tok, '.');
        if (!eq || !dot || dot > eq)
            return mp_errf(e, MP_EINPUT, "--set '%s': expected section.key=value (e.g. arch.rows=16)", tok);
        *eq = *dot = '\0';
        int i = -1;
        for (int r = 0; r < arch_schema_len; r++)
            if (!strcmp(arch_schema[r].section, tok) && !strcmp(arch_schema[r].key, dot + 1))
                i = r;
        if (i < 0)
            return mp_errf(e, MP_EINPUT, "--set: unknown key '%s.%s' (see 'mpsim config show')", tok, dot + 1);
        char msg[512];
        if (ini_schema_set(&arch_schema[i], c, eq + 1, msg, sizeof msg) != 0)
            return mp_errf(e, MP_EINPUT, "--set %s.%s: %s", tok, dot + 1, msg);
        kind_changed |= !strcmp(dot + 1, "pe_kind");
        bits_set |= !strcmp(dot + 1, "weight_bits");
        for (int f = 0; f < 4; f++)
            fmt_set[f] |= !strcmp(dot + 1, fmt_keys[f]);
        tech_set |= !strcmp(tok, "energy") && (!strcmp(dot + 1, "tech") || !strcmp(dot + 1, "node_nm"));
    }
    if (kind_changed && !bits_set)
        c->weight_bits = 0; /* back to the new kind's native width */
    /* the newer statement of the weights' width wins: a weight_bits alone drops the design's
     * weight_format, a weight_format alone its weight_bits; both given here must agree */
    if (bits_set && !fmt_set[0])
        work.weight_format = 0;
    if (fmt_set[0] && !bits_set)
        work.weight_bits = 0;
    if (fmt_set[0] && bits_set && work.weight_format > 0) {
        const PeKind *pk = &pe_kinds[work.pe_kind];
        for (int i = 0; i < pe_kind_nvariants((PeKindId)work.pe_kind); i++)
            if ((int)pk->var[i].wfmt == work.weight_format - 1 && pk->var[i].weight_bits != work.weight_bits)
                return mp_errf(e, MP_EINPUT, "--set: quant.weight_format = %s has %d-bit codes, quant.weight_bits says %d",
                               config_fmt_names[work.weight_format], pk->var[i].weight_bits, work.weight_bits);
    }
    if (kind_changed) { /* and to its own formats, except those set here */
        int *fmt[4] = {&work.weight_format, &work.act_format, &work.kv_format, &work.out_format};
        for (int f = 0; f < 4; f++)
            if (!fmt_set[f])
                *fmt[f] = 0;
    }
    IniLoad none;
    memset(&none, 0, sizeof none);
    int rc = check_cross("--set", c, &none, e);
    if (rc == MP_OK && tech_set)
        rc = check_tech("--set", c, &none, e);
    if (rc)
        return rc;
    size_t n = strlen(c->name);
    if (n + 1 < sizeof c->name && (n == 0 || c->name[n - 1] != '*'))
        snprintf(c->name + n, sizeof c->name - n, "*"); /* marks a modified design */
    *out = work;
    return MP_OK;
}

void config_print(FILE *f, const ArchConfig *c, const IniLoad *where)
{
    ini_schema_print(f, arch_schema, arch_schema_len, c, where);
}

const IniKey *arch_schema_find(const char *section, const char *key)
{
    for (int i = 0; i < arch_schema_len; i++)
        if (!strcmp(arch_schema[i].section, section) && !strcmp(arch_schema[i].key, key))
            return &arch_schema[i];
    return NULL;
}

const char *arch_schema_enum_name(const char *section, const char *key, int v)
{
    const IniKey *k = arch_schema_find(section, key);
    for (int i = 0; k && k->names && k->names[i]; i++)
        if (i == v)
            return k->names[i];
    return "?";
}

int arch_schema_enum_index(const char *section, const char *key, const char *name)
{
    const IniKey *k = arch_schema_find(section, key);
    for (int i = 0; k && k->names && k->names[i]; i++)
        if (!strcmp(k->names[i], name))
            return i;
    return -1;
}
