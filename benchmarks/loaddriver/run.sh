#!/usr/bin/env bash
# Loopback benchmark of the smtpkit server with the sink handler. Needs classes built:
#   (cd ../.. && mvn -B -q package -DskipTests -pl smtp-protocol,smtp-server)
# Usage: ./run.sh [port]    — everything bounded: each driver run stops after 120 s.
set -euo pipefail
cd "$(dirname "$0")"
PORT=${1:-2525}
ROOT=../..
SLF4J=$(ls ~/.m2/repository/org/slf4j/slf4j-api/2.0.17/slf4j-api-2.0.17.jar)
CP=$ROOT/smtp-server/target/classes:$ROOT/smtp-protocol/target/classes:$SLF4J
ulimit -n 20000
java -Xmx256m -Xss512k -cp "$CP" BenchServer.java "$PORT" 20000 &
SERVER=$!
trap 'kill $SERVER 2>/dev/null || true' EXIT
for i in $(seq 1 100); do (exec 3<>/dev/tcp/127.0.0.1/$PORT) 2>/dev/null && break; sleep 0.1; done
java LoadDriver.java --port "$PORT" -c 1 -m 5000 -l 1024 >/dev/null   # warm-up
java LoadDriver.java --port "$PORT" -c 1 -m 20000 -l 1024
java LoadDriver.java --port "$PORT" -c 50 -m 100000 -l 1024
java LoadDriver.java --port "$PORT" -c 50 -m 100000 -l 1024 --pipeline
java LoadDriver.java --port "$PORT" -c 1 -m 30 -l 10485760
java LoadDriver.java --port "$PORT" -c 4 -m 60 -l 10485760
# 10 000 idle connections: heap after a full GC, and the resident set of the server process.
java -Xss256k LoadDriver.java --port "$PORT" --idle 10000 --hold 25 &
DRIVER=$!
sleep 18
jcmd $SERVER GC.run >/dev/null
sleep 1
echo "server with 10000 idle connections: $(jcmd $SERVER GC.heap_info | grep -E 'garbage-first heap|total' | head -1 | sed 's/^ *//')"
grep -E 'VmRSS' /proc/$SERVER/status
wait $DRIVER
