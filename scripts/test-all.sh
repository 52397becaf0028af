#!/usr/bin/env bash
# scripts/test-all.sh — `make test`: run every suite, then one total line.
#
#   test-all.sh MAKE SUITE...     e.g. test-all.sh "make --no-print-directory" cuda-check unit-test rtl-test
#
# Each SUITE is a make target. A suite that counts its checks ends its output with a line
# "<name>: N passed, N failed" (unit-test, rtl-test, systemc-test, slurm-test); the last such line is its count.
# A suite without counts (cuda-check, check-layers) is one check: passed when its target succeeds,
# skipped when it succeeds but says "skipped" (cuda-check without nvcc), failed otherwise.
# A target that fails without reporting a failure adds one failure, so a crash is never a pass.
# Every suite runs even after a failure; the output ends with
#   tests: N passed, N failed[, N skipped]
# summed over all suites. Exit status 0 when nothing failed, 1 otherwise.
set -u
[ $# -ge 2 ] || { echo "usage: test-all.sh MAKE SUITE..." >&2; exit 2; }
make_cmd=$1; shift
total_p=0 total_f=0 total_s=0 lines=()
log=$(mktemp) || exit 2
trap 'rm -f "$log"' EXIT
for suite in "$@"; do
  $make_cmd "$suite" 2>&1 | tee "$log"
  rc=${PIPESTATUS[0]}
  count=$(grep -E '^[a-z0-9_-]+: [0-9]+ passed, [0-9]+ failed$' "$log" | tail -n 1)
  s=0
  if [ -z "$count" ] && [ "$rc" -eq 0 ] && grep -qE "^$suite: skipped" "$log"; then
    p=0 f=0 s=1
  elif [ -n "$count" ]; then
    p=$(sed -E 's/.*: ([0-9]+) passed, ([0-9]+) failed/\1/' <<<"$count")
    f=$(sed -E 's/.*: ([0-9]+) passed, ([0-9]+) failed/\2/' <<<"$count")
    [ "$rc" -ne 0 ] && [ "$f" -eq 0 ] && f=1
  elif [ "$rc" -eq 0 ]; then p=1 f=0
  else p=0 f=1
  fi
  total_p=$((total_p + p)); total_f=$((total_f + f)); total_s=$((total_s + s))
  lines+=("$(printf '  %-14s %6d ok, %d failing%s%s' "$suite" "$p" "$f" "$([ "$s" -ne 0 ] && echo ", skipped")" \
             "$([ "$rc" -ne 0 ] && echo " (exit $rc)")")")
done
echo
echo "test summary:"
printf '%s\n' "${lines[@]}"
echo "tests: $total_p passed, $total_f failed$([ "$total_s" -ne 0 ] && echo ", $total_s skipped")"
[ "$total_f" -eq 0 ]
