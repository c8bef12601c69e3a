package io.smtpkit.protocol.transcript;

import io.smtpkit.protocol.BareLineEndings;
import io.smtpkit.protocol.Decision;
import io.smtpkit.protocol.Reply;
import io.smtpkit.protocol.SessionConfig;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystem;
import java.nio.file.FileSystemAlreadyExistsException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Deque;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * A golden SMTP transcript: what a client sends, how the handler answers decisions, and exactly
 * what the server must answer and deliver. The format is described in
 * {@code src/test/resources/transcripts/README.md}; this class is the one parser of it, shared by
 * the in-memory session tests and (through the test-jar) the socket tests of smtp-server.
 *
 * <p>Expectations are compared as {@linkplain #expectedEvents() events}: strings in transcript
 * syntax whose bytes are written in the {@linkplain #escape(byte[]) canonical escaped form}, so
 * two events are equal exactly when their bytes are.
 */
public final class Transcript {

    /** The classpath folder holding the transcripts. */
    public static final String RESOURCE_FOLDER = "transcripts";

    /** The event for {@code S: <close>}: the server closed the connection. */
    public static final String CLOSE_EVENT = "S: <close>";
    /** The event for the server accepting STARTTLS and starting the handshake ({@code T: tls}, {@code T: tls-fail}). */
    public static final String STARTTLS_EVENT = "T: <starttls>";

    private static final Pattern REPLY = Pattern.compile("(\\d{3})(?: ([245]\\.\\d{1,3}\\.\\d{1,3}))?(?: (.*))?");

    /** What kind of decision a {@code D:} line answers. */
    public enum DecisionKind {
        CONNECT, HELLO, MAIL, RCPT, MESSAGE, AUTH,
        /**
         * {@code D: DELIVERY reply}: one recipient's answer to a message ({@link Script#answerPerRecipient}),
         * never the kind of a decision itself.
         */
        DELIVERY;

        /** The kind of {@code decision}. */
        public static DecisionKind of(Decision decision) {
            if (decision instanceof Decision.Connect) {
                return CONNECT;
            } else if (decision instanceof Decision.Hello) {
                return HELLO;
            } else if (decision instanceof Decision.Mail) {
                return MAIL;
            } else if (decision instanceof Decision.Rcpt) {
                return RCPT;
            } else if (decision instanceof Decision.Message) {
                return MESSAGE;
            } else if (decision instanceof Decision.Authenticate) {
                return AUTH;
            }
            throw new IllegalArgumentException("unknown decision " + decision);
        }

        static DecisionKind parse(String word) {
            switch (word.toUpperCase(Locale.ROOT)) {
                case "CONNECT": return CONNECT;
                case "HELLO": case "HELO": case "EHLO": return HELLO;
                case "MAIL": return MAIL;
                case "RCPT": return RCPT;
                case "MESSAGE": case "DATA": return MESSAGE;
                case "AUTH": return AUTH;
                case "DELIVERY": return DELIVERY;
                default: throw new IllegalArgumentException("unknown decision kind " + word);
            }
        }
    }

    /** One line of a transcript that does something or expects something, in file order. */
    public sealed interface Step permits Send, ExpectReply, ExpectClose, ExpectMessage, Answer, Tls, Timeout {}

    /** {@code C:} or {@code B:}: bytes the client sends (a {@code C:} line already has its CRLF). */
    public record Send(byte[] bytes) implements Step {}

    /** {@code S: line}: one reply line the server must send, without its CRLF. */
    public record ExpectReply(byte[] line) implements Step {}

    /** {@code S: <close>}: the server must close the connection here. */
    public record ExpectClose() implements Step {}

    /** {@code M:} lines: one delivered message, these exact (dot-unstuffed) bytes. */
    public record ExpectMessage(byte[] content) implements Step {}

    /** {@code D: KIND reply}: the next decision of this kind is answered with {@code reply} ({@code null}: default). */
    public record Answer(DecisionKind kind, Reply reply) implements Step {}

    /** {@code T: tls} or {@code T: tls-fail}: the server must have accepted STARTTLS; the handshake then succeeds or fails. */
    public record Tls(boolean success) implements Step {}

    /** {@code T: timeout}: the client stays silent until the server's idle timeout fires. */
    public record Timeout() implements Step {}

    /** The client's bytes up to an action, then the action ({@code null} after the last phase). */
    public record Phase(byte[] input, Step action) {}

    private final String name;
    private final Map<String, String> config;
    private final List<Step> steps;

    private Transcript(String name, Map<String, String> config, List<Step> steps) {
        this.name = name;
        this.config = Collections.unmodifiableMap(config);
        this.steps = List.copyOf(steps);
    }

    /** The file name without {@code .txt}. */
    public String name() {
        return name;
    }

    /** The {@code # config:} settings, as written. */
    public Map<String, String> config() {
        return config;
    }

    /** The steps in file order. */
    public List<Step> steps() {
        return steps;
    }

    @Override
    public String toString() {
        return name;
    }

    // ------------------------------------------------------------------------------------------
    // Reading

    /** Every transcript in the {@value #RESOURCE_FOLDER} classpath folder (a directory or inside a jar), by name. */
    public static List<Transcript> loadAll() {
        return loadAll(Transcript.class.getClassLoader());
    }

    /**
     * Every transcript in the {@value #RESOURCE_FOLDER} folder that {@code loader} sees, by name:
     * a directory (this module's tests) or a jar (the smtp-protocol test-jar, from smtp-server).
     */
    public static List<Transcript> loadAll(ClassLoader loader) {
        URL url = loader.getResource(RESOURCE_FOLDER);
        if (url == null) {
            throw new IllegalStateException("no " + RESOURCE_FOLDER + " folder on the classpath");
        }
        try {
            URI uri = url.toURI();
            if (uri.getScheme().equals("jar")) {
                try (FileSystem jar = FileSystems.newFileSystem(uri, Map.of())) {
                    return loadFolder(jar.getPath(RESOURCE_FOLDER));
                } catch (FileSystemAlreadyExistsException e) {
                    return loadFolder(FileSystems.getFileSystem(uri).getPath(RESOURCE_FOLDER)); // someone else's: leave it open
                }
            }
            return loadFolder(Path.of(uri));
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static List<Transcript> loadFolder(Path folder) throws IOException {
        List<Transcript> all = new ArrayList<>();
        try (Stream<Path> files = Files.list(folder)) {
            for (Path file : files.sorted().toList()) {
                String fileName = file.getFileName().toString();
                if (fileName.endsWith(".txt")) {
                    all.add(parse(fileName.substring(0, fileName.length() - 4), Files.readString(file, StandardCharsets.UTF_8)));
                }
            }
        }
        return all;
    }

    /**
     * Parses transcript text.
     *
     * @throws IllegalArgumentException naming the line, for anything the format does not allow
     */
    public static Transcript parse(String name, String text) {
        Map<String, String> config = new LinkedHashMap<>();
        List<Step> steps = new ArrayList<>();
        ByteArrayOutputStream message = null;
        String[] lines = text.split("\n", -1);
        for (int n = 0; n < lines.length; n++) {
            String line = lines[n].endsWith("\r") ? lines[n].substring(0, lines[n].length() - 1) : lines[n];
            try {
                if (!line.startsWith("M:") && message != null) {
                    steps.add(new ExpectMessage(message.toByteArray()));
                    message = null;
                }
                if (line.isBlank()) {
                    continue;
                }
                if (line.startsWith("#")) {
                    String comment = line.substring(1).strip();
                    if (comment.startsWith("config:")) {
                        for (String setting : comment.substring(7).strip().split("\\s+")) {
                            if (setting.isEmpty()) {
                                continue;
                            }
                            int eq = setting.indexOf('=');
                            if (eq <= 0) {
                                throw new IllegalArgumentException("config setting must be key=value: " + setting);
                            }
                            config.put(setting.substring(0, eq), setting.substring(eq + 1));
                        }
                    }
                    continue;
                }
                if (line.length() < 2 || line.charAt(1) != ':' || (line.length() > 2 && line.charAt(2) != ' ')) {
                    throw new IllegalArgumentException("a line must start with a letter, a colon and a space");
                }
                String rest = line.length() > 3 ? line.substring(3) : "";
                switch (line.charAt(0)) {
                    case 'C' -> {
                        byte[] bytes = unescape(rest);
                        byte[] withCrlf = new byte[bytes.length + 2];
                        System.arraycopy(bytes, 0, withCrlf, 0, bytes.length);
                        withCrlf[bytes.length] = '\r';
                        withCrlf[bytes.length + 1] = '\n';
                        steps.add(new Send(withCrlf));
                    }
                    case 'B' -> steps.add(new Send(unescape(rest)));
                    case 'S' -> steps.add(rest.equals("<close>") ? new ExpectClose() : new ExpectReply(unescape(rest)));
                    case 'M' -> {
                        if (message == null) {
                            message = new ByteArrayOutputStream();
                        }
                        message.writeBytes(unescape(rest));
                    }
                    case 'D' -> steps.add(parseAnswer(rest));
                    case 'T' -> steps.add(switch (rest.strip()) {
                        case "tls" -> new Tls(true);
                        case "tls-fail" -> new Tls(false);
                        case "timeout" -> new Timeout();
                        default -> throw new IllegalArgumentException("unknown action " + rest);
                    });
                    default -> throw new IllegalArgumentException("unknown line kind " + line.charAt(0));
                }
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(name + ".txt line " + (n + 1) + ": " + e.getMessage(), e);
            }
        }
        if (message != null) {
            steps.add(new ExpectMessage(message.toByteArray()));
        }
        Transcript transcript = new Transcript(name, config, steps);
        transcript.sessionConfig(); // reject unknown settings now, with the file's name
        return transcript;
    }

    private static Answer parseAnswer(String rest) {
        String[] words = rest.strip().split(" ", 2);
        DecisionKind kind = DecisionKind.parse(words[0]);
        if (words.length < 2 || words[1].strip().equals("default")) {
            return new Answer(kind, null);
        }
        Matcher m = REPLY.matcher(words[1].strip());
        if (!m.matches()) {
            throw new IllegalArgumentException("a decision answer is 'default' or 'CODE [x.y.z] text': " + words[1]);
        }
        String text = m.group(3) == null ? "" : new String(unescape(m.group(3)), StandardCharsets.UTF_8);
        return new Answer(kind, Reply.of(Integer.parseInt(m.group(1)), m.group(2), text));
    }

    // ------------------------------------------------------------------------------------------
    // What a run needs

    /**
     * The session configuration from the {@code # config:} settings; every setting not given
     * keeps the {@link SessionConfig} default, except the hostname, which is {@code mx.example}.
     */
    public SessionConfig sessionConfig() {
        SessionConfig.Builder b = SessionConfig.builder().hostname("mx.example");
        for (Map.Entry<String, String> e : config.entrySet()) {
            try {
                apply(b, e.getKey(), e.getValue());
            } catch (IllegalArgumentException problem) {
                throw new IllegalArgumentException(name + ".txt: config " + e.getKey() + "=" + e.getValue() + ": "
                        + problem.getMessage(), problem);
            }
        }
        return b.build();
    }

    private static void apply(SessionConfig.Builder b, String key, String v) {
        switch (key) {
            case "hostname" -> b.hostname(v);
            case "greeting" -> b.greeting(new String(unescape(v), StandardCharsets.UTF_8));
            case "maxMessageSize" -> b.maxMessageSize(Long.parseLong(v));
            case "maxRecipients" -> b.maxRecipients(Integer.parseInt(v));
            case "maxRecipientOvershoot" -> b.maxRecipientOvershoot(Integer.parseInt(v));
            case "maxErrors" -> b.maxErrors(Integer.parseInt(v));
            case "maxCommandLine" -> b.maxCommandLine(Integer.parseInt(v));
            case "smtputf8" -> b.smtpUtf8(bool(v));
            case "8bitmime" -> b.eightBitMime(bool(v));
            case "pipelining" -> b.pipelining(bool(v));
            case "chunking" -> b.chunking(bool(v));
            case "binarymime" -> b.binaryMime(bool(v));
            case "enhancedStatusCodes" -> b.enhancedStatusCodes(bool(v));
            case "dsn" -> b.dsn(bool(v));
            case "starttls" -> b.startTls(bool(v));
            case "auth" -> b.authentication(bool(v));
            case "allowInsecureAuth" -> b.allowInsecureAuth(bool(v));
            case "requireTls" -> b.requireTls(bool(v));
            case "requireAuth" -> b.requireAuth(bool(v));
            case "lmtp" -> b.lmtp(bool(v));
            case "bareLineEndings" -> b.bareLineEndings(BareLineEndings.valueOf(v.toUpperCase(Locale.ROOT)));
            default -> throw new IllegalArgumentException("unknown setting");
        }
    }

    private static boolean bool(String v) {
        if (!v.equals("true") && !v.equals("false")) {
            throw new IllegalArgumentException("expected true or false: " + v);
        }
        return v.equals("true");
    }

    /** A fresh answerer for one run: answers decisions from the {@code D:} lines, per kind in file order. */
    public Script script() {
        return new Script(steps);
    }

    /** Answers decisions as the {@code D:} lines say; a kind with no (more) lines gets the default. */
    public static final class Script {
        private final Map<DecisionKind, Deque<Answer>> answers = new EnumMap<>(DecisionKind.class);

        private Script(List<Step> steps) {
            for (Step step : steps) {
                if (step instanceof Answer a) {
                    answers.computeIfAbsent(a.kind(), k -> new ArrayDeque<>()).add(a);
                }
            }
        }

        /** The answer to {@code decision}, {@code null} for the default; each {@code D:} line is used once. */
        public Reply answer(Decision decision) {
            Deque<Answer> queue = answers.get(DecisionKind.of(decision));
            return queue == null || queue.isEmpty() ? null : queue.poll().reply();
        }

        /**
         * The per-recipient answer to {@code message} from the next {@code D: DELIVERY} lines, one
         * per recipient in order; {@code null} when no such line is left, and then
         * {@link #answer} gives the one answer for all.
         *
         * @throws AssertionError if fewer lines are left than the message has recipients
         */
        public List<Reply> answerPerRecipient(Decision.Message message) {
            Deque<Answer> queue = answers.get(DecisionKind.DELIVERY);
            if (queue == null || queue.isEmpty()) {
                return null;
            }
            int n = message.envelope().recipients().size();
            if (queue.size() < n) {
                throw new AssertionError(queue.size() + " D: DELIVERY lines left for " + n + " recipients");
            }
            List<Reply> replies = new ArrayList<>(n);
            for (int i = 0; i < n; i++) {
                replies.add(queue.poll().reply());
            }
            return replies;
        }

        /**
         * Fails if a {@code D:} line was never used: the session asked fewer decisions of that
         * kind than the transcript answers, so the transcript does not say what it seems to.
         */
        public void assertAllUsed() {
            List<Answer> unused = new ArrayList<>();
            answers.values().forEach(unused::addAll);
            if (!unused.isEmpty()) {
                throw new AssertionError("D: lines never used (the session asked no such decision): " + unused);
            }
        }
    }

    /** The client's input cut at each {@code T:} action: bytes that go to the session, then the action. */
    public List<Phase> phases() {
        List<Phase> phases = new ArrayList<>();
        ByteArrayOutputStream input = new ByteArrayOutputStream();
        for (Step step : steps) {
            if (step instanceof Send s) {
                input.writeBytes(s.bytes());
            } else if (step instanceof Tls || step instanceof Timeout) {
                phases.add(new Phase(input.toByteArray(), step));
                input.reset();
            }
        }
        phases.add(new Phase(input.toByteArray(), null));
        return phases;
    }

    /** What the server must do, in order: {@code S:}, {@code S: <close>}, {@code M:} and STARTTLS events. */
    public List<String> expectedEvents() {
        List<String> events = new ArrayList<>();
        for (Step step : steps) {
            if (step instanceof ExpectReply r) {
                events.add(replyEvent(r.line()));
            } else if (step instanceof ExpectClose) {
                events.add(CLOSE_EVENT);
            } else if (step instanceof ExpectMessage m) {
                events.add(messageEvent(m.content()));
            } else if (step instanceof Tls) {
                events.add(STARTTLS_EVENT);
            }
        }
        return events;
    }

    /** The event for a reply line (without CRLF). */
    public static String replyEvent(byte[] line) {
        return "S: " + escape(line);
    }

    /** The event for a delivered message. */
    public static String messageEvent(byte[] content) {
        return "M: " + escape(content);
    }

    // ------------------------------------------------------------------------------------------
    // Escapes

    /**
     * Turns transcript text into bytes: characters as UTF-8, and the escapes {@code \r \n \0 \t
     * \s} (space) {@code \\ \xHH} (one byte) and {@code \{N*text}} ({@code text} N times; text
     * may itself hold simple escapes but no '}').
     */
    public static byte[] unescape(String text) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(text.length());
        int i = 0;
        int n = text.length();
        while (i < n) {
            char c = text.charAt(i);
            if (c != '\\') {
                int end = i + 1;
                while (end < n && text.charAt(end) != '\\') {
                    end++;
                }
                out.writeBytes(text.substring(i, end).getBytes(StandardCharsets.UTF_8));
                i = end;
                continue;
            }
            if (i + 1 >= n) {
                throw new IllegalArgumentException("lone backslash at the end of: " + text);
            }
            char e = text.charAt(i + 1);
            i += 2;
            switch (e) {
                case 'r' -> out.write('\r');
                case 'n' -> out.write('\n');
                case '0' -> out.write(0);
                case 't' -> out.write('\t');
                case 's' -> out.write(' ');
                case '\\' -> out.write('\\');
                case 'x' -> {
                    if (i + 2 > n) {
                        throw new IllegalArgumentException("\\x needs two hex digits: " + text);
                    }
                    out.write(Integer.parseInt(text.substring(i, i + 2), 16));
                    i += 2;
                }
                case '{' -> {
                    int close = text.indexOf('}', i);
                    int star = text.indexOf('*', i);
                    if (close < 0 || star < 0 || star > close) {
                        throw new IllegalArgumentException("repetition is \\{N*text}: " + text);
                    }
                    int count = Integer.parseInt(text.substring(i, star));
                    byte[] unit = unescape(text.substring(star + 1, close));
                    for (int k = 0; k < count; k++) {
                        out.writeBytes(unit);
                    }
                    i = close + 1;
                }
                default -> throw new IllegalArgumentException("unknown escape \\" + e + " in: " + text);
            }
        }
        return out.toByteArray();
    }

    /**
     * The canonical text of bytes: printable ASCII as itself (a backslash doubled), {@code \r \n
     * \0 \t}, and {@code \xHH} for every other byte. {@code unescape(escape(b))} equals {@code b}.
     */
    public static String escape(byte[] bytes) {
        StringBuilder s = new StringBuilder(bytes.length + 16);
        for (byte value : bytes) {
            int b = value & 0xff;
            switch (b) {
                case '\r' -> s.append("\\r");
                case '\n' -> s.append("\\n");
                case 0 -> s.append("\\0");
                case '\t' -> s.append("\\t");
                case '\\' -> s.append("\\\\");
                default -> {
                    if (b >= 0x20 && b < 0x7f) {
                        s.append((char) b);
                    } else {
                        s.append(String.format("\\x%02X", b));
                    }
                }
            }
        }
        return s.toString();
    }

    /** Joins events one per line, for readable assertion failures. */
    public static String render(List<String> events) {
        return String.join("\n", Objects.requireNonNull(events)) + "\n";
    }
}
