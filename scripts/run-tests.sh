#!/usr/bin/env bash
# Run every test binary given, show their output, and end with one summary line
# "unit: N passed, N failed" counted over the individual cmocka tests of all binaries (a binary whose
# group setup or teardown failed counts one more failure)
# ("LABEL: ..." with --label LABEL first, e.g. "san" for the sanitizer pass).
# Exit status: 0 when nothing failed, 1 otherwise.
set -u
# the tests run sweeps without --shard: inside a Slurm array task they would otherwise shard themselves
unset SLURM_ARRAY_TASK_ID SLURM_ARRAY_TASK_COUNT SLURM_ARRAY_TASK_MIN SLURM_ARRAY_TASK_MAX SLURM_ARRAY_TASK_STEP SLURM_ARRAY_JOB_ID
label=unit
if [ "${1:-}" = --label ]; then label=$2; shift 2; fi
passed=0; failed=0; bad_bins=()
for t in "$@"; do
  name=$(basename "$t")
  out=$("$t" 2>&1); rc=$?
  printf '%s\n' "$out"
  p=$(printf '%s\n' "$out" | sed -n "s/.*\[  PASSED  \] \([0-9]*\) test(s)\..*/\1/p" | awk '{s+=$1} END {print s+0}')
  f=$(printf '%s\n' "$out" | sed -n "s/.*\[  FAILED  \] \([0-9]*\) test(s), listed below:.*/\1/p" | awk '{s+=$1} END {print s+0}')
  passed=$((passed + p)); failed=$((failed + f))
  # a failed group setup or teardown (cmocka still exits 0 and counts no test) is a failure too
  if printf '%s\n' "$out" | grep -q '\[  FAILED  \] GROUP '; then
    bad_bins+=("$name(group setup/teardown)"); failed=$((failed + 1))
  fi
  if [ $rc -ne 0 ] || [ $((p + f)) -eq 0 ]; then
    bad_bins+=("$name(rc=$rc)")
    [ "$f" -eq 0 ] && failed=$((failed + 1))
  fi
done
echo
if [ ${#bad_bins[@]} -gt 0 ]; then echo "failing test programs: ${bad_bins[*]}"; fi
echo "$label: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
