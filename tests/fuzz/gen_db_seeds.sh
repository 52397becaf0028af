#!/usr/bin/env bash
# tests/fuzz/gen_db_seeds.sh — write the `db` harness's seed corpus (tests/fuzz/corpus/db/) with the
# current schema: a 2-row sweep (one decode, one request row; page_size 512 so the file stays small),
# the same without its results table, and the same with text in energy_pj. Run from the repository
# root after `make` whenever the database schema changes (a new config key adds a column).
#
#   bash tests/fuzz/gen_db_seeds.sh [MPSIM]
set -euo pipefail
mpsim=${1:-build/mpsim}
out=tests/fuzz/corpus/db
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cat > "$tmp/tiny.ini" <<'SPEC'
[mpsim]
sweep_version = 1

[sweep]
name = tiny
base = iso/int8

[params]
arch.rows = 8

[workload]
models = tiny
phases = decode, request
kv = 64
prompt = 8
gen = 2
batch = 1
SPEC
"$mpsim" sweep "$tmp/tiny.ini" --db "$tmp/s.db" --quiet > /dev/null
sqlite3 "$tmp/s.db" "PRAGMA journal_mode=DELETE; PRAGMA page_size=512; VACUUM;" > /dev/null
cp "$tmp/s.db" "$out/sweep-2pt.db"
cp "$tmp/s.db" "$tmp/n.db"
sqlite3 "$tmp/n.db" "DROP TABLE results; VACUUM;"
cp "$tmp/n.db" "$out/no-results.db"
cp "$tmp/s.db" "$tmp/t.db"
sqlite3 "$tmp/t.db" "UPDATE results SET energy_pj = 'abc'; VACUUM;"
cp "$tmp/t.db" "$out/text-energy.db"
ls -l "$out"
