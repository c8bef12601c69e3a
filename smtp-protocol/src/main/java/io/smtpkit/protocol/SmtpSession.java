package io.smtpkit.protocol;

import static io.smtpkit.protocol.internal.Replies.*;

import io.smtpkit.protocol.internal.ChunkReader;
import io.smtpkit.protocol.internal.CommandText;
import io.smtpkit.protocol.internal.Extension;
import io.smtpkit.protocol.internal.LineReader;
import io.smtpkit.protocol.internal.MailArguments;
import io.smtpkit.protocol.internal.MessageContent;
import io.smtpkit.protocol.internal.SaslExchange;
import io.smtpkit.protocol.internal.Transaction;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.function.Predicate;

/**
 * One SMTP server session, without I/O (RFC 5321 §3, §4): bytes from the client go in through
 * {@link #receive(ByteBuffer)}; replies and message content come out through the
 * {@link SessionOutput} given at construction, and the {@link Decision} it waits for is
 * {@link #awaiting()}, which the transport looks at after every call (decisions are pulled, not
 * pushed).
 *
 * <p>The life of a session:
 * <ol>
 *   <li>{@link #start()} asks {@link Decision.Connect}; the answer becomes the greeting.
 *   <li>{@link #receive(ByteBuffer)} consumes input until it needs a decision, the input runs out,
 *       STARTTLS is accepted, the session closes or message content ends (see
 *       {@link #isReceivingContent()}). Unconsumed bytes stay in the buffer (its position marks
 *       them): feed them again, after the decision if there is one.
 *   <li>While {@link #awaiting()} is non-null the session is paused and consumes nothing;
 *       {@link #resume(Reply)} gives the answer ({@code null} for the default).
 *   <li>After {@link SessionOutput#startTls()}, the transport does the handshake and reports
 *       {@link #tlsStarted(boolean)}.
 *   <li>{@link #timeout()}, {@link #terminate(Reply)} and {@link #connectionLost()} end it from
 *       the transport's side.
 * </ol>
 *
 * <p>A session is not thread-safe. It may be used from different threads one after another (a
 * decision is usually answered on another thread), provided the caller hands it over safely, for
 * example through an executor or a queue.
 *
 * <p>Rules from the RFCs can be found by section number: which command goes where in the verb
 * table ({@code Verb}) and {@link #outOfSequence}; each ESMTP extension's keyword, parameters and
 * line allowance in {@link io.smtpkit.protocol.internal.Extension}; the envelope and the
 * recipient limit in {@link io.smtpkit.protocol.internal.Transaction}; message content, its size
 * limit, dot-unstuffing and BDAT chunks in {@link io.smtpkit.protocol.internal.MessageContent};
 * AUTH in {@link io.smtpkit.protocol.internal.SaslExchange}.
 */
public final class SmtpSession implements SessionInfo {

    private static final Set<SessionState> COMMANDS = EnumSet.of(
            SessionState.CONNECTED, SessionState.GREETED, SessionState.MAIL, SessionState.RCPT, SessionState.BDAT);
    private static final Set<SessionState> GREETED = EnumSet.of(SessionState.GREETED);
    private static final Set<SessionState> SENDER = EnumSet.of(SessionState.MAIL, SessionState.RCPT);
    private static final Set<SessionState> RECIPIENTS = EnumSet.of(SessionState.RCPT);
    private static final Set<SessionState> CHUNKS = EnumSet.of(SessionState.RCPT, SessionState.BDAT);

    /** What a verb does once it may: the session, the argument after the verb, the input (for STARTTLS). */
    private interface Handler {
        void handle(SmtpSession session, String argument, ByteBuffer in);
    }

    /**
     * The verb table (RFC 5321 §4.1.4, RFC 3030 §2, RFC 3207 §4, RFC 4954 §4), one row per built-in
     * verb: the states it may be used in (elsewhere it gets the 503 of {@link #outOfSequence}), the
     * state its success leads to ({@code null}: none of its own), the setting that offers it
     * ({@code null}: always; otherwise 502), the syntax its 501 quotes, the syntax HELP shows
     * ({@code null}: not listed) and its handler. Anything not here is a {@link CommandExtension}
     * or unknown.
     */
    private enum Verb {
        //       allowed in  success leads to       offered by                   501 "Syntax:" and HELP text
        HELO(COMMANDS,   SessionState.GREETED, null,                        "HELO hostname", (s, a, in) -> s.hello(a, false)),
        EHLO(COMMANDS,   SessionState.GREETED, null,                        "EHLO hostname", (s, a, in) -> s.hello(a, true)),
        MAIL(GREETED,    SessionState.MAIL,    null,                        "MAIL FROM:<address> [parameters]",
                "MAIL FROM:<address> [SIZE=n] [BODY=7BIT|8BITMIME|BINARYMIME] [SMTPUTF8]", (s, a, in) -> s.mail(a)),
        RCPT(SENDER,     SessionState.RCPT,    null,                        "RCPT TO:<address> [parameters]",
                "RCPT TO:<address>", (s, a, in) -> s.rcpt(a)),
        DATA(RECIPIENTS, SessionState.DATA,    null,                        "DATA", (s, a, in) -> s.data(a)),
        BDAT(CHUNKS,     SessionState.BDAT,    SessionConfig::chunking,     "BDAT size [LAST]", (s, a, in) -> s.bdat(a)),
        RSET(COMMANDS,   null,                 null,                        "RSET", (s, a, in) -> s.rset(a)),
        // RFC 5321 §4.1.1.9: a NOOP argument is ignored.
        NOOP(COMMANDS,   null,                 null,                        "NOOP", (s, a, in) -> s.send(Reply.OK)),
        QUIT(COMMANDS,   null,                 null,                        "QUIT", (s, a, in) -> s.quit()),
        HELP(COMMANDS,   null,                 null,                        "HELP [command]", (s, a, in) -> s.help(a)),
        VRFY(COMMANDS,   null,                 null,                        "VRFY <address>", (s, a, in) -> s.vrfy(a)),
        // Always answered 502, so HELP does not offer it.
        EXPN(COMMANDS,   null,                 null,                        "EXPN <list>", null, (s, a, in) -> s.refuse(EXPN_NOT_IMPLEMENTED)),
        STARTTLS(GREETED, SessionState.TLS,    SessionConfig::startTls,     "STARTTLS", (s, a, in) -> s.startTls(a, in)),
        AUTH(GREETED,    SessionState.AUTH,    SessionConfig::authentication, "AUTH mechanism [initial-response]", (s, a, in) -> s.auth(a));

        static final Verb[] ALL = values(); // values() copies the array on every call

        final Set<SessionState> allowed;
        final SessionState next;
        final Predicate<SessionConfig> offeredBy;
        final String syntax;
        final String help;
        final Handler handler;

        Verb(Set<SessionState> allowed, SessionState next, Predicate<SessionConfig> offeredBy, String syntax, Handler handler) {
            this(allowed, next, offeredBy, syntax, syntax, handler);
        }

        Verb(Set<SessionState> allowed, SessionState next, Predicate<SessionConfig> offeredBy, String syntax, String help,
                Handler handler) {
            this.allowed = allowed;
            this.next = next;
            this.offeredBy = offeredBy;
            this.syntax = syntax;
            this.help = help;
            this.handler = handler;
        }
    }

    /**
     * What the answer to a decision does, chosen when it is asked (see {@link #ask}). The rows are
     * method references that capture nothing, so asking allocates no continuation.
     */
    private interface Answer<D extends Decision> {
        void answer(SmtpSession session, D decision, Reply reply);
    }

    private static final Decision.Connect CONNECT = new Decision.Connect();

    private final SessionConfig config;
    private final SessionOutput out;
    private final LineReader lines;
    private final CommandText commandText;
    private final Transaction transaction; // RFC 5321 §3.3
    private final MessageContent content; // DATA or BDAT chunks of the open transaction

    private SessionState state = SessionState.CONNECTED;
    private Decision awaiting;
    private Answer<Decision> onAnswer;
    private boolean started;
    private boolean refused;
    private int errors;

    private String heloName;
    private boolean extended;
    private boolean enhancedCodes;
    private boolean secure;
    private String authenticatedUser;

    private SaslExchange sasl; // an AUTH exchange (RFC 4954 §4), while the state is AUTH

    /**
     * A session that writes to {@code out}. Nothing happens until {@link #start()}.
     */
    public SmtpSession(SessionConfig config, SessionOutput out) {
        this.config = Objects.requireNonNull(config, "config");
        this.out = Objects.requireNonNull(out, "out");
        this.lines = new LineReader(config.maxLineBuffer());
        this.commandText = new CommandText(config.smtpUtf8());
        this.transaction = new Transaction(config);
        this.content = new MessageContent(config, out);
    }

    // ------------------------------------------------------------------------------------------
    // Driving the session

    /**
     * Begins a session on a connection that is already protected by TLS (implicit TLS,
     * RFC 8314 §3.3): the session is {@linkplain #isSecure() secure} from the first byte, so
     * STARTTLS is not offered and AUTH is. Otherwise as {@link #start()}. Call once, instead of it.
     */
    public void startSecure() {
        if (started) {
            throw new IllegalStateException("session already started");
        }
        secure = true;
        start();
    }

    /** Begins the session by asking {@link Decision.Connect}. Call once. */
    public void start() {
        if (started) {
            throw new IllegalStateException("session already started");
        }
        started = true;
        ask(CONNECT, (s, connect, reply) -> s.connected(reply));
    }

    /**
     * Consumes client bytes from {@code in}'s position. Returns when the input is used up, when
     * the session waits for a decision, after STARTTLS was accepted (the rest of the input is
     * discarded), once the session is closed, or right after the message content it was reading
     * has ended: the last octet of a BDAT chunk (RFC 3030 §2), kept or skipped, or the
     * end-of-data line of DATA (RFC 5321 §4.1.1.4). In all but the first case unconsumed bytes may
     * remain; call again to go on.
     *
     * <p>The last rule is for a transport that feeds command input in small slices, so that a
     * client pipelining thousands of commands cannot make it queue thousands of replies, and
     * content in whole buffers (see {@link #isReceivingContent()}): when a call returns with bytes
     * left while the session is open, not paused and not in STARTTLS, content has just ended and
     * those bytes are commands, which it can slice before calling again.
     */
    public void receive(ByteBuffer in) {
        while (in.hasRemaining() && canRead()) {
            if (content.inChunk()) {
                if (contentEnded(content.readChunk(in))) {
                    return; // the chunk is done: commands may follow
                }
            } else if (state == SessionState.DATA) {
                if (contentEnded(content.readData(in))) {
                    return; // commands may follow
                }
            } else {
                switch (lines.read(in)) {
                    case LINE -> line(in);
                    // RFC 4954 §6: 500 5.5.6 for a SASL response longer than the session takes.
                    case TOO_LONG -> lineError(state == SessionState.AUTH ? SASL_LINE_TOO_LONG : LINE_TOO_LONG);
                    case MORE -> { }
                }
            }
        }
    }

    /**
     * True exactly when the next bytes given to {@link #receive} would be taken as message
     * content: after DATA's 354 until its end-of-data line (RFC 5321 §4.1.1.4), or inside a BDAT
     * chunk whose octets are still to come (RFC 3030 §2), a refused chunk that is being read
     * through and thrown away included. False when they would be parsed as command lines (or SASL
     * responses), while a decision is pending, during STARTTLS and once closed. A transport can
     * use it to feed content in whole buffers and commands in slices (see {@link #receive}).
     */
    public boolean isReceivingContent() {
        return canRead() && (content.expectsChunkOctets() || state == SessionState.DATA);
    }

    /** The decision the session waits for, or {@code null} when it is not paused. */
    public Decision awaiting() {
        return awaiting;
    }

    /** True once the session takes no more input. */
    public boolean isClosed() {
        return state == SessionState.CLOSED;
    }

    /**
     * Answers the pending decision. {@code null} means the default answer of that decision
     * (see {@link Decision}). Then feed the rest of the input to {@link #receive} again.
     * A closed session ignores the answer: a handler may still be running when the connection
     * is lost or timed out.
     *
     * @throws IllegalStateException if the session is open and no decision is pending
     */
    public void resume(Reply reply) {
        if (state == SessionState.CLOSED) {
            awaiting = null;
            onAnswer = null;
            return;
        }
        Decision decision = awaiting;
        if (decision == null) {
            throw new IllegalStateException("no decision is pending");
        }
        Answer<Decision> then = onAnswer;
        awaiting = null;
        onAnswer = null;
        then.answer(this, decision, reply);
        if (reply != null && reply.code() == 421 && state != SessionState.CLOSED) {
            // RFC 5321 §3.8: a 421 announces that the server closes the channel, whatever it answers.
            close();
        }
    }

    /**
     * The transport finished the TLS handshake that {@link SessionOutput#startTls()} asked for.
     * On success the session forgets everything the client said before (RFC 3207 §4.2) and
     * waits for a new EHLO; on failure it closes.
     */
    public void tlsStarted(boolean success) {
        if (state != SessionState.TLS) {
            throw new IllegalStateException("STARTTLS was not accepted");
        }
        if (!success) {
            close();
            return;
        }
        secure = true;
        heloName = null;
        extended = false;
        enhancedCodes = false;
        authenticatedUser = null;
        errors = 0;
        resetTransaction();
        lines.reset();
        state = SessionState.CONNECTED;
    }

    /** The client was idle too long: answers {@link Reply#TIMEOUT} and closes. */
    public void timeout() {
        terminate(Reply.TIMEOUT);
    }

    /** Sends {@code reply} (normally a 421) and closes, whatever the session was doing. */
    public void terminate(Reply reply) {
        if (state == SessionState.CLOSED) {
            return;
        }
        send(reply);
        close();
    }

    /** The connection is gone: drops any partial message. No output but {@link SessionOutput#discardContent()}. */
    public void connectionLost() {
        if (state != SessionState.CLOSED) {
            content.discard();
            state = SessionState.CLOSED;
            awaiting = null;
            onAnswer = null;
        }
    }

    // ------------------------------------------------------------------------------------------
    // SessionInfo

    @Override
    public SessionState state() {
        return state;
    }

    @Override
    public String heloName() {
        return heloName;
    }

    @Override
    public boolean isExtended() {
        return extended;
    }

    @Override
    public boolean isSecure() {
        return secure;
    }

    @Override
    public String authenticatedUser() {
        return authenticatedUser;
    }

    @Override
    public MailPath reversePath() {
        return transaction.reversePath();
    }

    @Override
    public List<MailPath> recipients() {
        return transaction.recipients();
    }

    @Override
    public SessionConfig config() {
        return config;
    }

    /** The envelope of the open transaction, or {@code null} when none is open. */
    public Envelope envelope() {
        return transaction.envelope();
    }

    // ------------------------------------------------------------------------------------------
    // Command lines

    private boolean canRead() {
        return awaiting == null && state != SessionState.CLOSED && state != SessionState.TLS;
    }

    private void line(ByteBuffer in) {
        byte[] bytes = lines.bytes();
        int length = lines.length();
        boolean bareLf = lines.bareLf();
        lines.clear();
        if (bareLf && config.bareLineEndings() == BareLineEndings.REJECT) {
            lineError(BARE_LF);
            return;
        }
        String text = commandText.decode(bytes, length);
        if (text == null) {
            lineError(commandText.problem());
            return;
        }
        if (state == SessionState.AUTH) {
            saslResponse(text);
        } else {
            command(text, in);
        }
    }

    private void command(String text, ByteBuffer in) {
        int space = text.indexOf(' ');
        String verbText = (space < 0 ? text : text.substring(0, space)).toUpperCase(Locale.ROOT);
        String argument = space < 0 ? "" : text.substring(space + 1);
        if (verbText.isEmpty()) {
            refuse(BAD_SYNTAX);
            return;
        }
        if (refused && !verbText.equals("QUIT")) {
            refuse(REFUSED_SESSION);
            return;
        }
        for (CommandExtension extension : config.extensions()) {
            if (extension.verb().equalsIgnoreCase(verbText)) {
                Reply reply = extension.handle(argument, this);
                send(Objects.requireNonNull(reply, () -> "extension " + verbText + " returned no reply"));
                if (reply.code() == 421) {
                    close(); // RFC 5321 §3.8
                }
                return;
            }
        }
        Verb verb = verbOf(verbText);
        if (verb == null) {
            refuse(notRecognized(verbText));
            return;
        }
        if (!lineFits(verb, text)) {
            refuse(LINE_TOO_LONG);
            return;
        }
        if (!isEnabled(verb)) {
            refuse(notImplemented(verb.name()));
            if (verb == Verb.BDAT) {
                content.skipChunk(ChunkReader.size(argument));
            }
            return;
        }
        Reply outOfSequence = outOfSequence(verb);
        if (outOfSequence != null) {
            if (verb == Verb.BDAT && ChunkReader.size(argument) >= 0) {
                // Its octets are read and dropped, then the 503 is the answer.
                contentEnded(content.refuseChunk(ChunkReader.size(argument), outOfSequence));
            } else {
                refuse(outOfSequence);
            }
            return;
        }
        verb.handler.handle(this, argument, in);
    }

    private static Verb verbOf(String text) {
        for (Verb v : Verb.ALL) {
            if (v.name().equals(text)) {
                return v;
            }
        }
        return null;
    }

    /**
     * RFC 5321 §4.5.3.1.4: 512 octets per command line, CRLF included; MAIL and RCPT get the
     * allowances of the extensions that add parameters to them (see
     * {@link SessionConfig#maxMailLine()}).
     */
    private boolean lineFits(Verb verb, String text) {
        int limit = switch (verb) {
            case MAIL -> config.maxMailLine();
            case RCPT -> config.maxRcptLine();
            // AUTH's initial response may be as long as a SASL response line (RFC 4954 §4).
            case AUTH -> config.maxLineBuffer();
            default -> config.maxCommandLine();
        };
        return CommandText.octets(text) + 2 <= limit;
    }

    private boolean isEnabled(Verb verb) {
        return verb.offeredBy == null || verb.offeredBy.test(config);
    }

    /**
     * Checks the verb against its row of {@link Verb} and picks the RFC 5321 §4.1.4 / RFC 2920
     * §3.1 reply for a command out of sequence, or {@code null} when it may go ahead.
     */
    private Reply outOfSequence(Verb verb) {
        if (verb.allowed.contains(state)) {
            return null;
        }
        if (state == SessionState.CONNECTED) {
            return verb == Verb.STARTTLS || verb == Verb.AUTH ? SEND_EHLO_FIRST : SEND_HELO_FIRST;
        }
        return switch (verb) {
            case MAIL -> NESTED_MAIL;
            case RCPT -> state == SessionState.BDAT ? RCPT_AFTER_BDAT : NEED_MAIL;
            case DATA, BDAT -> state == SessionState.BDAT ? DATA_AFTER_BDAT
                    : state == SessionState.MAIL ? (transaction.triedRecipients() ? NO_VALID_RECIPIENTS : NEED_RCPT)
                    : NEED_MAIL;
            case STARTTLS, AUTH -> TRANSACTION_IN_PROGRESS;
            default -> BAD_SEQUENCE;
        };
    }

    /** Answers a known verb whose arguments are wrong, quoting its row of {@link Verb}. */
    private void refuseSyntax(Verb verb) {
        refuse(syntax(verb.syntax));
    }

    /** The verb succeeded: the session moves to the state its row names. */
    private void enter(Verb verb) {
        state = verb.next;
    }

    // ------------------------------------------------------------------------------------------
    // HELO / EHLO (RFC 5321 §4.1.1.1)

    /**
     * RFC 5321 §4.1.1.1 asks for a Domain or an address literal, but the session checks only
     * that there is one word: clients send underscores, bare IP addresses and unbracketed names
     * in the wild, and refusing them breaks mail that every common MTA takes (Postfix accepts any
     * word unless told to be strict). The handler sees the name in {@link Decision.Hello}.
     */
    private void hello(String argument, boolean extendedHello) {
        String domain = argument.strip();
        if (domain.isEmpty() || domain.indexOf(' ') >= 0) {
            refuseSyntax(extendedHello ? Verb.EHLO : Verb.HELO);
            return;
        }
        ask(new Decision.Hello(domain, extendedHello), SmtpSession::greeted);
    }

    private void greeted(Decision.Hello hello, Reply reply) {
        if (reply != null && !reply.isPositive()) {
            handlerRefused(reply); // a refused greeting leaves the session, and any transaction, as it was
            return;
        }
        // An accepted EHLO/HELO in the middle of a transaction resets it, as RSET would
        // (RFC 5321 §4.1.4: "if ... the EHLO command is acceptable to the SMTP server").
        resetTransaction();
        heloName = hello.domain();
        extended = hello.extended();
        enhancedCodes = extended && config.enhancedStatusCodes();
        enter(extended ? Verb.EHLO : Verb.HELO);
        send(extended ? ehlo(config, secure) : helo(config.hostname()));
    }

    private boolean authOffered() {
        return Extension.AUTH.offered(config, secure);
    }

    // ------------------------------------------------------------------------------------------
    // MAIL (RFC 5321 §4.1.1.2) and RCPT (§4.1.1.3)

    private void mail(String argument) {
        if (config.requireTls() && !secure) {
            refuse(TLS_REQUIRED);
            return;
        }
        if (config.requireAuth() && authenticatedUser == null) {
            refuse(AUTH_REQUIRED);
            return;
        }
        MailArguments parsed = MailArguments.mail(argument, config.smtpUtf8(), Verb.MAIL.syntax);
        if (parsed.problem() != null) {
            refuse(parsed.problem());
            return;
        }
        Map<String, String> params = parsed.parameters();
        Reply problem = checkMailParameters(params);
        if (problem == null && parsed.path().isInternationalized() && !params.containsKey("SMTPUTF8")) {
            problem = NEEDS_SMTPUTF8;
        }
        if (problem != null) {
            refuse(problem);
            return;
        }
        if (params.containsKey("AUTH") && authenticatedUser == null) {
            // RFC 4954 §5: a client that has not authenticated cannot vouch for the submitter;
            // the server MUST behave as if AUTH=<> was given.
            params.put("AUTH", "<>");
        }
        ask(new Decision.Mail(parsed.path(), params), SmtpSession::mailDecided);
    }

    /** The MAIL parameters are those of the offered {@link Extension}s, and only after EHLO. */
    private Reply checkMailParameters(Map<String, String> params) {
        if (!params.isEmpty() && !extended) {
            return UNKNOWN_MAIL_PARAMETER; // parameters need EHLO (RFC 5321 §4.1.1.2)
        }
        return Extension.checkMail(params, config, secure);
    }

    private void mailDecided(Decision.Mail mail, Reply reply) {
        if (reply != null && !reply.isPositive()) {
            handlerRefused(reply);
            return;
        }
        transaction.begin(mail.reversePath(), mail.parameters());
        enter(Verb.MAIL);
        send(reply != null ? reply : Reply.SENDER_OK);
    }

    private void rcpt(String argument) {
        MailArguments parsed = MailArguments.rcpt(argument, transaction.smtpUtf8(), Verb.RCPT.syntax);
        if (parsed.problem() != null) {
            refuse(parsed.problem());
            return;
        }
        Map<String, String> params = parsed.parameters();
        Reply problem = checkRcptParameters(params);
        if (problem != null) {
            refuse(problem);
            return;
        }
        Reply limit = transaction.admitRecipient(); // RFC 5321 §4.5.3.1.10
        if (limit == RECIPIENT_OVERSHOOT) {
            terminate(limit);
        } else if (limit != null) {
            send(limit); // no error: the client sends the rest later
        } else {
            ask(new Decision.Rcpt(parsed.path(), params), SmtpSession::rcptDecided);
        }
    }

    /** The RCPT parameters are those of the offered {@link Extension}s (DSN's), and only after EHLO. */
    private Reply checkRcptParameters(Map<String, String> params) {
        if (!params.isEmpty() && !extended) {
            return UNKNOWN_RCPT_PARAMETER; // parameters need EHLO (RFC 5321 §4.1.1.3), as on MAIL
        }
        return Extension.checkRcpt(params, config, secure);
    }

    private void rcptDecided(Decision.Rcpt rcpt, Reply reply) {
        if (reply != null && !reply.isPositive()) {
            handlerRefused(reply);
            return;
        }
        transaction.addRecipient(rcpt.recipient(), rcpt.parameters());
        enter(Verb.RCPT);
        send(reply != null ? reply : Reply.RECIPIENT_OK);
    }

    // ------------------------------------------------------------------------------------------
    // DATA (RFC 5321 §4.1.1.4) and BDAT (RFC 3030 §2): MessageContent reads, one hand-off answers

    private void data(String argument) {
        if (!argument.isEmpty()) {
            refuseSyntax(Verb.DATA);
            return;
        }
        if (transaction.bodyType() == BodyType.BINARY_MIME) {
            refuse(BINARYMIME_NEEDS_BDAT); // RFC 3030 §3
            return;
        }
        content.open();
        content.startData();
        enter(Verb.DATA);
        send(DATA_GO_AHEAD);
    }

    private void bdat(String argument) {
        long size = ChunkReader.size(argument);
        if (size < 0) {
            refuseSyntax(Verb.BDAT);
            return;
        }
        if (state == SessionState.RCPT) { // the first chunk of the transaction
            content.open();
            enter(Verb.BDAT);
        }
        boolean last = argument.strip().toUpperCase(Locale.ROOT).endsWith(" LAST");
        contentEnded(content.beginChunk(size, last));
    }

    /**
     * Answers the end of the message content or of one chunk; false if {@code end} is null (not
     * ended). A later
     * LMTP mode answers COMPLETE with one reply per accepted recipient (RFC 2033 §4.2), here.
     */
    private boolean contentEnded(MessageContent.End end) {
        if (end == null) {
            return false;
        }
        switch (end) {
            case COMPLETE -> ask(new Decision.Message(envelope(), content.size()), (s, message, reply) -> s.messageDecided(reply));
            // RFC 1870 §6.3 for DATA, RFC 3030 §2 for BDAT (later BDATs get 503).
            case TOO_BIG -> messageRefused(Reply.MESSAGE_TOO_BIG);
            case BAD_LINE_ENDINGS -> messageRefused(BAD_MESSAGE_LINE_ENDINGS);
            case CHUNK -> send(chunkReceived(content.size()));
            case REFUSED -> refuse(content.chunkRefusal());
            case SKIPPED -> { } // BDAT while CHUNKING is off: already answered with 502
        }
        return true;
    }

    private void messageRefused(Reply reply) {
        send(reply);
        resetTransaction();
    }

    private void messageDecided(Reply reply) {
        resetTransaction();
        if (reply == null || reply.isPositive()) {
            // A client that delivers mail is no prober: its earlier errors are forgiven, as
            // Postfix forgives them (SessionConfig.maxErrors).
            errors = 0;
        }
        send(reply != null ? reply : Reply.OK);
    }

    // ------------------------------------------------------------------------------------------
    // RSET, QUIT, HELP, VRFY (RFC 5321 §4.1.1.5-4.1.1.10)

    private void rset(String argument) {
        if (!argument.isEmpty()) {
            refuseSyntax(Verb.RSET);
            return;
        }
        resetTransaction();
        send(Reply.OK);
    }

    private void quit() {
        send(BYE);
        close();
    }

    private void help(String argument) {
        String topic = argument.strip().toUpperCase(Locale.ROOT);
        if (topic.isEmpty()) {
            send(supportedCommands(supportedVerbs()));
            return;
        }
        Verb verb = verbOf(topic);
        if (verb == null || verb.help == null || !supportedVerbs().contains(topic)) {
            refuse(unknownHelpTopic(supportedVerbs()));
        } else {
            send(helpSyntax(verb.help));
        }
    }

    private List<String> supportedVerbs() {
        List<String> verbs = new ArrayList<>();
        for (Verb v : Verb.ALL) {
            if (isEnabled(v) && v.help != null) {
                verbs.add(v.name());
            }
        }
        for (CommandExtension extension : config.extensions()) {
            String verb = extension.verb().toUpperCase(Locale.ROOT);
            if (!verbs.contains(verb)) {
                verbs.add(verb);
            }
        }
        verbs.sort(null);
        return verbs;
    }

    private void vrfy(String argument) {
        if (argument.isBlank()) {
            refuseSyntax(Verb.VRFY);
        } else {
            send(CANNOT_VRFY);
        }
    }

    // ------------------------------------------------------------------------------------------
    // STARTTLS (RFC 3207)

    private void startTls(String argument, ByteBuffer in) {
        if (secure) {
            refuse(TLS_ALREADY_ACTIVE);
            return;
        }
        if (!argument.isEmpty()) {
            refuseSyntax(Verb.STARTTLS);
            return;
        }
        send(READY_FOR_TLS);
        // RFC 3207 §4.2 and CVE-2011-0411: whatever was pipelined after STARTTLS arrived in
        // plaintext and must not be executed inside the TLS session.
        in.position(in.limit());
        lines.reset();
        enter(Verb.STARTTLS);
        out.startTls();
    }

    // ------------------------------------------------------------------------------------------
    // AUTH (RFC 4954): the exchange itself is a SaslExchange

    private void auth(String argument) {
        if (!authOffered()) {
            refuse(ENCRYPTION_REQUIRED);
            return;
        }
        if (authenticatedUser != null) {
            refuse(ALREADY_AUTHENTICATED);
            return;
        }
        String[] words = argument.strip().split(" +");
        if (words[0].isEmpty() || words.length > 2) {
            refuseSyntax(Verb.AUTH);
            return;
        }
        SaslExchange exchange = SaslExchange.start(words[0]);
        if (exchange == null) {
            refuse(UNKNOWN_MECHANISM);
            return;
        }
        sasl = exchange;
        enter(Verb.AUTH);
        if (words.length == 1) {
            send(exchange.firstChallenge());
        } else {
            saslResponse(words[1]);
        }
    }

    private void saslResponse(String response) {
        SaslExchange.Step step = sasl.respond(response);
        if (step.challenge() != null) {
            send(step.challenge());
        } else if (step.refusal() != null) {
            endSasl();
            refuse(step.refusal());
        } else {
            ask(step.credentials(), SmtpSession::authDecided);
        }
    }

    private void authDecided(Decision.Authenticate authenticate, Reply reply) {
        endSasl();
        if (reply != null && reply.code() / 100 == 2) {
            authenticatedUser = authenticate.username();
            send(reply);
        } else {
            refuse(reply != null ? reply : Reply.AUTHENTICATION_FAILED);
        }
    }

    private void endSasl() {
        sasl = null;
        state = SessionState.GREETED;
    }

    // ------------------------------------------------------------------------------------------
    // Connection

    private void connected(Reply reply) {
        if (reply == null) {
            send(greeting(config.greeting()));
            return;
        }
        send(reply);
        if (reply.code() == 554) {
            refused = true; // RFC 5321 §3.1: wait for QUIT, answer 503 to everything else
        } else if (!reply.isPositive()) {
            close();
        }
    }

    // ------------------------------------------------------------------------------------------
    // Helpers

    /** Pauses on {@code decision}; {@code then} is what its answer does (see {@link #resume}). */
    @SuppressWarnings("unchecked") // then is only ever called with the decision it was given with
    private <D extends Decision> void ask(D decision, Answer<D> then) {
        awaiting = decision;
        onAnswer = (Answer<Decision>) (Answer<?>) then; // the transport sees awaiting() after the call returns
    }

    private void send(Reply reply) {
        out.send(reply.encode(enhancedCodes));
    }

    /**
     * Answers a client error and counts it; once the errors exceed {@link SessionConfig#maxErrors()}
     * the answer is a 421 and the session closes, which stops a client that only probes or floods
     * (Postfix's {@code smtpd_hard_error_limit} counts the same way).
     */
    private void refuse(Reply reply) {
        errors++;
        if (config.maxErrors() > 0 && errors > config.maxErrors()) {
            terminate(TOO_MANY_ERRORS);
        } else {
            send(reply);
        }
    }

    /**
     * The handler refused a greeting, sender or recipient: a permanent refusal counts as a client
     * error (see {@link SessionConfig#maxErrors()}), a temporary one is only sent.
     */
    private void handlerRefused(Reply reply) {
        if (reply.code() >= 500) {
            refuse(reply);
        } else {
            send(reply);
        }
    }

    /** Ends the mail transaction (RFC 5321 §4.1.1.5); content received so far is dropped. */
    private void resetTransaction() {
        content.reset();
        transaction.reset();
        if (state == SessionState.MAIL || state == SessionState.RCPT || state == SessionState.BDAT
                || state == SessionState.DATA) {
            state = SessionState.GREETED;
        }
    }

    /** Answers a line that is no command at all; inside an AUTH exchange it also ends the exchange. */
    private void lineError(Reply reply) {
        if (state == SessionState.AUTH) {
            endSasl();
        }
        refuse(reply);
    }

    private void close() {
        content.discard();
        awaiting = null;
        onAnswer = null;
        state = SessionState.CLOSED;
        out.close();
    }
}
