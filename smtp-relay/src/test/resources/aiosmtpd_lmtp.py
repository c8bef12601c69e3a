"""Mailman 3's LMTP runner as the lmtp handler's tests see it: aiosmtpd's LMTP class.

Usage: aiosmtpd_lmtp.py PORT OUTDIR LIST...
Accepts RCPT only for the lists given (LIST@DOMAIN, or LIST-SUFFIX[+DETAIL]@DOMAIN as Mailman does)
and refuses the rest with "550 5.1.1 No such list"; writes each message's octets to OUTDIR/N.eml and
answers each recipient after the data, as Mailman's runner does.
Prints "ready" once listening and stops when its stdin closes.
"""
import sys

from aiosmtpd.controller import Controller
from aiosmtpd.lmtp import LMTP

from aiosmtpd_store import Store  # beside this script, copied with it

port, outdir, lists = int(sys.argv[1]), sys.argv[2], set(a.lower() for a in sys.argv[3:])
SUFFIXES = {"bounces", "confirm", "join", "leave", "owner", "request", "subscribe", "unsubscribe"}


def listname(address):
    local, _, domain = address.lower().rpartition("@")
    local = local.split("+", 1)[0]
    parts = local.split("-")
    if len(parts) > 1 and parts[-1] in SUFFIXES:
        local = "-".join(parts[:-1])
    return local + "@" + domain


class Handler:
    store = Store(outdir)

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if listname(address) not in lists:
            return "550 5.1.1 No such list"
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server, session, envelope):
        Handler.store.write(envelope.original_content)
        # aiosmtpd's LMTP class sends handle_DATA's answer once (aiosmtpd#517); Mailman's runner
        # returns one status line per recipient joined with CRLF (RFC 2033 §4.2), and so does this.
        return "\r\n".join("250 2.0.0 Ok" for _ in envelope.rcpt_tos)


class LmtpController(Controller):
    def factory(self):
        return LMTP(self.handler, decode_data=False)


controller = LmtpController(Handler(), hostname="127.0.0.1", port=port)
controller.start()
print("ready", flush=True)
sys.stdin.read()
controller.stop()
