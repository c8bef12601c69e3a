#!/usr/bin/env bash
# smtpkit (sink handler) against Postfix's smtp-sink, both driven by Postfix's smtp-source in
# the same run (TOOLS.md: on a shared 2-core machine compare ratios, not absolute numbers).
# Needs: apt-get install postfix (see /work/shared/TOOLS.md), classes built as for run.sh.
set -euo pipefail
cd "$(dirname "$0")"
ROOT=../..
SLF4J=$(ls ~/.m2/repository/org/slf4j/slf4j-api/2.0.17/slf4j-api-2.0.17.jar)
CP=$ROOT/smtp-server/target/classes:$ROOT/smtp-protocol/target/classes:$SLF4J
ulimit -n 20000
java -Xmx256m -cp "$CP" BenchServer.java 2525 20000 2>/dev/null &
OURS=$!
/usr/sbin/smtp-sink -u nobody -m 4096 127.0.0.1:2526 1024 &
SINK=$!
trap 'kill $OURS $SINK 2>/dev/null || true' EXIT
for p in 2525 2526; do
  for i in $(seq 1 100); do (exec 3<>/dev/tcp/127.0.0.1/$p) 2>/dev/null && break; sleep 0.1; done
done
run() { # name port args...
  local name=$1 port=$2; shift 2
  local t0=$(date +%s.%N)
  timeout 120 /usr/sbin/smtp-source -M localhost "$@" 127.0.0.1:$port
  local t1=$(date +%s.%N)
  echo "$name: smtp-source $* -> $(echo "$t1 - $t0" | bc) s"
}
# warm-up (JIT)
timeout 60 /usr/sbin/smtp-source -M localhost -d -s 10 -m 20000 -l 1024 127.0.0.1:2525
for round in 1 2; do
  run "smtp-sink" 2526 -d -s 50 -m 20000 -l 1024
  run "smtpkit  " 2525 -d -s 50 -m 20000 -l 1024
  run "smtp-sink" 2526 -d -s 1 -m 5000 -l 1024
  run "smtpkit  " 2525 -d -s 1 -m 5000 -l 1024
  run "smtp-sink" 2526 -s 50 -m 10000 -l 1024
  run "smtpkit  " 2525 -s 50 -m 10000 -l 1024
done
