#!/usr/bin/env bash
# tests/fuzz/run.sh — run the libFuzzer harnesses (make fuzz, make fuzz-regress; tests/fuzz/README.md).
#
#   run.sh fuzz SECONDS DIR NAME...      fuzz each harness DIR/fuzz_NAME for SECONDS from its seeds
#   run.sh regress SECONDS DIR NAME...   each harness once over tests/fuzz/corpus/NAME/ (no mutation),
#                                        then fuzz it for SECONDS (0: regression only)
#
# A harness passes when libFuzzer exits 0: no crash, sanitizer report, leak, input slower than
# 10 s, or RSS above 2 GiB. Logs: DIR/log/NAME.{regress,fuzz}.log; new inputs: DIR/work/NAME/;
# findings: DIR/artifacts/NAME/. Prints libFuzzer's last status line per run and ends with
#   fuzz: N passed, N failed          (N counts harnesses)
# Exit status 0 when none failed, 1 otherwise, 2 usage.
set -u
[ $# -ge 4 ] || { echo "usage: run.sh fuzz|regress SECONDS DIR NAME..." >&2; exit 2; }
mode=$1 secs=$2 dir=$3; shift 3
case "$mode" in fuzz|regress) ;; *) echo "run.sh: unknown mode '$mode'" >&2; exit 2 ;; esac
here=$(cd "$(dirname "$0")" && pwd)
export OMP_NUM_THREADS=1
# Leaks are findings; UBSan reports abort (the objects are built with -fno-sanitize-recover).
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
common=(-timeout=10 -rss_limit_mb=2048 -print_final_stats=1)
pass=0 fail=0
mkdir -p "$dir/log"
for name in "$@"; do
  bin=$dir/fuzz_$name seeds=$here/corpus/$name
  work=$dir/work/$name art=$dir/artifacts/$name/
  mkdir -p "$work" "$art"
  [ -x "$bin" ] || { echo "fuzz: $name: no harness $bin"; fail=$((fail + 1)); continue; }
  [ -d "$seeds" ] || { echo "fuzz: $name: no seed corpus $seeds"; fail=$((fail + 1)); continue; }
  ok=1
  if [ "$mode" = regress ]; then
    nseed=$(find "$seeds" -type f | wc -l)
    log=$dir/log/$name.regress.log
    if "$bin" "${common[@]}" -runs=0 -artifact_prefix="$art" "$seeds" >"$log" 2>&1; then
      printf 'fuzz: %-12s regress %3d seeds ok   %s\n' "$name" "$nseed" "$(grep -E '^#[0-9]+' "$log" | tail -n 1)"
    else
      ok=0; printf 'fuzz: %-12s regress FAILED (log %s)\n' "$name" "$log"; tail -n 30 "$log"
    fi
  fi
  if [ $ok -eq 1 ] && [ "$secs" -gt 0 ]; then
    log=$dir/log/$name.fuzz.log
    if "$bin" "${common[@]}" -max_total_time="$secs" -artifact_prefix="$art" "$work" "$seeds" >"$log" 2>&1; then
      printf 'fuzz: %-12s %4ss ok          %s\n' "$name" "$secs" "$(grep -E '^#[0-9]+' "$log" | tail -n 1)"
      grep -E '^stat::number_of_executed_units' "$log" | sed "s/^/fuzz: $name /"
    else
      ok=0; printf 'fuzz: %-12s %4ss FAILED (log %s, artifacts %s)\n' "$name" "$secs" "$log" "$art"; tail -n 30 "$log"
    fi
  fi
  if [ $ok -eq 1 ]; then pass=$((pass + 1)); else fail=$((fail + 1)); fi
done
echo "fuzz: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
