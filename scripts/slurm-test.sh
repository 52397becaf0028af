#!/usr/bin/env bash
# scripts/slurm-test.sh — `make slurm-test`: `mpsim sweep --slurm` on a real one-node Slurm cluster.
#
#   slurm-test.sh MPSIM
#
# Starts munged, slurmctld and slurmd (Debian's packages, `make deps`) in the background with a
# generated munge key and slurm.conf in a temporary folder (loopback only, free ports, no cgroups:
# proctrack/linuxproc, task/none; no accounting), then:
#   1. the single-process run of a 12-row spec: the reference database;
#   2. `mpsim sweep --slurm --shards 4 --submit`: a real array job of 4 tasks and its afterok merge
#      job; the merged database equals the reference row for row (results, accuracy, infeasible);
#   3. a plain `mpsim sweep` as a 1-based array (--array=1-3, no --shard): each task's shard comes
#      from SLURM_ARRAY_TASK_ID / _MIN / _COUNT; the 3 databases merged equal the reference;
#   4. the generated scripts submitted by hand, the array held, task 2 cancelled before it runs: the
#      merge job never runs (DependencyNeverSatisfied), shard 2 is missing, merge.sh refuses and writes
#      nothing; task 2 re-run alone (sbatch --array=2) and the merge submitted after it: the merged
#      database equals the reference;
#   5. a slower spec's task 0 cancelled while it runs (Slurm's SIGTERM): it keeps its committed rows in
#      its partial file, its re-run starts from them ("N already in"), and the shard equals the
#      single-process run of the same shard row for row.
# The work folder's name holds a space, a quote and a '$', so every generated path is quoted for real.
# Every wait is bounded. On exit (any exit) it cancels its jobs, stops the daemons it started (by
# pid), checks they are gone, and removes the folder. A failing step prints "slurm-test: step NAME
# failed: why" and the exit status is 1. The last line is "slurm-test: N passed, N failed"
# (scripts/test-all.sh counts it).
set -uo pipefail

[ $# -eq 1 ] || { echo "usage: slurm-test.sh MPSIM" >&2; exit 2; }
MPSIM=$(realpath "$1") || exit 2
PASSED=0 FAILED=0
T0=$(date +%s)

ok() { PASSED=$((PASSED + 1)); echo "  ok   $1"; }
# A failed step ends the test: later steps depend on it.
die() {
  FAILED=$((FAILED + 1))
  echo "slurm-test: step $1 failed: $2" >&2
  for f in "${C:-/nonexistent}"/*.log; do
    [ -f "$f" ] && { echo "--- last lines of $f" >&2; tail -n 15 "$f" >&2; }
  done
  exit 1
}

# ---------------------------------------------------------------- the cluster
for p in munged slurmctld slurmd sbatch squeue scontrol scancel sinfo python3; do
  command -v "$p" >/dev/null || die deps "$p is not installed (make deps installs munge, slurmctld, slurmd, slurm-client)"
done
[ -x "$MPSIM" ] || die deps "$MPSIM is not an executable"

BASE=$(mktemp -d "${TMPDIR:-/tmp}/mpsim-slurm-test.XXXXXX") || die setup "mktemp"
C="$BASE/cluster"                 # the daemons' files (slurm.conf takes no quoted paths)
W="$BASE/work dir 'q\$x"          # the shared folder of the sweeps: hostile characters on purpose
PIDS=()                           # daemons started, in start order
CONF=                             # the cluster's slurm.conf, once written
cleanup() {
  local rc=$? pid p left=()
  trap - EXIT INT TERM
  if [ -n "${CONF:-}" ] && [ ${#PIDS[@]} -ge 2 ]; then
    scancel --quiet --user="$(id -un)" 2>/dev/null
    for _ in $(seq 50); do [ -z "$(squeue -h 2>/dev/null)" ] && break; sleep 0.2; done
  fi
  unset SLURM_CONF                # from here on, no child of this script carries it
  for ((k = ${#PIDS[@]} - 1; k >= 0; k--)); do kill "${PIDS[k]}" 2>/dev/null; done
  for pid in "${PIDS[@]}"; do
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    if kill -0 "$pid" 2>/dev/null; then kill -9 "$pid" 2>/dev/null; left+=("$pid"); fi
    wait "$pid" 2>/dev/null
  done
  # every process of this cluster (daemons, slurmstepd, job steps) has SLURM_CONF=$CONF in its
  # environment: none may be left
  local stray=()
  for p in /proc/[0-9]*; do
    [ -n "$CONF" ] || break
    { tr '\0' '\n' <"$p/environ"; } 2>/dev/null | grep -qxF "SLURM_CONF=$CONF" && stray+=("${p#/proc/}")
  done
  if [ ${#stray[@]} -gt 0 ]; then
    echo "slurm-test: step cleanup failed: processes of the test cluster still run: ${stray[*]}" >&2
    FAILED=$((FAILED + 1)); rc=1
  fi
  rm -rf "$BASE"
  if [ ${#left[@]} -gt 0 ]; then
    echo "slurm-test: step cleanup failed: daemons ${left[*]} did not stop on SIGTERM (killed)" >&2
    FAILED=$((FAILED + 1)); rc=1
  fi
  [ -e "$BASE" ] && { echo "slurm-test: step cleanup failed: $BASE not removed" >&2; FAILED=$((FAILED + 1)); rc=1; }
  echo "slurm-test: $(($(date +%s) - T0)) s"
  echo "slurm-test: $PASSED passed, $FAILED failed"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

mkdir -p "$C/munge" "$C/state" "$C/spool" "$W/nodetmp" || die setup "mkdir"
chmod 700 "$BASE" "$C/munge"
export TMPDIR="$W/nodetmp"        # the tasks' "node-local" disk: inside the folder, removed with it
# two free TCP ports on loopback (a port taken between this and the daemons' start fails the step)
read -r CTLD_PORT SLURMD_PORT < <(python3 -c '
import socket
s = [socket.socket() for _ in range(2)]
for x in s: x.bind(("127.0.0.1", 0))
print(*[x.getsockname()[1] for x in s])') || die setup "no free ports"

head -c 1024 /dev/urandom > "$C/munge/munge.key" && chmod 400 "$C/munge/munge.key" || die munge "key"
SOCK="$C/munge/munge.socket"
munged --foreground --force --socket="$SOCK" --key-file="$C/munge/munge.key" --log-file="$C/munged.log" \
  --pid-file="$C/munge/munged.pid" --seed-file="$C/munge/munged.seed" >/dev/null 2>&1 &
PIDS+=($!)
for _ in $(seq 50); do [ -S "$SOCK" ] && break; sleep 0.1; done
munge -n -S "$SOCK" | unmunge -S "$SOCK" >/dev/null 2>&1 || die munge "munged does not answer on $SOCK"
ok "munged up (pid ${PIDS[0]})"

NCPU=$(nproc)
CONF="$C/slurm.conf"
export SLURM_CONF="$CONF"
cat > "$SLURM_CONF" <<EOF
# generated by scripts/slurm-test.sh: one node on loopback, no cgroups, no accounting
ClusterName=mpsimtest
SlurmctldHost=localhost(127.0.0.1)
SlurmctldPort=$CTLD_PORT
SlurmdPort=$SLURMD_PORT
AuthType=auth/munge
AuthInfo=socket=$SOCK
CredType=cred/munge
SlurmUser=$(id -un)
SlurmdUser=$(id -un)
StateSaveLocation=$C/state
SlurmdSpoolDir=$C/spool
SlurmctldPidFile=$C/slurmctld.pid
SlurmdPidFile=$C/slurmd.pid
SlurmctldLogFile=$C/slurmctld.log
SlurmdLogFile=$C/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
MailProg=/bin/true
MpiDefault=none
SwitchType=switch/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SchedulerType=sched/builtin
SchedulerParameters=batch_sched_delay=0,sched_interval=1
ReturnToService=2
MinJobAge=600
KillWait=20
NodeName=localhost NodeAddr=127.0.0.1 CPUs=$NCPU RealMemory=500 State=UNKNOWN
PartitionName=debug Nodes=localhost Default=YES MaxTime=10 State=UP
EOF
slurmctld -D -f "$SLURM_CONF" >"$C/slurmctld.out.log" 2>&1 &
PIDS+=($!)
slurmd -D -N localhost -f "$SLURM_CONF" >"$C/slurmd.out.log" 2>&1 &
PIDS+=($!)
state=
for _ in $(seq 100); do
  state=$(sinfo -h -n localhost -o %T 2>/dev/null)
  [ "$state" = idle ] && break
  sleep 0.2
done
[ "$state" = idle ] || die cluster "node localhost is '${state:-unreachable}' after 20 s, not idle"
ok "slurmctld and slurmd up (pids ${PIDS[1]} ${PIDS[2]}; ports $CTLD_PORT $SLURMD_PORT; $NCPU CPUs)"

# ---------------------------------------------------------------- helpers
# Wait (at most $2 s) until job $1 has left the queue; then its state must be COMPLETED.
wait_done() {
  local id=$1 limit=$2 st
  for _ in $(seq $((limit * 5))); do
    [ -z "$(squeue -h -j "$id" 2>/dev/null)" ] && break
    sleep 0.2
  done
  [ -z "$(squeue -h -j "$id" 2>/dev/null)" ] || { echo "job $id still queued after $limit s: $(squeue -h -j "$id")"; return 1; }
  st=$(scontrol show job "$id" 2>/dev/null | grep -o 'JobState=[A-Z_]*' | sort -u | tr '\n' ' ')
  [ "$st" = "JobState=COMPLETED " ] || { echo "job $id ended as ${st:-unknown}"; return 1; }
}

# Every row of results, accuracy and infeasible of two databases, ordered, must be equal; $3 rows.
same_db() {
  python3 - "$1" "$2" "$3" <<'EOF'
import sqlite3, sys
def dump(path):
    c = sqlite3.connect("file:" + path + "?mode=ro", uri=True)
    out = {t: c.execute("SELECT * FROM %s ORDER BY 1" % t).fetchall() for t in ("results", "accuracy", "infeasible")}
    c.close()
    return out
a, b, want = dump(sys.argv[1]), dump(sys.argv[2]), int(sys.argv[3])
if len(a["results"]) != want:
    sys.exit("%s: %d result rows, expected %d" % (sys.argv[1], len(a["results"]), want))
for t in a:
    if a[t] != b[t]:
        sys.exit("table %s differs: %d rows vs %d (first differing: %.300s)" % (t, len(a[t]), len(b[t]),
                 next((str(x) for x, y in zip(a[t], b[t]) if x != y), "a missing row")))
EOF
}

# ---------------------------------------------------------------- 1. the reference
SPEC="$W/small.ini"
cat > "$SPEC" <<'EOF'
; 3 bases x 2 row counts x (tiny prefill + tiny decode) = 12 rows (as tests/test_cli_sweep.c)
[sweep]
name = slurm-small
base = iso/fp16, iso/olive, iso/mixpe-w4a8
[params]
arch.rows = 8, 16
[workload]
models = tiny
phases = prefill, decode
seq = 32
kv = 64
[accuracy]
rows = 8
tokens = 4
EOF
ROWS=12
"$MPSIM" sweep "$SPEC" --db "$W/ref.db" --jobs 1 --quiet >"$W/ref.out.log" 2>&1 || die reference "$(cat "$W/ref.out.log")"
ok "reference: single-process sweep, $ROWS rows"

# ---------------------------------------------------------------- 2. --slurm --submit
out=$("$MPSIM" sweep "$SPEC" --db "$W/out.db" --slurm --shards 4 --time 5 --partition debug --submit 2>&1) ||
  die submit "mpsim sweep --slurm --submit: $out"
echo "$out" | sed 's/^/       /'
AJ=$(sed -n 's/^submitted array job \([0-9]*\) .*/\1/p' <<<"$out")
MJ=$(sed -n 's/^submitted merge job \([0-9]*\) .*/\1/p' <<<"$out")
[ -n "$AJ" ] && [ -n "$MJ" ] || die submit "no job ids in the output"
dep=$(scontrol show job "$MJ" | grep -o 'Dependency=[^ ]*')
[ "$dep" = "Dependency=afterok:${AJ}_*(unfulfilled)" ] || [ "$dep" = "Dependency=afterok:${AJ}_*" ] ||
  [ "$dep" = "Dependency=(null)" ] || die submit "merge job $MJ: $dep, expected afterok on $AJ"
ok "submitted array job $AJ and merge job $MJ ($dep)"
why=$(wait_done "$MJ" 60) || die array-run "$why"
for i in 0 1 2 3; do
  [ -f "$W/out.slurm/shards/shard-$i-of-4.db" ] || die array-run "shard $i missing"
  ls "$W/out.slurm/logs/sweep-${AJ}_$i.out" >/dev/null 2>&1 || die array-run "log of task $i missing"
done
why=$(same_db "$W/ref.db" "$W/out.db" "$ROWS") || die array-compare "$why"
ok "4 tasks and the merge ran; merged database = reference, row for row"

# ---------------------------------------------------------------- 3. shard from SLURM_ARRAY_TASK_*
mkdir -p "$W/env" || die env-shard mkdir
wrap=$(printf '%q sweep %q --db %q/env-$SLURM_ARRAY_TASK_ID.db --jobs 1 --quiet' "$MPSIM" "$SPEC" "$W/env")
EJ=$(sbatch --parsable --array=1-3 --output="$W/env/%A_%a.out" --wrap "$wrap") || die env-shard "sbatch"
why=$(wait_done "$EJ" 60) || die env-shard "$why"
for i in 1 2 3; do
  grep -q "^shard $((i - 1))/3 from SLURM_ARRAY_TASK_ID=$i (SLURM_ARRAY_TASK_MIN=1, _COUNT=3)" "$W/env/${EJ}_$i.out" ||
    die env-shard "task $i: $(cat "$W/env/${EJ}_$i.out")"
done
"$MPSIM" merge "$W/env.db" "$W/env/env-1.db" "$W/env/env-2.db" "$W/env/env-3.db" >/dev/null || die env-shard merge
why=$(same_db "$W/ref.db" "$W/env.db" "$ROWS") || die env-shard "$why"
ok "array 1-3 without --shard: tasks ran shards 0/3..2/3; merged = reference"

# ---------------------------------------------------------------- 4. a task killed, re-run alone
out=$("$MPSIM" sweep "$SPEC" --db "$W/out2.db" --slurm --shards 4 --time 5 2>&1) || die kill-generate "$out"
AR="$W/out2.slurm/array.sh" ME="$W/out2.slurm/merge.sh"
AJ=$(sbatch --parsable --hold "$AR") || die kill-submit "sbatch --hold array.sh"
MJ=$(sbatch --parsable --dependency=afterok:"$AJ" "$ME") || die kill-submit "sbatch merge.sh"
scancel "${AJ}_2" || die kill-cancel "scancel ${AJ}_2"
scontrol release "$AJ" || die kill-release "scontrol release $AJ"
reason=
for _ in $(seq 300); do
  reason=$(squeue -h -j "$MJ" -o '%T %r' 2>/dev/null)
  [ -z "$(squeue -h -j "$AJ" 2>/dev/null)" ] && [ "$reason" = "PENDING DependencyNeverSatisfied" ] && break
  sleep 0.2
done
[ "$reason" = "PENDING DependencyNeverSatisfied" ] ||
  die kill-merge-waits "merge job $MJ: '${reason:-gone}', expected it pending on DependencyNeverSatisfied"
# a pending element cancelled leaves no job record: that it never ran shows in its missing log
[ ! -e "$W/out2.slurm/logs/sweep-${AJ}_2.out" ] || die kill-cancel "task 2 ran: $(cat "$W/out2.slurm/logs/sweep-${AJ}_2.out")"
for i in 0 1 3; do
  [ -f "$W/out2.slurm/shards/shard-$i-of-4.db" ] && [ -f "$W/out2.slurm/logs/sweep-${AJ}_$i.out" ] ||
    die kill-others "task $i: no shard or no log"
done
[ ! -e "$W/out2.slurm/shards/shard-2-of-4.db" ] || die kill-others "shard 2 exists though task 2 was cancelled"
[ ! -e "$W/out2.db" ] || die kill-merge-waits "out2.db exists before every shard is done"
ok "task 2 cancelled: tasks 0, 1, 3 done, merge job $MJ never runs (DependencyNeverSatisfied)"
msg=$(bash "$ME" 2>&1); rc=$?
[ $rc -eq 1 ] && grep -q "1 of 4 shards not finished (tasks 2): nothing merged" <<<"$msg" && [ ! -e "$W/out2.db" ] ||
  die kill-merge-refuses "merge.sh with shard 2 missing: exit $rc: $msg"
ok "merge.sh by hand refuses: $(head -n 1 <<<"$msg")"
scancel "$MJ"
RJ=$(sbatch --parsable --array=2 "$AR") || die rerun "sbatch --array=2"
MJ=$(sbatch --parsable --dependency=afterok:"$RJ" "$ME") || die rerun "sbatch merge.sh"
why=$(wait_done "$MJ" 60) || die rerun "$why"
why=$(same_db "$W/ref.db" "$W/out2.db" "$ROWS") || die rerun-compare "$why"
ok "task 2 re-run alone (job $RJ), merge job $MJ: merged database = reference"

# ---------------------------------------------------------------- 5. a running task killed midway
# A slower spec (64 rows, 32 per shard): task 0 is cancelled while it runs (Slurm's SIGTERM to every
# process of the task); it keeps its committed rows in shard-0-of-2.partial.db and the re-run goes on
# from there; the shard then equals the single-process run of shard 0/2.
KSPEC="$W/kill.ini"
cat > "$KSPEC" <<'SPEC'
[sweep]
name = slurm-kill
base = iso/fp16, iso/olive
[params]
arch.rows = 8..64 +8
arch.cols = 8..32 +8
[workload]
models = opt-1.3b
phases = decode
kv = 256
[accuracy]
rows = 8
tokens = 4
SPEC
rows_of() {
  python3 -c 'import sqlite3, sys
print(sqlite3.connect("file:" + sys.argv[1] + "?mode=ro", uri=True).execute("SELECT count(*) FROM results").fetchone()[0])' "$1" 2>/dev/null
}
"$MPSIM" sweep "$KSPEC" --db "$W/kref.db" --shard 0/2 --jobs 1 --quiet >"$W/kref.out.log" 2>&1 ||
  die preempt-reference "$(cat "$W/kref.out.log")"
out=$("$MPSIM" sweep "$KSPEC" --db "$W/kill.db" --slurm --shards 2 2>&1) || die preempt-generate "$out"
AR="$W/kill.slurm/array.sh"
KJ=$(sbatch --parsable --array=0 "$AR") || die preempt-submit "sbatch --array=0"
n=0
for _ in $(seq 600); do
  db=$(ls "$W"/nodetmp/mpsim-shard-0-*/shard.db 2>/dev/null | head -n 1)
  if [ -n "$db" ]; then
    n=$(rows_of "$db") || n=0
    [ "$n" -ge 3 ] && break
  fi
  [ -n "$(squeue -h -j "$KJ" 2>/dev/null)" ] || die preempt-kill "task 0 ended before it could be killed"
  sleep 0.1
done
[ "$n" -ge 3 ] || die preempt-kill "task 0 did not reach 3 rows in 60 s"
scancel "$KJ" || die preempt-kill "scancel $KJ"
for _ in $(seq 150); do [ -z "$(squeue -h -j "$KJ" 2>/dev/null)" ] && break; sleep 0.2; done
st=$(scontrol show job "$KJ" 2>/dev/null | grep -o 'JobState=[A-Z]*')
[ "$st" = JobState=CANCELLED ] || die preempt-kill "task 0 is ${st:-unknown}, not CANCELLED"
PART="$W/kill.slurm/shards/shard-0-of-2.partial.db"
kept=$(rows_of "$PART") || die preempt-partial "no $PART: $(cat "$W/kill.slurm/logs/sweep-${KJ}_0.out")"
[ "$kept" -ge "$n" ] && [ "$kept" -lt 32 ] || die preempt-partial "$kept rows kept (had $n when killed, of 32)"
[ ! -e "$W/kill.slurm/shards/shard-0-of-2.db" ] || die preempt-partial "the shard was published though killed"
ok "task 0 cancelled while running (job $KJ): $kept of 32 rows kept in shard-0-of-2.partial.db"
RJ=$(sbatch --parsable --array=0 "$AR") || die preempt-rerun "sbatch --array=0"
why=$(wait_done "$RJ" 90) || die preempt-rerun "$why"
grep -q "^  $kept already in" "$W/kill.slurm/logs/sweep-${RJ}_0.out" ||
  die preempt-rerun "the re-run did not start from the $kept kept rows: $(cat "$W/kill.slurm/logs/sweep-${RJ}_0.out")"
[ ! -e "$PART" ] || die preempt-rerun "partial file left after the shard was published"
why=$(same_db "$W/kref.db" "$W/kill.slurm/shards/shard-0-of-2.db" 32) || die preempt-compare "$why"
ok "task 0 re-run (job $RJ) went on from the $kept kept rows; shard 0 = single-process shard 0/2, row for row"
