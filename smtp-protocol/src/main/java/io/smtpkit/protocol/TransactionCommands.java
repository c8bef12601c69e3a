package io.smtpkit.protocol;

import static io.smtpkit.protocol.internal.Replies.*;

import io.smtpkit.protocol.internal.Ascii;
import io.smtpkit.protocol.internal.ChunkReader;
import io.smtpkit.protocol.internal.Extension;
import io.smtpkit.protocol.internal.MailArguments;
import io.smtpkit.protocol.internal.MessageContent;
import io.smtpkit.protocol.internal.Transaction;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The mail transaction's commands of one {@link SmtpSession} (RFC 5321 §3.3): MAIL, RCPT, DATA
 * and BDAT are checked, asked about and answered here, building the {@link Transaction} and
 * reading its {@link MessageContent}; the session owns sequencing, replies and errors.
 */
final class TransactionCommands {

    private final SmtpSession session;
    private final SessionConfig config;
    private final Transaction transaction;
    private final MessageContent content;

    TransactionCommands(SmtpSession session, SessionConfig config, SessionOutput out) {
        this.session = session;
        this.config = config;
        this.transaction = new Transaction(config);
        this.content = new MessageContent(config, out);
    }

    Transaction transaction() {
        return transaction;
    }

    // ------------------------------------------------------------------------------------------
    // MAIL (RFC 5321 §4.1.1.2) and RCPT (§4.1.1.3)

    void mail(String argument) {
        boolean secure = session.isSecure();
        boolean authenticated = session.authenticatedUser() != null;
        if (config.requireTls() && !secure) {
            session.refuse(TLS_REQUIRED);
            return;
        }
        if (config.requireAuth() && !authenticated) {
            session.refuse(AUTH_REQUIRED);
            return;
        }
        MailArguments parsed = MailArguments.mail(argument, config.smtpUtf8(), Verb.MAIL.syntax);
        Map<String, String> params = parsed.parameters();
        Reply problem = parsed.problem() != null ? parsed.problem()
                : Extension.checkMail(params, config, session.isExtended(), secure);
        if (problem == null && parsed.path().isInternationalized() && !params.containsKey("SMTPUTF8")) {
            problem = NEEDS_SMTPUTF8;
        }
        if (problem != null) {
            session.refuse(problem);
            return;
        }
        if (params.containsKey("AUTH") && !authenticated) {
            // RFC 4954 §5: a client that has not authenticated cannot vouch for the submitter;
            // the server MUST behave as if AUTH=<> was given.
            params.put("AUTH", "<>");
        }
        session.ask(new Decision.Mail(parsed.path(), params), (s, mail, reply) -> s.tx.mailDecided(mail, reply));
    }

    private void mailDecided(Decision.Mail mail, Reply reply) {
        if (!session.refusedBy(reply)) {
            transaction.begin(mail.reversePath(), mail.parameters());
            session.accepted(Verb.MAIL, reply, Reply.SENDER_OK);
        }
    }

    void rcpt(String argument) {
        MailArguments parsed = MailArguments.rcpt(argument, transaction.smtpUtf8(), Verb.RCPT.syntax);
        Map<String, String> params = parsed.parameters();
        Reply problem = parsed.problem() != null ? parsed.problem()
                : Extension.checkRcpt(params, config, session.isExtended(), session.isSecure());
        if (problem != null) {
            session.refuse(problem);
            return;
        }
        Reply limit = transaction.admitRecipient(); // RFC 5321 §4.5.3.1.10
        if (limit == RECIPIENT_OVERSHOOT) {
            session.terminate(limit);
        } else if (limit != null) {
            session.send(limit); // no error: the client sends the rest later
        } else {
            session.ask(new Decision.Rcpt(parsed.path(), params), (s, rcpt, reply) -> s.tx.rcptDecided(rcpt, reply));
        }
    }

    private void rcptDecided(Decision.Rcpt rcpt, Reply reply) {
        if (!session.refusedBy(reply)) {
            transaction.addRecipient(rcpt.recipient(), rcpt.parameters());
            session.accepted(Verb.RCPT, reply, Reply.RECIPIENT_OK);
        }
    }

    // ------------------------------------------------------------------------------------------
    // DATA (RFC 5321 §4.1.1.4) and BDAT (RFC 3030 §2): MessageContent reads, one hand-off answers

    void data(String argument) {
        if (!argument.isEmpty()) {
            session.refuseSyntax(Verb.DATA);
            return;
        }
        if (transaction.bodyType() == BodyType.BINARY_MIME) {
            session.refuse(BINARYMIME_NEEDS_BDAT); // RFC 3030 §3
            return;
        }
        content.open();
        content.startData();
        session.enter(Verb.DATA);
        session.send(DATA_GO_AHEAD);
    }

    void bdat(String argument) {
        long size = ChunkReader.size(argument);
        if (size < 0) {
            session.refuseSyntax(Verb.BDAT);
            return;
        }
        if (session.state() == SessionState.RCPT) { // the first chunk of the transaction
            content.open();
            session.enter(Verb.BDAT);
        }
        boolean last = Ascii.upper(argument.strip()).endsWith(" LAST");
        contentEnded(content.beginChunk(size, last));
    }

    /**
     * A BDAT out of sequence: its octets, if its syntax says how many, are read and dropped, then
     * {@code refusal} is the answer.
     */
    void refuseChunk(String argument, Reply refusal) {
        long size = ChunkReader.size(argument);
        if (size < 0) {
            session.refuse(refusal);
        } else {
            contentEnded(content.refuseChunk(size, refusal));
        }
    }

    /** A BDAT while CHUNKING is off, already answered 502: its octets, if any, are read and dropped. */
    void skipChunk(String argument) {
        content.skipChunk(ChunkReader.size(argument));
    }

    /** Whether the next input is content (a chunk being read through, or DATA) rather than command lines. */
    boolean readsContent() {
        return content.inChunk() || session.state() == SessionState.DATA;
    }

    /** Whether content octets are still to come (see {@link SmtpSession#isReceivingContent()}). */
    boolean expectsContent() {
        return content.expectsChunkOctets() || session.state() == SessionState.DATA;
    }

    /** Reads content from {@code in}; true once the chunk or the message has ended and was answered. */
    boolean readContent(ByteBuffer in) {
        return contentEnded(content.inChunk() ? content.readChunk(in) : content.readData(in));
    }

    /**
     * Answers the end of the message content or of one chunk; false if {@code end} is null (not
     * ended). Under LMTP what ends the message (the final dot, BDAT LAST) is answered once per
     * accepted recipient (RFC 2033 §4.2), a refusal of the content too.
     */
    private boolean contentEnded(MessageContent.End end) {
        if (end == null) {
            return false;
        }
        switch (end) {
            case COMPLETE -> session.ask(new Decision.Message(transaction.envelope(), content.size()),
                    (s, message, reply) -> s.tx.messageDecided(message, reply));
            // RFC 1870 §6.3 for DATA, RFC 3030 §2 for BDAT (later BDATs get 503).
            case TOO_BIG -> messageRefused(Reply.MESSAGE_TOO_BIG);
            case BAD_LINE_ENDINGS -> messageRefused(BAD_MESSAGE_LINE_ENDINGS);
            case CHUNK -> session.send(chunkReceived(content.size()));
            case REFUSED -> session.refuse(content.chunkRefusal());
            case SKIPPED -> { } // BDAT while CHUNKING is off: already answered with 502
        }
        return true;
    }

    private void messageRefused(Reply reply) {
        // A BDAT that is not the LAST gets one reply even under LMTP: the message has not ended.
        int times = config.lmtp() && content.endedMessage() ? transaction.recipients().size() : 1;
        for (int i = 0; i < times; i++) {
            session.send(reply);
        }
        session.resetTransaction();
    }

    /** The one answer to the message: for each recipient under LMTP, else once. */
    private void messageDecided(Decision.Message message, Reply reply) {
        session.resetTransaction();
        if (reply == null || reply.isPositive()) {
            session.forgiveErrors();
        }
        Reply answer = reply != null ? reply : Reply.OK;
        int times = config.lmtp() ? message.envelope().recipients().size() : 1;
        for (int i = 0; i < times; i++) {
            session.send(answer);
        }
    }

    /** The answer per recipient (see {@link SmtpSession#resumePerRecipient}), already checked for its size. */
    void messageDecided(List<Reply> replies) {
        session.resetTransaction();
        List<Reply> answers = new ArrayList<>(replies.size());
        for (Reply reply : replies) {
            answers.add(reply != null ? reply : Reply.OK);
        }
        if (answers.stream().anyMatch(Reply::isPositive)) {
            session.forgiveErrors(); // some mail was delivered: no prober
        }
        if (config.lmtp()) {
            answers.forEach(session::send);
        } else {
            session.send(oneFor(answers));
        }
    }

    /**
     * SMTP's one reply for per-recipient answers: the first if all accepted, else the first
     * temporary refusal, else the first refusal, so the client never hears "delivered" for a
     * message some recipient refused (see {@link SmtpSession#resumePerRecipient}).
     */
    private static Reply oneFor(List<Reply> answers) {
        Reply permanent = null;
        for (Reply answer : answers) {
            if (answer.isTransient()) {
                return answer;
            }
            if (answer.isPermanent() && permanent == null) {
                permanent = answer;
            }
        }
        return permanent != null ? permanent : answers.get(0);
    }

    // ------------------------------------------------------------------------------------------

    /** Content handed out so far will not become a message (the session closes). */
    void discardContent() {
        content.discard();
    }

    /** Ends the mail transaction (RFC 5321 §4.1.1.5); content received so far is dropped. */
    void reset() {
        content.reset();
        transaction.reset();
    }
}
