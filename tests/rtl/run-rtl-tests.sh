#!/usr/bin/env bash
# tests/rtl/run-rtl-tests.sh — run the RTL harnesses (make rtl-test), RTL_JOBS at a time, show each
# one's output in order and end with "rtl: N passed, N failed" summed over their summary lines
# ("rtl-<name>: N passed, N failed"). A harness that dies without its summary counts as one failure.
# Exit status 0 when nothing failed. RTL_ARGS: more options for every model harness (not the fp units).
set -u
tiles=${RTL_TILES:-200}; seed=${RTL_SEED:-1}; jobs=${RTL_JOBS:-2}
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
start=$(date +%s)
i=0
for t in "$@"; do
  i=$((i + 1))
  name=$(basename "$(dirname "$t")")
  if [ "$name" = fpu ]; then args=(--seed "$seed"); else args=(--tiles "$tiles" --seed "$seed" --name "$name" ${RTL_ARGS:-}); fi
  printf '%s\0' "$i" "$t" "${args[*]}"
done | xargs -0 -n 3 -P "$jobs" bash -c 'out="$0"; "$1" $2 > "'"$tmp"'/$0.log" 2>&1; echo "rc $?" >> "'"$tmp"'/$0.log"'
passed=0; failed=0; i=0
for t in "$@"; do
  i=$((i + 1)); log="$tmp/$i.log"
  grep -v '^rc [0-9]*$' "$log"
  p=$(sed -n 's/^rtl-.*: \([0-9]*\) passed, \([0-9]*\) failed$/\1/p' "$log" | tail -1)
  f=$(sed -n 's/^rtl-.*: \([0-9]*\) passed, \([0-9]*\) failed$/\2/p' "$log" | tail -1)
  rc=$(sed -n 's/^rc \([0-9]*\)$/\1/p' "$log" | tail -1)
  if [ -z "$p" ]; then echo "rtl: $t died without a summary (rc=$rc)"; p=0; f=1; fi
  if [ "${rc:-1}" != 0 ] && [ "$f" = 0 ]; then f=1; fi
  passed=$((passed + p)); failed=$((failed + f))
done
echo "# rtl: $# harnesses in $(( $(date +%s) - start )) s"
echo "rtl: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
