#!/usr/bin/env bash
# Installs the third-party mail tools the tests talk to, from Debian packages, when missing:
# swaks (and the Perl TLS modules it needs for --tls), Postfix for its smtp-source load
# generator (and the smtp-sink the relay tests deliver to), python3 for smtplib, Debian's
# python3-aiosmtpd as a third-party upstream for the relay, openssl for test certificates,
# haproxy as the load balancer in front of PROXY protocol listeners; chromium and chromium-driver
# for the inbox's browser tests; stunnel4 as an OpenSSL TLS client of the server (interop.sh);
# postgresql for the PostgreSQL queue (started by scripts/postgres-test-db.sh, not here).
# Needs root (CI and the dev machines run as root). Sourced by scripts/interop.sh and run by .ci/run before the tests, so
# the Maven tests that use these tools run in CI too (they skip without them, except under
# CI=true, where they fail). Under CI=true a tool still missing afterwards is an error: this
# script then returns (sourced) or exits (run) with status 1. Leaves no Postfix daemon running.
smtpkit_tools_missing() {
  local m=()
  command -v swaks >/dev/null 2>&1 || m+=(swaks)
  perl -MIO::Socket::SSL -e1 >/dev/null 2>&1 || m+=(libio-socket-ssl-perl libnet-ssleay-perl)
  { command -v smtp-source >/dev/null 2>&1 || [ -x /usr/sbin/smtp-source ]; } || m+=(postfix)
  command -v python3 >/dev/null 2>&1 || m+=(python3)
  # Debian's module is for Debian's python3, which a pyenv python3 on the PATH may hide.
  { python3 -c 'import aiosmtpd' >/dev/null 2>&1 || /usr/bin/python3 -c 'import aiosmtpd' >/dev/null 2>&1; } || m+=(python3-aiosmtpd)
  command -v openssl >/dev/null 2>&1 || m+=(openssl)
  # HAProxy in front of two smtpkit nodes with the PROXY protocol (interop.sh; issue #13).
  { command -v haproxy >/dev/null 2>&1 || [ -x /usr/sbin/haproxy ]; } || m+=(haproxy)
  # The inbox's browser tests (smtp-inbox): Debian's headless Chromium and its chromedriver.
  [ -x /usr/bin/chromium ] || m+=(chromium)
  [ -x /usr/bin/chromedriver ] || m+=(chromium-driver)
  # OpenSSL's TLS in front of the implicit-TLS port, the JDK's and Conscrypt's (interop.sh; issue #13).
  command -v stunnel4 >/dev/null 2>&1 || m+=(stunnel4)
  # the PostgreSQL queue's tests (issue 11): Debian's server, run by scripts/postgres-test-db.sh
  { command -v pg_ctlcluster >/dev/null 2>&1 && ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1; } || m+=(postgresql)
  echo "${m[*]}"
}
# shellcheck disable=SC2207 # package names have no spaces
missing=($(smtpkit_tools_missing))
if [ "${#missing[@]}" -gt 0 ]; then
  echo "installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  # Postfix without a mail system: we only want its smtp-source load generator.
  echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections
  timeout 600 apt-get update -q >/dev/null 2>&1 || echo "apt-get update failed"
  timeout 900 apt-get install -y -q "${missing[@]}" >/dev/null 2>&1 || echo "apt-get install ${missing[*]} failed"
fi
# No daemon of these packages may stay running (docs/ARCHITECTURE.md): the tests start their own.
# Installing haproxy may have started the system one (interop.sh starts its own later, by PID).
if [ "${#missing[@]}" -gt 0 ] && pgrep -x haproxy >/dev/null 2>&1; then
  service haproxy stop >/dev/null 2>&1 || pkill -x haproxy || true
fi
# Installing postfix may have started its master.
if pgrep -f 'postfix/master' >/dev/null 2>&1; then
  postfix stop >/dev/null 2>&1 || true
fi
still_missing=$(smtpkit_tools_missing)
if [ -n "$still_missing" ]; then
  echo "install-tools.sh: still missing: $still_missing"
  if [ "${CI:-}" = true ]; then
    echo "install-tools.sh: CI=true, so this is an error (the tests that need these tools would fail)" >&2
    # return when sourced (interop.sh), exit when run (.ci/run)
    return 1 2>/dev/null || exit 1
  fi
fi
