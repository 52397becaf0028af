#!/usr/bin/env bash
# Install the Debian packages mpsim needs, only those missing. Idempotent.
# Used by `make deps` and, through a stamp file, by `make run` and `make test`.
set -euo pipefail
trap 'bash "$(dirname "$0")/fetch-model.sh"' EXIT  # then the SmolLM2 GGUF + Python reference packages (docs/data.md)

PKGS=(
  gcc g++ make pkg-config          # toolchain
  libinih-dev                      # INI configs
  libcjson-dev                     # JSON output, safetensors headers
  libsqlite3-dev                   # sweep databases
  libcmocka-dev                    # unit tests
  verilator                        # RTL simulation
  zlib1g-dev                       # FST waveforms of failing RTL runs
  libsystemc-dev                   # SystemC / TLM-2.0 model
  yosys                            # RTL synthesis (relative area)
  gtkwave                          # waveform viewer
  gnuplot-nox                      # plots
  python3                          # helper scripts (trace extraction)
  libopenblas-dev                  # fp32 sgemm of the perplexity study (dse/lmfwd.c)
  clang libclang-rt-14-dev libomp-dev   # fuzz harnesses (libFuzzer, ASan, UBSan runtimes; OpenMP)
  munge slurmctld slurmd slurm-client   # make slurm-test: a one-node Slurm cluster (started by the test)
)

missing=()
for p in "${PKGS[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
echo "deps: installing missing Debian packages: ${missing[*]}"
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then SUDO=sudo; else
    echo "deps: not root and no sudo; install these packages: ${missing[*]}" >&2; exit 2
  fi
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
