package io.smtpkit.protocol.client;

import io.smtpkit.protocol.BodyType;
import io.smtpkit.protocol.MailPath;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * One mail transaction to send (RFC 5321 §3.3): the reverse path, the recipients and what the
 * message needs of the server. The content is not here: it is streamed with
 * {@link ClientSession#content(java.nio.ByteBuffer)} once the server takes it.
 *
 * @param reversePath the MAIL FROM path, {@link MailPath#NULL} for a bounce
 * @param recipients one or more for {@link ClientSession#send(Transaction)}, in the order their
 *     RCPTs are sent; none for a stepwise {@link ClientSession#mail(Transaction)}
 * @param bodyType the BODY parameter (RFC 6152, RFC 3030 §3); {@link BodyType#BINARY_MIME}
 *     is sent with BDAT, everything else with DATA
 * @param smtpUtf8 whether the message needs SMTPUTF8 (RFC 6531 §3.4); always true when a path is
 *     internationalized
 * @param size the content's size in octets for {@code SIZE=} (RFC 1870 §5), or -1 when unknown
 * @param dsnReturn the RFC 3461 §4.3 {@code RET} value ({@code FULL} or {@code HDRS}), or {@code null}
 * @param dsnEnvelopeId the RFC 3461 §4.4 {@code ENVID} value as xtext, or {@code null}
 */
public record Transaction(
        MailPath reversePath,
        List<Recipient> recipients,
        BodyType bodyType,
        boolean smtpUtf8,
        long size,
        String dsnReturn,
        String dsnEnvelopeId) {

    /**
     * One recipient.
     *
     * @param path the forward path
     * @param dsnNotify the RFC 3461 §4.1 {@code NOTIFY} value (e.g. {@code SUCCESS,FAILURE}), or {@code null}
     * @param originalRecipient the RFC 3461 §4.2 {@code ORCPT} value ({@code rfc822;xtext}), or {@code null}
     */
    public record Recipient(MailPath path, String dsnNotify, String originalRecipient) {

        /** Checks that nothing here could end or change the RCPT line. */
        public Recipient {
            checkPath(path);
            checkValue(dsnNotify, "NOTIFY");
            checkValue(originalRecipient, "ORCPT");
        }

        /** A recipient without DSN parameters. */
        public static Recipient of(MailPath path) {
            return new Recipient(path, null, null);
        }

        /** True if it has a DSN parameter. */
        public boolean hasDsn() {
            return dsnNotify != null || originalRecipient != null;
        }
    }

    /**
     * Checks and normalizes the parts.
     *
     * @throws IllegalArgumentException with a size below -1, or a path or value
     *     with a CR, LF or NUL (or, for values, a space) that would let it forge a command
     */
    public Transaction {
        checkPath(reversePath);
        recipients = List.copyOf(recipients);
        Objects.requireNonNull(bodyType, "bodyType");
        if (size < -1) {
            throw new IllegalArgumentException("size is -1 (unknown) or more: " + size);
        }
        checkValue(dsnReturn, "RET");
        checkValue(dsnEnvelopeId, "ENVID");
        smtpUtf8 = smtpUtf8 || reversePath.isInternationalized()
                || recipients.stream().anyMatch(r -> r.path().isInternationalized());
    }

    /** A builder for a transaction from {@code reversePath}. */
    public static Builder from(MailPath reversePath) {
        return new Builder(reversePath);
    }

    /** True if RET, ENVID or any recipient's NOTIFY/ORCPT is set. */
    public boolean hasDsn() {
        return dsnReturn != null || dsnEnvelopeId != null || recipients.stream().anyMatch(Recipient::hasDsn);
    }

    private static void checkPath(MailPath path) {
        Objects.requireNonNull(path, "path");
        String s = path.address();
        if (s.indexOf('\r') >= 0 || s.indexOf('\n') >= 0 || s.indexOf('\0') >= 0) {
            throw new IllegalArgumentException("a path must not hold CR, LF or NUL");
        }
    }

    private static void checkValue(String value, String name) {
        if (value != null && (value.isEmpty() || value.chars().anyMatch(c -> c <= ' ' || c == 0x7f))) {
            throw new IllegalArgumentException(name + " must be one word without controls: " + value);
        }
    }

    /** Builds a {@link Transaction}. */
    public static final class Builder {
        private final MailPath reversePath;
        private final List<Recipient> recipients = new ArrayList<>();
        private BodyType bodyType = BodyType.SEVEN_BIT;
        private boolean smtpUtf8;
        private long size = -1;
        private String dsnReturn;
        private String dsnEnvelopeId;

        private Builder(MailPath reversePath) {
            this.reversePath = reversePath;
        }

        /** Adds a recipient without DSN parameters. */
        public Builder to(MailPath path) {
            recipients.add(Recipient.of(path));
            return this;
        }

        /** Adds a recipient. */
        public Builder to(Recipient recipient) {
            recipients.add(recipient);
            return this;
        }

        /** The BODY type; default 7BIT. */
        public Builder body(BodyType type) {
            this.bodyType = type;
            return this;
        }

        /** Asks for SMTPUTF8 even with ASCII paths (e.g. UTF-8 headers). */
        public Builder smtpUtf8(boolean smtpUtf8) {
            this.smtpUtf8 = smtpUtf8;
            return this;
        }

        /** The content size, for SIZE and for refusing locally what the server will not take. */
        public Builder size(long size) {
            this.size = size;
            return this;
        }

        /** RFC 3461 RET and ENVID (either may be {@code null}). */
        public Builder dsn(String ret, String envelopeId) {
            this.dsnReturn = ret;
            this.dsnEnvelopeId = envelopeId;
            return this;
        }

        /** The transaction. */
        public Transaction build() {
            return new Transaction(reversePath, recipients, bodyType, smtpUtf8, size, dsnReturn, dsnEnvelopeId);
        }
    }
}
