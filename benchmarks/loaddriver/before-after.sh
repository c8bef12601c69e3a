#!/usr/bin/env bash
# smtpkit at an older commit, smtpkit as checked out, and Postfix's smtp-sink, driven in turns by
# smtp-source in one run (issue #13's "nothing got slower"): ./before-after.sh REV
# Builds REV's smtp-protocol and smtp-server in a temporary git worktree (BenchServer.java is
# this directory's, so both sides get the same server set-up: the sink, no per-client limits).
# Needs postfix (smtp-source, smtp-sink) and this checkout's classes:
#   (cd ../.. && mvn -B -q package -DskipTests -pl smtp-protocol,smtp-server)
# Env: ROUNDS (3). Prints seconds per run and each smtpkit's rate over smtp-sink's.
set -euo pipefail
cd "$(dirname "$0")"
REV=${1:?usage: before-after.sh REV}
ROUNDS=${ROUNDS:-3}
ROOT=$(cd ../.. && pwd)
SLF4J=$(ls ~/.m2/repository/org/slf4j/slf4j-api/2.0.17/slf4j-api-2.0.17.jar)
OLD=$(mktemp -d)
PIDS=()
cleanup() {
  kill "${PIDS[@]}" 2>/dev/null || true
  git -C "$ROOT" worktree remove --force "$OLD/src" >/dev/null 2>&1 || true
  rm -rf "$OLD"
}
trap cleanup EXIT
git -C "$ROOT" worktree add -q --detach "$OLD/src" "$REV"
(cd "$OLD/src" && mvn -B -q -o package -DskipTests -pl smtp-protocol,smtp-server >/dev/null)
classes() { echo "$1/smtp-server/target/classes:$1/smtp-protocol/target/classes:$SLF4J"; }
ulimit -n 20000
java -Xmx256m -cp "$(classes "$OLD/src")" BenchServer.java 2535 20000 >/dev/null 2>&1 &
PIDS+=($!)
java -Xmx256m -cp "$(classes "$ROOT")" BenchServer.java 2525 20000 >/dev/null 2>&1 &
PIDS+=($!)
/usr/sbin/smtp-sink -u nobody -m 4096 127.0.0.1:2526 1024 &
PIDS+=($!)
for p in 2525 2526 2535; do
  for _ in $(seq 1 300); do (exec 3<>/dev/tcp/127.0.0.1/$p) 2>/dev/null && break; sleep 0.1; done
done
seconds() { # port args...
  local port=$1 t0 t1; shift
  t0=$(date +%s.%N)
  timeout 180 /usr/sbin/smtp-source -M localhost "$@" 127.0.0.1:"$port"
  t1=$(date +%s.%N)
  echo "$t1 - $t0" | bc -l
}
for p in 2525 2535; do timeout 60 /usr/sbin/smtp-source -M localhost -d -s 10 -m 20000 -l 1024 127.0.0.1:$p; done
LOADS=("-d -s 50 -m 20000 -l 1024" "-d -s 1 -m 5000 -l 1024" "-s 50 -m 10000 -l 1024")
for round in $(seq 1 "$ROUNDS"); do
  for load in "${LOADS[@]}"; do
    # shellcheck disable=SC2086 # load is a list of smtp-source arguments
    sink=$(seconds 2526 $load); before=$(seconds 2535 $load); after=$(seconds 2525 $load)
    printf 'round %s  smtp-source %-24s smtp-sink %5.2f s  %s %5.2f s (%.2fx)  now %5.2f s (%.2fx)\n' \
      "$round" "$load" "$sink" "${REV:0:7}" "$before" "$(echo "$sink / $before" | bc -l)" \
      "$after" "$(echo "$sink / $after" | bc -l)"
  done
done
