#!/usr/bin/env bash
# Installs the third-party mail tools the tests talk to, from Debian packages, when missing:
# swaks (and the Perl TLS modules it needs for --tls), Postfix for its smtp-source load
# generator, python3 for smtplib, openssl for test certificates. Needs root (CI and the dev
# machines run as root). Sourced by scripts/interop.sh and run by .ci/run before the tests, so
# the Maven tests that use these tools (they skip without them) run in CI too.
# Leaves no Postfix daemon running.
missing=()
command -v swaks >/dev/null 2>&1 || missing+=(swaks)
# swaks needs these Perl modules for --tls; they are only "recommended" by the package.
perl -MIO::Socket::SSL -e1 >/dev/null 2>&1 || missing+=(libio-socket-ssl-perl libnet-ssleay-perl)
{ command -v smtp-source >/dev/null 2>&1 || [ -x /usr/sbin/smtp-source ]; } || missing+=(postfix)
command -v python3 >/dev/null 2>&1 || missing+=(python3)
command -v openssl >/dev/null 2>&1 || missing+=(openssl)
if [ "${#missing[@]}" -gt 0 ]; then
  echo "installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  # Postfix without a mail system: we only want its smtp-source load generator.
  echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections
  timeout 600 apt-get update -q >/dev/null 2>&1 || echo "apt-get update failed"
  timeout 900 apt-get install -y -q "${missing[@]}" >/dev/null 2>&1 || echo "apt-get install ${missing[*]} failed"
fi
# No MTA daemon may stay running (TOOLS.md); installing postfix may have started one.
if pgrep -f 'postfix/master' >/dev/null 2>&1; then
  postfix stop >/dev/null 2>&1 || true
fi
