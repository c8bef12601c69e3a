package io.smtpkit.protocol;

import io.smtpkit.protocol.internal.DataDecoder;
import io.smtpkit.protocol.internal.LineReader;
import io.smtpkit.protocol.internal.PathParser;
import io.smtpkit.protocol.internal.Sasl;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.function.Consumer;

/**
 * One SMTP server session, without I/O (RFC 5321 §3, §4): bytes from the client go in through
 * {@link #receive(ByteBuffer)}; replies, message content and {@link Decision}s come out through
 * the {@link SessionOutput} given at construction.
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
 * <p>Rules from the RFCs live here and can be found by section number: command state checks in
 * {@link #checkSequence}, line limits in {@link SessionConfig#maxMailLine()}, dot-unstuffing in
 * {@link DataDecoder}.
 */
public final class SmtpSession implements SessionInfo {

    /** Built-in verbs. Anything else is an extension or unknown. */
    private enum Verb { HELO, EHLO, MAIL, RCPT, DATA, BDAT, RSET, NOOP, QUIT, HELP, VRFY, EXPN, STARTTLS, AUTH }

    /**
     * The transition table: in which states each verb may be used (RFC 5321 §4.1.4, RFC 3030 §2,
     * RFC 3207 §4, RFC 4954 §4). A verb used elsewhere gets a 503 chosen in {@link #checkSequence}.
     */
    private static final Map<Verb, Set<SessionState>> ALLOWED = new EnumMap<>(Verb.class);

    static {
        Set<SessionState> commandStates =
                EnumSet.of(SessionState.CONNECTED, SessionState.GREETED, SessionState.MAIL, SessionState.RCPT, SessionState.BDAT);
        for (Verb v : List.of(Verb.HELO, Verb.EHLO, Verb.RSET, Verb.NOOP, Verb.QUIT, Verb.HELP, Verb.VRFY, Verb.EXPN)) {
            ALLOWED.put(v, commandStates);
        }
        ALLOWED.put(Verb.MAIL, EnumSet.of(SessionState.GREETED));
        ALLOWED.put(Verb.RCPT, EnumSet.of(SessionState.MAIL, SessionState.RCPT));
        ALLOWED.put(Verb.DATA, EnumSet.of(SessionState.RCPT));
        ALLOWED.put(Verb.BDAT, EnumSet.of(SessionState.RCPT, SessionState.BDAT));
        ALLOWED.put(Verb.STARTTLS, EnumSet.of(SessionState.GREETED));
        ALLOWED.put(Verb.AUTH, EnumSet.of(SessionState.GREETED));
    }

    private static final Reply DATA_GO_AHEAD = Reply.of(354, "End data with <CR><LF>.<CR><LF>");
    private static final Reply MESSAGE_ACCEPTED = Reply.OK;
    private static final Reply BYE = Reply.of(221, "2.0.0", "Bye");
    private static final Reply READY_FOR_TLS = Reply.of(220, "2.0.0", "Ready to start TLS");
    private static final Reply TOO_MANY_ERRORS = Reply.of(421, "4.7.0", "Error: too many errors, closing connection");
    private static final Reply RECIPIENT_OVERSHOOT = Reply.of(421, "4.7.0", "Error: too many recipients, closing connection");
    private static final Reply LINE_TOO_LONG = Reply.of(500, "5.5.2", "Error: line too long");
    private static final Reply SASL_LINE_TOO_LONG = Reply.of(500, "5.5.6", "Authentication Exchange line is too long");
    private static final Reply BAD_SYNTAX = Reply.of(500, "5.5.2", "Error: bad syntax");
    private static final Reply BARE_LF = Reply.of(500, "5.5.2", "Error: bare <LF> received, lines must end with <CR><LF>");
    private static final Reply CONTROL_CHARACTERS = Reply.of(501, "5.5.2", "Error: control characters are not allowed");
    private static final Reply BAD_UTF8 = Reply.of(501, "5.5.2", "Error: invalid UTF-8");
    private static final Reply EIGHT_BIT_COMMAND = Reply.of(501, "5.5.2", "Error: 8-bit characters need SMTPUTF8");
    private static final Reply NEEDS_SMTPUTF8 = Reply.of(553, "5.6.7", "Error: non-ASCII address needs SMTPUTF8");
    private static final Reply SENDER_CONTROLS = Reply.of(553, "5.1.7", "Error: control characters are not allowed in addresses");
    private static final Reply RECIPIENT_CONTROLS = Reply.of(553, "5.1.3", "Error: control characters are not allowed in addresses");
    private static final Reply BAD_SENDER = Reply.of(501, "5.1.7", "Bad sender address syntax");
    private static final Reply BAD_RECIPIENT = Reply.of(501, "5.1.3", "Bad recipient address syntax");
    private static final Reply MAIL_SYNTAX = Reply.of(501, "5.5.4", "Syntax: MAIL FROM:<address> [parameters]");
    private static final Reply RCPT_SYNTAX = Reply.of(501, "5.5.4", "Syntax: RCPT TO:<address> [parameters]");
    private static final Reply PARAMETER_SYNTAX = Reply.of(501, "5.5.4", "Error: bad parameter syntax");
    private static final Reply UNKNOWN_MAIL_PARAMETER = Reply.of(555, "5.5.4", "MAIL FROM parameters not recognized or not implemented");
    private static final Reply UNKNOWN_RCPT_PARAMETER = Reply.of(555, "5.5.4", "RCPT TO parameters not recognized or not implemented");
    private static final Reply BAD_MESSAGE_LINE_ENDINGS = Reply.of(550, "5.6.0", "Error: message contains bare <CR> or <LF>");
    private static final Reply NO_VALID_RECIPIENTS = Reply.of(554, "5.5.1", "Error: no valid recipients");
    private static final Reply AUTH_CANCELLED = Reply.of(501, "5.0.0", "Authentication cancelled");
    private static final Reply AUTH_UNDECODABLE = Reply.of(501, "5.5.2", "Error: cannot decode response");
    private static final Reply REFUSED_SESSION = Reply.of(503, "5.5.1", "Error: session refused, only QUIT is accepted");

    private final SessionConfig config;
    private final SessionOutput out;
    private final LineReader lines;
    private final DataDecoder decoder;
    private final Consumer<ByteBuffer> contentSink = this::content;

    private SessionState state = SessionState.CONNECTED;
    private Decision awaiting;
    private boolean started;
    private boolean refused;
    private int errors;

    private String heloName;
    private boolean extended;
    private boolean enhancedCodes;
    private boolean secure;
    private String authenticatedUser;

    // The open mail transaction (RFC 5321 §3.3).
    private MailPath reversePath;
    private Map<String, String> mailParameters = Map.of();
    private BodyType bodyType = BodyType.SEVEN_BIT;
    private boolean smtpUtf8;
    private final List<MailPath> recipients = new ArrayList<>();
    private final List<Map<String, String>> recipientParameters = new ArrayList<>();
    private int recipientAttempts;
    private int recipientOvershoot; // RCPTs answered 452 for the recipient limit

    // Content of the message being received. "Open" while content has been handed out that
    // may still become a message, so the owner is told to discard it if it does not.
    private boolean contentOpen;
    private long contentSize;
    private boolean contentTooBig;

    // A BDAT chunk being read (RFC 3030 §2); a refused chunk is read too, and thrown away.
    private long chunkRemaining = -1;
    private boolean chunkKept;
    private boolean chunkLast;
    private Reply chunkRefusal;

    // An AUTH exchange (RFC 4954 §4).
    private String saslMechanism;
    private String saslUsername;

    /**
     * A session that writes to {@code out}. Nothing happens until {@link #start()}.
     */
    public SmtpSession(SessionConfig config, SessionOutput out) {
        this.config = Objects.requireNonNull(config, "config");
        this.out = Objects.requireNonNull(out, "out");
        this.lines = new LineReader(config.maxLineBuffer());
        this.decoder = new DataDecoder(config.bareLineEndings() == BareLineEndings.NORMALIZE);
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
        ask(new Decision.Connect());
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
            if (chunkRemaining >= 0) {
                readChunk(in);
                if (chunkRemaining < 0) {
                    return; // the chunk is done: commands may follow
                }
            } else if (state == SessionState.DATA) {
                if (decoder.decode(in, contentSink)) {
                    endOfData();
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
        return canRead() && (chunkRemaining > 0 || state == SessionState.DATA);
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
            return;
        }
        Decision decision = awaiting;
        if (decision == null) {
            throw new IllegalStateException("no decision is pending");
        }
        awaiting = null;
        if (decision instanceof Decision.Connect) {
            connected(reply);
        } else if (decision instanceof Decision.Hello hello) {
            greeted(hello, reply);
        } else if (decision instanceof Decision.Mail mail) {
            mailDecided(mail, reply);
        } else if (decision instanceof Decision.Rcpt rcpt) {
            rcptDecided(rcpt, reply);
        } else if (decision instanceof Decision.Message) {
            messageDecided(reply);
        } else if (decision instanceof Decision.Authenticate authenticate) {
            authDecided(authenticate, reply);
        }
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
            discardOpenContent();
            state = SessionState.CLOSED;
            awaiting = null;
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
        return reversePath;
    }

    @Override
    public List<MailPath> recipients() {
        return List.copyOf(recipients);
    }

    @Override
    public SessionConfig config() {
        return config;
    }

    /** The envelope of the open transaction, or {@code null} when none is open. */
    public Envelope envelope() {
        return reversePath == null
                ? null
                : new Envelope(reversePath, recipients, mailParameters, recipientParameters, bodyType, smtpUtf8);
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
        String text = decodeLine(bytes, length);
        if (text == null) {
            return;
        }
        if (state == SessionState.AUTH) {
            saslResponse(text);
        } else {
            command(text, in);
        }
    }

    /** The line as text, or {@code null} after answering a line that cannot be a command. */
    private String decodeLine(byte[] bytes, int length) {
        boolean ascii = true;
        for (int i = 0; i < length; i++) {
            int b = bytes[i];
            if (b < 0) {
                ascii = false;
            } else if (b < 0x20 || b == 0x7f) {
                // NUL, bare CR and the other controls have no place in a command (RFC 5321 §4.1.1).
                lineError(CONTROL_CHARACTERS);
                return null;
            }
        }
        if (ascii) {
            return new String(bytes, 0, length, StandardCharsets.ISO_8859_1);
        }
        if (!config.smtpUtf8()) {
            lineError(startsWithAddressVerb(bytes, length) ? NEEDS_SMTPUTF8 : EIGHT_BIT_COMMAND);
            return null;
        }
        String text;
        try {
            text = StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes, 0, length))
                    .toString();
        } catch (CharacterCodingException e) {
            lineError(BAD_UTF8);
            return null;
        }
        // The C1 controls and U+2028/U+2029 are UTF-8 too, but no more welcome than C0 ones: a
        // HELO name or a VRFY argument ends up in logs and headers. MAIL and RCPT go on, so that
        // their paths get the more telling 553 (PathParser.hasControl).
        if (!startsWithAddressVerb(bytes, length) && PathParser.hasControl(text, 0, text.length())) {
            lineError(CONTROL_CHARACTERS);
            return null;
        }
        return text;
    }

    private static boolean startsWithAddressVerb(byte[] bytes, int length) {
        String head = new String(bytes, 0, Math.min(length, 5), StandardCharsets.ISO_8859_1).toUpperCase(Locale.ROOT);
        return head.startsWith("MAIL ") || head.startsWith("RCPT ");
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
            String shown = verbText.length() > 32 ? verbText.substring(0, 32) + "..." : verbText;
            refuse(Reply.of(500, "5.5.2", "Error: command \"" + shown + "\" not recognized"));
            return;
        }
        if (!lineFits(verb, text)) {
            refuse(LINE_TOO_LONG);
            return;
        }
        if (!isEnabled(verb)) {
            refuse(Reply.of(502, "5.5.1", "Error: command " + verb + " not implemented"));
            if (verb == Verb.BDAT) {
                skipChunkOf(argument);
            }
            return;
        }
        Reply outOfSequence = checkSequence(verb);
        if (outOfSequence != null) {
            if (verb == Verb.BDAT) {
                refuseChunk(argument, outOfSequence);
            } else {
                refuse(outOfSequence);
            }
            return;
        }
        switch (verb) {
            case HELO -> hello(argument, false);
            case EHLO -> hello(argument, true);
            case MAIL -> mail(argument);
            case RCPT -> rcpt(argument);
            case DATA -> data(argument);
            case BDAT -> bdat(argument);
            case RSET -> rset(argument);
            case NOOP -> send(Reply.OK); // RFC 5321 §4.1.1.9: a NOOP argument is ignored
            case QUIT -> quit();
            case HELP -> help(argument);
            case VRFY -> vrfy(argument);
            case EXPN -> refuse(Reply.of(502, "5.5.1", "Error: EXPN not implemented"));
            case STARTTLS -> startTls(argument, in);
            case AUTH -> auth(argument);
        }
    }

    private static Verb verbOf(String text) {
        for (Verb v : Verb.values()) {
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
        return octets(text) + 2 <= limit;
    }

    private static int octets(String text) {
        for (int i = 0; i < text.length(); i++) {
            if (text.charAt(i) > 127) {
                return text.getBytes(StandardCharsets.UTF_8).length;
            }
        }
        return text.length();
    }

    private boolean isEnabled(Verb verb) {
        return switch (verb) {
            case BDAT -> config.chunking();
            case STARTTLS -> config.startTls();
            case AUTH -> config.authentication();
            default -> true;
        };
    }

    /**
     * Checks the verb against {@link #ALLOWED} and picks the RFC 5321 §4.1.4 / RFC 2920 §3.1
     * reply for a command out of sequence, or {@code null} when it may go ahead.
     */
    private Reply checkSequence(Verb verb) {
        if (ALLOWED.get(verb).contains(state)) {
            return null;
        }
        if (state == SessionState.CONNECTED) {
            return Reply.of(503, "5.5.1", "Error: send " + (verb == Verb.STARTTLS || verb == Verb.AUTH ? "EHLO" : "HELO/EHLO") + " first");
        }
        return switch (verb) {
            case MAIL -> Reply.of(503, "5.5.1", "Error: nested MAIL command");
            case RCPT -> state == SessionState.BDAT
                    ? Reply.of(503, "5.5.1", "Error: RCPT not allowed after BDAT")
                    : Reply.of(503, "5.5.1", "Error: need MAIL command");
            case DATA, BDAT -> {
                if (state == SessionState.BDAT) {
                    yield Reply.of(503, "5.5.1", "Error: DATA not allowed after BDAT");
                }
                if (state == SessionState.MAIL) {
                    yield recipientAttempts > 0 ? NO_VALID_RECIPIENTS : Reply.of(503, "5.5.1", "Error: need RCPT command");
                }
                yield Reply.of(503, "5.5.1", "Error: need MAIL command");
            }
            case STARTTLS, AUTH -> Reply.of(503, "5.5.1", "Error: MAIL transaction in progress");
            default -> Reply.of(503, "5.5.1", "Error: bad sequence of commands");
        };
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
            refuse(Reply.of(501, "5.5.4", "Syntax: " + (extendedHello ? "EHLO" : "HELO") + " hostname"));
            return;
        }
        ask(new Decision.Hello(domain, extendedHello));
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
        state = SessionState.GREETED;
        send(extended ? ehloReply() : Reply.of(250, config.hostname()));
    }

    private Reply ehloReply() {
        List<String> keywords = new ArrayList<>();
        keywords.add(config.hostname());
        long size = config.maxMessageSize();
        keywords.add("SIZE " + size);
        if (config.eightBitMime()) {
            keywords.add("8BITMIME");
        }
        if (config.smtpUtf8()) {
            keywords.add("SMTPUTF8");
        }
        if (config.pipelining()) {
            keywords.add("PIPELINING");
        }
        if (config.enhancedStatusCodes()) {
            keywords.add("ENHANCEDSTATUSCODES");
        }
        if (config.chunking()) {
            keywords.add("CHUNKING");
        }
        if (config.binaryMime()) {
            keywords.add("BINARYMIME");
        }
        if (config.dsn()) {
            keywords.add("DSN");
        }
        if (config.startTls() && !secure) {
            keywords.add("STARTTLS");
        }
        if (authOffered()) {
            keywords.add("AUTH PLAIN LOGIN");
        }
        for (CommandExtension extension : config.extensions()) {
            if (extension.ehloKeyword() != null) {
                keywords.add(extension.ehloKeyword());
            }
        }
        keywords.add("HELP");
        return new Reply(250, null, keywords);
    }

    private boolean authOffered() {
        return config.authentication() && (secure || config.allowInsecureAuth());
    }

    // ------------------------------------------------------------------------------------------
    // MAIL (RFC 5321 §4.1.1.2) and RCPT (§4.1.1.3)

    private void mail(String argument) {
        if (config.requireTls() && !secure) {
            refuse(Reply.of(530, "5.7.0", "Must issue a STARTTLS command first"));
            return;
        }
        if (config.requireAuth() && authenticatedUser == null) {
            refuse(Reply.of(530, "5.7.0", "Authentication required"));
            return;
        }
        int at = prefixEnd(argument, "FROM:");
        if (at < 0) {
            refuse(MAIL_SYNTAX);
            return;
        }
        PathParser.Parsed parsed = PathParser.parsePath(argument, at, config.smtpUtf8(), true, false);
        if (parsed == null) {
            refuse(argument.indexOf('<', at) == at ? BAD_SENDER : MAIL_SYNTAX);
            return;
        }
        if (PathParser.hasControl(argument, at, parsed.end())) {
            refuse(SENDER_CONTROLS);
            return;
        }
        Map<String, String> params = PathParser.parseParameters(argument, parsed.end(), config.smtpUtf8());
        if (params == null) {
            refuse(PARAMETER_SYNTAX);
            return;
        }
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
        ask(new Decision.Mail(parsed.path(), params));
    }

    /** RFC 1870, 6152, 3030, 6531, 4954 §5 and 3461 §4: the MAIL parameters this session knows. */
    private Reply checkMailParameters(Map<String, String> params) {
        if (!params.isEmpty() && !extended) {
            return UNKNOWN_MAIL_PARAMETER; // parameters need EHLO (RFC 5321 §4.1.1.2)
        }
        for (Map.Entry<String, String> p : params.entrySet()) {
            String value = p.getValue();
            Reply problem = switch (p.getKey()) {
                case "SIZE" -> {
                    // RFC 1870 §3: size-value = 1*20DIGIT; 19 and 20 digits overflow a long and
                    // are more than any limit anyway.
                    if (value == null || value.length() > 20 || !value.chars().allMatch(c -> c >= '0' && c <= '9')) {
                        yield PARAMETER_SYNTAX;
                    }
                    long declared = value.length() > 18 ? Long.MAX_VALUE : Long.parseLong(value);
                    yield config.maxMessageSize() > 0 && declared > config.maxMessageSize() ? Reply.MESSAGE_TOO_BIG : null;
                }
                case "BODY" -> {
                    String body = value == null ? "" : value.toUpperCase(Locale.ROOT);
                    boolean known = body.equals("7BIT")
                            || (body.equals("8BITMIME") && config.eightBitMime())
                            || (body.equals("BINARYMIME") && config.binaryMime());
                    yield known ? null : Reply.of(501, "5.5.4", "Error: unsupported BODY type");
                }
                case "SMTPUTF8" -> !config.smtpUtf8() ? UNKNOWN_MAIL_PARAMETER
                        : value != null ? PARAMETER_SYNTAX : null;
                case "AUTH" -> !authOffered() ? UNKNOWN_MAIL_PARAMETER : value == null ? PARAMETER_SYNTAX : null;
                case "RET" -> !config.dsn() ? UNKNOWN_MAIL_PARAMETER
                        : value != null && (value.equalsIgnoreCase("FULL") || value.equalsIgnoreCase("HDRS")) ? null
                        : PARAMETER_SYNTAX;
                case "ENVID" -> !config.dsn() ? UNKNOWN_MAIL_PARAMETER : value == null || value.length() > 100 ? PARAMETER_SYNTAX : null;
                default -> UNKNOWN_MAIL_PARAMETER;
            };
            if (problem != null) {
                return problem;
            }
        }
        return null;
    }

    private void mailDecided(Decision.Mail mail, Reply reply) {
        if (reply != null && !reply.isPositive()) {
            handlerRefused(reply);
            return;
        }
        reversePath = mail.reversePath();
        mailParameters = mail.parameters();
        String body = mailParameters.get("BODY");
        bodyType = body == null || body.equalsIgnoreCase("7BIT") ? BodyType.SEVEN_BIT
                : body.equalsIgnoreCase("8BITMIME") ? BodyType.EIGHT_BIT_MIME : BodyType.BINARY_MIME;
        smtpUtf8 = mailParameters.containsKey("SMTPUTF8");
        state = SessionState.MAIL;
        send(reply != null ? reply : Reply.SENDER_OK);
    }

    private void rcpt(String argument) {
        int at = prefixEnd(argument, "TO:");
        if (at < 0) {
            refuse(RCPT_SYNTAX);
            return;
        }
        PathParser.Parsed parsed = PathParser.parsePath(argument, at, smtpUtf8, false, true);
        if (parsed == null) {
            PathParser.Parsed utf8 = smtpUtf8 ? null : PathParser.parsePath(argument, at, true, false, true);
            if (utf8 != null) {
                // RFC 6531 §3.5: a UTF-8 address in a transaction without SMTPUTF8 is a 553 5.6.7
                // (RFC 5248), as on MAIL, not a syntax error; one with controls would be refused
                // even with SMTPUTF8, so that is the answer that tells the client the truth.
                refuse(PathParser.hasControl(argument, at, utf8.end()) ? RECIPIENT_CONTROLS : NEEDS_SMTPUTF8);
                return;
            }
            // Includes RCPT TO:<>, which RFC 5321 §4.1.1.3 does not allow.
            refuse(argument.indexOf('<', at) == at ? BAD_RECIPIENT : RCPT_SYNTAX);
            return;
        }
        if (PathParser.hasControl(argument, at, parsed.end())) {
            refuse(RECIPIENT_CONTROLS);
            return;
        }
        Map<String, String> params = PathParser.parseParameters(argument, parsed.end(), smtpUtf8);
        if (params == null) {
            refuse(PARAMETER_SYNTAX);
            return;
        }
        Reply problem = checkRcptParameters(params);
        if (problem != null) {
            refuse(problem);
            return;
        }
        if (config.maxRecipients() > 0 && recipients.size() >= config.maxRecipients()) {
            // RFC 5321 §4.5.3.1.10: 452, and the client sends the rest later. That is no error,
            // but a client that never stops would hold the session forever.
            recipientOvershoot++;
            if (config.maxRecipientOvershoot() > 0 && recipientOvershoot > config.maxRecipientOvershoot()) {
                terminate(RECIPIENT_OVERSHOOT);
            } else {
                send(Reply.TOO_MANY_RECIPIENTS);
            }
            return;
        }
        recipientAttempts++;
        ask(new Decision.Rcpt(parsed.path(), params));
    }

    /** RFC 3461 §4.1, §4.2: NOTIFY and ORCPT, only with DSN on; there are no other RCPT parameters. */
    private Reply checkRcptParameters(Map<String, String> params) {
        if (!params.isEmpty() && !extended) {
            return UNKNOWN_RCPT_PARAMETER; // parameters need EHLO (RFC 5321 §4.1.1.3), as on MAIL
        }
        for (Map.Entry<String, String> p : params.entrySet()) {
            String value = p.getValue();
            Reply problem = switch (p.getKey()) {
                case "NOTIFY" -> !config.dsn() ? UNKNOWN_RCPT_PARAMETER
                        : value != null && isNotifyList(value) ? null : PARAMETER_SYNTAX;
                case "ORCPT" -> !config.dsn() ? UNKNOWN_RCPT_PARAMETER
                        : value != null && value.indexOf(';') > 0 ? null : PARAMETER_SYNTAX;
                default -> UNKNOWN_RCPT_PARAMETER;
            };
            if (problem != null) {
                return problem;
            }
        }
        return null;
    }

    private static boolean isNotifyList(String value) {
        List<String> items = List.of(value.toUpperCase(Locale.ROOT).split(",", -1));
        if (items.contains("NEVER")) {
            return items.size() == 1;
        }
        return items.stream().allMatch(i -> i.equals("SUCCESS") || i.equals("FAILURE") || i.equals("DELAY"));
    }

    private void rcptDecided(Decision.Rcpt rcpt, Reply reply) {
        if (reply != null && !reply.isPositive()) {
            handlerRefused(reply);
            return;
        }
        recipients.add(rcpt.recipient());
        recipientParameters.add(rcpt.parameters());
        state = SessionState.RCPT;
        send(reply != null ? reply : Reply.RECIPIENT_OK);
    }

    /**
     * The index after {@code "FROM:"} or {@code "TO:"} (any case) and any spaces after it, which
     * many clients send though RFC 5321 has none; -1 if the prefix is missing.
     */
    private static int prefixEnd(String argument, String prefix) {
        if (!argument.regionMatches(true, 0, prefix, 0, prefix.length())) {
            return -1;
        }
        int i = prefix.length();
        while (i < argument.length() && argument.charAt(i) == ' ') {
            i++;
        }
        return i;
    }

    // ------------------------------------------------------------------------------------------
    // DATA (RFC 5321 §4.1.1.4)

    private void data(String argument) {
        if (!argument.isEmpty()) {
            refuse(Reply.of(501, "5.5.4", "Syntax: DATA"));
            return;
        }
        if (bodyType == BodyType.BINARY_MIME) {
            refuse(Reply.of(503, "5.5.1", "Error: BODY=BINARYMIME requires BDAT")); // RFC 3030 §3
            return;
        }
        contentSize = 0;
        contentTooBig = false;
        contentOpen = true;
        decoder.reset();
        state = SessionState.DATA;
        send(DATA_GO_AHEAD);
    }

    /** Counts content and hands it on while it is within the size limit (RFC 1870 §6.3). */
    private void content(ByteBuffer chunk) {
        int n = chunk.remaining();
        if (contentTooBig) {
            return;
        }
        long max = config.maxMessageSize();
        if (max > 0 && contentSize + n > max) {
            // Nothing past the limit is kept; the rest of the message is read and thrown away.
            contentTooBig = true;
            discardOpenContent();
            return;
        }
        contentSize += n;
        out.content(chunk);
    }

    private void endOfData() {
        if (contentTooBig) {
            send(Reply.MESSAGE_TOO_BIG);
            resetTransaction();
        } else if (decoder.sawBareLineEnding() && config.bareLineEndings() == BareLineEndings.REJECT) {
            discardOpenContent();
            send(BAD_MESSAGE_LINE_ENDINGS);
            resetTransaction();
        } else {
            contentOpen = false;
            ask(new Decision.Message(envelope(), contentSize));
        }
    }

    private void messageDecided(Reply reply) {
        resetTransaction();
        if (reply == null || reply.isPositive()) {
            // A client that delivers mail is no prober: its earlier errors are forgiven, as
            // Postfix forgives them (SessionConfig.maxErrors).
            errors = 0;
        }
        send(reply != null ? reply : MESSAGE_ACCEPTED);
    }

    // ------------------------------------------------------------------------------------------
    // BDAT (RFC 3030 §2): the size is known up front, so even a refused chunk is read and dropped.

    private void bdat(String argument) {
        long size = chunkSize(argument);
        if (size < 0) {
            refuse(Reply.of(501, "5.5.4", "Syntax: BDAT size [LAST]"));
            return;
        }
        if (state == SessionState.RCPT) {
            contentSize = 0;
            contentTooBig = false;
            contentOpen = true;
            state = SessionState.BDAT;
        }
        chunkLast = argument.strip().toUpperCase(Locale.ROOT).endsWith(" LAST");
        long max = config.maxMessageSize();
        chunkKept = !contentTooBig;
        if (max > 0 && size > max - contentSize) { // contentSize <= max: no overflow
            chunkKept = false;
            contentTooBig = true;
            discardOpenContent();
        }
        chunkRefusal = null;
        chunkRemaining = size;
        finishChunkIfDone();
    }

    private void refuseChunk(String argument, Reply refusal) {
        long size = chunkSize(argument);
        if (size < 0) {
            refuse(refusal);
            return;
        }
        chunkKept = false;
        chunkLast = false;
        chunkRefusal = refusal;
        chunkRemaining = size;
        finishChunkIfDone();
    }

    private void skipChunkOf(String argument) {
        long size = chunkSize(argument);
        if (size > 0) {
            chunkKept = false;
            chunkRefusal = null;
            chunkRemaining = size;
        }
    }

    /**
     * {@code BDAT SP chunk-size [SP end-marker]}: the size, or -1 if the syntax is wrong.
     * chunk-size is 1*DIGIT (RFC 3030 §2) with no upper bound: a size past a long still announces
     * a chunk, so it reads as {@link Long#MAX_VALUE} (more than any limit) rather than as a syntax
     * error, which would make the session take the chunk's octets for commands.
     */
    private static long chunkSize(String argument) {
        String[] words = argument.strip().split(" +");
        if (words.length < 1 || words.length > 2 || words[0].isEmpty()
                || !words[0].chars().allMatch(c -> c >= '0' && c <= '9')
                || (words.length == 2 && !words[1].equalsIgnoreCase("LAST"))) {
            return -1;
        }
        String digits = words[0].replaceFirst("^0+(?=.)", "");
        return digits.length() > 18 ? Long.MAX_VALUE : Long.parseLong(digits);
    }

    private void readChunk(ByteBuffer in) {
        int n = (int) Math.min(in.remaining(), chunkRemaining);
        if (chunkKept && n > 0) {
            ByteBuffer view = in.duplicate();
            view.limit(view.position() + n);
            contentSize += n;
            out.content(view);
        }
        in.position(in.position() + n);
        chunkRemaining -= n;
        finishChunkIfDone();
    }

    private void finishChunkIfDone() {
        if (chunkRemaining != 0) {
            return;
        }
        chunkRemaining = -1;
        if (chunkRefusal != null) {
            refuse(chunkRefusal);
            chunkRefusal = null;
        } else if (!chunkKept && contentTooBig) {
            // RFC 3030 §2: a refused chunk ends the transaction; later BDATs get 503.
            send(Reply.MESSAGE_TOO_BIG);
            resetTransaction();
        } else if (!chunkKept) {
            return; // BDAT while CHUNKING is off: already answered with 502
        } else if (chunkLast) {
            contentOpen = false;
            ask(new Decision.Message(envelope(), contentSize));
        } else {
            send(Reply.of(250, "2.0.0", "OK: " + contentSize + " octets received"));
        }
    }

    // ------------------------------------------------------------------------------------------
    // RSET, QUIT, HELP, VRFY (RFC 5321 §4.1.1.5-4.1.1.10)

    private void rset(String argument) {
        if (!argument.isEmpty()) {
            refuse(Reply.of(501, "5.5.4", "Syntax: RSET"));
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
            send(Reply.of(214, "2.0.0", "Supported commands: " + String.join(" ", supportedVerbs())));
            return;
        }
        String syntax = switch (topic) {
            case "HELO" -> "HELO hostname";
            case "EHLO" -> "EHLO hostname";
            case "MAIL" -> "MAIL FROM:<address> [SIZE=n] [BODY=7BIT|8BITMIME|BINARYMIME] [SMTPUTF8]";
            case "RCPT" -> "RCPT TO:<address>";
            case "DATA", "RSET", "NOOP", "QUIT", "STARTTLS" -> topic;
            case "BDAT" -> "BDAT size [LAST]";
            case "HELP" -> "HELP [command]";
            case "VRFY" -> "VRFY <address>";
            case "EXPN" -> "EXPN <list>";
            case "AUTH" -> "AUTH mechanism [initial-response]";
            default -> null;
        };
        if (syntax == null || !supportedVerbs().contains(topic)) {
            refuse(Reply.of(501, "5.5.4", "Supported commands: " + String.join(" ", supportedVerbs())));
        } else {
            send(Reply.of(214, "2.0.0", "Syntax: " + syntax));
        }
    }

    private List<String> supportedVerbs() {
        List<String> verbs = new ArrayList<>();
        for (Verb v : Verb.values()) {
            // EXPN is always answered 502, so HELP does not offer it.
            if (isEnabled(v) && v != Verb.EXPN) {
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
            refuse(Reply.of(501, "5.5.4", "Syntax: VRFY <address>"));
        } else {
            // RFC 5321 §3.5.3: 252 when the server will not verify but will accept mail.
            send(Reply.of(252, "2.5.0", "Cannot VRFY user, but will accept message and attempt delivery"));
        }
    }

    // ------------------------------------------------------------------------------------------
    // STARTTLS (RFC 3207)

    private void startTls(String argument, ByteBuffer in) {
        if (secure) {
            refuse(Reply.of(503, "5.5.1", "Error: TLS already active"));
            return;
        }
        if (!argument.isEmpty()) {
            refuse(Reply.of(501, "5.5.4", "Syntax: STARTTLS"));
            return;
        }
        send(READY_FOR_TLS);
        // RFC 3207 §4.2 and CVE-2011-0411: whatever was pipelined after STARTTLS arrived in
        // plaintext and must not be executed inside the TLS session.
        in.position(in.limit());
        lines.reset();
        state = SessionState.TLS;
        out.startTls();
    }

    // ------------------------------------------------------------------------------------------
    // AUTH (RFC 4954) with PLAIN (RFC 4616) and LOGIN

    private void auth(String argument) {
        if (!authOffered()) {
            refuse(Reply.of(538, "5.7.11", "Encryption required for requested authentication mechanism"));
            return;
        }
        if (authenticatedUser != null) {
            refuse(Reply.of(503, "5.5.1", "Error: already authenticated"));
            return;
        }
        String[] words = argument.strip().split(" +");
        if (words[0].isEmpty() || words.length > 2) {
            refuse(Reply.of(501, "5.5.4", "Syntax: AUTH mechanism [initial-response]"));
            return;
        }
        String mechanism = words[0].toUpperCase(Locale.ROOT);
        String initial = words.length == 2 ? words[1] : null;
        if (!mechanism.equals("PLAIN") && !mechanism.equals("LOGIN")) {
            refuse(Reply.of(504, "5.5.4", "Error: unrecognized authentication type"));
            return;
        }
        saslMechanism = mechanism;
        saslUsername = null;
        state = SessionState.AUTH;
        if (initial == null) {
            send(Reply.of(334, mechanism.equals("PLAIN") ? "" : Sasl.LOGIN_USERNAME_CHALLENGE));
        } else {
            saslResponse(initial);
        }
    }

    private void saslResponse(String response) {
        if (response.equals("*")) {
            endSasl();
            refuse(AUTH_CANCELLED);
            return;
        }
        String decoded = Sasl.decode(response.strip());
        if (decoded == null) {
            endSasl();
            refuse(AUTH_UNDECODABLE);
            return;
        }
        if (saslMechanism.equals("PLAIN")) {
            Sasl.PlainCredentials credentials = Sasl.plain(decoded);
            if (credentials == null) {
                endSasl();
                refuse(AUTH_UNDECODABLE);
                return;
            }
            ask(new Decision.Authenticate("PLAIN", credentials.authorizationId(), credentials.username(), credentials.password()));
        } else if (saslUsername == null) {
            if (decoded.isEmpty()) {
                // As PLAIN refuses an empty authcid (RFC 4616 §2, Sasl.plain): an authenticator
                // must never be asked about a user without a name.
                endSasl();
                refuse(AUTH_UNDECODABLE);
                return;
            }
            saslUsername = decoded;
            send(Reply.of(334, Sasl.LOGIN_PASSWORD_CHALLENGE));
        } else {
            ask(new Decision.Authenticate("LOGIN", "", saslUsername, decoded));
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
        saslMechanism = null;
        saslUsername = null;
        state = SessionState.GREETED;
    }

    // ------------------------------------------------------------------------------------------
    // Connection

    private void connected(Reply reply) {
        if (reply == null) {
            send(Reply.of(220, config.greeting()));
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

    private void ask(Decision decision) {
        awaiting = decision;
        out.decide(decision);
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
        discardOpenContent();
        reversePath = null;
        mailParameters = Map.of();
        bodyType = BodyType.SEVEN_BIT;
        smtpUtf8 = false;
        recipients.clear();
        recipientParameters.clear();
        recipientAttempts = 0;
        recipientOvershoot = 0;
        contentSize = 0;
        contentTooBig = false;
        chunkLast = false;
        if (state == SessionState.MAIL || state == SessionState.RCPT || state == SessionState.BDAT
                || state == SessionState.DATA) {
            state = SessionState.GREETED;
        }
    }

    private void discardOpenContent() {
        if (contentOpen) {
            contentOpen = false;
            out.discardContent();
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
        discardOpenContent();
        awaiting = null;
        state = SessionState.CLOSED;
        out.close();
    }
}
