#!/usr/bin/env bash
# scripts/check-layers.sh — the include rule that makes the folders layers.
#
#   check-layers.sh [--root DIR] LAYER... -- USER...     LAYER... bottom-up, as the Makefile's LAYERS
#                                                          lists them; USER... the programs built on
#                                                          the library (the Makefile's LAYER_USERS)
#   check-layers.sh --self-test LAYER... -- USER...       prove the check fails on planted includes
#
# A source file in layer i may include headers of layers 0..i only. An include names its layer by
# its first folder ("dir/name.h" or <dir/name.h>; a leading "./" is ignored); a bare "name.h" is
# the file's own folder. The users (bench/, tests/, rtl/, systemc/, kernels_ref/) may include any
# layer but the last (the mpsim binary's own code, which is not in the library they link); no
# layer may include a user's header. "../" in an include is refused everywhere: it would hide
# which layer a header belongs to. Prints one "FILE:LINE: ..." line per violation and
# "check-layers: N files, N violations" at the end; exit status 0 clean, 1 violations, 2 usage.
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
layers=() users=()
while [ $# -gt 0 ] && [ "$1" != "--" ]; do layers+=("$1"); shift; done
[ $# -gt 0 ] && shift
users=("$@")
[ ${#layers[@]} -ge 2 ] || { echo "usage: check-layers.sh [--root DIR | --self-test] LAYER... -- USER..." >&2; exit 2; }

if [ $self_test -eq 1 ]; then
  # Copy the tree to a scratch folder; the clean copy must pass. Then plant, one at a time, each
  # kind of forbidden include and expect exit 1 with the planted line named.
  tmp=$(mktemp -d) || exit 2
  trap 'rm -rf "$tmp"' EXIT
  for d in "${layers[@]}" "${users[@]}"; do [ -d "$root/$d" ] && cp -r "$root/$d" "$tmp/"; done
  bash "$0" --root "$tmp" "${layers[@]}" -- "${users[@]}" >/dev/null ||
    { echo "check-layers: self-test: the clean copy fails"; exit 1; }
  low=${layers[0]} top=${layers[${#layers[@]}-1]}
  victim=$(cd "$tmp" && ls "$low"/*.c | head -n 1)
  top_hdr=$(cd "$tmp" && ls "$top"/*.h | head -n 1)
  user_hdr=$(cd "$tmp" && ls "${users[0]}"/*.h | head -n 1)
  user_src=$(cd "$tmp" && ls "${users[0]}"/*.c | head -n 1)
  cases=("$victim|#include \"$top_hdr\"" "$victim|#include <$top_hdr>" "$victim|#include \"./$top_hdr\""
         "$victim|#include \"$user_hdr\"" "$victim|#include \"../$top_hdr\"" "$user_src|#include \"$top_hdr\"")
  for c in "${cases[@]}"; do
    file=${c%%|*} line=${c#*|}
    cp "$tmp/$file" "$tmp/$file.orig"
    printf '%s\n' "$line" >> "$tmp/$file"
    out=$(bash "$0" --root "$tmp" "${layers[@]}" -- "${users[@]}"); rc=$?
    mv "$tmp/$file.orig" "$tmp/$file"
    if [ $rc -ne 1 ] || ! grep -q "^$file:$(( $(wc -l < "$tmp/$file") + 1 )):" <<<"$out"; then
      echo "check-layers: self-test FAILED: '$line' planted in $file is not reported (rc=$rc): $out"
      exit 1
    fi
  done
  echo "check-layers: self-test: ${#cases[@]} planted includes caught (upward quoted, <>, ./, a user's header, ../, a user including the binary)"
  exit 0
fi

declare -A rank
for i in "${!layers[@]}"; do rank[${layers[$i]}]=$i; done
declare -A is_user
for u in "${users[@]}"; do is_user[$u]=1; done
top=$(( ${#layers[@]} - 1 ))

nfiles=0 nbad=0
check_dir() { # DIR OWN_RANK IS_LAYER
  local dir=$1 own=$2 layer=$3 f line n inc dep rel
  while IFS= read -r f; do
    nfiles=$((nfiles + 1))
    rel=${f#"$root"/}
    while IFS=: read -r n line; do
      [[ $line =~ ^[[:space:]]*#[[:space:]]*include[[:space:]]*[\"\<]([^\"\>]+)[\"\>] ]] || continue
      inc=${BASH_REMATCH[1]}
      if [[ $inc == *../* || $inc == ..* ]]; then
        echo "$rel:$n: '$inc': no '../' in includes"; nbad=$((nbad + 1)); continue
      fi
      while [[ $inc == ./* ]]; do inc=${inc#./}; done
      [[ $inc == */* ]] || continue          # its own folder (or a system header)
      dep=${inc%%/*}
      if [ "$layer" = 1 ] && [ -n "${is_user[$dep]+x}" ]; then
        echo "$rel:$n: '$inc': a library layer includes a header of '$dep', a program built on the library"
        nbad=$((nbad + 1)); continue
      fi
      [ -n "${rank[$dep]+x}" ] || continue   # not ours (e.g. a system header with a folder)
      if [ "${rank[$dep]}" -gt "$own" ]; then
        echo "$rel:$n: '$inc': layer '$dep' is above '${dir#"$root"/}' (order: ${layers[*]})"
        nbad=$((nbad + 1))
      fi
    done < <(grep -n '^[[:space:]]*#[[:space:]]*include' "$f")
  done < <(find "$dir" -type f \( -name '*.c' -o -name '*.h' -o -name '*.cpp' -o -name '*.cu' -o -name '*.cuh' \) | sort)
}
for i in "${!layers[@]}"; do
  [ -d "$root/${layers[$i]}" ] || { echo "check-layers: no folder '${layers[$i]}' under $root" >&2; exit 2; }
  check_dir "$root/${layers[$i]}" "$i" 1
done
for u in "${users[@]}"; do [ -d "$root/$u" ] && check_dir "$root/$u" $((top - 1)) 0; done
echo "check-layers: $nfiles files, $nbad violations"
[ $nbad -eq 0 ]
