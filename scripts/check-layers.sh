#!/usr/bin/env bash
# scripts/check-layers.sh — the include rule that makes the folders layers.
#
#   check-layers.sh [--root DIR] LAYER...        LAYER... bottom-up, as the Makefile's LAYERS lists them
#   check-layers.sh --self-test LAYER...         prove the check fails on a planted upward include
#
# A source file in layer i may include headers of layers 0..i only ("dir/name.h" names the layer
# by its folder; a bare "name.h" is its own folder). The programs built on the library (bench/,
# tests/, rtl/, systemc/, kernels_ref/) may include any layer but the last (the mpsim binary's own
# code, which is not in the library they link). "../" in an include is refused everywhere: it would
# hide which layer a header belongs to. Prints one "FILE:LINE: ..." line per violation and
# "check-layers: N files, 0 violations" at the end; exit status 0 clean, 1 violations, 2 usage.
set -u

root=.
self_test=0
while [ $# -gt 0 ]; do
  case "$1" in
    --root) root=$2; shift 2 ;;
    --self-test) self_test=1; shift ;;
    -*) echo "check-layers: unknown option '$1'" >&2; exit 2 ;;
    *) break ;;
  esac
done
[ $# -ge 2 ] || { echo "usage: check-layers.sh [--root DIR | --self-test] LAYER..." >&2; exit 2; }
layers=("$@")
users=(bench tests rtl systemc kernels_ref)

if [ $self_test -eq 1 ]; then
  # Copy the layers to a scratch tree, plant one upward include in the lowest layer, expect exit 1
  # with the planted line named; and expect the untouched copy to pass.
  tmp=$(mktemp -d) || exit 2
  trap 'rm -rf "$tmp"' EXIT
  for d in "${layers[@]}" "${users[@]}"; do [ -d "$root/$d" ] && cp -r "$root/$d" "$tmp/"; done
  bash "$0" --root "$tmp" "${layers[@]}" >/dev/null || { echo "check-layers: self-test: the clean copy fails"; exit 1; }
  low=${layers[0]} top=${layers[${#layers[@]}-1]}
  victim=$(ls "$tmp/$low"/*.c | head -n 1)
  top_hdr=$(cd "$tmp" && ls "$top"/*.h | head -n 1)
  printf '#include "%s"\n' "$top_hdr" >> "$victim"
  out=$(bash "$0" --root "$tmp" "${layers[@]}"); rc=$?
  want="${victim#"$tmp"/}:$(wc -l < "$victim"):"
  if [ $rc -eq 1 ] && grep -q "^$want" <<<"$out"; then
    echo "check-layers: self-test: a planted '#include \"$top_hdr\"' in ${victim#"$tmp"/} is caught"
    exit 0
  fi
  echo "check-layers: self-test FAILED: planted include in ${victim#"$tmp"/} not reported (rc=$rc): $out"
  exit 1
fi

declare -A rank
for i in "${!layers[@]}"; do rank[${layers[$i]}]=$i; done
top=$(( ${#layers[@]} - 1 ))

nfiles=0 nbad=0
check_dir() { # DIR OWN_RANK
  local dir=$1 own=$2 f line n inc dep
  while IFS= read -r f; do
    nfiles=$((nfiles + 1))
    while IFS=: read -r n line; do
      [[ $line =~ ^[[:space:]]*#[[:space:]]*include[[:space:]]*\"([^\"]+)\" ]] || continue
      inc=${BASH_REMATCH[1]}
      if [[ $inc == *../* ]]; then
        echo "${f#"$root"/}:$n: '#include \"$inc\"': no '../' in includes"; nbad=$((nbad + 1)); continue
      fi
      [[ $inc == */* ]] || continue          # its own folder
      dep=${inc%%/*}
      [ -n "${rank[$dep]+x}" ] || continue   # not a layer (e.g. rtl/..., kernels_ref/...)
      if [ "${rank[$dep]}" -gt "$own" ]; then
        echo "${f#"$root"/}:$n: '#include \"$inc\"': layer '$dep' is above '${dir#"$root"/}' (order: ${layers[*]})"
        nbad=$((nbad + 1))
      fi
    done < <(grep -n '^[[:space:]]*#[[:space:]]*include' "$f")
  done < <(find "$dir" -type f \( -name '*.c' -o -name '*.h' -o -name '*.cpp' -o -name '*.cu' -o -name '*.cuh' \) | sort)
}
for i in "${!layers[@]}"; do
  [ -d "$root/${layers[$i]}" ] || { echo "check-layers: no folder '${layers[$i]}' under $root" >&2; exit 2; }
  check_dir "$root/${layers[$i]}" "$i"
done
for u in "${users[@]}"; do [ -d "$root/$u" ] && check_dir "$root/$u" $((top - 1)); done
echo "check-layers: $nfiles files, $nbad violations"
[ $nbad -eq 0 ]
