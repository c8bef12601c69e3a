#!/usr/bin/env bash
# Builds examples/plugin-example as its README says a third party would, and runs its test: the
# services file that @AutoService's processor writes makes the built command list `headers`.
#
#   bash scripts/plugin-example.sh [MAVEN ARGS...]     e.g. -o to stay offline
#
# Needs what `mvn -B verify` (or package) built: the smtp-protocol and smtp-server jars and
# smtp-cli/target/smtpkit.jar. Those jars go into a throw-away local repository, never into
# ~/.m2, whose snapshots other builds share; it starts as a copy of ~/.m2 without io/smtpkit, so
# an offline build finds its plugins and no stale smtpkit. Nothing under target/ is rebuilt, so
# servers running from the jar (scripts/interop.sh) are not disturbed.
set -euo pipefail
cd "$(dirname "$0")/.."

JAR=smtp-cli/target/smtpkit.jar
[ -f "$JAR" ] || { echo "no $JAR: run mvn -B package first" >&2; exit 1; }
module_jar() {
  local found
  found=$(ls "$1"/target/"$1"-*.jar 2>/dev/null | grep -v -e '-tests\.jar$' -e '-sources\.jar$' | head -n 1)
  [ -n "$found" ] || { echo "no $1 jar under $1/target: run mvn -B package first" >&2; exit 1; }
  echo "$found"
}
protocol=$(module_jar smtp-protocol)
server=$(module_jar smtp-server)

repo=$(mktemp -d "${TMPDIR:-/tmp}/smtpkit-example-repo.XXXXXX")
trap 'rm -rf "$repo"' EXIT
if [ -d "$HOME/.m2/repository" ]; then
  (cd "$HOME/.m2/repository" && tar --exclude=./io/smtpkit -cf - .) | (cd "$repo" && tar -xf -)
fi

install() {
  mvn -B -q -N "$@" -Dmaven.repo.local="$repo" install:install-file
}
install "$@" -Dfile=pom.xml -DpomFile=pom.xml -Dpackaging=pom
install "$@" -Dfile="$protocol" -DpomFile=smtp-protocol/pom.xml
install "$@" -Dfile="$server" -DpomFile=smtp-server/pom.xml

mvn -B "$@" -Dmaven.repo.local="$repo" -Dsmtpkit.jar="$PWD/$JAR" -f examples/plugin-example/pom.xml clean verify
