package io.smtpkit.protocol.client;

import io.smtpkit.protocol.BodyType;
import io.smtpkit.protocol.Reply;
import io.smtpkit.protocol.internal.DotStuffer;
import java.nio.ByteBuffer;
import java.util.List;

/**
 * A {@link ClientSession}'s transactions: MAIL, RCPT, DATA or BDAT, whole (pipelined as one group
 * when the server allows, RFC 2920 §3.1) or stepwise, the content handed to the encoder, and the
 * replies matched back into a {@link TransactionReplies}, one verdict per recipient under LMTP.
 */
final class TransactionCommands {

    private final ClientSession session;
    private final ClientOutput out;
    private final DotStuffer stuffer = new DotStuffer();
    private TransactionReplies tx;
    // Set when a transaction ended while its caller may still be streaming content (a refused
    // BDAT chunk under PIPELINING): the rest of that content is dropped, not an error.
    private boolean dropContent;

    TransactionCommands(ClientSession session, ClientOutput out) {
        this.session = session;
        this.out = out;
    }

    /** A whole transaction: MAIL, and under PIPELINING every RCPT and DATA with it. */
    void send(Transaction transaction) {
        dropContent = false;
        Capabilities caps = session.capabilities();
        ClientFailure refusal = EnvelopeLines.refusal(transaction, caps);
        if (refusal != null) {
            TransactionReplies refused = new TransactionReplies(transaction, false, false);
            out.emit(new ClientEvent.Delivered(refused.result(refusal)));
            session.ready();
            return;
        }
        boolean bdat = transaction.bodyType() == BodyType.BINARY_MIME;
        tx = new TransactionReplies(transaction, bdat, session.config().pipelining() && caps.pipelining());
        session.enter(ClientState.ENVELOPE);
        out.command(EnvelopeLines.mail(transaction, caps), Outstanding.MAIL);
        if (tx.pipelined) {
            while (tx.rcptSent < transaction.recipients().size()) {
                sendRcpt();
            }
            if (!bdat) {
                out.command("DATA", Outstanding.DATA);
            }
        }
    }

    /** The outcome of a transaction given to a session that has already failed. */
    void sendFailed(Transaction transaction, ClientFailure failure) {
        out.emit(new ClientEvent.Delivered(new TransactionReplies(transaction, false, false).result(failure)));
    }

    /** A stepwise transaction's MAIL; its recipients come one by one with {@link #rcpt}. */
    void mail(Transaction envelope) {
        dropContent = false;
        Transaction bare = new Transaction(envelope.reversePath(), List.of(), envelope.bodyType(), envelope.smtpUtf8(),
                envelope.size(), envelope.dsnReturn(), envelope.dsnEnvelopeId());
        Capabilities caps = session.capabilities();
        ClientFailure refusal = EnvelopeLines.refusal(bare, caps);
        if (refusal != null) {
            out.emit(new ClientEvent.Replied(refusal.reply()));
            session.ready();
            return;
        }
        tx = new TransactionReplies(bare, bare.bodyType() == BodyType.BINARY_MIME, false, true);
        session.enter(ClientState.ENVELOPE);
        out.command(EnvelopeLines.mail(bare, caps), Outstanding.MAIL);
    }

    void rcpt(Transaction.Recipient recipient) {
        tx.addRecipient(recipient);
        out.command(EnvelopeLines.rcpt(recipient, session.capabilities()), Outstanding.RCPT);
        tx.rcptSent++;
    }

    void data() {
        if (tx.accepted.isEmpty()) {
            throw new IllegalStateException("data() needs an accepted recipient");
        }
        if (tx.bdat) {
            session.enter(ClientState.CONTENT);
            out.emit(new ClientEvent.SendContent());
        } else {
            out.command("DATA", Outstanding.DATA);
        }
    }

    void reset() {
        tx.finished = true;
        session.enter(ClientState.RESET);
        out.command("RSET", Outstanding.RSET);
    }

    /** True in a stepwise transaction (whether or not a reply is outstanding). */
    boolean stepwise() {
        return tx != null && tx.stepwise;
    }

    /** True after a refused BDAT chunk: the rest of the caller's content goes nowhere. */
    boolean dropsContent() {
        return dropContent;
    }

    /** True while a BDAT chunk waits for its reply before the next may go (no PIPELINING). */
    boolean chunkOutstanding() {
        return tx.chunkOutstanding;
    }

    void content(ByteBuffer chunk) {
        if (!tx.bdat) {
            stuffer.encode(chunk, out.buffers());
        } else if (chunk.hasRemaining()) {
            out.write("BDAT " + chunk.remaining());
            out.buffers().add(chunk.slice());
            out.expect(Outstanding.BDAT);
            tx.chunkOutstanding = !tx.pipelined;
        }
    }

    void endContent() {
        if (tx.bdat) {
            out.write("BDAT 0 LAST");
        } else {
            stuffer.finish(out.buffers());
        }
        // RFC 2033 §4.2: LMTP answers the end of the data once per accepted recipient, in order.
        int replies = session.config().lmtp() ? tx.accepted.size() : 1;
        for (int i = 0; i < replies; i++) {
            out.expect(Outstanding.END_OF_DATA);
        }
        session.enter(ClientState.END_OF_DATA);
    }

    /**
     * A reply nothing asked for, the session about to fail: a server that refuses the message
     * before its end (a 552 for size, say) has given its verdict; keep it for the recipients.
     */
    void unasked(Reply r) {
        if (session.state() == ClientState.CONTENT && !tx.bdat && (r.isTransient() || r.isPermanent())) {
            tx.stopper = r;
            tx.finished = true;
            out.emit(new ClientEvent.Delivered(tx.result(null)));
        }
    }

    /** The session failed: a transaction under way gets its outcome with that failure. */
    void failed(ClientFailure failure) {
        if (tx != null && !tx.finished) {
            out.emit(new ClientEvent.Delivered(tx.result(failure)));
        }
        tx = null;
    }

    // ------------------------------------------------------------------------------------------
    // The replies; kind is the reply's first digit, already known to be 2, 4 or 5 where checked

    void onMail(Reply r, int kind) {
        if (!ClientSession.verdict(kind)) {
            session.unexpected(Outstanding.MAIL, r);
            return;
        }
        tx.mail = r;
        if (tx.stepwise) {
            out.emit(new ClientEvent.Replied(r));
            if (kind != 2) {
                tx = null; // nothing began at the server: no RSET needed
                session.ready();
            }
            return;
        }
        if (tx.pipelined) {
            return; // the RCPTs' and DATA's replies follow
        }
        if (kind != 2) {
            finish(false); // nothing began at the server: no RSET needed
        } else {
            sendRcpt();
        }
    }

    void onRcpt(Reply r, int kind) {
        if (!ClientSession.verdict(kind)) {
            session.unexpected(Outstanding.RCPT, r);
            return;
        }
        int i = tx.rcptAnswered++;
        tx.rcpt.set(i, r);
        if (kind == 2 && tx.mailAccepted()) {
            tx.accepted.add(i);
        }
        if (tx.stepwise) {
            out.emit(new ClientEvent.Replied(r));
            return;
        }
        int n = tx.recipients.size();
        if (!tx.pipelined && tx.rcptAnswered < n) {
            sendRcpt();
        } else if (tx.rcptAnswered == n && (!tx.pipelined || tx.bdat)) {
            envelopeDone();
        }
    }

    void onData(Reply r, int kind) {
        if (r.code() == 354) {
            if (tx.mailAccepted() && !tx.accepted.isEmpty()) {
                stuffer.reset();
                session.enter(ClientState.CONTENT);
                out.emit(new ClientEvent.SendContent());
            } else {
                // RFC 2920 §3.1: DATA was accepted though nothing before it was; "the client
                // SMTP should send a single dot", then reset.
                out.write(".");
                out.expect(Outstanding.EMPTY_MESSAGE);
            }
        } else if (kind == 4 || kind == 5) {
            tx.stopper = r;
            finish(tx.mailAccepted());
        } else {
            session.unexpected(Outstanding.DATA, r);
        }
    }

    void onEmptyMessage(Reply r, int kind) {
        if (ClientSession.verdict(kind)) {
            finish(tx.mailAccepted());
        } else {
            session.unexpected(Outstanding.EMPTY_MESSAGE, r);
        }
    }

    void onBdat(Reply r, int kind) {
        if (!ClientSession.verdict(kind)) {
            session.unexpected(Outstanding.BDAT, r);
        } else if (tx.finished) {
            return; // a chunk already in the pipeline after a refused one (RFC 3030 §4.2)
        } else if (kind != 2) {
            // RFC 3030 §4.2: after a 4xx/5xx to a chunk the client MUST NOT send more.
            tx.stopper = r;
            tx.chunkOutstanding = false;
            dropContent = session.state() == ClientState.CONTENT;
            finish(true);
        } else if (!tx.pipelined) {
            tx.chunkOutstanding = false;
            out.emit(new ClientEvent.SendContent());
        }
    }

    void onEndOfData(Reply r, int kind) {
        if (!ClientSession.verdict(kind)) {
            session.unexpected(Outstanding.END_OF_DATA, r);
        } else if (!tx.finished) {
            if (session.config().lmtp()) {
                int i = tx.accepted.get(tx.finals++);
                tx.verdict.set(i, r);
                if (tx.finals == tx.accepted.size()) {
                    tx.end = r;
                    finish(false);
                }
            } else {
                for (int i : tx.accepted) {
                    tx.verdict.set(i, r);
                }
                tx.end = r;
                finish(false);
            }
        }
    }

    void onRset(Reply r, int kind) {
        if (kind == 2) {
            tx = null;
            session.ready();
        } else {
            session.politeFail(ClientFailure.Kind.PROTOCOL_ERROR, Reply.of(451, "4.5.0", "The next hop refused RSET"),
                    "RSET was refused: " + r, r);
        }
    }

    private void sendRcpt() {
        out.command(EnvelopeLines.rcpt(tx.recipients.get(tx.rcptSent++), session.capabilities()), Outstanding.RCPT);
    }

    /** Every RCPT has its reply and no DATA was pipelined: go on to the content, or end. */
    private void envelopeDone() {
        if (!tx.mailAccepted() || tx.accepted.isEmpty()) {
            finish(tx.mailAccepted());
        } else if (tx.bdat) {
            session.enter(ClientState.CONTENT);
            out.emit(new ClientEvent.SendContent());
        } else {
            out.command("DATA", Outstanding.DATA);
        }
    }

    /** The transaction's outcome is known: tell the caller, then reset the server or be ready. */
    private void finish(boolean reset) {
        tx.finished = true;
        out.emit(new ClientEvent.Delivered(tx.result(null)));
        if (reset) {
            session.enter(ClientState.RESET);
            out.command("RSET", Outstanding.RSET);
        } else {
            tx = null;
            session.ready();
        }
    }
}
