#!/usr/bin/env bash
# Issue #13's TLS benchmark: new TLS connections per second and 50-connection messages per
# second over TLS, in one run, for
#   smtpkit with the JDK's TLS (JSSE), smtpkit with Conscrypt (BoringSSL), SubEthaSMTP with
#   STARTTLS, and Postfix's C smtp-sink behind stunnel4 (OpenSSL: the limit to aim at).
# stunnel terminates implicit TLS only, so the OpenSSL limit is measured on implicit TLS and
# smtpkit is measured both ways; SubEthaSMTP offers STARTTLS only.
# The load driver (../loaddriver/LoadDriver.java, JSSE client, full handshakes, RSA 2048) runs
# on the same two cores, so besides the rates the script prints each server's CPU time per
# connection or message (utime+stime from /proc, stunnel and smtp-sink together), which the
# client's share does not blur. Ratios, not absolute figures: see ../loaddriver/README.md.
# Needs postfix (smtp-sink) and stunnel4 (apt-get install postfix stunnel4), and the classes:
#   (cd ../.. && mvn -B -q package -DskipTests -pl smtp-protocol,smtp-server)
# Env: ROUNDS (2), HANDSHAKES (3000), MESSAGES (20000), THREADS (8, for the handshake runs).
set -euo pipefail
cd "$(dirname "$0")"
ROOT=../..
ROUNDS=${ROUNDS:-2}
HANDSHAKES=${HANDSHAKES:-3000}
MESSAGES=${MESSAGES:-20000}
THREADS=${THREADS:-8}
m2=~/.m2/repository
jar() { # group artifact version [classifier]: the jar's path, fetched from Maven Central when missing
  local g=$1 a=$2 v=$3 path
  path=$m2/${g//.//}/$a/$v/$a-$v.jar
  [ -f "$path" ] || mvn -B -q dependency:get -Dartifact="$g:$a:$v" -Dtransitive=false >/dev/null
  echo "$path"
}
SLF4J=$(jar org.slf4j slf4j-api 2.0.17)
SMTPKIT=$ROOT/smtp-server/target/classes:$ROOT/smtp-protocol/target/classes:$SLF4J
CONSCRYPT=$(jar org.conscrypt conscrypt-openjdk-uber 2.5.2)
SUBETHA=$(jar com.github.davidmoten subethasmtp 7.1.7):$(jar com.github.davidmoten guava-mini 0.1.7):$(jar jakarta.mail jakarta.mail-api 2.1.3):$(jar org.eclipse.angus angus-mail 2.0.3):$(jar jakarta.activation jakarta.activation-api 2.1.3):$(jar org.eclipse.angus angus-activation 2.0.2)
[ -d $ROOT/smtp-server/target/classes ] || { echo "build the classes first (see the header)" >&2; exit 1; }

TMP=$(mktemp -d)
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$TMP"; }
trap cleanup EXIT
ulimit -n 20000
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$TMP/key.pem" -out "$TMP/cert.pem" -days 2 \
  -subj /CN=bench.invalid >/dev/null 2>&1

# STARTTLS / implicit ports per server
JSSE_S=2525 JSSE_I=2465 CONS_S=2535 CONS_I=2475 SUBETHA_S=2545 SINK=2526 STUNNEL_I=2466
java -Xmx256m -cp "$SMTPKIT" TlsBenchServer.java $JSSE_S $JSSE_I "$TMP/cert.pem" "$TMP/key.pem" jsse >"$TMP/jsse.log" 2>&1 &
JSSE=$!; PIDS+=($JSSE)
java -Xmx256m -cp "$SMTPKIT:$CONSCRYPT" TlsBenchServer.java $CONS_S $CONS_I "$TMP/cert.pem" "$TMP/key.pem" conscrypt >"$TMP/conscrypt.log" 2>&1 &
CONS=$!; PIDS+=($CONS)
java -Xmx256m -cp "$SMTPKIT:$SUBETHA" SubethaTlsServer.java $SUBETHA_S "$TMP/cert.pem" "$TMP/key.pem" >"$TMP/subetha.log" 2>&1 &
SUBETHA_PID=$!; PIDS+=($SUBETHA_PID)
/usr/sbin/smtp-sink -u nobody -m 4096 127.0.0.1:$SINK 1024 &
SINK_PID=$!; PIDS+=($SINK_PID)
cat >"$TMP/stunnel.conf" <<CONF
foreground = yes
pid = $TMP/stunnel.pid
debug = err
socket = l:TCP_NODELAY=1
socket = r:TCP_NODELAY=1
[smtps]
accept = 127.0.0.1:$STUNNEL_I
connect = 127.0.0.1:$SINK
cert = $TMP/cert.pem
key = $TMP/key.pem
CONF
stunnel4 "$TMP/stunnel.conf" >"$TMP/stunnel.log" 2>&1 &
STUNNEL=$!; PIDS+=($STUNNEL)
for p in $JSSE_S $JSSE_I $CONS_S $CONS_I $SUBETHA_S $SINK $STUNNEL_I; do
  for _ in $(seq 1 200); do (exec 3<>/dev/tcp/127.0.0.1/$p) 2>/dev/null && break; sleep 0.1; done
done

ticks() { # total utime+stime of the given pids (and their threads), in clock ticks
  local t=0 p
  for p in "$@"; do t=$((t + $(awk '{print $14 + $15}' /proc/"$p"/stat))); done
  echo $t
}
HZ=$(getconf CLK_TCK)
drive() { # label count pids... -- driver args: prints the rate and the server's CPU ms per unit
  local label=$1 count=$2; shift 2
  local pids=()
  while [ "$1" != -- ]; do pids+=("$1"); shift; done; shift
  local before after out
  before=$(ticks "${pids[@]}")
  out=$(timeout 300 java ../loaddriver/LoadDriver.java --timeout 240 "$@" 2>&1 | tail -1)
  after=$(ticks "${pids[@]}")
  printf '%-34s %s | server CPU %.3f ms each\n' "$label" "${out#*: }" \
    "$(echo "($after - $before) * 1000 / $HZ / $count" | bc -l)"
}

# label, port, --tls or --starttls, the server's pids
SERVERS=(
  "implicit  smtp-sink+stunnel|$STUNNEL_I|--tls|$SINK_PID $STUNNEL"
  "implicit  smtpkit JSSE|$JSSE_I|--tls|$JSSE"
  "implicit  smtpkit Conscrypt|$CONS_I|--tls|$CONS"
  "STARTTLS  smtpkit JSSE|$JSSE_S|--starttls|$JSSE"
  "STARTTLS  smtpkit Conscrypt|$CONS_S|--starttls|$CONS"
  "STARTTLS  SubEthaSMTP|$SUBETHA_S|--starttls|$SUBETHA_PID"
)
each() { # handshakes|messages count
  local kind=$1 count=$2 line label port mode pids
  for line in "${SERVERS[@]}"; do
    IFS='|' read -r label port mode pids <<<"$line"
    # shellcheck disable=SC2086 # pids is a list
    if [ "$kind" = handshakes ]; then
      drive "$label" "$count" $pids -- --port "$port" "$mode" --handshakes "$count" -c "$THREADS"
    else
      drive "$label" "$count" $pids -- --port "$port" "$mode" -c 50 -m "$count" -l 1024
    fi
  done
}
echo "# warm-up"
each handshakes 1000 >/dev/null
each messages 5000 >/dev/null
for round in $(seq 1 "$ROUNDS"); do
  echo "# round $round: new TLS connections ($HANDSHAKES, $THREADS threads; greeting, EHLO, TLS, QUIT)"
  each handshakes "$HANDSHAKES"
  echo "# round $round: $MESSAGES messages of 1 KiB over 50 TLS connections"
  each messages "$MESSAGES"
done
