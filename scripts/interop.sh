#!/usr/bin/env bash
# Interop: the built smtpkit command against mail tools nobody here wrote (issue #4).
#
#   bash scripts/interop.sh
#
# Needs smtp-cli/target/smtpkit.jar (mvn -B -DskipTests package; .ci/run builds it with
# `mvn -B verify`). Installs swaks, Postfix's smtp-source, python3 and openssl from Debian
# packages when missing (root; see scripts/install-tools.sh), starts the jar on free ports of 127.0.0.1 and
# checks: swaks plain, PIPELINING, STARTTLS, AUTH PLAIN/LOGIN, implicit TLS; Python smtplib
# send_message, STARTTLS + login and SMTPUTF8; smtplib.LMTP against --lmtp, and --lmtp refused
# on port 25; a 1000-message smtp-source burst into a Maildir; the relay (swaks → relay →
# smtp-sink, its policy from 127.0.0.2; swaks → relay → aiosmtpd with STARTTLS required and AUTH);
# TLS by Conscrypt, with stunnel4 as OpenSSL's client; HAProxy (send-proxy-v2, round robin) in front
# of two --proxy-protocol nodes, clients from 127.0.0.9;
# the burst counted at --metrics' /metrics; examples/plugin-example built with Maven (scripts/plugin-example.sh); examples/spring-boot built
# and its smtp-testkit tests run (scripts/spring-boot-example.sh).
# Prints PASS/FAIL per check and ends with exactly "N passed, M failed"; exits 1 if M > 0.
# Every server it starts is stopped on exit; every client runs under a timeout.
set -uo pipefail
cd "$(dirname "$0")/.."

JAR=smtp-cli/target/smtpkit.jar
BURST=1000
CLIENT_TIMEOUT=60

passed=0
failed=0
pass() { echo "PASS $1"; passed=$((passed + 1)); }
fail() { echo "FAIL $1"; failed=$((failed + 1)); }
# check NAME COMMAND...: PASS if the command exits 0 within the timeout, else FAIL with its output.
check() {
  local name=$1; shift
  local output
  if output=$(timeout "${CHECK_TIMEOUT:-$CLIENT_TIMEOUT}" "$@" 2>&1); then
    pass "$name"
  else
    fail "$name (exit $?)"
    printf '%s\n' "$output" | tail -n 25 | sed 's/^/    | /'
  fi
}
# refused NAME PATTERN COMMAND...: PASS if the command fails within the timeout AND its output
# matches the extended regex PATTERN (the exact reply or message expected), so that a refused
# connection, a timeout or a crash cannot pass for the refusal the check is about.
refused() {
  local name=$1 pattern=$2; shift 2
  local output status
  output=$(timeout "${CHECK_TIMEOUT:-$CLIENT_TIMEOUT}" "$@" 2>&1)
  status=$?
  if [ "$status" -ne 0 ] && [ "$status" -ne 124 ] && printf '%s\n' "$output" | grep -qE -- "$pattern"; then
    pass "$name"
  else
    fail "$name (exit $status, expected output matching /$pattern/)"
    printf '%s\n' "$output" | tail -n 25 | sed 's/^/    | /'
  fi
}
summary() {
  echo "$passed passed, $failed failed"
  [ "$failed" -eq 0 ]
}

if [ ! -f "$JAR" ]; then
  echo "FAIL $JAR is missing: build it first with mvn -B -DskipTests package"
  failed=$((failed + 1))
  summary
  exit 1
fi

# ---------------------------------------------------------------- tools (Debian packages)
# Installs what is missing (swaks, its TLS modules, postfix for smtp-source, python3, openssl).
if ! . scripts/install-tools.sh; then
  fail "install-tools.sh: tools missing under CI=true"
  summary
  exit 1
fi
SMTP_SOURCE=$(command -v smtp-source || echo /usr/sbin/smtp-source)
stop_postfix() {
  # No MTA daemon may stay running (docs/ARCHITECTURE.md); installing postfix may have started one.
  if pgrep -f 'postfix/master' >/dev/null 2>&1; then
    postfix stop >/dev/null 2>&1 || true
    for _ in $(seq 1 50); do pgrep -f 'postfix/master' >/dev/null 2>&1 || break; sleep 0.1; done
  fi
}
stop_postfix

# ---------------------------------------------------------------- servers
WORK=$(mktemp -d "${TMPDIR:-/tmp}/smtpkit-interop.XXXXXX")
SERVER_PIDS=()
cleanup() {
  local pid
  for pid in "${SERVER_PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null; done
  for pid in "${SERVER_PIDS[@]}"; do
    for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null
  done
  stop_postfix
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# start_server NAME ARGS...: starts the jar on 127.0.0.1:0 in the background and waits (at most
# 30 s) for its start line; sets PORT (and TLS_PORT when it listens with implicit TLS) and PID.
start_server() {
  local name=$1; shift
  local out="$WORK/$name.out" err="$WORK/$name.err" line=""
  PORT="" TLS_PORT="" PID=""
  if [ -n "${SERVER_CP:-}" ]; then # the jar with more on its class path (Conscrypt)
    java -cp "$JAR:$SERVER_CP" io.smtpkit.cli.Main -l 127.0.0.1:0 "$@" >"$out" 2>"$err" </dev/null &
  else
    java -jar "$JAR" -l 127.0.0.1:0 "$@" >"$out" 2>"$err" </dev/null &
  fi
  PID=$!
  SERVER_PIDS+=("$PID")
  for _ in $(seq 1 300); do
    line=$(head -n 1 "$out" 2>/dev/null)
    if [[ $line =~ listening\ on\ 127\.0\.0\.1:([0-9]+) ]]; then
      PORT=${BASH_REMATCH[1]}
      if [[ $line =~ with\ TLS\ on\ 127\.0\.0\.1:([0-9]+) ]]; then TLS_PORT=${BASH_REMATCH[1]}; fi
      pass "server $name started: $line"
      return 0
    fi
    kill -0 "$PID" 2>/dev/null || break
    sleep 0.1
  done
  fail "server $name did not start: $(tr '\n' ' ' <"$err" | cut -c1-300)"
  return 1
}

# wait_for FILE TEXT: true once TEXT appears in FILE (at most 10 s).
wait_for() {
  for _ in $(seq 1 100); do grep -qF -- "$2" "$1" 2>/dev/null && return 0; sleep 0.1; done
  return 1
}

count_new() { find "$1/new" -type f 2>/dev/null | wc -l; }

openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=localhost" \
  -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" \
  -keyout "$WORK/key.pem" -out "$WORK/cert.pem" >/dev/null 2>&1 \
  && pass "openssl made a self-signed certificate" || fail "openssl could not make a certificate"
printf '# user:password\nalice:wonderland\n' >"$WORK/users"

SWAKS=(swaks --from alice@example.org --to bob@example.org --timeout 20)

# ---- 1. the debug server, plain: swaks, swaks --pipeline, smtplib.send_message
if start_server debug -c debug; then
  check "swaks plain" "${SWAKS[@]}" --server "127.0.0.1:$PORT" --header "Subject: interop swaks plain"
  if wait_for "$WORK/debug.out" "Subject: interop swaks plain" \
      && grep -qF -- "---------- MESSAGE FOLLOWS ----------" "$WORK/debug.out" \
      && grep -qF -- "------------ END MESSAGE ------------" "$WORK/debug.out"; then
    pass "debug printed the swaks message between smtpd's markers"
  else
    fail "debug did not print the swaks message"; sed 's/^/    | /' "$WORK/debug.out" | tail -n 20
  fi
  check "swaks --pipeline" "${SWAKS[@]}" --server "127.0.0.1:$PORT" --pipeline --header "Subject: interop pipelined"
  wait_for "$WORK/debug.out" "Subject: interop pipelined" \
    && pass "debug printed the pipelined message" || fail "debug did not print the pipelined message"
  check "python smtplib send_message" python3 - "$PORT" <<'PY'
import smtplib, sys
from email.message import EmailMessage
m = EmailMessage()
m["From"], m["To"], m["Subject"] = "alice@example.org", "bob@example.org", "interop smtplib"
m.set_content("Hello from Python's smtplib.\n.leading dot\n")
with smtplib.SMTP("127.0.0.1", int(sys.argv[1]), timeout=20) as s:
    refused = s.send_message(m)
    assert not refused, refused
PY
  wait_for "$WORK/debug.out" "Subject: interop smtplib" && grep -qF -- ".leading dot" "$WORK/debug.out" \
    && pass "debug printed the smtplib message, dot-unstuffed" || fail "debug did not print the smtplib message"

  # SIGTERM is a graceful close: the process ends by itself, promptly.
  kill -TERM "$PID"
  stopped=no
  for _ in $(seq 1 150); do kill -0 "$PID" 2>/dev/null || { stopped=yes; break; }; sleep 0.1; done
  [ "$stopped" = yes ] && pass "SIGTERM stopped the server within 15 s" || fail "SIGTERM did not stop the server"
fi

# ---- 2. TLS and AUTH: STARTTLS, AUTH PLAIN/LOGIN after STARTTLS, implicit TLS, smtplib login
if start_server tls -c maildir -o "dir=$WORK/tls-mail" --tls-cert "$WORK/cert.pem" --tls-key "$WORK/key.pem" \
    --tls-port 0 --auth-file "$WORK/users"; then
  check "swaks STARTTLS" "${SWAKS[@]}" --server "127.0.0.1:$PORT" --tls --header "Subject: interop starttls"
  check "swaks AUTH PLAIN over STARTTLS" "${SWAKS[@]}" --server "127.0.0.1:$PORT" --tls \
    --auth PLAIN --auth-user alice --auth-password wonderland
  check "swaks AUTH LOGIN over STARTTLS" "${SWAKS[@]}" --server "127.0.0.1:$PORT" --tls \
    --auth LOGIN --auth-user alice --auth-password wonderland
  # swaks prints each server line after "<~ " (TLS) or "<- " (plain), "<~* "/"<** " for errors.
  refused "swaks AUTH with a wrong password is refused with 535" '^<~\*? *535 ' "${SWAKS[@]}" \
    --server "127.0.0.1:$PORT" --tls --auth PLAIN --auth-user alice --auth-password guessed
  refused "AUTH is not offered before STARTTLS" 'Host did not advertise authentication' "${SWAKS[@]}" \
    --server "127.0.0.1:$PORT" --auth PLAIN --auth-user alice --auth-password wonderland
  if [ -n "$TLS_PORT" ]; then
    check "swaks implicit TLS (--tls-port)" "${SWAKS[@]}" --server "127.0.0.1:$TLS_PORT" --tlsc \
      --auth LOGIN --auth-user alice --auth-password wonderland
  else
    fail "no implicit-TLS port in the start line"
  fi
  check "python smtplib STARTTLS + login" python3 - "$PORT" <<'PY'
import smtplib, ssl, sys
from email.message import EmailMessage
ctx = ssl.create_default_context()
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE  # the certificate is self-signed for this run
m = EmailMessage()
m["From"], m["To"], m["Subject"] = "alice@example.org", "bob@example.org", "interop smtplib tls"
m.set_content("over STARTTLS, authenticated\n")
with smtplib.SMTP("127.0.0.1", int(sys.argv[1]), timeout=20) as s:
    s.starttls(context=ctx)
    s.login("alice", "wonderland")
    assert not s.send_message(m)
PY
  n=$(count_new "$WORK/tls-mail")
  [ "$n" -eq 5 ] && pass "maildir has the 5 TLS messages" || fail "maildir has $n TLS messages, expected 5"
fi

# ---- 2b. TLS by Conscrypt (--tls-provider conscrypt, issue #13), and OpenSSL as the client:
# swaks over STARTTLS and implicit TLS, and stunnel4 (client mode) wrapping a plain swaks session
# into implicit TLS. Conscrypt is not in the jar: the Maven tests fetched it (a test dependency).
CONSCRYPT=$(ls ~/.m2/repository/org/conscrypt/conscrypt-openjdk-uber/2.5.2/conscrypt-openjdk-uber-2.5.2.jar 2>/dev/null)
refused "--tls-provider conscrypt without Conscrypt on the class path: status 2, one line" \
  'Conscrypt is not on the class path' java -jar "$JAR" -l 127.0.0.1:0 --tls-cert "$WORK/cert.pem" \
  --tls-key "$WORK/key.pem" --tls-provider conscrypt
if [ -z "$CONSCRYPT" ]; then
  fail "conscrypt-openjdk-uber-2.5.2.jar is not in ~/.m2 (mvn verify fetches it for TlsProviderTest)"
elif SERVER_CP=$CONSCRYPT start_server conscrypt -c maildir -o "dir=$WORK/conscrypt-mail" \
    --tls-cert "$WORK/cert.pem" --tls-key "$WORK/key.pem" --tls-port 0 --tls-provider conscrypt; then
  check "swaks STARTTLS, server on Conscrypt" "${SWAKS[@]}" --server "127.0.0.1:$PORT" --tls
  check "swaks implicit TLS, server on Conscrypt" "${SWAKS[@]}" --server "127.0.0.1:$TLS_PORT" --tlsc
  if command -v stunnel4 >/dev/null 2>&1; then
    STUNNEL_PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    cat >"$WORK/stunnel.conf" <<CONF
foreground = yes
pid =
debug = err
[smtps]
client = yes
accept = 127.0.0.1:$STUNNEL_PORT
connect = 127.0.0.1:$TLS_PORT
CONF
    stunnel4 "$WORK/stunnel.conf" >"$WORK/stunnel.log" 2>&1 &
    SERVER_PIDS+=($!)
    for _ in $(seq 1 50); do (exec 3<>"/dev/tcp/127.0.0.1/$STUNNEL_PORT") 2>/dev/null && break; sleep 0.1; done
    check "stunnel4 (OpenSSL client) → implicit TLS on Conscrypt" "${SWAKS[@]}" --server "127.0.0.1:$STUNNEL_PORT"
  else
    fail "stunnel4 is missing (scripts/install-tools.sh installs it)"
  fi
  n=$(count_new "$WORK/conscrypt-mail")
  [ "$n" -eq 3 ] && pass "maildir has the 3 messages that came over Conscrypt" || fail "maildir has $n Conscrypt messages, expected 3"
fi

# ---- 3. SMTPUTF8 with smtplib (RFC 6531)
if start_server utf8 --smtputf8 -c maildir -o "dir=$WORK/utf8-mail"; then
  check "python smtplib SMTPUTF8 send_message" python3 - "$PORT" <<'PY'
import smtplib, sys
from email.message import EmailMessage
m = EmailMessage()
m["From"], m["To"], m["Subject"] = "álice@exämple.org", "bøb@example.org", "Grüße aus smtplib"
m.set_content("ünïcödé\n")
with smtplib.SMTP("127.0.0.1", int(sys.argv[1]), timeout=20) as s:
    s.ehlo()
    assert s.has_extn("smtputf8"), "SMTPUTF8 not offered"
    assert not s.send_message(m)  # adds SMTPUTF8 to MAIL because the addresses are not ASCII
PY
  if grep -rqF -- "Grüße aus smtplib" "$WORK/utf8-mail/new" 2>/dev/null \
      && grep -rqF -- "bøb@example.org" "$WORK/utf8-mail/new" 2>/dev/null; then
    pass "the SMTPUTF8 message arrived with its UTF-8 header and address intact"
  else
    fail "the SMTPUTF8 message did not arrive intact"
  fi
fi

# ---- 4. smtp-source: a burst of $BURST messages, 10 sessions, many messages per connection
if start_server burst -c maildir -o "dir=$WORK/burst-mail" --metrics 127.0.0.1:0; then
  CHECK_TIMEOUT=300 check "smtp-source $BURST messages" "$SMTP_SOURCE" -M localhost -d -s 10 -m "$BURST" -l 1024 \
    -f sender@example.org -t rcpt@example.org "127.0.0.1:$PORT"
  n=$(count_new "$WORK/burst-mail")
  [ "$n" -eq "$BURST" ] && pass "maildir new/ holds all $BURST messages" \
    || fail "maildir new/ holds $n messages, expected $BURST"
  # --metrics (issue #13): the same burst counted at /metrics, scraped as Prometheus would.
  metrics_port=$(sed -nE 's|.*metrics for Prometheus at http://127\.0\.0\.1:([0-9]+)/metrics.*|\1|p' "$WORK/burst.err" | head -n 1)
  if [ -n "$metrics_port" ] && python3 - "$metrics_port" "$BURST" <<'PY'
import sys, urllib.request
body = urllib.request.urlopen("http://127.0.0.1:%s/metrics" % sys.argv[1], timeout=20).read().decode()
want = 'smtp_messages_total{result="accepted"} %s.0' % sys.argv[2]
assert want in body, "no %r in:\n%s" % (want, "\n".join(l for l in body.splitlines() if l.startswith("smtp_")))
PY
  then pass "/metrics counts the $BURST messages"; else fail "/metrics does not count the $BURST messages"; fi
fi

# ---- 4b. LMTP (RFC 2033) with Python's smtplib.LMTP: LHLO, one reply per recipient after the data
if start_server lmtp --lmtp -c maildir -o "dir=$WORK/lmtp-mail"; then
  check "python smtplib.LMTP, one recipient, then two read by hand" python3 - "$PORT" <<'PY'
import smtplib, sys
s = smtplib.LMTP("127.0.0.1", int(sys.argv[1]))
refused = s.sendmail("py@example.org", ["one@example.org"], b"Subject: interop lmtp\r\n\r\nvia LMTP\r\n")
assert not refused, refused
# smtplib reads a single reply after the data; RFC 2033 4.2 sends one per recipient, so read them here.
s.mail("py@example.org"); s.rcpt("a@example.org"); s.rcpt("b@example.org")
code, _ = s.docmd("DATA"); assert code == 354, code
s.send(b"Subject: interop lmtp two\r\n\r\nx\r\n.\r\n")
codes = [s.getreply()[0] for _ in range(2)]
assert codes == [250, 250], codes
s.quit()
PY
  n=$(count_new "$WORK/lmtp-mail")
  [ "$n" -eq 2 ] && grep -qF -- " with LMTP id " "$WORK"/lmtp-mail/new/* \
    && pass "maildir new/ holds both LMTP messages, received with LMTP" \
    || fail "maildir new/ holds $n LMTP messages, expected 2 received with LMTP"
fi
java -jar "$JAR" --lmtp -l 127.0.0.1:25 >"$WORK/lmtp25.out" 2>"$WORK/lmtp25.err" </dev/null
status=$?
if [ "$status" -eq 2 ] && [ "$(wc -l <"$WORK/lmtp25.err")" -eq 1 ] && grep -qF -- "port 25" "$WORK/lmtp25.err"; then
  pass "--lmtp on port 25 exits 2 with one line: $(cat "$WORK/lmtp25.err")"
else
  fail "--lmtp on port 25: exit $status, stderr: $(head -c 300 "$WORK/lmtp25.err")"
fi

# ---- 5. the real process on bad input: status 2, one line, no stack trace
java -jar "$JAR" -l 127.0.0.1:99999 >"$WORK/bad.out" 2>"$WORK/bad.err" </dev/null
status=$?
if [ "$status" -eq 2 ] && [ "$(wc -l <"$WORK/bad.err")" -eq 1 ] && ! grep -q 'Exception\|	at ' "$WORK/bad.err"; then
  pass "a bad address exits 2 with one line: $(cat "$WORK/bad.err")"
else
  fail "a bad address: exit $status, stderr: $(head -c 300 "$WORK/bad.err")"
fi


# ---- 6. the relay (smtpd's PureProxy): swaks → smtpkit relay → smtp-sink / aiosmtpd
free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
# wait_port PORT: true once something listens on 127.0.0.1:PORT (at most 20 s).
wait_port() {
  for _ in $(seq 1 200); do (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0; sleep 0.1; done
  return 1
}
SMTP_SINK=$(command -v smtp-sink || echo /usr/sbin/smtp-sink)
SINK_PORT=$(free_port)
SINK_USER=(); [ "$(id -u)" -eq 0 ] && SINK_USER=(-u nobody)
"$SMTP_SINK" "${SINK_USER[@]}" "127.0.0.1:$SINK_PORT" 10 >"$WORK/sink.log" 2>&1 </dev/null &
SERVER_PIDS+=("$!")
if wait_port "$SINK_PORT" && start_server relay -c PureProxy -o "upstream=127.0.0.1:$SINK_PORT" -o networks=127.0.0.1/32 \
    -o domains=example.org; then
  check "swaks → relay → smtp-sink" "${SWAKS[@]}" --to bob@elsewhere.test --server "127.0.0.1:$PORT" \
    --header "Subject: interop relay"
  wait_for "$WORK/relay.err" "127.0.0.1:$SINK_PORT: 250" \
    && pass "the relay logged smtp-sink's 250 as the client's" || fail "the relay did not log smtp-sink's 250"
  refused "the relay refuses a foreign domain from 127.0.0.2" '554 5\.7\.1 Relay access denied' "${SWAKS[@]}" \
    --to bob@elsewhere.test --server "127.0.0.1:$PORT" --local-interface 127.0.0.2
  check "the relay takes a domains= recipient from 127.0.0.2" "${SWAKS[@]}" --to bob@example.org \
    --server "127.0.0.1:$PORT" --local-interface 127.0.0.2
fi
AIO_PY=python3
$AIO_PY -c 'import aiosmtpd' 2>/dev/null || AIO_PY=/usr/bin/python3
AIO_PORT=$(free_port)
mkdir -p "$WORK/aiosmtpd"
printf 'pw\n' >"$WORK/relay-password"
$AIO_PY smtp-relay/src/test/resources/aiosmtpd_upstream.py "$AIO_PORT" "$WORK/cert.pem" "$WORK/key.pem" \
  "$WORK/aiosmtpd" >"$WORK/aiosmtpd.log" 2>&1 < <(sleep 3600) &
SERVER_PIDS+=("$!")
if wait_port "$AIO_PORT" && start_server relay-tls -c relay -o "upstream=localhost:$AIO_PORT" -o tls=required \
    -o "tls-trust=$WORK/cert.pem" -o auth-user=relay -o "auth-password-file=$WORK/relay-password"; then
  check "swaks → relay → aiosmtpd (STARTTLS required, AUTH)" "${SWAKS[@]}" --to bob@elsewhere.test \
    --server "127.0.0.1:$PORT" --header "Subject: interop relay tls"
  for _ in $(seq 1 100); do [ -f "$WORK/aiosmtpd/1.eml" ] && break; sleep 0.1; done
  if head -n 1 "$WORK/aiosmtpd/1.eml" 2>/dev/null | grep -q '^Received: from ' \
      && grep -qF -- "Subject: interop relay tls" "$WORK/aiosmtpd/1.eml"; then
    pass "aiosmtpd stored the message behind the relay's Received header"
  else
    fail "aiosmtpd did not store the relayed message"; sed 's/^/    | /' "$WORK/aiosmtpd.log" | tail -n 20
  fi
fi

# ---- 6b. behind HAProxy (issue #13): an MX balancing two nodes with send-proxy-v2; the nodes run
# --proxy-protocol, so clients bound to 127.0.0.9 must show up as 127.0.0.9 on both, not as HAProxy.
HAPROXY=$(command -v haproxy || echo /usr/sbin/haproxy)
if start_server node1 -c maildir -o "dir=$WORK/node1-mail" --proxy-protocol && NODE1_PORT=$PORT \
    && start_server node2 -c maildir -o "dir=$WORK/node2-mail" --proxy-protocol -v && NODE2_PORT=$PORT; then
  HA_PORT=$(free_port)
  mkdir -p "$WORK/haproxy"
  cat >"$WORK/haproxy/haproxy.cfg" <<CFG
global
    maxconn 200
defaults
    mode tcp
    timeout connect 5s
    timeout client 30s
    timeout server 30s
frontend mx
    bind 127.0.0.1:$HA_PORT
    default_backend nodes
backend nodes
    balance roundrobin
    # health checks that send a v2 LOCAL header (check-send-proxy), as a real MX setup would
    server node1 127.0.0.1:$NODE1_PORT send-proxy-v2 check check-send-proxy inter 500ms
    server node2 127.0.0.1:$NODE2_PORT send-proxy-v2 check check-send-proxy inter 500ms
CFG
  # In the foreground (-db), so that its PID is ours to stop in cleanup like the servers'.
  "$HAPROXY" -db -f "$WORK/haproxy/haproxy.cfg" >"$WORK/haproxy/haproxy.log" 2>&1 </dev/null &
  SERVER_PIDS+=("$!")
  if wait_port "$HA_PORT"; then
    pass "haproxy $("$HAPROXY" -v | head -n 1 | cut -d' ' -f3) listens on 127.0.0.1:$HA_PORT"
    for i in 1 2 3 4 5; do
      check "swaks from 127.0.0.9 through haproxy ($i)" "${SWAKS[@]}" --server "127.0.0.1:$HA_PORT" \
        --local-interface 127.0.0.9 --header "Subject: interop haproxy $i"
    done
    check "python smtplib from 127.0.0.9 through haproxy" python3 - "$HA_PORT" <<'PY'
import smtplib, sys
with smtplib.SMTP("127.0.0.1", int(sys.argv[1]), timeout=20, source_address=("127.0.0.9", 0)) as s:
    assert not s.sendmail("py@example.org", ["bob@example.org"], b"Subject: interop haproxy 6\r\n\r\nvia haproxy\r\n")
PY
    n1=$(count_new "$WORK/node1-mail"); n2=$(count_new "$WORK/node2-mail")
    if [ "$n1" -ge 1 ] && [ "$n2" -ge 1 ] && [ $((n1 + n2)) -eq 6 ]; then
      pass "haproxy balanced the 6 messages over both nodes ($n1 and $n2)"
    else
      fail "nodes hold $n1 and $n2 messages, expected 6 spread over both"
    fi
    # The first Received header of every message names the original client, on both nodes.
    wrong=0
    for f in "$WORK"/node1-mail/new/* "$WORK"/node2-mail/new/*; do
      [ -f "$f" ] || continue
      grep -m 1 '^Received: from ' "$f" | grep -qF -- '([127.0.0.9])' || { wrong=$((wrong + 1)); grep -m 1 '^Received: ' "$f" | sed 's/^/    | /'; }
    done
    [ "$wrong" -eq 0 ] && [ $((n1 + n2)) -gt 0 ] && pass "both nodes' Received headers show 127.0.0.9, not haproxy" \
      || fail "$wrong message(s) not received from [127.0.0.9]"
    # Every health check and relayed connection had a header the nodes took (LOCAL included).
    wait_for "$WORK/node2.err" "LOCAL or UNKNOWN, the real endpoints" \
      && pass "node2 (-v) took haproxy's health checks as v2 LOCAL headers" || fail "node2 logged no LOCAL health check"
    if ! grep -q "without a greeting\|not a trusted balancer" "$WORK/node1.err" "$WORK/node2.err"; then
      pass "no header from haproxy was refused, its LOCAL health checks included"
    else
      fail "a node refused a header from haproxy"; grep -h "without a greeting" "$WORK/node1.err" "$WORK/node2.err" | sed 's/^/    | /'
    fi
  else
    fail "haproxy did not listen on 127.0.0.1:$HA_PORT"; sed 's/^/    | /' "$WORK/haproxy/haproxy.log" | tail -n 20
  fi
  # Straight to a node, without a header: closed unanswered, and logged.
  refused "a node closes a connection without a PROXY header, unanswered" 'closed without a greeting' python3 - "$NODE1_PORT" <<'PY'
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=20)
s.sendall(b"EHLO direct.example\r\n")
data = s.recv(100)
sys.exit("closed without a greeting" if data == b"" else "answered: %r" % data)
PY
  wait_for "$WORK/node1.err" "without a greeting: not a PROXY protocol header" \
    && pass "node1 logged the connection without a header" || fail "node1 did not log the connection without a header"
fi

# ---- 7. examples/plugin-example built by Maven: @AutoService's services file lists `headers`
CHECK_TIMEOUT=600 check "examples/plugin-example builds and its generated services file lists headers" \
  bash scripts/plugin-example.sh

# ---- 8. examples/spring-boot built by Maven: a JavaMailSender service tested with smtp-testkit
# (a free port through @DynamicPropertySource, refused recipients and greylisting on its error path)
CHECK_TIMEOUT=900 check "examples/spring-boot builds and its smtp-testkit tests pass" \
  bash scripts/spring-boot-example.sh

summary
