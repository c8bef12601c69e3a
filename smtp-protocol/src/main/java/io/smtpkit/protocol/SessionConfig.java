package io.smtpkit.protocol;

import io.smtpkit.protocol.internal.Extension;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;

/**
 * How an {@link SmtpSession} behaves: its name, its limits and which extensions it offers.
 * Immutable; make one with {@link #builder()} and share it between sessions.
 *
 * <p>Defaults follow smtpd and Postfix: a 32 MiB message limit (smtpd's
 * {@code data_size_limit}), 1000 recipients per message (Postfix's
 * {@code smtpd_recipient_limit}) and 1000 more refused with 452 before the session closes
 * ({@code smtpd_recipient_overshoot_limit}), 10 client errors (Postfix allows 20), 512-octet
 * command lines (RFC 5321 §4.5.3.1.4), SMTPUTF8 off (smtpd's {@code enable_SMTPUTF8=False}),
 * bare line endings normalised as Postfix 3.9 does.
 */
public final class SessionConfig {

    /** smtpd's {@code DATA_SIZE_DEFAULT}: 32 MiB. */
    public static final long DEFAULT_MAX_MESSAGE_SIZE = 33_554_432L;
    /** RFC 5321 §4.5.3.1.4: a command line is at most 512 octets, CRLF included. */
    public static final int DEFAULT_MAX_COMMAND_LINE = 512;

    /**
     * The settings as they were given to the builder, each written once here: the builder fills a
     * copy, a config keeps one, {@link #toBuilder()} copies it back. What the RFCs derive from
     * them (SMTPUTF8 brings 8BITMIME, BINARYMIME needs CHUNKING, the greeting follows the
     * hostname) is worked out in the accessors, so nothing derived is ever stored.
     */
    private static final class Settings implements Cloneable {
        String hostname = "localhost";
        String greeting; // null: the default, which follows the hostname
        long maxMessageSize = DEFAULT_MAX_MESSAGE_SIZE;
        int maxRecipients = 1000;
        int maxRecipientOvershoot = 1000;
        int maxErrors = 10;
        int maxCommandLine = DEFAULT_MAX_COMMAND_LINE;
        boolean smtpUtf8;
        boolean eightBitMime = true;
        boolean pipelining = true;
        boolean chunking = true;
        boolean binaryMime = true;
        boolean enhancedStatusCodes = true;
        boolean dsn;
        boolean startTls;
        boolean authentication;
        boolean allowInsecureAuth;
        boolean requireTls;
        boolean requireAuth;
        boolean lmtp;
        BareLineEndings bareLineEndings = BareLineEndings.NORMALIZE;
        List<CommandExtension> extensions = new ArrayList<>();

        /** A copy that shares nothing mutable with this one. */
        Settings copy(boolean frozen) {
            try {
                Settings c = (Settings) clone();
                c.extensions = frozen ? List.copyOf(extensions) : new ArrayList<>(extensions);
                return c;
            } catch (CloneNotSupportedException e) {
                throw new AssertionError(e);
            }
        }
    }

    private final Settings set;
    // Derived once, not stored as settings: the line limits are looked up for every MAIL and RCPT
    // line (from the Extension table), the greeting for every session, the Extension table's EHLO
    // keywords for every EHLO.
    private final int maxMailLine;
    private final int maxRcptLine;
    private final String greeting; // the default follows the hostname
    private final List<String> ehloKeywords;
    private final List<String> secureEhloKeywords; // once TLS is active

    private SessionConfig(Settings settings) {
        set = settings.copy(true);
        maxMailLine = set.maxCommandLine + Extension.mailLineAllowance(this);
        maxRcptLine = set.maxCommandLine + Extension.rcptLineAllowance(this);
        greeting = set.greeting != null ? set.greeting : set.hostname + (set.lmtp ? " LMTP smtpkit" : " ESMTP smtpkit");
        ehloKeywords = List.copyOf(Extension.keywords(this, false));
        secureEhloKeywords = List.copyOf(Extension.keywords(this, true));
    }

    /** The EHLO keywords of the {@link Extension} table on a connection that is (not) {@code secure}. */
    List<String> extensionKeywords(boolean secure) {
        return secure ? secureEhloKeywords : ehloKeywords;
    }

    /** A builder with the defaults described above. */
    public static Builder builder() {
        return new Builder(new Settings());
    }

    /**
     * A builder that starts from this configuration's settings: a default greeting stays a
     * default (it follows a new hostname), BINARYMIME stays requested even while CHUNKING is off,
     * and 8BITMIME stays off as asked even while SMTPUTF8 turns it on.
     */
    public Builder toBuilder() {
        return new Builder(set);
    }

    /** The name the server gives itself in the greeting, in HELO/EHLO replies and in Received headers. */
    public String hostname() { return set.hostname; }
    /** The text of the 220 greeting. */
    public String greeting() { return greeting; }
    /** The largest message accepted in octets, 0 for no limit (RFC 1870). */
    public long maxMessageSize() { return set.maxMessageSize; }
    /**
     * The most recipients per message; more get {@code 452 4.5.3} (RFC 5321 §4.5.3.1.10), up to
     * {@link #maxRecipientOvershoot()} of them. 0 for no limit.
     */
    public int maxRecipients() { return set.maxRecipients; }
    /**
     * RCPT commands refused with {@code 452 4.5.3} because the transaction already has
     * {@link #maxRecipients()} recipients; one more and the session answers
     * {@code 421 4.7.0} and closes. RFC 5321 §4.5.3.1.10 asks a client to send the rest in a
     * later transaction, so one that keeps going only keeps the session busy. Counted per mail
     * transaction, as Postfix's {@code smtpd_recipient_overshoot_limit} is (its count starts again
     * with each transaction), so a client that delivers a long list in several transactions, and
     * overshoots a little in each while its pipelined commands catch up with the 452s, is not cut
     * off. Postfix goes on to count each RCPT past this limit as an error; closing at once is
     * simpler and ends the same way. 0 for no limit.
     */
    public int maxRecipientOvershoot() { return set.maxRecipientOvershoot; }
    /**
     * Client errors answered as usual; one more and the session answers {@code 421 4.7.0} and
     * closes, as Postfix does with {@code smtpd_hard_error_limit}.
     *
     * <p>Counted: syntax and sequence errors, unknown or unimplemented commands, too-long lines,
     * control characters, refused parameters (including a declared SIZE over the limit),
     * {@code 530}, failed AUTH (a refused {@link Decision.Authenticate} too, which stops password
     * guessing), and the handler's permanent (5xx) refusals of {@link Decision.Hello HELO/EHLO},
     * {@link Decision.Mail MAIL} and {@link Decision.Rcpt RCPT}: each costs the handler a look-up
     * and the client nothing, so a client that probes one recipient after another (directory
     * harvesting) is stopped like one that guesses passwords.
     *
     * <p>Not counted: the handler's temporary (4xx) refusals, which speak of the server's trouble
     * (a backend down), not of the client's; its refusal of a {@link Decision.Message message},
     * which the client paid for by sending it whole and which a relay emptying its queue meets
     * now and then; {@code 452} for too many recipients (see {@link #maxRecipientOvershoot()});
     * and the replies of a refused {@link Decision.Connect connection}, except that each command
     * but QUIT after a {@code 554} greeting is answered {@code 503} and counted.
     *
     * <p>The count starts again once a message is accepted, as in Postfix, whose limit is on the
     * errors a client makes "without delivering mail": a list server that meets a few unknown
     * recipients in each of many transactions is never cut off, while a client that only probes
     * is. STARTTLS starts it again too (RFC 3207 §4.2: the session starts over). 0 for no limit.
     */
    public int maxErrors() { return set.maxErrors; }
    /** The base command line limit in octets with CRLF, before extension allowances. */
    public int maxCommandLine() { return set.maxCommandLine; }
    /** Whether SMTPUTF8 (RFC 6531) is offered. */
    public boolean smtpUtf8() { return set.smtpUtf8; }
    /** Whether 8BITMIME (RFC 6152) is offered; always with SMTPUTF8, which requires it (RFC 6531 §3.1). */
    public boolean eightBitMime() { return set.eightBitMime || set.smtpUtf8; } // RFC 6531 §3.1: SMTPUTF8 servers MUST offer 8BITMIME
    /**
     * Whether PIPELINING (RFC 2920) is advertised; always under {@link #lmtp()}, since an LMTP
     * server MUST offer it (RFC 2033 §5). Pipelined input is handled correctly either way.
     */
    public boolean pipelining() { return set.pipelining || set.lmtp; }
    /** Whether CHUNKING and BDAT (RFC 3030) are offered. */
    public boolean chunking() { return set.chunking; }
    /** Whether BINARYMIME (RFC 3030 §3) is offered; only with CHUNKING. */
    public boolean binaryMime() { return set.binaryMime && set.chunking; } // RFC 3030 §3: only usable with BDAT
    /** Whether ENHANCEDSTATUSCODES (RFC 2034) is offered; always under {@link #lmtp()} (RFC 2033 §5). */
    public boolean enhancedStatusCodes() { return set.enhancedStatusCodes || set.lmtp; }
    /** Whether DSN (RFC 3461) parameters are accepted. The session records them; acting on them is the handler's job. */
    public boolean dsn() { return set.dsn; }
    /** Whether the transport can do STARTTLS (RFC 3207). */
    public boolean startTls() { return set.startTls; }
    /** Whether AUTH (RFC 4954) is offered: the transport answers {@link Decision.Authenticate}. */
    public boolean authentication() { return set.authentication; }
    /** Whether AUTH is offered without TLS. Off by default: passwords would cross the network in clear. */
    public boolean allowInsecureAuth() { return set.allowInsecureAuth; }
    /** Whether MAIL is refused ({@code 530 5.7.0}) until STARTTLS has been done. */
    public boolean requireTls() { return set.requireTls; }
    /** Whether MAIL is refused ({@code 530 5.7.0}) until the client has authenticated. */
    public boolean requireAuth() { return set.requireAuth; }
    /**
     * Whether the session speaks LMTP (RFC 2033) instead of SMTP: LHLO greets and HELO and EHLO
     * are unknown commands ({@code 500}, §4.1); LHLO gets the EHLO reply, with PIPELINING and
     * ENHANCEDSTATUSCODES always in it (§5); and the end of the message content (DATA's final dot,
     * BDAT LAST) is answered once per accepted recipient, in RCPT order (§4.2; see
     * {@link SmtpSession#resumePerRecipient}). LMTP is for a final delivery agent on a local
     * network, never on port 25 (§5): the server leaves that check to whoever picks the port.
     */
    public boolean lmtp() { return set.lmtp; }
    /** What to do with bare CR and LF. */
    public BareLineEndings bareLineEndings() { return set.bareLineEndings; }
    /** Registered command extensions, in registration order. */
    public List<CommandExtension> extensions() { return set.extensions; }

    /**
     * The longest MAIL command line accepted, in octets with CRLF. RFC 5321 §4.5.3.1.4 sets 512;
     * each extension that adds a MAIL parameter raises it by the length that extension's RFC
     * allows, so a client that uses all of them at their longest is never refused:
     * SIZE adds 26 (RFC 1870 §3), BODY= 16 (RFC 3030 §3 item 6: {@code " BODY=BINARYMIME"}, the
     * longest value, is exactly 16 octets; RFC 6152 names no figure for 8BITMIME, whose
     * {@code " BODY=8BITMIME"} is 14 and gets the same 16), SMTPUTF8 10 (RFC 6531 §3.1),
     * AUTH= 500 (RFC 4954 §5) and DSN's RET/ENVID 100 (RFC 3461 §4).
     */
    public int maxMailLine() {
        return maxMailLine;
    }

    /**
     * The longest RCPT command line accepted: 512 (RFC 5321 §4.5.3.1.4) plus 500 for DSN's
     * NOTIFY and ORCPT (RFC 3461 §4) when DSN is on.
     */
    public int maxRcptLine() {
        return maxRcptLine;
    }

    /**
     * The longest line the session buffers: the longest command of any kind, or a SASL response,
     * which RFC 4954 §4 allows up to 12288 octets.
     */
    public int maxLineBuffer() {
        int limit = Math.max(maxMailLine(), maxRcptLine());
        return set.authentication ? Math.max(limit, 12_288) : limit;
    }

    @Override
    public String toString() {
        return "SessionConfig[hostname=" + set.hostname + ", maxMessageSize=" + set.maxMessageSize
                + ", maxRecipients=" + set.maxRecipients + ", maxRecipientOvershoot=" + set.maxRecipientOvershoot
                + ", smtpUtf8=" + set.smtpUtf8 + ", startTls=" + set.startTls
                + ", authentication=" + set.authentication + ", lmtp=" + set.lmtp + ", bareLineEndings=" + set.bareLineEndings + "]";
    }

    /** Builds a {@link SessionConfig}. Every setter checks its argument and returns the builder. */
    public static final class Builder {
        private final Settings set;

        private Builder(Settings from) {
            set = from.copy(false);
        }

        /** The server's name; must be a plain token without spaces or control characters. */
        public Builder hostname(String hostname) {
            Objects.requireNonNull(hostname, "hostname");
            if (hostname.isEmpty() || !hostname.chars().allMatch(c -> c > 0x20 && c < 0x7f)) {
                throw new IllegalArgumentException("hostname must be printable ASCII without spaces: " + hostname);
            }
            set.hostname = hostname;
            return this;
        }

        /** The greeting text after {@code 220}; default {@code "<hostname> ESMTP smtpkit"}. */
        public Builder greeting(String greeting) {
            if (greeting != null && (greeting.indexOf('\r') >= 0 || greeting.indexOf('\n') >= 0)) {
                throw new IllegalArgumentException("greeting must not contain CR or LF");
            }
            set.greeting = greeting;
            return this;
        }

        /** The largest message in octets; 0 for no limit. */
        public Builder maxMessageSize(long octets) {
            set.maxMessageSize = requireNotNegative(octets, "maxMessageSize");
            return this;
        }

        /** The most recipients per message; 0 for no limit. */
        public Builder maxRecipients(int recipients) {
            set.maxRecipients = (int) requireNotNegative(recipients, "maxRecipients");
            return this;
        }

        /**
         * RCPTs refused with {@code 452} for the recipient limit, per transaction, tolerated
         * before {@code 421} and close (see {@link SessionConfig#maxRecipientOvershoot()}); 0 for
         * no limit.
         */
        public Builder maxRecipientOvershoot(int recipients) {
            set.maxRecipientOvershoot = (int) requireNotNegative(recipients, "maxRecipientOvershoot");
            return this;
        }

        /**
         * Client errors tolerated before {@code 421} and close (which count: see
         * {@link SessionConfig#maxErrors()}); 0 for no limit.
         */
        public Builder maxErrors(int errors) {
            set.maxErrors = (int) requireNotNegative(errors, "maxErrors");
            return this;
        }

        /** The base command line limit (RFC 5321 says 512); at least 64 so every command fits. */
        public Builder maxCommandLine(int octets) {
            if (octets < 64) {
                throw new IllegalArgumentException("maxCommandLine must be at least 64: " + octets);
            }
            set.maxCommandLine = octets;
            return this;
        }

        /** Offer SMTPUTF8 (RFC 6531). */
        public Builder smtpUtf8(boolean on) { set.smtpUtf8 = on; return this; }
        /** Offer 8BITMIME (RFC 6152); SMTPUTF8 turns it on whatever is set here (RFC 6531 §3.1). */
        public Builder eightBitMime(boolean on) { set.eightBitMime = on; return this; }
        /** Advertise PIPELINING (RFC 2920). */
        public Builder pipelining(boolean on) { set.pipelining = on; return this; }
        /** Offer CHUNKING/BDAT (RFC 3030). */
        public Builder chunking(boolean on) { set.chunking = on; return this; }
        /** Offer BINARYMIME (RFC 3030 §3); has no effect without CHUNKING. */
        public Builder binaryMime(boolean on) { set.binaryMime = on; return this; }
        /** Offer ENHANCEDSTATUSCODES (RFC 2034). */
        public Builder enhancedStatusCodes(boolean on) { set.enhancedStatusCodes = on; return this; }
        /** Accept DSN parameters (RFC 3461). */
        public Builder dsn(boolean on) { set.dsn = on; return this; }
        /** The transport can do STARTTLS. Set by the server when it has a TLS context. */
        public Builder startTls(boolean on) { set.startTls = on; return this; }
        /** Offer AUTH. Set by the server when it has an authenticator. */
        public Builder authentication(boolean on) { set.authentication = on; return this; }
        /** Offer AUTH on connections without TLS. */
        public Builder allowInsecureAuth(boolean on) { set.allowInsecureAuth = on; return this; }
        /** Refuse MAIL until TLS is active. */
        public Builder requireTls(boolean on) { set.requireTls = on; return this; }
        /** Refuse MAIL until the client has authenticated. */
        public Builder requireAuth(boolean on) { set.requireAuth = on; return this; }

        /**
         * Speak LMTP (RFC 2033) instead of SMTP: see {@link SessionConfig#lmtp()}. The default
         * greeting then says {@code LMTP} instead of {@code ESMTP}.
         */
        public Builder lmtp(boolean on) { set.lmtp = on; return this; }

        /** What to do with bare CR/LF. */
        public Builder bareLineEndings(BareLineEndings policy) {
            set.bareLineEndings = Objects.requireNonNull(policy, "policy");
            return this;
        }

        /** Adds a command, or replaces a built-in one with the same verb. */
        public Builder extension(CommandExtension extension) {
            Objects.requireNonNull(extension, "extension");
            String verb = extension.verb();
            if (verb == null || !verb.matches("[A-Za-z][A-Za-z0-9-]*")) {
                throw new IllegalArgumentException("extension verb must be a word: " + verb);
            }
            String keyword = extension.ehloKeyword();
            if (keyword != null && !keyword.chars().allMatch(c -> c >= 0x20 && c < 0x7f)) {
                throw new IllegalArgumentException("EHLO keyword must be printable ASCII: " + keyword);
            }
            set.extensions.removeIf(e -> e.verb().toUpperCase(Locale.ROOT).equals(verb.toUpperCase(Locale.ROOT)));
            set.extensions.add(extension);
            return this;
        }

        /** The configuration. */
        public SessionConfig build() {
            return new SessionConfig(set);
        }

        private static long requireNotNegative(long value, String name) {
            if (value < 0) {
                throw new IllegalArgumentException(name + " must not be negative: " + value);
            }
            return value;
        }
    }
}
