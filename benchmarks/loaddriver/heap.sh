#!/usr/bin/env bash
# Issue #13's small heap: the same sink server with the JVM's default heap (a quarter of RAM),
# with -Xmx64m, and with the container flags README.md recommends, driven in turns by Postfix's
# smtp-source (1 KiB, 50 connections) in one run; then 10 000 idle connections against the two
# small ones. Prints msgs/s, each small heap's rate over the default's, the resident set after
# the load, and whether all 10 000 idle connections were greeted.
# Needs postfix (smtp-source) and the classes:
#   (cd ../.. && mvn -B -q package -DskipTests -pl smtp-protocol,smtp-server)
# Env: ROUNDS (3), MESSAGES (20000).
set -euo pipefail
cd "$(dirname "$0")"
ROOT=../..
ROUNDS=${ROUNDS:-3}
MESSAGES=${MESSAGES:-20000}
SLF4J=$(ls ~/.m2/repository/org/slf4j/slf4j-api/2.0.17/slf4j-api-2.0.17.jar)
CP=$ROOT/smtp-server/target/classes:$ROOT/smtp-protocol/target/classes:$SLF4J
# What README.md recommends for a container: a fixed small heap, the serial collector (no GC
# threads or regions to pay for on one or two cores), bounded metaspace, code cache and direct
# buffers, smaller thread stacks.
CONTAINER="-Xmx64m -XX:+UseSerialGC -XX:MaxMetaspaceSize=64m -XX:ReservedCodeCacheSize=48m -XX:MaxDirectMemorySize=32m -Xss512k"
ulimit -n 20000
declare -A PORT=([default]=2525 [xmx64m]=2527 [container]=2529) PID=()
NAMES=(default xmx64m container)
java -cp "$CP" BenchServer.java ${PORT[default]} 20000 >/dev/null 2>&1 &
PID[default]=$!
java -Xmx64m -cp "$CP" BenchServer.java ${PORT[xmx64m]} 20000 >/dev/null 2>&1 &
PID[xmx64m]=$!
# shellcheck disable=SC2086 # CONTAINER is a list of flags
java $CONTAINER -cp "$CP" BenchServer.java ${PORT[container]} 20000 >/dev/null 2>&1 &
PID[container]=$!
trap 'kill ${PID[*]} 2>/dev/null || true' EXIT
for n in "${NAMES[@]}"; do
  for _ in $(seq 1 300); do (exec 3<>/dev/tcp/127.0.0.1/${PORT[$n]}) 2>/dev/null && break; sleep 0.1; done
done
rss() { awk '/VmRSS/ {printf "%.0f MiB", $2 / 1024}' /proc/"$1"/status; }
rate() { # port: msgs/s of one smtp-source run
  local t0 t1
  t0=$(date +%s.%N)
  timeout 180 /usr/sbin/smtp-source -M localhost -d -s 50 -m "$MESSAGES" -l 1024 127.0.0.1:"$1"
  t1=$(date +%s.%N)
  echo "$MESSAGES / ($t1 - $t0)" | bc -l
}
for n in "${NAMES[@]}"; do timeout 120 /usr/sbin/smtp-source -M localhost -d -s 10 -m 20000 -l 1024 127.0.0.1:${PORT[$n]}; done
declare -A SUM=()
for round in $(seq 1 "$ROUNDS"); do
  line="round $round:"
  for n in "${NAMES[@]}"; do
    r=$(rate ${PORT[$n]})
    SUM[$n]=$(echo "${SUM[$n]:-0} + $r" | bc -l)
    line="$line $n $(printf '%.0f' "$r") msgs/s,"
  done
  echo "${line%,}"
done
for n in "${NAMES[@]}"; do
  printf '%-9s mean %6.0f msgs/s  ratio to default %.2f  RSS after the load %s\n' "$n" \
    "$(echo "${SUM[$n]} / $ROUNDS" | bc -l)" "$(echo "${SUM[$n]} / ${SUM[default]}" | bc -l)" "$(rss ${PID[$n]})"
done
for n in xmx64m container; do
  java -Xss256k LoadDriver.java --port ${PORT[$n]} --idle 10000 --hold 20 --timeout 100 >/tmp/heap-idle.$$ 2>&1 &
  DRIVER=$!
  for _ in $(seq 1 90); do grep -q holding /tmp/heap-idle.$$ 2>/dev/null && break; sleep 1; done
  jcmd ${PID[$n]} GC.run >/dev/null 2>&1 || true
  sleep 1
  # G1 prints one line for the heap, the serial collector one per generation: add them up.
  used=$(jcmd ${PID[$n]} GC.heap_info 2>/dev/null | grep -E 'generation|garbage-first heap' \
    | grep -oE 'used [0-9]+K' | awk '{s += $2} END {printf "%.1f MiB", s / 1024}')
  echo "$n, 10000 idle: $(grep -h 'idle:' /tmp/heap-idle.$$ | head -1); heap used $used after a full GC, RSS $(rss ${PID[$n]})"
  kill $DRIVER 2>/dev/null || true; wait $DRIVER 2>/dev/null || true
  rm -f /tmp/heap-idle.$$
done
