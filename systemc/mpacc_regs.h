/* systemc/mpacc_regs.h — the register map of the accelerator's TLM-2.0 target (systemc/mpacc.h),
 * for the model and for host software (C and C++). docs/systemc.md has the same table with the
 * programming sequence.
 *
 * Every register is a 32-bit word at a 4-aligned offset; a 64-bit register is two words, low word
 * first (bits 31:0 at OFF, 63:32 at OFF + 4). An access is 4 or 8 bytes, aligned to its length,
 * little-endian, without byte enables; an 8-byte access covers two consecutive words. Anything
 * else gets an error response (docs/systemc.md, "Responses"). Offsets not listed are holes.
 *
 *   OFF    NAME             W   ACCESS  RESET        MEANING
 *   0x000  ID               32  RO      0x4341504d   "MPAC" as bytes
 *   0x004  VERSION          32  RO      0x00010000   [31:16] major, [15:0] minor
 *   0x008  NMODES           32  RO      n            modes (configurations) built into this instance
 *   0x00c  BACKEND          32  RO      0 or 1       0 = C model, 1 = RTL array (tile-sized GEMMs)
 *   0x010  MODE             32  RW      0            mode of the next GEMM, 0..NMODES-1
 *   0x014  MODE_KIND        32  RO      (mode 0)     of MODE: [7:0] PeKindId, [15:8] weight bits,
 *                                                    [31:16] group size (0 if MODE >= NMODES)
 *   0x018  MODE_ARRAY       32  RO      (mode 0)     of MODE: [15:0] PE rows, [31:16] PE columns
 *   0x01c  MODE_CLOCK_KHZ   32  RO      (mode 0)     of MODE: clock in kHz
 *   0x020  GEMM_M           32  RW      0            Y[M x N] = X[M x K] * W[N x K]^T
 *   0x024  GEMM_N           32  RW      0
 *   0x028  GEMM_K           32  RW      0
 *   0x02c  FORMAT           32  RW      0            [1:0] W element type, [9:8] X element type
 *                                                    (OliVe 0 int4 1 flint4; ANT 0 int 1 flint 2 PoT;
 *                                                    0 for every other operand: fp16 X of
 *                                                    olive-w4a16 / ant-w4a16, every other kind)
 *   0x030  OPTIONS          32  RW      0            [0] CYCLE: C backend at cycle fidelity
 *   0x040  W_CODES          64  RW      0            addresses of the packed arrays (mpacc_layout.h)
 *   0x048  W_SCALES         64  RW      0
 *   0x050  W_ZEROS          64  RW      0
 *   0x058  W_META           64  RW      0
 *   0x060  X_CODES          64  RW      0
 *   0x068  X_SCALES         64  RW      0
 *   0x070  Y_ADDR           64  RW      0            fp32 outputs, M x N row-major
 *   0x080  CTRL             32  WO      (reads 0)    [0] START, [1] CLEAR_TOTALS
 *   0x084  STATUS           32  RO      0            [0] BUSY, [1] DONE, [2] ERROR (START clears 1, 2)
 *   0x088  ERROR_CODE       32  RO      0            MPACC_E_* of the last GEMM (0 after a good one)
 *   0x08c  IRQ_ENABLE       32  RW      0            [0] raise irq when a GEMM ends
 *   0x090  IRQ_STATUS       32  RW1C    0            [0] a GEMM ended (done or error); write 1 clears
 *   0x098  ERROR_ADDR       64  RO      0            the address of MPACC_E_ALIGN / MPACC_E_BUS
 *   0x0a0  CYCLES           64  RO      0            accelerator cycles of the last GEMM
 *   0x0a8  ENERGY_FJ        64  RO      0            energy of the last GEMM, fJ (rounded)
 *   0x0b0  COMPUTE_CYCLES   64  RO      0            cycles of its array tiles (CYCLES - DRAM stalls)
 *   0x0b8  MEM_TIME_PS      64  RO      0            delays the memory system annotated on its
 *                                                    transactions, summed, ps (not waited: see docs)
 *   0x0c0  MEM_RD_BYTES     64  RO      0            bytes it read through the initiator socket
 *   0x0c8  MEM_WR_BYTES     64  RO      0            bytes it wrote
 *   0x0d0  TOTAL_CYCLES     64  RO      0            sums over good GEMMs since reset / CLEAR_TOTALS
 *   0x0d8  TOTAL_ENERGY_FJ  64  RO      0
 *   0x0e0  GEMMS            32  RO      0            good GEMMs since reset / CLEAR_TOTALS
 *
 * The irq output is IRQ_ENABLE[0] & IRQ_STATUS[0]. Descriptor registers (0x010..0x077) and CTRL
 * refuse writes while STATUS.BUSY (TLM_COMMAND_ERROR_RESPONSE).
 */
#ifndef MP_SYSTEMC_MPACC_REGS_H
#define MP_SYSTEMC_MPACC_REGS_H

#define MPACC_REG_SPAN 0x100u /* bytes of register space the target decodes */

#define MPACC_ID 0x000u
#define MPACC_VERSION 0x004u
#define MPACC_NMODES 0x008u
#define MPACC_BACKEND 0x00cu
#define MPACC_MODE 0x010u
#define MPACC_MODE_KIND 0x014u
#define MPACC_MODE_ARRAY 0x018u
#define MPACC_MODE_CLOCK_KHZ 0x01cu
#define MPACC_GEMM_M 0x020u
#define MPACC_GEMM_N 0x024u
#define MPACC_GEMM_K 0x028u
#define MPACC_FORMAT 0x02cu
#define MPACC_OPTIONS 0x030u
#define MPACC_W_CODES 0x040u
#define MPACC_W_SCALES 0x048u
#define MPACC_W_ZEROS 0x050u
#define MPACC_W_META 0x058u
#define MPACC_X_CODES 0x060u
#define MPACC_X_SCALES 0x068u
#define MPACC_Y_ADDR 0x070u
#define MPACC_CTRL 0x080u
#define MPACC_STATUS 0x084u
#define MPACC_ERROR_CODE 0x088u
#define MPACC_IRQ_ENABLE 0x08cu
#define MPACC_IRQ_STATUS 0x090u
#define MPACC_ERROR_ADDR 0x098u
#define MPACC_CYCLES 0x0a0u
#define MPACC_ENERGY_FJ 0x0a8u
#define MPACC_COMPUTE_CYCLES 0x0b0u
#define MPACC_MEM_TIME_PS 0x0b8u
#define MPACC_MEM_RD_BYTES 0x0c0u
#define MPACC_MEM_WR_BYTES 0x0c8u
#define MPACC_TOTAL_CYCLES 0x0d0u
#define MPACC_TOTAL_ENERGY_FJ 0x0d8u
#define MPACC_GEMMS 0x0e0u

#define MPACC_ID_VALUE 0x4341504du      /* bytes 'M' 'P' 'A' 'C' */
#define MPACC_VERSION_VALUE 0x00010000u /* 1.0 */

#define MPACC_BACKEND_C 0u
#define MPACC_BACKEND_RTL 1u

#define MPACC_FORMAT_W_SHIFT 0
#define MPACC_FORMAT_X_SHIFT 8
#define MPACC_OPT_CYCLE 0x1u
#define MPACC_CTRL_START 0x1u
#define MPACC_CTRL_CLEAR_TOTALS 0x2u
#define MPACC_STATUS_BUSY 0x1u
#define MPACC_STATUS_DONE 0x2u
#define MPACC_STATUS_ERROR 0x4u
#define MPACC_IRQ_DONE 0x1u

/* Largest operand or output of one GEMM, elements (M*K, N*K and M*N each). */
#define MPACC_MAX_ELEMS (1u << 27)

/* ERROR_CODE values. A descriptor error ends the GEMM at once (no memory access, zero time). */
enum {
    MPACC_E_NONE = 0,
    MPACC_E_MODE = 1,    /* MODE >= NMODES                                                     */
    MPACC_E_SHAPE = 2,   /* M, N or K is 0, or an operand or the output above MPACC_MAX_ELEMS  */
    MPACC_E_GROUP = 3,   /* K not a multiple of the mode's weight group (group kinds) or lanes */
    MPACC_E_FORMAT = 4,  /* FORMAT: an element type the mode's formats do not have             */
    MPACC_E_ALIGN = 5,   /* an address not aligned to its elements (ERROR_ADDR = it)           */
    MPACC_E_BUS = 6,     /* a memory transaction got an error response (ERROR_ADDR = its start) */
    MPACC_E_DATA = 7,    /* operand bytes that are not codes of the format                     */
    MPACC_E_BACKEND = 8, /* the backend cannot run this GEMM (RTL: not one SRAM block, kind...) */
    MPACC_E_RTL = 9,     /* the RTL array did not finish, or an output left it not exactly once */
    MPACC_E_CHECK = 10,  /* cycle fidelity: the simulator disagrees with the golden GEMM        */
    MPACC_E_SIM = 11     /* the simulator refused the GEMM, or the model ran out of memory      */
};

#endif
