#!/usr/bin/env bash
# scripts/model-test.sh BIN — the model-test suite of `make test`: the GGUF reader and the tokenizer
# against independent references (the `gguf` and `tokenizers` Python packages) on the real
# SmolLM2-135M model. Needs what `make deps` fetches (scripts/fetch-model.sh); without it the suite
# prints "model-test: skipped: WHY" and exits 0, which scripts/test-all.sh counts as skipped.
# With it: references into build/model-test/ (a few seconds), then BIN, ending "model: N passed, N failed".
set -u
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
BIN=$1
GGUF="${MPSIM_SMOLLM2_GGUF_PATH:-$ROOT/build/cache/smollm2/SmolLM2-135M-Instruct.Q4_1.gguf}"
PYLIB="$ROOT/build/pylib"
OUT="$ROOT/build/model-test"
TEXTS=(/usr/share/common-licenses/GPL-3 "$ROOT/tests/data/tok/unicode.txt")

skip() {
  echo "model-test: skipped: $*"
  echo "model-test: SKIPPED (not passed): run 'make deps' (or see docs/data.md) to fetch the model"
  exit 0
}
[ -f "$GGUF" ] || skip "no SmolLM2 model at $GGUF"
[ -f "$PYLIB/.mpsim-reqs" ] || skip "no reference Python packages in $PYLIB"
for t in "${TEXTS[@]}"; do [ -f "$t" ] || skip "no text $t"; done

rm -rf "$OUT" || exit 1
if ! PYTHONPATH="$PYLIB" python3 "$ROOT/tests/ref/gguf_ref.py" all "$GGUF" "$OUT" "${TEXTS[@]}"; then
  echo "model-test: the reference (tests/ref/gguf_ref.py) failed"
  echo "model: 0 passed, 1 failed"
  exit 1
fi
MODEL_GGUF="$GGUF" MODEL_REF="$OUT" bash "$ROOT/scripts/run-tests.sh" --label model "$BIN"
