#!/usr/bin/env bash
# Coverage-guided fuzzing of every parser (issue 14): runs each Jazzer @FuzzTest target in
# fuzzing mode for SECONDS (default 60), one after another, and prints a summary line per target
# and a final line `N passed, M failed`. Exits non-zero on any finding (or a target that could
# not run). `mvn -B verify` runs the same targets in regression mode over their corpus.
#
#   bash scripts/fuzz.sh [SECONDS] [TARGET...]     TARGET: a class's simple name, e.g. SessionFuzzTest
#
# Each target starts from its corpus in the repository (src/test/resources/<package>/<Class>Inputs/
# <method>/, copied to a temp dir: nothing is written into the work tree). New coverage goes to
# $FUZZ_WORK/corpus/<target>, findings to $FUZZ_WORK/findings/<target>/crash-* (FUZZ_WORK
# defaults to a new temp dir, printed at the start); each finding is also printed as base64 and
# hex, so it can be reproduced from a CI log alone:
#   echo BASE64 | base64 -d > smtp-protocol/src/test/resources/io/smtpkit/protocol/SessionFuzzTestInputs/session/crash-NAME
#   mvn -B -pl smtp-protocol test -Dtest=SessionFuzzTest      # regression mode replays it
# Keep a fixed finding's input there, named crash-*, as a regression input.
#
# Adding a target: write a @FuzzTest method (see FuzzSupport in smtp-protocol's tests), add its
# seeds under src/test/resources/<package>/<Class>Inputs/<method>/, and add a line to TARGETS.
set -uo pipefail
cd "$(dirname "$0")/.."

SECONDS_PER_TARGET=${1:-60}
shift || true
ONLY=("$@")

# module  class  method  max_len
TARGETS=(
  "smtp-protocol io.smtpkit.protocol.SessionFuzzTest session 16384"
  "smtp-protocol io.smtpkit.protocol.internal.DataDecoderFuzzTest decode 4096"
  "smtp-protocol io.smtpkit.protocol.internal.LineReaderFuzzTest read 16384"
  "smtp-protocol io.smtpkit.protocol.internal.PathParserFuzzTest parse 1024"
  "smtp-protocol io.smtpkit.protocol.internal.SaslFuzzTest decode 4096"
  "smtp-protocol io.smtpkit.protocol.client.ClientSessionFuzzTest session 16384"
  "smtp-server io.smtpkit.server.FileAuthenticatorFuzzTest load 4096"
  "smtp-server io.smtpkit.server.PemTlsFuzzTest load 8192"
  "smtp-server io.smtpkit.server.internal.ProxyHeaderFuzzTest parse 1024"
)

WORK=${FUZZ_WORK:-$(mktemp -d -t smtpkit-fuzz.XXXXXX)}
mkdir -p "$WORK"
echo "fuzz: ${SECONDS_PER_TARGET}s per target; corpus, logs and findings in $WORK"

# One build for all targets: test classes and each module's test class path. No install, so
# nothing in ~/.m2 changes.
if ! mvn -B -q -pl smtp-protocol,smtp-server -am test-compile dependency:build-classpath \
    -Dmdep.includeScope=test -Dmdep.outputFile=target/fuzz-classpath.txt >"$WORK/build.log" 2>&1; then
  cat "$WORK/build.log"
  echo "fuzz: the build failed"
  echo "0 passed, 1 failed"
  exit 1
fi

# A copy of the classes, so that a build while the fuzzers run (a long campaign) cannot change them.
for module in smtp-protocol smtp-server; do
  mkdir -p "$WORK/classes/$module"
  rm -rf "$WORK/classes/$module/classes" "$WORK/classes/$module/test-classes"
  cp -r "$module/target/classes" "$module/target/test-classes" "$WORK/classes/$module/"
  sed "s#$PWD/smtp-protocol/target/#$WORK/classes/smtp-protocol/#g" "$module/target/fuzz-classpath.txt" \
    >"$WORK/classes/$module/dependencies.txt"
done

passed=0
failed=0
summary=()
for target in "${TARGETS[@]}"; do
  read -r module class method max_len <<<"$target"
  name="${class##*.}.$method"
  if [ "${#ONLY[@]}" -gt 0 ] && [[ ! " ${ONLY[*]} " =~ " ${class##*.} " ]]; then
    continue
  fi
  classpath="$WORK/classes/$module/test-classes:$WORK/classes/$module/classes:$(cat "$WORK/classes/$module/dependencies.txt")"
  inputs="$module/src/test/resources/$(dirname "${class//.//}")/${class##*.}Inputs/$method"
  corpus="$WORK/corpus/$name"
  findings="$WORK/findings/$name"
  run="$WORK/run/$name"
  log="$WORK/$name.log"
  mkdir -p "$corpus" "$findings" "$run"
  [ -d "$inputs" ] && cp "$inputs"/* "$corpus"/ 2>/dev/null
  echo "fuzz: $name for ${SECONDS_PER_TARGET}s (log $log)"
  # The run directory is the working directory, so Jazzer finds no source tree to write into.
  # A target gets its time plus two minutes for start-up and shutdown, then it is killed.
  (cd "$run" && timeout --kill-after=10 $((SECONDS_PER_TARGET + 120)) \
    java -Xmx2g -Xshare:off -cp "$classpath" com.code_intelligence.jazzer.Jazzer \
      --target_class="$class" --target_method="$method" --max_duration="${SECONDS_PER_TARGET}s" \
      --instrumentation_includes='io.smtpkit.**' --custom_hook_includes='io.smtpkit.**' \
      "$corpus" \
      -max_total_time="$SECONDS_PER_TARGET" -max_len="$max_len" -timeout=10 \
      -artifact_prefix="$findings/" -print_final_stats=1) >"$log" 2>&1
  rc=$?
  # libFuzzer's last status line (#N DONE cov: C ft: F corp: ...) and final statistics.
  status=$(grep -a -E '^#[0-9]+' "$log" | tail -1)
  execs=$(grep -a -m1 'stat::number_of_executed_units' "$log" | awk '{print $2}')
  rate=$(grep -a -m1 'stat::average_exec_per_sec' "$log" | awk '{print $2}')
  cov=$(sed -n 's/.* cov: \([0-9]*\) ft: \([0-9]*\) corp: \([0-9]*\/[0-9a-zA-Z]*\).*/cov \1, ft \2, corpus \3/p' <<<"$status")
  crashes=("$findings"/*)
  [ -e "${crashes[0]}" ] || crashes=()
  if [ "$rc" -eq 0 ] && [ "${#crashes[@]}" -eq 0 ]; then
    passed=$((passed + 1))
    verdict="ok"
  else
    failed=$((failed + 1))
    verdict="FAILED (exit $rc)"
    echo "---- $name: the end of its log ----"
    grep -a -v -E '^INFO: (Loaded|Instrumented)|^#[0-9]+' "$log" | tail -60
    for crash in "${crashes[@]}"; do
      echo "---- finding $crash ($(wc -c <"$crash") bytes)"
      echo "base64: $(base64 -w0 "$crash")"
      echo "hex:    $(od -An -v -tx1 "$crash" | tr -d ' \n' | head -c 4096)"
    done
    [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ] && echo "$name did not finish within $((SECONDS_PER_TARGET + 120))s"
  fi
  line="$name: $verdict; ${execs:-?} execs, ${rate:-?} exec/s, ${cov:-no coverage line}"
  summary+=("$line")
  echo "fuzz: $line"
done

echo "---- fuzz summary (${SECONDS_PER_TARGET}s per target; findings in $WORK/findings)"
printf '%s\n' "${summary[@]}"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
