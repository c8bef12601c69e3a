#!/usr/bin/env bash
# Builds examples/spring-boot, its own Maven project, and runs its tests against the smtpkit
# that `mvn -B verify` (or package) just built (issue 10); scripts/interop.sh runs it last.
#
#   bash scripts/spring-boot-example.sh [MAVEN ARGS...]     e.g. -o once Spring Boot is downloaded
#
# The example finds io.smtpkit:smtp-testkit:0.1.0-SNAPSHOT in a local repository of its own,
# $SMTPKIT_EXAMPLES_REPO (default ${TMPDIR:-/tmp}/smtpkit-spring-boot-repo), never in ~/.m2,
# whose snapshots other builds share: the smtpkit jars go there with install:install-file on
# every run. Unlike scripts/plugin-example.sh's throw-away repository, this one is kept, so Spring
# Boot and its dependencies (not in ~/.m2) are downloaded once per machine, not once per run.
# Nothing under the reactor's target/ is rebuilt.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
REPO=${SMTPKIT_EXAMPLES_REPO:-${TMPDIR:-/tmp}/smtpkit-spring-boot-repo}
mkdir -p "$REPO"

module_jar() {
  local found
  found=$(ls "$1"/target/"$1"-*.jar 2>/dev/null | grep -v -e '-tests\.jar$' -e '-sources\.jar$' | head -n 1)
  [ -n "$found" ] || { echo "no $1 jar under $1/target: run mvn -B package first" >&2; exit 1; }
  echo "$ROOT/$found"
}
protocol=$(module_jar smtp-protocol)
server=$(module_jar smtp-server)
testkit=$(module_jar smtp-testkit)

install() {
  # -N from the reactor root: the install goal needs no project, so nothing of the reactor is built.
  mvn -B -q -N "$@" -Dmaven.repo.local="$REPO" org.apache.maven.plugins:maven-install-plugin:3.1.3:install-file
}
install "$@" -Dfile=pom.xml -DpomFile=pom.xml -Dpackaging=pom
install "$@" -Dfile="$protocol" -DpomFile=smtp-protocol/pom.xml
install "$@" -Dfile="$server" -DpomFile=smtp-server/pom.xml
install "$@" -Dfile="$testkit" -DpomFile=smtp-testkit/pom.xml

mvn -B -ntp "$@" -Dmaven.repo.local="$REPO" -f examples/spring-boot/pom.xml clean verify
