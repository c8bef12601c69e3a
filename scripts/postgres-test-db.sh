#!/usr/bin/env bash
# The PostgreSQL the queue's PostgreSQL tests use (issue 11), on Debian's own cluster, no containers.
#   bash scripts/postgres-test-db.sh start   starts the cluster, creates role smtpkit (password
#                                            smtpkit) and database smtpkit_test when missing, and
#                                            prints the JDBC URL the tests read from
#                                            SMTPKIT_TEST_POSTGRES (on stdout, alone)
#   bash scripts/postgres-test-db.sh stop    stops the cluster again
# The cluster is the newest one named main that pg_lsclusters lists (15 on Debian bookworm); when
# the package left none, start creates it. Needs root (CI and the dev machines run as root).
set -euo pipefail

cluster() {
  # "15 main 5432 down postgres ...": the version and port of the newest cluster named main
  pg_lsclusters -h 2>/dev/null | awk '$2 == "main" { print $1, $3 }' | sort -V | tail -n 1
}

as_postgres() {
  if command -v runuser >/dev/null 2>&1; then runuser -u postgres -- "$@"; else su postgres -c "$(printf '%q ' "$@")"; fi
}

case "${1:-}" in
  start)
    if ! command -v pg_ctlcluster >/dev/null 2>&1; then
      echo "postgres-test-db.sh: pg_ctlcluster missing (scripts/install-tools.sh installs postgresql)" >&2
      exit 1
    fi
    read -r version port < <(cluster) || true
    if [ -z "${version:-}" ]; then
      version=$(ls /usr/lib/postgresql | sort -V | tail -n 1)
      echo "postgres-test-db.sh: creating cluster $version/main" >&2
      pg_createcluster "$version" main >&2
      read -r version port < <(cluster)
    fi
    # start fails when the cluster already runs (a developer's own): that is fine, it is up
    pg_ctlcluster "$version" main start >&2 || pg_ctlcluster "$version" main status >/dev/null
    for _ in $(seq 1 60); do
      pg_isready -q -h 127.0.0.1 -p "$port" && break
      sleep 0.5
    done
    pg_isready -q -h 127.0.0.1 -p "$port"
    as_postgres psql -q -p "$port" -v ON_ERROR_STOP=1 >&2 <<'SQL'
SELECT 'CREATE ROLE smtpkit LOGIN PASSWORD ''smtpkit'''
 WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'smtpkit') \gexec
SELECT 'CREATE DATABASE smtpkit_test OWNER smtpkit'
 WHERE NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = 'smtpkit_test') \gexec
SQL
    echo "jdbc:postgresql://127.0.0.1:$port/smtpkit_test?user=smtpkit&password=smtpkit"
    ;;
  stop)
    read -r version port < <(cluster) || true
    if [ -n "${version:-}" ]; then
      pg_ctlcluster "$version" main stop >/dev/null 2>&1 || true
    fi
    ;;
  *)
    echo "usage: $0 start|stop" >&2
    exit 2
    ;;
esac
