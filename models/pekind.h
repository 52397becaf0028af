/* models/pekind.h — the PE kinds mpsim models: one table row per kind.
 *
 * Everything the project knows about a kind is in its PeKind row (models/pekind.c): the operand
 * schemes its datapath accepts, its K-alignment and group-size rules, its golden datapath, its
 * timing row, the weight widths it runs with (each with its accuracy format, iso-area preset and
 * GPU kernel), its technology-table section and how the RTL array's edges are fed. Config checks,
 * the golden model, the simulator's timing, energy and area, the RTL harness, the SystemC
 * co-simulation, `compare-gpu` and the benchmarks read what they need from it; no other code names
 * a kind. Adding a kind = one row here, one datapath (models/datapath.c), one RTL PE module.
 *
 * The id is the row's index and the RTL's KIND parameter (rtl/mp_kinds.vh; tests/test_pekind.c
 * checks the two agree). The kind's name, as configs ([arch] pe_kind) and the command line use it,
 * is pe_kind_names[id].
 */
#ifndef MP_MODELS_PEKIND_H
#define MP_MODELS_PEKIND_H

#include "base/err.h"
#include "models/datapath.h"
#include "models/opfmt.h"
#include "models/quant.h"

typedef enum PeKindId {
    PE_FP16,          /* fp16 x fp16 -> fp32 accumulate                        */
    PE_INT8,          /* int8 x int8 -> int32                                   */
    PE_W4A16_DQ,      /* uint4 g128 dequantized to fp16, then fp16 MAC          */
    PE_MIXPE_W4A8,    /* MixPE: uint4 x int8 shift-add, one dequant per group   */
    PE_MIXPE_W4A8_BS, /* MixPE W4A8, bit-serial over the 4 weight bits          */
    PE_MIXPE_W4A16,   /* MixPE: uint4 x fp16 exponent-shift, dequant per group  */
    PE_BITMOD,        /* BitMoD: FP3/FP4 + special value, bit-serial terms      */
    PE_OLIVE,         /* OliVe: outlier-victim pairs, <exp,int> PE              */
    PE_ANT,           /* ANT: int/flint/PoT 4-bit, <exp,int> PE                 */
    PE_OLIVE_W4A16,   /* OliVe pairs x fp16 on an FP16xINT8 PE (weight-only)    */
    PE_ANT_W4A16,     /* ANT 4-bit x fp16 on an FP16xINT8 PE (weight-only)      */
    PE_KIND_COUNT
} PeKindId;

/* The timing row of a kind (sim/petime.c uses it; docs/simulator.md gives each row's reasons).
 * A PE consumes `lanes` consecutive k per *step*; a step occupies it `step_cycles` cycles;
 * `latency` is the cycles from a PE's last step to its result (pipeline + exposed dequant). */
typedef struct PeTiming {
    int lanes;          /* k per step                                                   */
    int step_cycles;    /* cycles per step                                              */
    int latency;        /* cycles from the last step to the result                      */
    int w_bits, x_bits; /* code bits streamed from SRAM per weight / activation element  */
    int w_meta_bits;    /* metadata bits per weight group (scale, zero, type)            */
    int acc_bits;       /* partial-sum bits kept in the output buffer between K blocks   */
    int out_bits;       /* final output bits (fp32)                                      */
    int group_dequant;  /* 1: one dequant per output per weight group (MixPE, BitMoD)    */
    int weight_dequant; /* 1: every weight dequantized as it enters the array (w4a16-dq);
                         * the array carries one edge dequantizer per column              */
    int edge_decoders;  /* PE_DEC_* mask: which operands an edge decoder turns from codes into
                         * the PE's operand as they enter the array (OliVe, ANT)           */
    int xsum;           /* 1: in-group activation sums per row (MixPE): one adder per row */
    int out_muls;       /* fp32 multiplies per output at the array's output edge (the finish:
                         * int8/OliVe/ANT acc x s_w x s_x, MixPE-W4A8 x s_x, weight-only
                         * OliVe/ANT x s_w); one per column, pipelined: energy, no cycles  */
    int dq_busy;        /* cycles a PE's group dequantizer is occupied per group; 0 = fully
                         * pipelined. A group that ends sooner than dq_busy after the one before
                         * waits for it (BitMoD's bit-serial dequantizer; see pe_tile_cycles)   */
} PeTiming;

/* PeTiming.edge_decoders: the weight edge, the activation edge, or both carry decoders. */
enum { PE_DEC_W = 1, PE_DEC_X = 2 };

/* What one step's operand bundle at an RTL array edge carries (docs/rtl.md §2, rtl/harness/
 * rtl_feed.h builds them from the packed layouts of models/pack.h). */
typedef enum PeFeed {
    PE_FEED_CODE,      /* the element's code                                            */
    PE_FEED_LANES16,   /* 4 lanes of 16-bit codes, lane l in [16l+15:16l]; 0 past the tile */
    PE_FEED_GROUP_U4,  /* [3:0] uint4 code, [7:4] group zero, [23:8] fp16 group scale      */
    PE_FEED_LANES_GRP, /* 4 lanes of codes in [4l+3:4l], [16] group meta, [32:17] scale    */
    PE_FEED_PAIR,      /* [7:0] the OliVe pair byte, [8] parity of k                      */
} PeFeed;

/* One weight width a kind runs with. */
typedef struct PeVariant {
    int weight_bits;        /* code bits per weight; 0: no such variant                 */
    OpFmtId wfmt;           /* its weight operand format ([quant] weight_format)         */
    const char *format;     /* its accuracy format (num_formats)                        */
    const char *preset;     /* its equal-area preset (configs/iso/)                     */
    const char *gpu_kernel; /* the kernels_ref kernel doing the same arithmetic; NULL: none */
} PeVariant;

#define PE_MAX_VARIANTS 2

typedef struct PeKind {
    QScheme wscheme, xscheme; /* the operand quantizations the datapath accepts            */
    unsigned xfmts;           /* activation formats the datapath takes (bit OpFmtId); the
                               * first set bit is the default [quant] act_format             */
    int int_acc;              /* 1: integer accumulation: partial sums and the output scaling
                               * are int32 (RTL), outputs are exact up to the final scaling */
    int k_align;              /* golden pieces start on multiples of it (the lanes)          */
    int group_multiple;       /* a weight group must be a multiple of it (0: any)            */
    int group_max;            /* the largest weight group the datapath holds (0: no limit)   */
    PeVariant var[PE_MAX_VARIANTS]; /* [0] the native width (the default), then others        */
    PeTiming timing;          /* weight_bits of the native variant in w_bits                  */
    DpRun run;                /* golden datapath (models/datapath.h)                          */
    DpFinish finish;
    DpBound bound;            /* |hardware-exact - ideal| per output, before the 1% slack     */
    const char *tech_section; /* its [section] of the technology table (configs/tech/)        */
    struct {
        PeFeed xfeed, wfeed;  /* what the row (x) and column (w) edges receive per step       */
        int xw, xw_glog, ww;  /* bundle widths inside the array: x = xw + xw_glog * GLOG bits
                               * (groups of <= 2^GLOG weights), w = ww bits (rtl/mp_kinds.vh) */
    } rtl;
} PeKind;

extern const PeKind pe_kinds[PE_KIND_COUNT];
/* NULL-terminated, indexed by PeKindId (usable as an INI enum list). */
extern const char *const pe_kind_names[PE_KIND_COUNT + 1];

/* 0 and *id set when name is a kind, -1 otherwise. */
int pe_kind_from_name(const char *name, PeKindId *id);
/* How many weight widths (variants) the kind runs with, >= 1. */
int pe_kind_nvariants(PeKindId id);
/* The kind's variant with weight_bits code bits, NULL if it has none (0: the native one). */
const PeVariant *pe_kind_variant(PeKindId id, int weight_bits);
/* Whether weight groups of `group` weights suit the datapath (multiple of group_multiple, at
 * most group_max). MP_OK, or MP_EINPUT with the reason in e (prefixed by the kind's name).
 * The one check behind both config validation and the golden model. */
int pe_kind_check_group(PeKindId id, int group, MpErr *e) MP_MUST_CHECK;
/* The smallest group a kind's dequantizer keeps up with: whole groups must take at least dq_busy
 * cycles (group / lanes steps of step_cycles), so a group never waits for the one before. */
int pe_kind_min_group(PeKindId id);

/* Formats for accuracy studies: how W and X are quantized and which datapath multiplies them. */
typedef struct NumFormat {
    const char *name; /* "mixpe-w4a8", "bitmod-w3", ... */
    PeKindId kind;    /* datapath                        */
    QParams wq, xq;
    const char *desc;
} NumFormat;

extern const NumFormat num_formats[];
extern const int num_formats_count;
const NumFormat *num_format_find(const char *name);
/* num_format_find, or NULL with MP_EINPUT "unknown format 'NAME' (known: ..., all)". */
const NumFormat *num_format_lookup(const char *name, MpErr *e);
/* The format a PE kind runs with a given weight width (its variant's format); NULL if none. */
const NumFormat *num_format_for_kind(PeKindId kind, int weight_bits);
/* The same with the activations in `act` (an OpFmtId the kind takes): the variant's format when act
 * is the kind's own, else the table's row of that kind with the variant's weights and act's
 * quantizer (int8 with int4 activations: "int8-a4"); NULL if none. A design's simulation and its
 * accuracy study both take their operands from this row. */
const NumFormat *num_format_for_operands(PeKindId kind, int weight_bits, int act);

#endif
