"""A third-party next hop for the relay's tests: aiosmtpd with STARTTLS and AUTH.

Usage: aiosmtpd_upstream.py PORT CERT KEY OUTDIR
Requires STARTTLS before AUTH and AUTH before MAIL; accepts user "relay" with password "pw";
refuses RCPT to refuse@... with 550; writes each message's octets, as received, to OUTDIR/N.eml
(N counting from 1). Prints "ready" once listening and stops when its stdin closes.
"""
import ssl
import sys

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from aiosmtpd_store import Store  # beside this script, copied with it

port, cert, key, outdir = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]


class Handler:
    store = Store(outdir)

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.startswith("refuse@"):
            return "550 5.1.1 refused by aiosmtpd"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        Handler.store.write(envelope.original_content)
        return "250 2.0.0 stored by aiosmtpd"


def authenticator(server, session, envelope, mechanism, auth_data):
    ok = isinstance(auth_data, LoginPassword) and auth_data.login == b"relay" and auth_data.password == b"pw"
    return AuthResult(success=ok, handled=False)  # handled=True would mean "reply already sent"


context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
context.load_cert_chain(cert, key)
controller = Controller(Handler(), hostname="127.0.0.1", port=port, tls_context=context, require_starttls=True,
                        authenticator=authenticator, auth_require_tls=True, decode_data=False,
                        enable_SMTPUTF8=True)
controller.start()
print("ready", flush=True)
sys.stdin.read()
controller.stop()
