/* models/pekind.h — the PE kinds mpsim models, by name.
 *
 * The id is an index into every per-kind table of the project (golden datapath in
 * models/, timing and energy in sim/, RTL top parameter). Names are the ones used in
 * configs ([arch] pe_kind) and on the command line.
 */
#ifndef MP_MODELS_PEKIND_H
#define MP_MODELS_PEKIND_H

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
    PE_KIND_COUNT
} PeKindId;

/* NULL-terminated, indexed by PeKindId (usable as an INI enum list). */
extern const char *const pe_kind_names[PE_KIND_COUNT + 1];

/* 0 and *id set when name is a kind, -1 otherwise. */
int pe_kind_from_name(const char *name, PeKindId *id);

#endif
