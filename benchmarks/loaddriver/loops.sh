#!/usr/bin/env bash
# smtpkit's sink with --loops 1 against --loops 2 (issue #13), each driven by Postfix's
# smtp-source in the same run, servers taking turns so that machine noise hits both alike.
# Needs: apt-get install postfix (smtp-source), classes built as for run.sh.
set -euo pipefail
cd "$(dirname "$0")"
ROOT=../..
SLF4J=$(ls ~/.m2/repository/org/slf4j/slf4j-api/2.0.17/slf4j-api-2.0.17.jar)
CP=$ROOT/smtp-server/target/classes:$ROOT/smtp-protocol/target/classes:$SLF4J
ROUNDS=${ROUNDS:-3}
MESSAGES=${MESSAGES:-20000}
ulimit -n 20000
java -Xmx256m -cp "$CP" BenchServer.java 2531 20000 1 2>/dev/null &
ONE=$!
java -Xmx256m -cp "$CP" BenchServer.java 2532 20000 2 2>/dev/null &
TWO=$!
trap 'kill $ONE $TWO 2>/dev/null || true' EXIT
for p in 2531 2532; do
  for i in $(seq 1 100); do (exec 3<>/dev/tcp/127.0.0.1/$p) 2>/dev/null && break; sleep 0.1; done
done
run() { # name port args...
  local name=$1 port=$2; shift 2
  local t0=$(date +%s.%N)
  timeout 120 /usr/sbin/smtp-source -M localhost "$@" 127.0.0.1:$port
  local t1=$(date +%s.%N)
  echo "$name: smtp-source $* -> $(echo "$t1 - $t0" | bc) s"
}
# warm-up (JIT), both servers
for p in 2531 2532; do timeout 60 /usr/sbin/smtp-source -M localhost -d -s 10 -m 20000 -l 1024 127.0.0.1:$p; done
for round in $(seq 1 "$ROUNDS"); do
  run "loops 1" 2531 -d -s 50 -m "$MESSAGES" -l 1024
  run "loops 2" 2532 -d -s 50 -m "$MESSAGES" -l 1024
done
