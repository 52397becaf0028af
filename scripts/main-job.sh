#!/usr/bin/env bash
# scripts/main-job.sh — `make run`, the main job on the built-in default (docs/dse.md, "The main job").
#
#   main-job.sh MPSIM RUN_DIR
#
# Every PE kind of the iso-area presets on Llama-2-7B serving a whole request (prompt 2048, 128
# generated tokens, batch 1 and 16: TTFT, TPOT, tokens/s, J/token) with each kind's accuracy, run as a sweep (configs/sweeps/main.ini) into a fresh
# RUN_DIR/main.db; prints each format's perplexity on the real SmolLM2-135M (a slice), the operand
# formats and what binds each design, prints the summary against fp16, the measured GPU beside four of the kinds (when a
# GPU results file covers llama2-7b's shapes), every kind against the GPU on whole requests at iso-area and
# iso-bandwidth (when a results file has whole steps), and writes the report (plots, CSV, HTML) to
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
# Whole requests against the measured GPU (docs/gpu.md, "Whole requests against the GPU"): every kind
# at iso-area (scaled out to the GPU's die at its node, the GPU's memory) and at iso-bandwidth (as
# designed, with the GPU's memory), against the GPU running the same format (cuBLAS fp16 for kinds
# without a GPU kernel), from the newest results file with whole llama2-7b steps.
steps=$(grep -l '"model": "llama2-7b", "format": "[a-z0-9-]*", "phase": "decode"' kernels_ref/results/*/steps-*.json \
        2>/dev/null | tail -n 1 || true)
if [ -n "$steps" ]; then
  for batch in 1 16; do
    echo "== whole llama2-7b request (prompt 2048, 128 tokens, batch $batch) against the measured GPU ($steps) =="
    printf '%-20s %-14s %-16s %10s %10s %9s %10s %10s %9s  %s\n' design normalisation "GPU format" \
      "tok/s" "GPU tok/s" speed-up "J/token" "GPU J/tok" "J gain" "who wins"
    for a in configs/iso/*.ini; do
      name=iso/$(basename "$a" .ini)
      # the JSON alone on stdout; notes and errors apart
      if ! out=$("$mpsim" compare-gpu --gpu "$steps" --arch "$name" --model llama2-7b --phase request \
                 --batch "$batch" --norm iso-area,iso-bandwidth --quiet --json - 2>"$run_dir/compare.err"); then
        if grep -q 'no passing \(prefill\|decode\) step' "$run_dir/compare.err"; then
          printf '%-20s %s\n' "$name" "skipped: $(grep -o 'no passing.*' "$run_dir/compare.err" | head -n 1)"
          continue
        fi
        echo "main-job: mpsim compare-gpu --phase request --arch $name failed:" >&2; cat "$run_dir/compare.err" >&2
        exit 1
      fi
      sed 's/^/  note: /' "$run_dir/compare.err"
      python3 scripts/request_rows.py "$name" <<<"$out"
    done
    echo "(speed-up = accelerator tokens/s / GPU tokens/s; J gain = GPU J/token / accelerator J/token; > 1: the"
    echo " accelerator wins. iso-area: cores added to fill the GPU's die at its node; iso-bandwidth: the design as it is,"
    echo " given the GPU's memory. decode floor: the design's DRAM bytes per step at the GPU's copy bandwidth, the"
    echo " least TPOT of any GPU kernel moving them. 'mpsim compare-gpu --phase request' for TTFT, TPOT, per-mm2, iso-power)"
    echo
  done
else
  echo "== whole requests against the GPU: skipped, no kernels_ref/results/*/steps-*.json with llama2-7b decode steps =="
  echo
fi
say "$mpsim" report --db "$run_dir/main.db" --out "$run_dir/report" --baseline iso/fp16
echo "run: the report is $run_dir/report/index.html"
