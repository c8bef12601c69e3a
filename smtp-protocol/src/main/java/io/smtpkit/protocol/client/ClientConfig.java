package io.smtpkit.protocol.client;

import java.util.Objects;

/**
 * How a {@link ClientSession} behaves: the name it greets with (RFC 5321 §4.1.1.1), SMTP or LMTP
 * (RFC 2033), whether it pipelines (RFC 2920), when it uses STARTTLS (RFC 3207) and which
 * credentials it gives AUTH (RFC 4954). Timeouts are not here: the transport owns time and reads
 * the {@link Wait} the session is in (RFC 5321 §4.5.3.2). Immutable; the password never appears
 * in {@link #toString()}.
 */
public final class ClientConfig {

    /** Whether the client uses STARTTLS (RFC 3207). */
    public enum Tls {
        /** Never, even when offered. */
        OFF,
        /** When the server offers it; in clear otherwise, or when STARTTLS is refused. */
        OPPORTUNISTIC,
        /**
         * Always: without STARTTLS (or when it is refused or the handshake fails) nothing is sent and
         * the session ends with {@link ClientFailure.Kind#TLS_UNAVAILABLE} (a 4xx, as Postfix's
         * {@code encrypt} level defers).
         */
        REQUIRED
    }

    private final String heloName;
    private final boolean lmtp;
    private final boolean pipelining;
    private final Tls tls;
    private final String user;
    private final String password;
    private final boolean allowInsecureAuth;
    private final int maxReplyLines;

    private ClientConfig(Builder b) {
        this.heloName = b.heloName;
        this.lmtp = b.lmtp;
        this.pipelining = b.pipelining;
        this.tls = b.tls;
        this.user = b.user;
        this.password = b.password;
        this.allowInsecureAuth = b.allowInsecureAuth;
        this.maxReplyLines = b.maxReplyLines;
    }

    /** A builder with the defaults: {@code localhost}, SMTP, pipelining, opportunistic TLS, no AUTH. */
    public static Builder builder() {
        return new Builder();
    }

    /** The name sent with EHLO, HELO or LHLO (RFC 5321 §4.1.1.1: the client's domain or an address literal). */
    public String heloName() {
        return heloName;
    }

    /** True for LMTP (RFC 2033): LHLO, and one reply per accepted recipient after the data. */
    public boolean lmtp() {
        return lmtp;
    }

    /** True to pipeline (RFC 2920) when the server offers PIPELINING. */
    public boolean pipelining() {
        return pipelining;
    }

    /** When STARTTLS is used. */
    public Tls tls() {
        return tls;
    }

    /** True when AUTH is configured ({@link Builder#credentials}). */
    public boolean authenticates() {
        return user != null;
    }

    /** The AUTH user, or {@code null} without AUTH. */
    public String user() {
        return user;
    }

    // Package-private: the password leaves this object only towards the session's AUTH line.
    String password() {
        return password;
    }

    /** True if credentials may be sent without TLS. */
    public boolean allowInsecureAuth() {
        return allowInsecureAuth;
    }

    /** The most lines one reply may have before it counts as a protocol error. */
    public int maxReplyLines() {
        return maxReplyLines;
    }

    /** The settings without the credentials. */
    @Override
    public String toString() {
        return "ClientConfig[helo=" + heloName + ", lmtp=" + lmtp + ", pipelining=" + pipelining + ", tls=" + tls
                + ", auth=" + (user != null) + ", allowInsecureAuth=" + allowInsecureAuth + "]";
    }

    /** Builds a {@link ClientConfig}. */
    public static final class Builder {
        private String heloName = "localhost";
        private boolean lmtp;
        private boolean pipelining = true;
        private Tls tls = Tls.OPPORTUNISTIC;
        private String user;
        private String password;
        private boolean allowInsecureAuth;
        private int maxReplyLines = 100;

        private Builder() {}

        /**
         * The name to greet with.
         *
         * @throws IllegalArgumentException if it is empty or holds a space or control character
         *     (it would change the command)
         */
        public Builder heloName(String name) {
            Objects.requireNonNull(name, "name");
            if (name.isEmpty() || name.chars().anyMatch(c -> c <= ' ' || c == 0x7f)) {
                throw new IllegalArgumentException("a HELO name is one word without controls: " + name);
            }
            this.heloName = name;
            return this;
        }

        /** LMTP (RFC 2033) instead of SMTP. */
        public Builder lmtp(boolean lmtp) {
            this.lmtp = lmtp;
            return this;
        }

        /** Whether to pipeline when PIPELINING is offered; default true. */
        public Builder pipelining(boolean pipelining) {
            this.pipelining = pipelining;
            return this;
        }

        /** When to use STARTTLS; default {@link Tls#OPPORTUNISTIC}. */
        public Builder tls(Tls tls) {
            this.tls = Objects.requireNonNull(tls, "tls");
            return this;
        }

        /**
         * AUTH PLAIN (preferred) or LOGIN with these credentials (RFC 4954, RFC 4616). When the
         * server offers neither, or refuses them, no mail is sent.
         *
         * @throws IllegalArgumentException if either holds NUL, CR or LF (PLAIN separates with NUL)
         */
        public Builder credentials(String user, String password) {
            Objects.requireNonNull(user, "user");
            Objects.requireNonNull(password, "password");
            if (bad(user) || bad(password) || user.isEmpty()) {
                throw new IllegalArgumentException("credentials must not be empty or hold NUL, CR or LF");
            }
            this.user = user;
            this.password = password;
            return this;
        }

        /** Whether credentials may be sent without TLS; default false. */
        public Builder allowInsecureAuth(boolean allow) {
            this.allowInsecureAuth = allow;
            return this;
        }

        /** The most lines in one reply (default 100): a server that sends more is broken or hostile. */
        public Builder maxReplyLines(int lines) {
            if (lines < 1) {
                throw new IllegalArgumentException("maxReplyLines must be positive: " + lines);
            }
            this.maxReplyLines = lines;
            return this;
        }

        /** The configuration. */
        public ClientConfig build() {
            return new ClientConfig(this);
        }

        private static boolean bad(String s) {
            return s.indexOf('\0') >= 0 || s.indexOf('\r') >= 0 || s.indexOf('\n') >= 0;
        }
    }
}
