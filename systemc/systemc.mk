# systemc/systemc.mk — the SystemC TLM-2.0 model of the accelerator, the example virtual platform
# and the RTL co-simulation (included by the top-level Makefile after rtl/rtl.mk; docs/systemc.md).
#
#   make systemc        build $(BUILD)/systemc/: vp (the example platform), test_regs, cosim_<model>
#   make systemc-test   build and run them: the register map checks, the platform on Llama-2-7B layers
#                       (checked against the golden model and against `mpsim run --json`), and the
#                       RTL arrays (verilator --sc) inside the platform against the C model; ends with
#                       "systemc: N passed, N failed" (part of make test)
#
# Knobs: SC_TILES (co-simulated GEMMs per RTL model, default 200), SC_SEED (default 1),
# SYSTEMC_INCLUDE / SYSTEMC_LIBDIR (Debian's libsystemc-dev by default).
# Needs rtl/rtl.mk's variables (RTL_*, VL_*, rtl_kind/rows/cols).

SC_DIR          := $(BUILD)/systemc
SYSTEMC_INCLUDE ?= /usr/include
SYSTEMC_LIBDIR  ?= $(firstword $(shell pkg-config --variable=libdir systemc 2>/dev/null) /usr/lib/x86_64-linux-gnu)
SC_TILES        ?= 200
SC_SEED         ?= 1
SC_CXXFLAGS     := -std=c++17 $(OPT) -Wall -Wextra -Wno-unused-parameter -MMD -MP -I. -Isystemc \
                   -I$(SYSTEMC_INCLUDE) -I/usr/include/cjson -D_DEFAULT_SOURCE $(EXTRA_CFLAGS)
SC_LDLIBS        = -L$(SYSTEMC_LIBDIR) -lsystemc $(LDLIBS) -pthread
# the model, the platform's parts and the host driver: C++ where SystemC needs it, the layout in C
SC_LIB_SRC      := systemc/mpacc.cpp systemc/sc_memory.cpp systemc/sc_bus.cpp systemc/sc_host.cpp \
                   systemc/sc_platform.cpp systemc/mpacc_drv.cpp systemc/sc_case.cpp
SC_LIB_OBJ      := $(SC_LIB_SRC:systemc/%.cpp=$(SC_DIR)/obj/%.o) $(SC_DIR)/obj/mpacc_layout.o
SC_LIB          := $(SC_DIR)/libmpsc.a
SC_VP           := $(SC_DIR)/vp
SC_REGS         := $(SC_DIR)/test_regs
# co-simulated RTL models: <kind>_<rows>x<cols> (rtl/rtl.mk's kind names)
SC_COSIM_MODELS := int8_4x4 mixpe-w4a8_4x4 bitmod_4x4 olive_4x4 fp16_3x4 w4a16-dq_4x3 mixpe-w4a16_4x4 ant_4x4 \
                   mixpe-w4a8-bs_4x4 int8_8x8 olive-w4a16_4x4 ant-w4a16_3x4
SC_COSIM        := $(SC_COSIM_MODELS:%=$(SC_DIR)/cosim_%)

.PHONY: systemc systemc-test

$(SC_DIR)/obj/%.o: systemc/%.cpp
	@mkdir -p $(@D)
	@$(if $(Q),echo "  CXX     $<")
	$(Q)g++ $(SC_CXXFLAGS) -c $< -o $@
$(SC_DIR)/obj/mpacc_layout.o: systemc/mpacc_layout.c
	@mkdir -p $(@D)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(CPPFLAGS_BASE) $(CFLAGS) -c $< -o $@
$(SC_LIB): $(SC_LIB_OBJ)
	@$(if $(Q),echo "  AR      $@")
	$(Q)rm -f $@ && ar rcs $@ $^
$(SC_VP) $(SC_REGS): $(SC_DIR)/%: $(SC_DIR)/obj/%.o $(SC_LIB) $(BUILD)/libmpsim.a
	@$(if $(Q),echo "  LINK    $@")
	$(Q)g++ $(LDFLAGS) -o $@ $^ $(SC_LDLIBS)

# Verilator's runtime for SystemC models (VM_SC=1), compiled once
SC_VL_DEFS := -DVM_COVERAGE=0 -DVM_SC=1 -DVM_TRACE=0 -DVM_TRACE_FST=0 -DVM_TRACE_VCD=0
SC_VLOBJ   := $(SC_DIR)/rtl/lib/verilated.o $(SC_DIR)/rtl/lib/verilated_threads.o
$(SC_DIR)/rtl/lib/%.o: $(VL_ROOT)/include/%.cpp
	@mkdir -p $(@D)
	@$(if $(Q),echo "  CXX     $@")
	$(Q)g++ -std=c++17 -O2 -faligned-new $(VL_INC) -I$(SYSTEMC_INCLUDE) $(SC_VL_DEFS) -c $< -o $@

# One co-simulation binary per model: the array verilated with --sc (the flags of rtl/rtl.mk), its
# library, systemc/cosim.cpp compiled against it, linked with the platform and the C library.
# VM_PARALLEL_BUILDS=0 compiles a model as one translation unit: every SystemC model file includes
# systemc.h, and parsing it once instead of per file made the BitMoD 4x4 model 37 s -> 6 s.
define sc_cosim_model
$(SC_DIR)/rtl/$(1)/obj/Vmp_array.mk: $(RTL_DEPS) systemc/systemc.mk
	@$$(if $$(Q),echo "  VERILATE $(1) (SystemC)")
	$$(Q)rm -rf $$(@D) && mkdir -p $$(@D)
	$$(Q)$$(VERILATOR) $$(subst --cc,--sc,$$(VL_FLAGS)) -GKIND=$$(RTL_ID_$(2)) -GROWS=$(3) -GCOLS=$(4) \
	    $$(RTL_CFG) $$(RTL_SV) $$(RTL_PE) -Mdir $$(@D)
$(SC_DIR)/rtl/$(1)/obj/Vmp_array__ALL.a: $(SC_DIR)/rtl/$(1)/obj/Vmp_array.mk
	@$$(if $$(Q),echo "  MODEL   $(1) (SystemC)")
	$$(Q)$$(MAKE) --no-print-directory -s -C $$(@D) -f Vmp_array.mk Vmp_array__ALL.a OPT_FAST=$$(RTL_OPT) OPT_SLOW=-O0 \
	    VM_PARALLEL_BUILDS=0 SYSTEMC_INCLUDE=$$(SYSTEMC_INCLUDE) SYSTEMC_LIBDIR=$$(SYSTEMC_LIBDIR) >/dev/null
$(SC_DIR)/rtl/$(1)/cosim.o: systemc/cosim.cpp $(SC_DIR)/rtl/$(1)/obj/Vmp_array__ALL.a
	@$$(if $$(Q),echo "  CXX     $$@")
	$$(Q)g++ $$(SC_CXXFLAGS) $$(VL_INC) $$(SC_VL_DEFS) -I$(SC_DIR)/rtl/$(1)/obj -DCOSIM_KIND=$$(RTL_ID_$(2)) -DCOSIM_ROWS=$(3) -DCOSIM_COLS=$(4) \
	    -DCOSIM_NAME='"$(1)"' -c $$< -o $$@
$(SC_DIR)/cosim_$(1): $(SC_DIR)/rtl/$(1)/cosim.o $(SC_DIR)/rtl/$(1)/obj/Vmp_array__ALL.a $(SC_VLOBJ) $(SC_LIB) \
                      $(BUILD)/libmpsim.a
	@$$(if $$(Q),echo "  LINK    $$@")
	$$(Q)g++ $$(LDFLAGS) -o $$@ $$^ $$(SC_LDLIBS) -latomic
-include $(SC_DIR)/rtl/$(1)/cosim.d
endef
$(foreach m,$(SC_COSIM_MODELS),$(eval $(call sc_cosim_model,$(m),$(call rtl_kind,$(m)),$(call rtl_rows,$(m)),$(call rtl_cols,$(m)))))

systemc: $(SC_VP) $(SC_REGS) $(SC_COSIM)

# The runs: systemc/run-tests.sh (which `mpsim run --json` it compares with, which layers) sums the
# "<name>: N passed, N failed" lines into "systemc: N passed, N failed".
systemc-test: $(DEPS_STAMP)
	@$(MAKE) --no-print-directory $(BUILD)/libmpsim.a $(MPSIM)
	@$(MAKE) --no-print-directory -j$(RTL_JOBS) systemc
	@SC_TILES=$(SC_TILES) SC_SEED=$(SC_SEED) bash systemc/run-tests.sh $(MPSIM) $(SC_DIR) $(SC_COSIM)

-include $(SC_LIB_OBJ:.o=.d) $(SC_DIR)/obj/vp.d $(SC_DIR)/obj/test_regs.d
