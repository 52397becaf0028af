# tests/fuzz/fuzz.mk — libFuzzer harnesses of every input reader (included by the top-level Makefile;
# tests/fuzz/README.md says what each covers and records runs).
#
#   make fuzz FUZZ_S=N   build every harness and fuzz each for N seconds (default 60) from its seed
#                        corpus; fails on any crash, leak, timeout (>10 s on one input) or RSS > 2 GiB.
#                        Inputs libFuzzer adds go to build/fuzz/work/<harness>/, findings to
#                        build/fuzz/artifacts/<harness>/; tests/fuzz/corpus/ is only read.
#   make fuzz-regress    every harness once over its seed corpus (no mutation), then a short fuzz pass
#                        of FUZZ_TEST_S seconds each (default 5; 0 skips it); part of `make test`,
#                        ends with "fuzz: N passed, N failed" (N counts harnesses).
#   make fuzz-build      only build them (build/fuzz/fuzz_<name>).
#
# The library is compiled a second time with clang under -fsanitize=fuzzer-no-link,address,undefined
# into build/fuzz/obj/ (OpenMP with clang's libomp; run.sh sets OMP_NUM_THREADS=1). Needs Debian's clang and
# libclang-rt-14-dev (libFuzzer) and libomp-dev, in scripts/deps.sh.
FUZZ_CC      ?= clang
FUZZ_S       ?= 60
FUZZ_TEST_S  ?= 5
FUZZ_DIR     := build/fuzz
FUZZ_SAN     := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
FUZZ_CFLAGS  := $(filter-out -Wno-format-truncation,$(CFLAGS_WARN)) -fopenmp -O1 -g $(FUZZ_SAN) -MMD -MP
FUZZ_NAMES   := config sets layercsv safetensors sweep gpujson db gguf
FUZZ_BIN     := $(FUZZ_NAMES:%=$(FUZZ_DIR)/fuzz_%)
FUZZ_LIB_OBJ := $(LIB_SRC:%.c=$(FUZZ_DIR)/obj/%.o)

.PHONY: fuzz fuzz-regress fuzz-build
fuzz-build: $(FUZZ_BIN)

$(FUZZ_DIR)/obj/%.o: %.c
	@mkdir -p $(@D)
	@$(if $(Q),echo "  FUZZCC  $<")
	$(Q)$(FUZZ_CC) $(CPPFLAGS_BASE) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -c $< -o $@

$(FUZZ_DIR)/libmpsim.a: $(FUZZ_LIB_OBJ) $(SRCLIST)
	@$(if $(Q),echo "  AR      $@")
	$(Q)rm -f $@ && ar rcs $@ $(FUZZ_LIB_OBJ)

$(FUZZ_DIR)/h/fuzz_%.o: tests/fuzz/fuzz_%.c
	@mkdir -p $(@D)
	@$(if $(Q),echo "  FUZZCC  $<")
	$(Q)$(FUZZ_CC) $(CPPFLAGS_BASE) $(FUZZ_CFLAGS) -fsanitize=fuzzer -c $< -o $@

$(FUZZ_DIR)/fuzz_%: $(FUZZ_DIR)/h/fuzz_%.o $(FUZZ_DIR)/libmpsim.a
	@$(if $(Q),echo "  LINK    $@")
	$(Q)$(FUZZ_CC) -fsanitize=fuzzer $(FUZZ_SAN) -fopenmp -o $@ $^ $(LDLIBS)

fuzz: $(FUZZ_BIN)
	@bash tests/fuzz/run.sh fuzz $(FUZZ_S) $(FUZZ_DIR) $(FUZZ_NAMES)
fuzz-regress: $(FUZZ_BIN)
	@bash tests/fuzz/run.sh regress $(FUZZ_TEST_S) $(FUZZ_DIR) $(FUZZ_NAMES)

-include $(FUZZ_LIB_OBJ:.o=.d) $(FUZZ_CLI_OBJ:.o=.d) $(FUZZ_NAMES:%=$(FUZZ_DIR)/h/fuzz_%.d)
