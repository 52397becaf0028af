#!/usr/bin/env bash
# systemc/run-tests.sh MPSIM SC_DIR COSIM... — the runs of `make systemc-test` (systemc/systemc.mk):
#   1. the register map checks (test_regs);
#   2. the example platform (vp) on Llama-2-7B layers, one per PE-kind family, each beside
#      `mpsim run --json` for the same arguments (vp --expect-json compares cycles and energy);
#      one at cycle fidelity (OPTIONS.CYCLE), one polling STATUS instead of the interrupt;
#   3. every co-simulated RTL model (cosim_<kind>_<R>x<C>), SC_TILES GEMMs each, seed SC_SEED.
# Shows every program's output and ends with "systemc: N passed, N failed", summed over their
# "<name>: N passed, N failed" lines; a program that dies without its line counts as one failure.
# Exit status 0 when nothing failed.
set -u
export SYSTEMC_DISABLE_COPYRIGHT_MESSAGE=1 # SystemC's banner on every program
mpsim=$1; dir=$2; shift 2
tiles=${SC_TILES:-40}; seed=${SC_SEED:-1}
passed=0; failed=0; start=$(date +%s)

# run NAME-OF-SUMMARY COMMAND...: show its output, add its summary line's counts
run() {
  local out rc p f
  out=$("$@" 2>&1); rc=$?
  printf '%s\n' "$out"
  p=$(printf '%s\n' "$out" | sed -n 's/^[A-Za-z0-9_.-]*: \([0-9]*\) passed, \([0-9]*\) failed$/\1/p' | tail -1)
  f=$(printf '%s\n' "$out" | sed -n 's/^[A-Za-z0-9_.-]*: \([0-9]*\) passed, \([0-9]*\) failed$/\2/p' | tail -1)
  if [ -z "$p" ]; then echo "systemc: $1 died without a summary (rc=$rc)"; p=0; f=1; fi
  if [ "$rc" != 0 ] && [ "$f" = 0 ]; then f=1; fi
  passed=$((passed + p)); failed=$((failed + f))
}

# vp_case TAG ARCH LAYER [mpsim run / vp options...]: mpsim run --json, then the platform against it
vp_case() {
  local tag=$1 arch=$2 layer=$3; shift 3
  local json="$dir/mpsim-run-$tag.json" extra=()
  while [ $# -gt 0 ] && [ "$1" != "--" ]; do extra+=("$1"); shift; done
  [ $# -gt 0 ] && shift # the rest: vp-only options
  echo "== vp $tag: $arch llama2-7b ${extra[*]} --layer $layer $* =="
  if ! "$mpsim" run --arch "$arch" --model llama2-7b "${extra[@]}" --json "$json" --quiet > /dev/null; then
    echo "systemc: mpsim run --arch $arch ${extra[*]} failed"; failed=$((failed + 1)); return
  fi
  run "$dir/vp" --arch "$arch" --model llama2-7b "${extra[@]}" --layer "$layer" --seed "$seed" \
    --expect-json "$json" "$@"
}

echo "== register map (test_regs) =="
run "$dir/test_regs"
vp_case mixpe-w4a8 iso/mixpe-w4a8 q_proj --phase decode
# (the platform stores outputs at out_format: layers a GEMM reads next, not o_proj/down_proj, whose outputs
# go to the residual add in fp16 in the workload)
vp_case olive iso/olive up_proj --phase decode -- --poll
vp_case bitmod-w3 iso/bitmod-w3 v_proj --phase decode
vp_case olive-w4a16 iso/olive-w4a16 k_proj --phase decode
vp_case int8-prefill iso/int8 q_proj --phase prefill --seq 16
vp_case fp16-8x8-cycle iso/fp16 k_proj --phase decode --set arch.rows=8,arch.cols=8 -- --cycle
# a typed --seq/--kv below 1 is refused (exit 2), never taken as "not given" (issue 20: -1 ran 2048)
for bad in "--phase prefill --seq -1" "--kv -1" "--kv 0"; do
  "$dir/vp" $bad >/dev/null 2>&1; rc=$?
  if [ "$rc" = 2 ]; then echo "vp $bad: exit 2, as wanted"; passed=$((passed + 1))
  else echo "vp $bad: exit $rc, wanted 2"; failed=$((failed + 1)); fi
done
for c in "$@"; do
  echo "== $(basename "$c") =="
  OMP_NUM_THREADS=1 OMP_WAIT_POLICY=passive run "$c" --tiles "$tiles" --seed "$seed" # tiny GEMMs: no spinning threads
done
echo "# systemc: $(( $(date +%s) - start )) s"
echo "systemc: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
