#!/usr/bin/env bash
# Relay throughput, end to end: smtp-source -> (smtpkit relay | Postfix) -> one smtp-sink, the two
# relays taking turns in the same run so that they share whatever else loads the machine.
# Needs root (Postfix's master), Debian's postfix package, and the jar:
#   mvn -B -q -o -DskipTests package   (at the repository root)
# Usage: benchmarks/relay/compare-relay.sh [ROUNDS]   (default 3; KEEP=1 keeps the temp dir and Postfix's maillog)
#   QUEUE=1 runs smtpkit's relay in queue mode (-o queue=, fsync before each 250), like for like with Postfix.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROUNDS=${1:-3}
JAR=smtp-cli/target/smtpkit.jar
[ -f "$JAR" ] || { echo "build $JAR first: mvn -B -q -o -DskipTests package" >&2; exit 1; }
[ "$(id -u)" = 0 ] || { echo "run as root: Postfix's master must start as root" >&2; exit 1; }

WORK=$(mktemp -d /tmp/relaybench.XXXXXX)
chmod 755 "$WORK"            # the postfix user must reach its queue and data directories
PF=$WORK/etc                 # config_directory; postfix check wants all of it root-owned, so the
Q=$WORK/spool                # queue (root, its subdirectories postfix) and the data directory
DATA=$WORK/data              # (postfix) are beside it, not inside
SINK_PID= KIT_PID= MASTER_PID=

cleanup() {
  set +e
  if [ -f "$PF/main.cf" ]; then
    postfix -c "$PF" stop >/dev/null 2>&1
    [ -f "$Q/pid/master.pid" ] && MASTER_PID=$(tr -dc 0-9 < "$Q/pid/master.pid")
  fi
  # postfix stop asks master to end its children; whatever is still there after a moment is killed.
  for _ in $(seq 1 50); do [ -n "$MASTER_PID" ] && kill -0 "$MASTER_PID" 2>/dev/null || break; sleep 0.1; done
  if [ -n "$MASTER_PID" ] && kill -0 "$MASTER_PID" 2>/dev/null; then
    pkill -KILL -P "$MASTER_PID"; kill -KILL "$MASTER_PID"
  fi
  for p in $KIT_PID $SINK_PID; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
  if [ -n "${KEEP:-}" ]; then echo "kept $WORK" >&2; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() {
  local p
  while :; do
    p=$((20000 + RANDOM % 40000))
    ss -Htln "sport = :$p" | grep -q . || { echo "$p"; return; }
  done
}
wait_listening() { # port
  for _ in $(seq 1 300); do (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return; sleep 0.1; done
  echo "nothing listens on 127.0.0.1:$1" >&2; exit 1
}

SINK=$(free_port); P1=$(free_port); P2=$(free_port)
while [ "$P1" = "$SINK" ]; do P1=$(free_port); done
while [ "$P2" = "$SINK" ] || [ "$P2" = "$P1" ]; do P2=$(free_port); done

# One sink for both. -c writes "sess=N quit=N mesg=N\r" after every DATA completion; its
# cumulative mesg counter is what the end-to-end clock stops on.
ulimit -n "$(ulimit -Hn)"   # 50 clients, 50 relayed connections, Postfix pipes: far below either way
/usr/sbin/smtp-sink -c -u nobody -m 1024 "127.0.0.1:$SINK" 1024 > "$WORK/sink.count" 2>"$WORK/sink.err" &
SINK_PID=$!

KIT_QUEUE=()
[ -n "${QUEUE:-}" ] && KIT_QUEUE=(-o "queue=$WORK/kitqueue" -o queue-reserve=0 -o queue-workers=50)
java -jar "$JAR" -c relay "127.0.0.1:$P1" "127.0.0.1:$SINK" "${KIT_QUEUE[@]}" \
  --max-connection-rate 0 --max-connections-per-client 0 -q > "$WORK/smtpkit.log" 2>&1 &
KIT_PID=$!

mkdir -p "$PF" "$Q" "$DATA"
chown postfix:postfix "$DATA"
cat > "$PF/main.cf" <<EOF
compatibility_level = 3.6
queue_directory = $Q
data_directory = $DATA
maillog_file = $WORK/maillog
maillog_file_prefixes = $WORK
myhostname = relaybench.localdomain
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
mydestination =
relay_domains =
local_recipient_maps =
local_transport = error:5.1.1 no local delivery in this benchmark
alias_maps =
alias_database =
relayhost = [127.0.0.1]:$SINK
smtpd_relay_restrictions = permit_mynetworks, reject
smtpd_tls_security_level = none
smtp_tls_security_level = none
smtp_dns_support_level = disabled
smtp_host_lookup = native
# the 10 MiB messages (plus headers) must fit: Postfix's default limit is 10,240,000 bytes
message_size_limit = 104857600
# throughput, not the 1 s back-off that throttles clients when the queue manager falls behind
in_flow_delay = 0
default_process_limit = 200
smtp_destination_concurrency_limit = 50
initial_destination_concurrency = 50
smtp_connection_cache_on_demand = yes
qmgr_message_active_limit = 40000
EOF
# Only the services a relay needs; smtpd on 127.0.0.1:P2 is the one listener.
cat > "$PF/master.cf" <<EOF
127.0.0.1:$P2 inet n - n - - smtpd
cleanup   unix n - n - 0 cleanup
qmgr      unix n - n 300 1 qmgr
rewrite   unix - - n - - trivial-rewrite
bounce    unix - - n - 0 bounce
defer     unix - - n - 0 bounce
trace     unix - - n - 0 bounce
verify    unix - - n - 1 verify
flush     unix n - n 1000? 0 flush
proxymap  unix - - n - - proxymap
smtp      unix - - n - - smtp
relay     unix - - n - - smtp
error     unix - - n - - error
retry     unix - - n - - error
discard   unix - - n - - discard
anvil     unix - - n - 1 anvil
scache    unix - - n - 1 scache
postlog   unix-dgram n - n - 1 postlogd
EOF
postfix -c "$PF" check || { cat "$WORK/maillog" >&2; exit 1; }
postfix -c "$PF" start >/dev/null 2>&1 || { cat "$WORK/maillog" >&2; exit 1; }
MASTER_PID=$(tr -dc 0-9 < "$Q/pid/master.pid")

wait_listening "$SINK"; wait_listening "$P1"; wait_listening "$P2"
echo "smtp-sink 127.0.0.1:$SINK, smtpkit relay 127.0.0.1:$P1, Postfix relay 127.0.0.1:$P2 (Postfix $(postconf -c "$PF" -h mail_version))"

sunk() { # the sink's mesg counter so far; a record cut short by tail reads low, never high
  tail -c 200 "$WORK/sink.count" | tr '\r' '\n' | sed -n 's/.*mesg=\([0-9]*\)$/\1/p' | tail -n 1
}
now() { date +%s.%N; }

# run NAME PORT SMTP-SOURCE-ARGS...; N must match -m. Prints source time and end-to-end time.
run() {
  local name=$1 port=$2 n=$3; shift 3
  local base target t0 t_src t_end done_file=$WORK/source.done
  base=$(sunk); base=${base:-0}; target=$((base + n))
  rm -f "$done_file"
  t0=$(now)
  ( timeout 600 /usr/sbin/smtp-source -f source@example.org -t sink@example.net "$@" "127.0.0.1:$port" \
      > "$WORK/source.out" 2>&1; echo $? > "$done_file.rc"; now > "$done_file" ) &
  local src=$!
  local deadline=$(( $(date +%s) + 900 ))
  while :; do
    local c; c=$(sunk); c=${c:-0}
    [ "$c" -ge "$target" ] && { t_end=$(now); break; }
    if [ "$(date +%s)" -gt "$deadline" ]; then
      echo "$name: timed out at $((c - base))/$n delivered" >&2; exit 1
    fi
    sleep 0.02
  done
  wait "$src"
  t_src=$(cat "$done_file")
  if [ "$(cat "$done_file.rc")" != 0 ]; then
    echo "$name: smtp-source failed:" >&2; cat "$WORK/source.out" >&2; exit 1
  fi
  local e2e src_s
  e2e=$(echo "$t_end - $t0" | bc -l); src_s=$(echo "$t_src - $t0" | bc -l)
  printf '%-8s %-30s source done %7.2f s (%8.1f msg/s)   in sink %7.2f s (%8.1f msg/s)\n' \
    "$name" "$*" "$src_s" "$(echo "$n / $src_s" | bc -l)" "$e2e" "$(echo "$n / $e2e" | bc -l)"
  LAST=$(echo "$n / $e2e" | bc -l)
}

declare -A SUM
pair() { # label N args...: smtpkit then Postfix (or the reverse on even rounds)
  local label=$1 n=$2 order=$3; shift 3
  local kit pf
  if [ "$order" = 0 ]; then
    run smtpkit "$P1" "$n" "$@"; kit=$LAST; run postfix "$P2" "$n" "$@"; pf=$LAST
  else
    run postfix "$P2" "$n" "$@"; pf=$LAST; run smtpkit "$P1" "$n" "$@"; kit=$LAST
  fi
  printf '%-8s round ratio smtpkit/Postfix (end to end): %.2f\n' "$label" "$(echo "$kit / $pf" | bc -l)"
  SUM[$label.kit]=$(echo "${SUM[$label.kit]:-0} + $kit" | bc -l)
  SUM[$label.pf]=$(echo "${SUM[$label.pf]:-0} + $pf" | bc -l)
}

echo "warm-up (JIT, Postfix process pool), not counted"
run smtpkit "$P1" 2000 -d -s 50 -m 2000 -l 1024 >/dev/null
run postfix "$P2" 2000 -d -s 50 -m 2000 -l 1024 >/dev/null

for r in $(seq 1 "$ROUNDS"); do
  echo "round $r"
  pair 1KiB 20000 $((r % 2)) -d -s 50 -m 20000 -l 1024
  pair 10MiB 40 $((r % 2)) -d -s 4 -m 40 -l 10485760
done

[ "$ROUNDS" -gt 0 ] || exit 0
echo "mean over $ROUNDS rounds (end to end, into the sink):"
for label in 1KiB 10MiB; do
  kit=$(echo "${SUM[$label.kit]} / $ROUNDS" | bc -l); pf=$(echo "${SUM[$label.pf]} / $ROUNDS" | bc -l)
  printf '  %-6s smtpkit %8.1f msg/s   Postfix %8.1f msg/s   ratio %.2f\n' \
    "$label" "$kit" "$pf" "$(echo "$kit / $pf" | bc -l)"
done
