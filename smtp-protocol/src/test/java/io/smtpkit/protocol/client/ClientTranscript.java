package io.smtpkit.protocol.client;

import io.smtpkit.protocol.BodyType;
import io.smtpkit.protocol.MailPath;
import io.smtpkit.protocol.Reply;
import io.smtpkit.protocol.transcript.Transcript;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Stream;

/**
 * A golden client transcript: the server transcripts' format with the roles swapped. {@code S:}
 * (and raw {@code R:}) lines are what the server sends and are fed in; {@code C:} (and raw
 * {@code B:}) lines are what the client must write; {@code A:} lines are what the client's owner
 * asks, {@code T:} lines what the transport reports, {@code E:} lines the events the session must
 * produce and {@code W:} the {@link Wait} it must be in. The format is in
 * {@code src/test/resources/client-transcripts/README.md}; escapes are {@link Transcript}'s.
 *
 * <p>Public and in the test-jar so that a transport's tests (smtp-relay) can play the server's
 * side of the same files over a socket.
 */
public final class ClientTranscript {

    /** The classpath folder holding the client transcripts. */
    public static final String FOLDER = "client-transcripts";

    /** One line that does or expects something, in file order. */
    public sealed interface Step permits Input, Output, Action, Expect {}

    /** {@code S:} / {@code R:}: bytes the server sends. */
    public record Input(byte[] bytes) implements Step {}

    /** {@code C:} / {@code B:}: bytes the client must write. */
    public record Output(byte[] bytes) implements Step {}

    /** {@code A:}, {@code T:} or {@code W:}: something done (or checked) between inputs. */
    public record Action(char kind, String text) implements Step {}

    /** {@code E:}: an event the session must produce. */
    public record Expect(String event) implements Step {}

    private final String name;
    private final Map<String, String> config;
    private final List<Step> steps;

    private ClientTranscript(String name, Map<String, String> config, List<Step> steps) {
        this.name = name;
        this.config = config;
        this.steps = List.copyOf(steps);
    }

    /** The file name without {@code .txt}. */
    public String name() {
        return name;
    }

    /** The steps in file order. */
    public List<Step> steps() {
        return steps;
    }

    @Override
    public String toString() {
        return name;
    }

    /** Every client transcript this class's loader sees, by name. */
    public static List<ClientTranscript> loadAll() {
        return loadAll(ClientTranscript.class.getClassLoader());
    }

    /** Every client transcript in the {@value #FOLDER} folder {@code loader} sees: a directory or a jar (the test-jar). */
    public static List<ClientTranscript> loadAll(ClassLoader loader) {
        URL url = loader.getResource(FOLDER);
        if (url == null) {
            throw new IllegalStateException("no " + FOLDER + " on the classpath");
        }
        try {
            java.net.URI uri = url.toURI();
            if (uri.getScheme().equals("jar")) {
                try (java.nio.file.FileSystem jar = java.nio.file.FileSystems.newFileSystem(uri, Map.of())) {
                    return loadFolder(jar.getPath(FOLDER));
                } catch (java.nio.file.FileSystemAlreadyExistsException e) {
                    return loadFolder(java.nio.file.FileSystems.getFileSystem(uri).getPath(FOLDER));
                }
            }
            return loadFolder(Path.of(uri));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    private static List<ClientTranscript> loadFolder(Path folder) throws IOException {
        try (Stream<Path> files = Files.list(folder)) {
            List<ClientTranscript> all = new ArrayList<>();
            for (Path file : files.sorted().toList()) {
                String fileName = file.getFileName().toString();
                if (fileName.endsWith(".txt")) {
                    all.add(parse(fileName.substring(0, fileName.length() - 4), Files.readString(file, StandardCharsets.UTF_8)));
                }
            }
            return all;
        }
    }

    /**
     * Parses transcript text.
     *
     * @throws IllegalArgumentException naming the line, for anything the format does not allow
     */
    public static ClientTranscript parse(String name, String text) {
        Map<String, String> config = new LinkedHashMap<>();
        List<Step> steps = new ArrayList<>();
        String[] lines = text.split("\n", -1);
        for (int n = 0; n < lines.length; n++) {
            String line = lines[n].endsWith("\r") ? lines[n].substring(0, lines[n].length() - 1) : lines[n];
            try {
                if (line.isBlank()) {
                    continue;
                }
                if (line.startsWith("#")) {
                    String comment = line.substring(1).strip();
                    if (comment.startsWith("config:")) {
                        for (String setting : comment.substring(7).strip().split("\\s+")) {
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
                    case 'S' -> steps.add(new Input(crlf(Transcript.unescape(rest))));
                    case 'R' -> steps.add(new Input(Transcript.unescape(rest)));
                    case 'C' -> steps.add(new Output(crlf(Transcript.unescape(rest))));
                    case 'B' -> steps.add(new Output(Transcript.unescape(rest)));
                    case 'A', 'T', 'W' -> steps.add(new Action(line.charAt(0), rest.strip()));
                    case 'E' -> steps.add(new Expect("E: " + rest.strip()));
                    default -> throw new IllegalArgumentException("unknown line kind " + line.charAt(0));
                }
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(name + ".txt line " + (n + 1) + ": " + e.getMessage(), e);
            }
        }
        ClientTranscript t = new ClientTranscript(name, config, steps);
        t.clientConfig();
        return t;
    }

    private static byte[] crlf(byte[] bytes) {
        byte[] out = new byte[bytes.length + 2];
        System.arraycopy(bytes, 0, out, 0, bytes.length);
        out[bytes.length] = '\r';
        out[bytes.length + 1] = '\n';
        return out;
    }

    /** The settings; unset ones keep the defaults, except the HELO name, which is {@code client.example}. */
    public ClientConfig clientConfig() {
        ClientConfig.Builder b = ClientConfig.builder().heloName("client.example");
        String user = null;
        String password = null;
        for (Map.Entry<String, String> e : config.entrySet()) {
            String v = e.getValue();
            switch (e.getKey()) {
                case "helo" -> b.heloName(v);
                case "lmtp" -> b.lmtp(bool(v));
                case "pipelining" -> b.pipelining(bool(v));
                case "tls" -> b.tls(ClientConfig.Tls.valueOf(v.toUpperCase(Locale.ROOT)));
                case "user" -> user = v;
                case "password" -> password = v;
                case "allowInsecureAuth" -> b.allowInsecureAuth(bool(v));
                case "maxReplyLines" -> b.maxReplyLines(Integer.parseInt(v));
                case "secure" -> bool(v);
                default -> throw new IllegalArgumentException(name + ".txt: unknown setting " + e.getKey());
            }
        }
        if (user != null) {
            b.credentials(user, password);
        }
        return b.build();
    }

    /** True with {@code # config: secure=true}: the connection is TLS from the start. */
    public boolean secure() {
        return bool(config.getOrDefault("secure", "false"));
    }

    private static boolean bool(String v) {
        if (!v.equals("true") && !v.equals("false")) {
            throw new IllegalArgumentException("expected true or false: " + v);
        }
        return v.equals("true");
    }

    /** What the client must do, as the runner records it: output lines and events in order. */
    public List<String> expected() {
        Recorder r = new Recorder();
        for (Step step : steps) {
            if (step instanceof Output o) {
                r.output(o.bytes());
            } else if (step instanceof Expect e) {
                r.event(e.event());
            } else if (step instanceof Action a && a.kind() == 'W') {
                r.event("W: " + a.text());
            }
        }
        return r.finish();
    }

    /**
     * Client output and events in one list: output bytes gathered between events, cut into
     * {@code C:} lines at each CRLF (a rest without CRLF is one {@code B:} entry), so the list does
     * not depend on how the output was batched.
     */
    public static final class Recorder {
        private final List<String> entries = new ArrayList<>();
        private final ByteArrayOutputStream pending = new ByteArrayOutputStream();

        /** Client bytes written. */
        public void output(byte[] bytes) {
            pending.writeBytes(bytes);
        }

        /** Client bytes written, as the session hands them out. */
        public void output(List<ByteBuffer> buffers) {
            for (ByteBuffer b : buffers) {
                byte[] bytes = new byte[b.remaining()];
                b.duplicate().get(bytes);
                pending.writeBytes(bytes);
            }
        }

        /** An event (or a {@code W:} check) in transcript syntax. */
        public void event(String event) {
            flush();
            entries.add(event);
        }

        /** Everything recorded, in order. */
        public List<String> finish() {
            flush();
            return entries;
        }

        private void flush() {
            byte[] b = pending.toByteArray();
            pending.reset();
            int start = 0;
            for (int i = 0; i + 1 < b.length; i++) {
                if (b[i] == '\r' && b[i + 1] == '\n') {
                    entries.add("C: " + Transcript.escape(java.util.Arrays.copyOfRange(b, start, i)));
                    start = i + 2;
                    i++;
                }
            }
            if (start < b.length) {
                entries.add("B: " + Transcript.escape(java.util.Arrays.copyOfRange(b, start, b.length)));
            }
        }
    }

    // ------------------------------------------------------------------------------------------
    // A: send syntax

    /**
     * {@code send <from> <to>[NOTIFY=..][ORCPT=..] ... [body=7bit|8bitmime|binarymime] [smtputf8]
     * [size=N] [ret=FULL|HDRS] [envid=X]}.
     */
    public static Transaction transaction(String args) {
        String[] words = args.split(" +");
        Transaction.Builder b = null;
        String ret = null;
        String envid = null;
        for (String w : words) {
            if (w.startsWith("<")) {
                int close = w.indexOf('>');
                MailPath path = path(w.substring(1, close));
                if (b == null) {
                    b = Transaction.from(path);
                    continue;
                }
                String notify = null;
                String orcpt = null;
                String rest = w.substring(close + 1);
                while (rest.startsWith("[")) {
                    int end = rest.indexOf(']');
                    String param = rest.substring(1, end);
                    rest = rest.substring(end + 1);
                    if (param.startsWith("NOTIFY=")) {
                        notify = param.substring(7);
                    } else if (param.startsWith("ORCPT=")) {
                        orcpt = param.substring(6);
                    } else {
                        throw new IllegalArgumentException("unknown recipient parameter " + param);
                    }
                }
                b.to(new Transaction.Recipient(path, notify, orcpt));
            } else if (w.startsWith("body=")) {
                b.body(switch (w.substring(5)) {
                    case "7bit" -> BodyType.SEVEN_BIT;
                    case "8bitmime" -> BodyType.EIGHT_BIT_MIME;
                    case "binarymime" -> BodyType.BINARY_MIME;
                    default -> throw new IllegalArgumentException(w);
                });
            } else if (w.equals("smtputf8")) {
                b.smtpUtf8(true);
            } else if (w.startsWith("size=")) {
                b.size(Long.parseLong(w.substring(5)));
            } else if (w.startsWith("ret=")) {
                ret = w.substring(4);
            } else if (w.startsWith("envid=")) {
                envid = w.substring(6);
            } else {
                throw new IllegalArgumentException("unknown send word " + w);
            }
        }
        return b.dsn(ret, envid).build();
    }

    /** A path from what is inside its angle brackets. */
    public static MailPath path(String inside) {
        if (inside.isEmpty()) {
            return MailPath.NULL;
        }
        int at = inside.lastIndexOf('@');
        return at < 0 ? new MailPath(inside, null) : new MailPath(inside.substring(0, at), inside.substring(at + 1));
    }

    // ------------------------------------------------------------------------------------------
    // Event rendering

    /** An event in {@code E:} syntax. */
    public static String render(ClientEvent event) {
        if (event instanceof ClientEvent.Ready) {
            return "E: ready";
        } else if (event instanceof ClientEvent.StartTls) {
            return "E: starttls";
        } else if (event instanceof ClientEvent.SendContent) {
            return "E: content";
        } else if (event instanceof ClientEvent.Closed c) {
            return c.failure() == null ? "E: closed" : "E: closed " + c.failure().kind();
        } else if (event instanceof ClientEvent.Delivered d) {
            return "E: result " + render(d.result());
        } else if (event instanceof ClientEvent.Replied r) {
            return "E: reply " + code(r.reply());
        }
        throw new IllegalArgumentException("not rendered: " + event);
    }

    /** {@code reply; <rcpt> reply STAGE; ...[; failure KIND]}, replies as code and enhanced code. */
    public static String render(TransactionResult result) {
        StringBuilder s = new StringBuilder(code(result.reply()));
        for (RecipientResult r : result.recipients()) {
            s.append("; ").append(r.recipient().path()).append(' ').append(code(r.reply())).append(' ').append(r.stage());
        }
        if (result.failure() != null) {
            s.append("; failure ").append(result.failure().kind());
        }
        return s.toString();
    }

    private static String code(Reply r) {
        return r.enhancedStatus() == null ? String.valueOf(r.code()) : r.code() + " " + r.enhancedStatus();
    }
}
