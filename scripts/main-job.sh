#!/usr/bin/env bash
# scripts/main-job.sh — `make run`, the main job on the built-in default (docs/dse.md, "The main job").
#
#   main-job.sh MPSIM RUN_DIR
#
# Every PE kind of the iso-area presets on Llama-2-7B serving a whole request (prompt 2048, 128
# generated tokens, batch 1 and 16: TTFT, TPOT, tokens/s, J/token) with each kind's accuracy, run as a sweep (configs/sweeps/main.ini) into a fresh
# RUN_DIR/main.db; prints each format's perplexity on the real SmolLM2-135M (a slice), the operand
# formats and what binds each design, prints the summary against fp16, the measured GPU beside four of the kinds (when a
# GPU results file covers llama2-7b's shapes), and writes the report (plots, CSV, HTML) to
# RUN_DIR/report/. Stops at the first failing step with its exit status.
set -euo pipefail
[ $# -eq 2 ] || { echo "usage: main-job.sh MPSIM RUN_DIR" >&2; exit 2; }
mpsim=$1 run_dir=$2
say() { echo "$*"; "$@"; }

rm -f "$run_dir/main.db" "$run_dir/main.db-wal" "$run_dir/main.db-shm"
mkdir -p "$run_dir"
say "$mpsim" sweep configs/sweeps/main.ini --db "$run_dir/main.db"
echo
say "$mpsim" summary --db "$run_dir/main.db" --baseline iso/fp16
echo

# Perplexity of the real SmolLM2-135M through each iso design's format (a slice: 512 tokens of GPL-3,
# windows of 64; docs/accuracy.md has the full study). The model comes with `make deps`.
gguf=${MPSIM_SMOLLM2_GGUF:-build/cache/smollm2/SmolLM2-135M-Instruct.Q4_1.gguf}
if [ -f "$gguf" ]; then
  echo "== perplexity of SmolLM2-135M per iso design's format (slice: --ctx 64 --tokens 512) =="
  say "$mpsim" perplexity --gguf "$gguf" --ctx 64 --tokens 512 --quiet \
    --formats fp16,int8,w4a16-dq,mixpe-w4a8,mixpe-w4a16,bitmod-w4,bitmod-w3,olive-w4a4,ant-w4a4,olive-w4a16,ant-w4a16
  echo
else
  echo "== perplexity: skipped, no SmolLM2 model at $gguf (make deps fetches it; docs/data.md) =="
  echo
fi

# The operand formats each design runs with ([quant] *_format; docs/config.md).
echo "== operand formats of each design (weights, activations, KV cache, outputs; mpsim list formats) =="
for a in configs/iso/*.ini; do
  name=iso/$(basename "$a" .ini)
  cfg=$("$mpsim" config show "$name") || { echo "main-job: mpsim config show $name failed (exit $?)" >&2; exit 1; }
  printf '%-18s %s\n' "$name" "$(sed -n 's/^\(weight\|act\|kv\|out\)_format = \([^ ]*\).*/\2/p' <<<"$cfg" | paste -sd ' ')"
done
echo

# What binds each design: every layer's cycles counted under its binding resource (docs/simulator.md §4).
for phase in prefill decode; do
  echo "== what binds each design: llama2-7b $phase (2048 tokens / KV 2048), batch 1 =="
  for a in configs/iso/*.ini; do
    name=iso/$(basename "$a" .ini)
    out=$("$mpsim" run --arch "$name" --model llama2-7b --phase "$phase" --quiet) ||
      { echo "main-job: mpsim run --arch $name failed (exit $?)" >&2; exit 1; }
    line=$(grep -m1 '^bound:' <<<"$out") ||
      { echo "main-job: mpsim run --arch $name printed no 'bound:' line" >&2; exit 1; }
    printf '%-16s %s\n' "$name" "${line#bound: }"
  done
  echo
done

# The newest GPU results file that measured every kernel on llama2-7b's shapes (a run may cover
# other shapes or kernels only; OliVe, the last kernel of a full run, stands for all of them).
gpu=$(grep -l '"kernel": "olive-w4a4", [^}]*"m": 1, "n": 11008, "k": 4096' kernels_ref/results/*/*.json 2>/dev/null \
      | tail -n 1 || true)
if [ -n "$gpu" ]; then
  echo "== measured GPU beside the simulated accelerator: llama2-7b decode KV 2048, weight GEMMs ($gpu) =="
  for a in iso/mixpe-w4a16 iso/mixpe-w4a8 iso/bitmod-w4 iso/olive; do
    # the whole output first (no early-closed pipe); a failing comparison stops the job, loudly
    out=$("$mpsim" compare-gpu --gpu "$gpu" --arch "$a" --model llama2-7b --phase decode --kv 2048) ||
      { echo "main-job: mpsim compare-gpu --arch $a failed (exit $?)" >&2; exit 1; }
    line=$(grep -m1 'layers: GPU' <<<"$out") ||
      { echo "main-job: mpsim compare-gpu --arch $a printed no 'layers: GPU' total" >&2; exit 1; }
    echo "$line" | sed "s|^ *|$a vs |"
  done
  echo "(speedup = GPU time / accelerator time; energyx = GPU energy / accelerator energy; > 1: the accelerator wins;"
  echo " @copyBW: the accelerator given the GPU's measured DRAM bandwidth; 'mpsim compare-gpu' for per-layer tables)"
  echo
fi
say "$mpsim" report --db "$run_dir/main.db" --out "$run_dir/report" --baseline iso/fp16
echo "run: the report is $run_dir/report/index.html"
