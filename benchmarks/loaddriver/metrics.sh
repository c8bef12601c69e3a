#!/usr/bin/env bash
# What the server's meters cost (issue #13): smtpkit's sink without a meter registry against
# the same with a Prometheus registry (MeteredBenchServer.java), both driven by Postfix's
# smtp-source (-d -s 50 -l 1024) in turns, so that machine noise hits both alike. Reports wall
# time and the server's CPU ticks (utime + stime from /proc/PID/stat) per round: on a shared
# machine CPU time is the steadier figure.
# Needs: apt-get install postfix (smtp-source), classes built as for run.sh.
set -euo pipefail
cd "$(dirname "$0")"
ROOT=../..
M2=~/.m2/repository
SLF4J=$M2/org/slf4j/slf4j-api/2.0.17/slf4j-api-2.0.17.jar
CP=$ROOT/smtp-server/target/classes:$ROOT/smtp-protocol/target/classes:$SLF4J
MV=1.17.2
PV=1.7.0
MCP=$CP
for j in micrometer/micrometer-core micrometer/micrometer-commons micrometer/micrometer-observation \
    micrometer/micrometer-registry-prometheus; do
  MCP=$MCP:$M2/io/$j/$MV/$(basename $j)-$MV.jar
done
for j in prometheus-metrics-core prometheus-metrics-model prometheus-metrics-config \
    prometheus-metrics-tracer-common prometheus-metrics-exposition-textformats; do
  MCP=$MCP:$M2/io/prometheus/$j/$PV/$j-$PV.jar
done
MCP=$MCP:$M2/org/hdrhistogram/HdrHistogram/2.2.2/HdrHistogram-2.2.2.jar
ROUNDS=${ROUNDS:-4}
MESSAGES=${MESSAGES:-20000}
LOOPS=${LOOPS:-2}
ulimit -n 20000
java -Xmx256m -cp "$CP" BenchServer.java 2541 20000 "$LOOPS" 2>/dev/null &
PLAIN=$!
java -Xmx256m -cp "$MCP" MeteredBenchServer.java 2542 20000 "$LOOPS" 2>/dev/null &
METERED=$!
trap 'kill $PLAIN $METERED 2>/dev/null || true' EXIT
for p in 2541 2542; do
  for i in $(seq 1 200); do (exec 3<>/dev/tcp/127.0.0.1/$p) 2>/dev/null && break; sleep 0.1; done
done
ticks() { awk '{print $14 + $15}' /proc/$1/stat; }
run() { # name pid port
  local name=$1 pid=$2 port=$3
  local c0=$(ticks $pid) t0=$(date +%s.%N)
  timeout 120 /usr/sbin/smtp-source -M localhost -d -s 50 -m "$MESSAGES" -l 1024 127.0.0.1:$port
  local t1=$(date +%s.%N) c1=$(ticks $pid)
  echo "$name: $(echo "$t1 - $t0" | bc) s, $((c1 - c0)) ticks"
}
# warm-up (JIT), both servers
for p in 2541 2542; do timeout 60 /usr/sbin/smtp-source -M localhost -d -s 10 -m 20000 -l 1024 127.0.0.1:$p; done
for round in $(seq 1 "$ROUNDS"); do
  run "no registry" $PLAIN 2541
  run "registry   " $METERED 2542
done
