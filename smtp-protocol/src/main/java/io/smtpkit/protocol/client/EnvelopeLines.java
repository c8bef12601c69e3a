package io.smtpkit.protocol.client;

import io.smtpkit.protocol.BodyType;
import io.smtpkit.protocol.Reply;

/**
 * A transaction's MAIL and RCPT lines with the ESMTP parameters the server's capabilities allow,
 * and the local refusal of a message that needs an extension the server lacks.
 */
final class EnvelopeLines {

    private static final Reply LOCAL_SMTPUTF8 = Reply.of(553, "5.6.7", "The next hop does not support SMTPUTF8 (RFC 6531)");
    private static final Reply LOCAL_8BIT = Reply.of(554, "5.6.3", "The next hop does not support 8BITMIME (RFC 6152)");
    private static final Reply LOCAL_BINARY = Reply.of(554, "5.6.3", "The next hop does not support BINARYMIME with CHUNKING (RFC 3030)");
    private static final Reply LOCAL_TOO_BIG = Reply.of(552, "5.3.4", "Message size exceeds the next hop's fixed maximum message size");

    private EnvelopeLines() {
    }

    /** Why {@code t} cannot go to a server with {@code caps}, or {@code null} when it can. */
    static ClientFailure refusal(Transaction t, Capabilities caps) {
        if (t.smtpUtf8() && !caps.smtpUtf8()) {
            return local(ClientFailure.Kind.NEEDS_SMTPUTF8, LOCAL_SMTPUTF8, "the message needs SMTPUTF8");
        }
        if (t.bodyType() == BodyType.EIGHT_BIT_MIME && !caps.eightBitMime()) {
            return local(ClientFailure.Kind.NEEDS_8BITMIME, LOCAL_8BIT, "the message is 8BITMIME");
        }
        if (t.bodyType() == BodyType.BINARY_MIME && !(caps.binaryMime() && caps.chunking())) {
            return local(ClientFailure.Kind.NEEDS_BINARYMIME, LOCAL_BINARY, "the message is BINARYMIME");
        }
        long max = caps.maxMessageSize();
        if (max > 0 && t.size() > max) {
            return local(ClientFailure.Kind.TOO_BIG, LOCAL_TOO_BIG, "the message has " + t.size() + " octets, the server takes " + max);
        }
        return null;
    }

    private static ClientFailure local(ClientFailure.Kind kind, Reply reply, String detail) {
        return new ClientFailure(kind, reply, null, detail);
    }

    static String mail(Transaction t, Capabilities caps) {
        StringBuilder s = new StringBuilder("MAIL FROM:").append(t.reversePath());
        if (caps.size() && t.size() >= 0) {
            s.append(" SIZE=").append(t.size());
        }
        switch (t.bodyType()) {
            case EIGHT_BIT_MIME -> s.append(" BODY=8BITMIME");
            case BINARY_MIME -> s.append(" BODY=BINARYMIME");
            default -> { }
        }
        if (t.smtpUtf8()) {
            s.append(" SMTPUTF8");
        }
        // RFC 3461 parameters only to a server that offers DSN; without it they would be refused.
        if (caps.dsn()) {
            parameter(s, " RET=", t.dsnReturn());
            parameter(s, " ENVID=", t.dsnEnvelopeId());
        }
        return s.toString();
    }

    static String rcpt(Transaction.Recipient r, Capabilities caps) {
        StringBuilder s = new StringBuilder("RCPT TO:").append(r.path());
        if (caps.dsn()) {
            parameter(s, " NOTIFY=", r.dsnNotify());
            parameter(s, " ORCPT=", r.originalRecipient());
        }
        return s.toString();
    }

    private static void parameter(StringBuilder s, String keyword, String value) {
        if (value != null) {
            s.append(keyword).append(value);
        }
    }
}
