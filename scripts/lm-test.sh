#!/usr/bin/env bash
# scripts/lm-test.sh BIN MPSIM — the lm-test suite of `make test`: the C forward pass (dse/lmfwd.c) and
# `mpsim perplexity` on the real SmolLM2-135M against an independent numpy forward pass
# (scripts/smollm2_ref.py over the `gguf` package's tensors). Needs what `make deps` fetches
# (scripts/fetch-model.sh: the GGUF and build/pylib); without it the suite prints
# "lm-test: skipped: WHY" and exits 0, which scripts/test-all.sh counts as skipped.
# With it: the reference logits into build/lm-test/ (about 5 s), then BIN (tests/lm_smollm2.c),
# ending "lm: N passed, N failed".
set -u
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
BIN=$1 MPSIM=$2
GGUF="${MPSIM_SMOLLM2_GGUF:-$ROOT/build/cache/smollm2/SmolLM2-135M-Instruct.Q4_1.gguf}"
PYLIB="$ROOT/build/pylib"
OUT="$ROOT/build/lm-test"

skip() {
  echo "lm-test: skipped: $*"
  echo "lm-test: SKIPPED (not passed): run 'make deps' (or see docs/data.md) to fetch the model"
  exit 0
}
[ -f "$GGUF" ] || skip "no SmolLM2 model at $GGUF"
[ -f /usr/share/common-licenses/GPL-3 ] || skip "no /usr/share/common-licenses/GPL-3 (the default text)"
PYTHONPATH="$PYLIB${PYTHONPATH:+:$PYTHONPATH}" python3 -c 'import gguf, numpy' 2>/dev/null ||
  skip "python3 cannot import gguf and numpy (make deps installs them into $PYLIB)"

mkdir -p "$OUT" || exit 1
if ! PYTHONPATH="$PYLIB${PYTHONPATH:+:$PYTHONPATH}" python3 "$ROOT/scripts/smollm2_ref.py" "$GGUF" "$OUT/ref_logits.bin"; then
  echo "lm-test: the reference (scripts/smollm2_ref.py) failed"
  echo "lm: 0 passed, 1 failed"
  exit 1
fi
MPSIM_SMOLLM2_GGUF="$GGUF" LM_REF="$OUT/ref_logits.bin" MPSIM_BIN="$MPSIM" \
  bash "$ROOT/scripts/run-tests.sh" --label lm "$BIN"
