/* traces/layercsv.h — a Workload from a CSV layer list (docs/workloads.md, "Layer lists").
 *
 * Two formats, told apart by the header (the first line that is neither blank nor a '#' comment):
 *   ours      name,m,n,k[,count][,role]   columns in any order; count defaults to 1, role
 *                                         ("weight" | "act") to weight. Y[m×n] = X[m×k]·W^T.
 *   SCALE-Sim Layer,M,N,K                 (or "Layer Name,M,N,K"); SCALE-Sim's GEMM is
 *                                         A[M×K]·B[K×N] and B is taken as the weight: m=M, n=N,
 *                                         k=K, count 1, role weight.
 * Header names are matched without regard to case or surrounding spaces. Fields are trimmed;
 * one trailing empty field (SCALE-Sim ends rows with ',') is ignored; CRLF line ends and a
 * leading UTF-8 byte-order mark are accepted. Quoted fields are not. Layer names may repeat:
 * every row is its own GEMM and names are labels only.
 *
 * Every problem is MP_EINPUT with "FILE:LINE: message" (LINE counts from 1): no header,
 * unknown/duplicate/missing column, wrong field count, a number that is not an integer, a
 * dimension or count outside 1..WL_DIM_MAX, products or totals beyond int64, an unknown role,
 * no rows, a line over LCSV_LINE_MAX bytes, NUL or other control bytes, non-ASCII bytes.
 */
#ifndef MP_TRACES_LAYERCSV_H
#define MP_TRACES_LAYERCSV_H

#include <stddef.h>

#include "base/err.h"
#include "traces/workload.h"

#define LCSV_LINE_MAX 4096            /* bytes per line, line end excluded */
#define LCSV_FILE_MAX (64u << 20)     /* bytes per file                    */

typedef enum LcsvFormat { LCSV_OURS, LCSV_SCALESIM } LcsvFormat;

/* Read PATH into a new WL_LAYERS workload whose model is PATH; fmt (may be NULL) gets the format.
 * MP_EINPUT (bad or unreadable file), MP_EIO, MP_ENOMEM; *out is NULL on failure. */
int lcsv_load(const char *path, Workload **out, LcsvFormat *fmt, MpErr *e) MP_MUST_CHECK;
/* The same on len bytes of text (NULs included); `name` stands for the file in messages. */
int lcsv_load_text(const char *name, const char *text, size_t len, Workload **out, LcsvFormat *fmt,
                   MpErr *e) MP_MUST_CHECK;
const char *lcsv_format_name(LcsvFormat f); /* "mpsim" or "scale-sim" */

#endif
