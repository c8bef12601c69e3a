#!/usr/bin/env bash
# Builds and tests examples/spring-boot, its own Maven project, against the smtpkit jars that
# `mvn -B verify` just built (issue 10). Run by .ci/run after the interop checks:
#
#   bash scripts/examples.sh
#
# The example resolves io.smtpkit:smtp-testkit:0.1.0-SNAPSHOT from a Maven repository of its
# own, $SMTPKIT_EXAMPLES_REPO (default ${TMPDIR:-/tmp}/smtpkit-examples-m2): the jars are put
# there with install:install-file, so ~/.m2 and the snapshots others build into it are never
# touched. Spring Boot and its dependencies are downloaded into that repository once and reused
# by later runs on the same machine.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
VERSION=0.1.0-SNAPSHOT
REPO=${SMTPKIT_EXAMPLES_REPO:-${TMPDIR:-/tmp}/smtpkit-examples-m2}
MODULES=(smtp-protocol smtp-server smtp-testkit)
mkdir -p "$REPO"

for m in "${MODULES[@]}"; do
  if [ ! -f "$m/target/$m-$VERSION.jar" ]; then
    echo "FAIL $m/target/$m-$VERSION.jar is missing: build smtpkit first (mvn -B verify, or -DskipTests package)"
    exit 1
  fi
done

install_file() { # FILE POM [PACKAGING]
  # From an empty directory, so that Maven does not read the smtpkit reactor as the current project.
  (cd "$REPO" && mvn -B -q -Dmaven.repo.local="$REPO" \
    org.apache.maven.plugins:maven-install-plugin:3.1.3:install-file \
    -Dfile="$1" -DpomFile="$2" ${3:+-Dpackaging=$3})
}
install_file "$ROOT/pom.xml" "$ROOT/pom.xml" pom
for m in "${MODULES[@]}"; do
  install_file "$ROOT/$m/target/$m-$VERSION.jar" "$ROOT/$m/pom.xml"
done

mvn -B -ntp -Dmaven.repo.local="$REPO" -f examples/spring-boot/pom.xml verify
echo "PASS examples/spring-boot built and tested against smtpkit $VERSION"
