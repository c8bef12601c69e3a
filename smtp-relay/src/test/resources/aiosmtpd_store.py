"""What the aiosmtpd peers of the relay's tests share: each message's octets to OUTDIR/N.eml."""
import os


class Store:
    def __init__(self, outdir):
        self.outdir = outdir
        self.count = 0

    def write(self, content):
        """Writes one message, renamed into place whole so that a test sees it complete or not at all."""
        self.count += 1
        name = os.path.join(self.outdir, "%d.eml" % self.count)
        with open(name + ".tmp", "wb") as f:
            f.write(content)
        os.rename(name + ".tmp", name)
