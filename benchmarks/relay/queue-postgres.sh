#!/usr/bin/env bash
# Queue-mode relay throughput on PostgreSQL, end to end: smtp-source -> smtpkit relay node(s) with
# -o queue=postgresql://... -> one smtp-sink; one node, then two nodes sharing the database (each
# taking half the clients and half the messages). The clock stops when the sink has them all.
# Needs the jar (mvn -B -q -o -DskipTests package), Debian's postfix (smtp-source, smtp-sink) and
# postgresql; starts the cluster with scripts/postgres-test-db.sh (and stops it after, if it was down).
# Usage: benchmarks/relay/queue-postgres.sh [MESSAGES] [ROUNDS]   (defaults 5000 and 1)
set -euo pipefail
cd "$(dirname "$0")/../.."
N=${1:-5000}
ROUNDS=${2:-1}
JAR=smtp-cli/target/smtpkit.jar
[ -f "$JAR" ] || { echo "build $JAR first: mvn -B -q -o -DskipTests package" >&2; exit 1; }

WORK=$(mktemp -d /tmp/pgqueuebench.XXXXXX)
PIDS=()
was_down=$(pg_lsclusters -h | awk '$2 == "main" && $4 == "down" { print "yes" }' | head -n 1)
URL=$(bash scripts/postgres-test-db.sh start)
SCHEMA=bench_$$
psql_db() { psql "postgresql://smtpkit:smtpkit@127.0.0.1:5432/smtpkit_test" -q -v ON_ERROR_STOP=1 "$@"; }
cleanup() {
  set +e
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
  psql_db -c "DROP SCHEMA IF EXISTS $SCHEMA CASCADE" >/dev/null 2>&1
  [ "$was_down" = yes ] && bash scripts/postgres-test-db.sh stop
  if [ -n "${KEEP:-}" ]; then echo "kept $WORK" >&2; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() {
  local p
  while :; do p=$((20000 + RANDOM % 40000)); ss -Htln "sport = :$p" | grep -q . || { echo "$p"; return; }; done
}
wait_listening() {
  for _ in $(seq 1 600); do (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return; sleep 0.1; done
  echo "nothing listens on 127.0.0.1:$1" >&2; exit 1
}
sunk() { tail -c 200 "$WORK/sink.count" | tr '\r' '\n' | sed -n 's/.*mesg=\([0-9]*\)$/\1/p' | tail -n 1; }
now() { date +%s.%N; }

ulimit -n "$(ulimit -Hn)"
SINK=$(free_port)
/usr/sbin/smtp-sink -c -u nobody -m 1024 "127.0.0.1:$SINK" 1024 > "$WORK/sink.count" 2>"$WORK/sink.err" &
PIDS+=($!)
wait_listening "$SINK"

psql_db -c "CREATE SCHEMA $SCHEMA"
QURL="$URL&currentSchema=$SCHEMA"
start_node() { # port
  java -jar "$JAR" -c relay "127.0.0.1:$1" "127.0.0.1:$SINK" -o "queue=$QURL" -o queue-workers=25 \
    --max-connection-rate 0 --max-connections-per-client 0 -q > "$WORK/node-$1.log" 2>&1 &
  PIDS+=($!)
  wait_listening "$1"
}

# run LABEL N PORT... : N messages of 1 KiB from 50 clients split evenly over the ports
run() {
  local label=$1 n=$2; shift 2
  local ports=("$@") k=${#ports[@]} base target t0 t_end
  base=$(sunk); base=${base:-0}; target=$((base + n))
  t0=$(now)
  local srcs=()
  for p in "${ports[@]}"; do
    timeout 600 /usr/sbin/smtp-source -f source@example.org -t sink@example.net -d -s $((50 / k)) -m $((n / k)) -l 1024 \
      "127.0.0.1:$p" > "$WORK/source-$p.out" 2>&1 &
    srcs+=($!)
  done
  local deadline=$(( $(date +%s) + 900 ))
  while :; do
    local c; c=$(sunk); c=${c:-0}
    [ "$c" -ge "$target" ] && { t_end=$(now); break; }
    [ "$(date +%s)" -gt "$deadline" ] && { echo "$label: timed out at $((c - base))/$n in the sink" >&2; exit 1; }
    sleep 0.02
  done
  for s in "${srcs[@]}"; do wait "$s" || { echo "$label: smtp-source failed" >&2; cat "$WORK"/source-*.out >&2; exit 1; }; done
  local e2e; e2e=$(echo "$t_end - $t0" | bc -l)
  printf '%-8s %6d x 1 KiB, 50 clients: in sink %7.2f s (%8.1f msg/s)\n' "$label" "$n" "$e2e" "$(echo "$n / $e2e" | bc -l)"
}

P1=$(free_port); start_node "$P1"
echo "smtp-sink 127.0.0.1:$SINK; node 1 127.0.0.1:$P1; queue $(echo "$QURL" | sed 's/password=[^&]*/password=***/')"
run warm-up 1000 "$P1" > /dev/null
for r in $(seq 1 "$ROUNDS"); do run "1 node" "$N" "$P1"; done
P2=$(free_port); start_node "$P2"
run warm-up 1000 "$P2" > /dev/null
for r in $(seq 1 "$ROUNDS"); do run "2 nodes" "$N" "$P1" "$P2"; done
