# rtl/rtl.mk — the RTL targets (included by the top-level Makefile; docs/rtl.md).
#
#   make rtl-test     every PE kind's Verilator model against the golden model and the simulator
#                     (200 random sequences of 1..4 back-to-back tiles per model, arrays 2x2 .. 8x8)
#                     and the fp units against libm (and the <e,i> -> fp16 converter, exhaustively);
#                     ends with "rtl: N passed, N failed"
#   make lint-rtl     verilator --lint-only -Wall on every kind's array
#   make synth        Yosys: every PE (and edge unit) to generic gates; build/synth/area.txt
#   make verify-rtl KIND=int8 PE=path/to/my_pe.v [TILES=200 SEED=1 ROWS=8 COLS=8]
#                     a modified PE file against the golden model: pass/fail, FST + .gtkw on failure
#   make rtl-broken-demo   verify-rtl on a copy of rtl/pe/pe_int8.v with one bit flipped, made by a
#                     sed here (build/rtl/pe_int8_bitflip.v): must fail, with a waveform
#   make rtl-bench    Verilator cycles/s per model beside sim/array.c's cycle mode on the same tile
#
# Knobs: RTL_TILES (default 200), RTL_SEED (default 1), RTL_JOBS (parallel builds and runs, default 2),
# RTL_OPT (C++ optimisation of the models, default -Os: the fastest to build of the levels tried).
# Every model is built once under build/rtl/<kind>_<rows>x<cols>/ (remade when an RTL file changes).

RTL_DIR     := build/rtl
RTL_SV      := rtl/mp_array.sv rtl/mp_pipe.v $(wildcard rtl/fp/*.v) $(wildcard rtl/edge/*.v)
RTL_PE      := $(wildcard rtl/pe/*.v)
RTL_CFG     := rtl/verilator.vlt
RTL_DEPS    := $(RTL_SV) $(RTL_PE) $(RTL_CFG) rtl/mp_kinds.vh rtl/pe/pe_ports.vh
RTL_TB      := rtl/harness/rtl_tb.cpp
RTL_TILES   ?= 200
RTL_SEED    ?= 1
RTL_JOBS    ?= 2
VERILATOR   ?= verilator
VL_ROOT     := $(shell $(VERILATOR) --getenv VERILATOR_ROOT 2>/dev/null || echo /usr/share/verilator)
VL_INC      := -I$(VL_ROOT)/include -I$(VL_ROOT)/include/vltstd
VL_DEFS     := -DVM_COVERAGE=0 -DVM_SC=0 -DVM_TRACE_FST=1 -DVM_TRACE_VCD=0
RTL_OPT     ?= -Os
VL_FLAGS    := --cc -O3 --x-assign unique --x-initial unique --assert -Wno-fatal -Wno-lint -Wno-style \
               -Irtl --top-module mp_array
RTL_CXX     := g++ -std=c++17 -O2 -faligned-new $(VL_INC) $(VL_DEFS) -I. -Wno-unused-parameter
RTL_LIBS    := $(BUILD)/libmpsim.a -linih -lcjson -lsqlite3 -lm -pthread -latomic -fopenmp

# The kinds, read from the kind table of rtl/mp_kinds.vh (one "K_<NAME> = <id>, // PE <module>" a
# line; a C test checks it against models/pekind.h): RTL_KINDS (K_W4A16_DQ -> w4a16-dq, the names of
# pe_kind_names), RTL_ID_<kind> (its PeKindId) and RTL_PEMOD_<kind> (the PE module, rtl/pe/<module>.v).
rtl_kind_rows := $(shell sed -n 's|^ *K_\([A-Z0-9_]*\) *= *\([0-9][0-9]*\) *[,;] *// *PE \([a-z0-9_]*\).*|\L\1\E:\2:\3|p' rtl/mp_kinds.vh)
rtl_kind_defs := $(shell grep -c '^ *K_[A-Z0-9_]* *=' rtl/mp_kinds.vh)
ifneq ($(words $(rtl_kind_rows)),$(rtl_kind_defs))
$(error rtl/mp_kinds.vh: read $(words $(rtl_kind_rows)) of its $(rtl_kind_defs) kind lines ("K_<NAME> = <id>, // PE <module>"))
endif
rtl_field    = $(word $(2),$(subst :, ,$(1)))
RTL_KINDS   := $(foreach r,$(rtl_kind_rows),$(subst _,-,$(call rtl_field,$(r),1)))
$(foreach r,$(rtl_kind_rows),$(eval RTL_ID_$(subst _,-,$(call rtl_field,$(r),1)) := $(call rtl_field,$(r),2)))
$(foreach r,$(rtl_kind_rows),$(eval RTL_PEMOD_$(subst _,-,$(call rtl_field,$(r),1)) := $(call rtl_field,$(r),3)))
# the models of rtl-test: every kind at 8x8 and at a small non-square size; int8 also at 2x2 and 5x3
RTL_MODELS  := $(foreach k,$(RTL_KINDS),$(k)_8x8 $(k)_3x4) int8_2x2 int8_5x3

rtl_kind = $(firstword $(subst _, ,$(1)))
rtl_rows = $(firstword $(subst x, ,$(lastword $(subst _, ,$(1)))))
rtl_cols = $(lastword $(subst x, ,$(lastword $(subst _, ,$(1)))))
rtl_empty :=
rtl_space := $(rtl_empty) $(rtl_empty)

.PHONY: rtl-test lint-rtl synth verify-rtl rtl-broken-demo rtl-models rtl-bench

# Verilator's runtime, compiled once for every model
# (the FST writer, and zlib, only for the traced twins: a run that passes needs neither)
RTL_VLOBJ := $(RTL_DIR)/lib/verilated.o $(RTL_DIR)/lib/verilated_threads.o
RTL_VLFST := $(RTL_DIR)/lib/verilated_fst_c.o
$(RTL_DIR)/lib/%.o: $(VL_ROOT)/include/%.cpp
	@mkdir -p $(@D)
	@$(if $(Q),echo "  CXX     $@")
	$(Q)$(RTL_CXX) -DVM_TRACE=1 -c $< -o $@

# One model: verilate (the array of one kind and size), build the model library, the harness, link.
# $(call rtl_model,NAME,KIND,ROWS,COLS,PE_FILE,TRACE): PE_FILE (verify-rtl) replaces the kind's PE
# module, rtl/pe/$(RTL_PEMOD_<kind>).v; TRACE = t builds the FST-traced twin (NAME/tbt, objt/), which
# a harness builds and runs on its first failure to record the waveform (tracing makes every build a
# third slower).
define rtl_model
$(RTL_DIR)/$(1)/obj$(6)/Vmp_array.mk: $(RTL_DEPS) $(5) rtl/rtl.mk
	@$$(if $$(Q),echo "  VERILATE $(1)$(if $(6), (traced))")
	$$(Q)rm -rf $$(@D) && mkdir -p $$(@D)
	$$(Q)$$(VERILATOR) $$(VL_FLAGS) $(if $(6),--trace-fst) -GKIND=$$(RTL_ID_$(2)) -GROWS=$(3) -GCOLS=$(4) \
	    $$(RTL_CFG) $$(RTL_SV) $$(if $(5),$$(filter-out rtl/pe/$$(RTL_PEMOD_$(2)).v,$$(RTL_PE)) $(5),$$(RTL_PE)) \
	    -Mdir $$(@D)
$(RTL_DIR)/$(1)/obj$(6)/Vmp_array__ALL.a: $(RTL_DIR)/$(1)/obj$(6)/Vmp_array.mk
	@$$(if $$(Q),echo "  MODEL   $(1)$(if $(6), (traced))")
	$$(Q)$$(MAKE) --no-print-directory -s -C $$(@D) -f Vmp_array.mk Vmp_array__ALL.a OPT_FAST=$$(RTL_OPT) OPT_SLOW=-O0 >/dev/null
$(RTL_DIR)/$(1)/rtl_tb$(6).o: $(RTL_TB) rtl/harness/rtl_feed.h rtl/harness/rtl_data.h $(RTL_DIR)/$(1)/obj$(6)/Vmp_array__ALL.a
	@$$(if $$(Q),echo "  CXX     $$@")
	$$(Q)$$(RTL_CXX) -DVM_TRACE=$(if $(6),1,0) -I$(RTL_DIR)/$(1)/obj$(6) -DTB_KIND=$$(RTL_ID_$(2)) -DTB_ROWS=$(3) \
	    -DTB_COLS=$(4) -c $$< -o $$@
$(RTL_DIR)/$(1)/tb$(6): $(RTL_DIR)/$(1)/rtl_tb$(6).o $(RTL_DIR)/$(1)/obj$(6)/Vmp_array__ALL.a $(RTL_VLOBJ) \
                        $(if $(6),$(RTL_VLFST)) $(BUILD)/libmpsim.a
	@$$(if $$(Q),echo "  LINK    $$@")
	$$(Q)g++ -o $$@ $$^ $$(filter-out $(BUILD)/libmpsim.a,$$(RTL_LIBS)) $(if $(6),-lz)
endef
$(foreach m,$(RTL_MODELS),$(eval $(call rtl_model,$(m),$(call rtl_kind,$(m)),$(call rtl_rows,$(m)),$(call rtl_cols,$(m)),,)))
$(foreach m,$(RTL_MODELS),$(eval $(call rtl_model,$(m),$(call rtl_kind,$(m)),$(call rtl_rows,$(m)),$(call rtl_cols,$(m)),,t)))

# the fp units alone against libm and the C library (tests/rtl/fpu_tb.cpp)
RTL_FPU := $(RTL_DIR)/fpu/tb
RTL_FPU_SV := tests/rtl/fpu_top.v $(wildcard rtl/fp/*.v) rtl/edge/mp_expint_fp16.v
$(RTL_DIR)/fpu/obj/Vfpu_top__ALL.a: $(RTL_FPU_SV) rtl/rtl.mk
	@$(if $(Q),echo "  VERILATE fpu")
	$(Q)rm -rf $(@D) && mkdir -p $(@D)
	$(Q)$(VERILATOR) --cc -O3 --x-assign unique --x-initial unique --assert -Wno-fatal -Wno-lint -Wno-style \
	    --top-module fpu_top $(RTL_FPU_SV) -Mdir $(@D)
	$(Q)$(MAKE) --no-print-directory -s -C $(@D) -f Vfpu_top.mk Vfpu_top__ALL.a OPT_FAST=$(RTL_OPT) OPT_SLOW=-O0 >/dev/null
$(RTL_FPU): tests/rtl/fpu_tb.cpp $(RTL_DIR)/fpu/obj/Vfpu_top__ALL.a $(RTL_VLOBJ) $(BUILD)/libmpsim.a
	@$(if $(Q),echo "  LINK    $@")
	$(Q)$(RTL_CXX) -DVM_TRACE=0 -I$(RTL_DIR)/fpu/obj -o $@ $< $(RTL_DIR)/fpu/obj/Vfpu_top__ALL.a $(RTL_VLOBJ) $(RTL_LIBS)

RTL_BINS := $(foreach m,$(RTL_MODELS),$(RTL_DIR)/$(m)/tb)
rtl-models: $(RTL_BINS) $(RTL_FPU)

# a small synthetic trace (mpsim trace gen): half of every model's tiles are cut from it
RTL_TRACE := $(RTL_DIR)/trace.safetensors
$(RTL_TRACE): $(MPSIM)
	@mkdir -p $(@D)
	$(Q)$(MPSIM) trace gen --out $@ --m 24 --n 24 --k 640 --seed 5 --dtype f32 >/dev/null

rtl-test: $(DEPS_STAMP)
	@$(MAKE) --no-print-directory $(BUILD)/libmpsim.a $(MPSIM)
	@$(MAKE) --no-print-directory -j$(RTL_JOBS) rtl-models $(RTL_TRACE)
	@RTL_TILES=$(RTL_TILES) RTL_SEED=$(RTL_SEED) RTL_JOBS=$(RTL_JOBS) \
	  RTL_ARGS="--weights $(RTL_TRACE) --acts $(RTL_TRACE)" bash tests/rtl/run-rtl-tests.sh $(RTL_FPU) $(RTL_BINS)

# ---- Verilator cycles per second beside the simulator's cycle mode, on the same full tiles
RTL_BENCH_K ?= 2048
rtl-bench: $(DEPS_STAMP)
	@$(MAKE) --no-print-directory $(BUILD)/libmpsim.a
	@$(MAKE) --no-print-directory -j$(RTL_JOBS) rtl-models
	@echo "# rtl-bench: one full tile of K = $(RTL_BENCH_K) per model (models built with OPT_FAST=$(RTL_OPT)); sim/array.c with data"
	@for b in $(RTL_BINS); do $$b --bench $(RTL_BENCH_K) || exit 1; done | tee $(RTL_DIR)/bench.txt

# ---- lint: every kind's array with -Wall (the fp-unit test top too); and rtl/mp_kinds.vh's PE column:
# a kind's array must not build without the PE module the table names (else verify-rtl would replace
# a file the kind does not use)
lint-rtl:
	@fail=0; for row in $(foreach k,$(RTL_KINDS),$(k):$(RTL_ID_$(k)):$(RTL_PEMOD_$(k))); do \
	  k=$${row%%:*}; id=$${row#*:}; id=$${id%%:*}; pe=$${row##*:}; \
	  for sz in "8 8" "3 4" "1 1"; do set -- $$sz; \
	    out=$$($(VERILATOR) --lint-only -Wall -Irtl --top-module mp_array -GKIND=$$id -GROWS=$$1 -GCOLS=$$2 \
	      $(RTL_CFG) $(RTL_SV) $(RTL_PE) 2>&1) || { echo "lint-rtl: $$k $$1x$$2:"; echo "$$out"; fail=1; }; \
	  done; \
	  if $(VERILATOR) --lint-only -Irtl --top-module mp_array -GKIND=$$id -GROWS=1 -GCOLS=1 $(RTL_CFG) $(RTL_SV) \
	       $$(echo $(RTL_PE) | tr ' ' '\n' | grep -vx "rtl/pe/$$pe.v") >/dev/null 2>&1; then \
	    echo "lint-rtl: $$k: the array builds without rtl/pe/$$pe.v: rtl/mp_kinds.vh names the wrong PE module"; fail=1; fi; \
	done; \
	out=$$($(VERILATOR) --lint-only -Wall --top-module fpu_top $(RTL_FPU_SV) 2>&1) || \
	  { echo "lint-rtl: fpu_top:"; echo "$$out"; fail=1; }; \
	if [ $$fail -eq 0 ]; then echo "lint-rtl: clean (verilator -Wall, $(words $(RTL_KINDS)) kinds x 3 sizes; PE table)"; fi; \
	exit $$fail

# ---- synthesis: every PE and edge unit to generic cells (rtl/synth/synth.sh, docs/area.md)
synth:
	@bash rtl/synth/synth.sh build/synth

# ---- verify a user's PE: make verify-rtl KIND=int8 PE=path/to/pe_int8.v
KIND  ?=
PE    ?=
TILES ?= 200
SEED  ?= 1
ROWS  ?= 8
COLS  ?= 8
ifneq ($(and $(KIND),$(PE)),)
RTL_VNAME := verify/$(KIND)_$(ROWS)x$(COLS)
$(eval $(call rtl_model,$(RTL_VNAME),$(KIND),$(ROWS),$(COLS),$(PE),))
$(eval $(call rtl_model,$(RTL_VNAME),$(KIND),$(ROWS),$(COLS),$(PE),t))
endif
verify-rtl:
	@if [ -z "$(KIND)" ] || [ -z "$(PE)" ]; then \
	  echo "usage: make verify-rtl KIND=<$(subst $(rtl_space),|,$(RTL_KINDS))> PE=path/to/my_pe.v [TILES=200 SEED=1 ROWS=8 COLS=8]"; \
	  echo "  PE: your version of the kind's PE module (rtl/mp_kinds.vh): $(foreach k,$(RTL_KINDS),$(k)=$(RTL_PEMOD_$(k)))"; \
	  exit 2; fi
	@test -f "$(PE)" || { echo "verify-rtl: $(PE): no such file"; exit 2; }
	@case " $(RTL_KINDS) " in *" $(KIND) "*) ;; *) echo "verify-rtl: unknown KIND $(KIND) (one of: $(RTL_KINDS))"; exit 2;; esac
	@grep -Eq '^[[:space:]]*module[[:space:]]+$(RTL_PEMOD_$(KIND))\b' "$(PE)" || { echo "verify-rtl: $(PE) defines"\
	  "no module $(RTL_PEMOD_$(KIND)) (the $(KIND) PE, which it replaces: rtl/pe/$(RTL_PEMOD_$(KIND)).v)"; exit 2; }
	@$(MAKE) --no-print-directory $(BUILD)/libmpsim.a
	@$(MAKE) --no-print-directory $(RTL_DIR)/$(RTL_VNAME)/tb KIND=$(KIND) PE=$(PE) ROWS=$(ROWS) COLS=$(COLS)
	@echo "verify-rtl: $(PE) as the $(KIND) PE in a $(ROWS)x$(COLS) array, $(TILES) tiles, seed $(SEED)"
	@MPSIM_RTL_MAKEVARS="KIND=$(KIND) PE=$(PE) ROWS=$(ROWS) COLS=$(COLS)" \
	  $(RTL_DIR)/$(RTL_VNAME)/tb --tiles $(TILES) --seed $(SEED) --name $(KIND)-$(ROWS)x$(COLS)-user \
	    --out-dir $(RTL_DIR)/fail && echo "verify-rtl: PASS" || { echo "verify-rtl: FAIL"; exit 1; }

# rtl-broken-demo's PE: rtl/pe/pe_int8.v with bit 8 of the accumulator's next value flipped whenever
# the product has bit 3 set, made from the current int8 PE by one sed (which must still match it)
RTL_BITFLIP := $(RTL_DIR)/pe_int8_bitflip.v
$(RTL_BITFLIP): rtl/pe/pe_int8.v rtl/rtl.mk
	@mkdir -p $(@D)
	$(Q)sed -e '1i // $@: GENERATED by rtl/rtl.mk from rtl/pe/pe_int8.v, DELIBERATELY BROKEN (make rtl-broken-demo)' \
	    -e "s|^\( *assign acc_n = \)\(.*\);|\1(\2) ^ {23'd0, p[3], 8'd0};   // BUG: bit 8 flipped|" $< > $@.tmp
	$(Q)grep -q 'BUG: bit 8 flipped' $@.tmp || { echo "rtl-broken-demo: the sed of rtl/rtl.mk no longer matches"\
	  "rtl/pe/pe_int8.v's 'assign acc_n = ...;'"; rm -f $@.tmp; exit 1; }
	$(Q)mv $@.tmp $@

rtl-broken-demo: $(RTL_BITFLIP)
	@echo "rtl-broken-demo: $(RTL_BITFLIP) is rtl/pe/pe_int8.v with bit 8 of the accumulator flipped; verify-rtl must fail"
	@if $(MAKE) --no-print-directory verify-rtl KIND=int8 PE=$(RTL_BITFLIP) TILES=20 ROWS=4 COLS=4; then \
	  echo "rtl-broken-demo: the broken PE PASSED: the harness missed it"; exit 1; \
	else echo "rtl-broken-demo: the broken PE failed, as it must"; fi
