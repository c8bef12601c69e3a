package io.smtpkit.server.testsupport;

import io.smtpkit.server.SmtpServer;
import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;

/**
 * The raw SMTP client of every test: a blocking socket on which it writes exactly the bytes it is
 * given and reads whole replies (RFC 5321 §4.2.1: {@code 250-} lines up to the {@code 250 } one).
 * Every read has a deadline ({@link #DEADLINE} per reply unless {@linkplain #deadline(Duration)
 * set}), so a server that stops answering fails the test instead of hanging it; STARTTLS and
 * implicit TLS take the caller's {@link SSLContext} (usually {@link TestTls#trustAll()}).
 *
 * <p>Replies come back as text (lines joined with LF, no final CRLF) for {@code startsWith} and
 * {@code assertEquals}, or as a parsed {@link Reply} from {@link #readReply()}.
 */
public final class SmtpClient implements Closeable {

    /** How long one reply may take unless {@link #deadline(Duration)} says otherwise. */
    public static final Duration DEADLINE = Duration.ofSeconds(20);

    private static final Pattern ENHANCED = Pattern.compile("^[245]\\.\\d{1,3}\\.\\d{1,3}(?= |$)");

    /**
     * One reply: its three-digit code, its enhanced status code (RFC 2034; null if it has none)
     * and its lines as sent, without CRLF.
     */
    public record Reply(int code, String enhancedCode, List<String> lines) {

        /** The lines joined with LF: what {@link SmtpClient#reply()} returns. */
        public String text() {
            return String.join("\n", lines);
        }

        /** The text of each line after the code and its separator, the enhanced code left in. */
        public List<String> texts() {
            return lines.stream().map(l -> l.length() > 4 ? l.substring(4) : "").toList();
        }

        @Override
        public String toString() {
            return text();
        }

        static Reply of(List<String> lines) throws IOException {
            String last = lines.get(lines.size() - 1);
            if (last.length() < 3 || !last.substring(0, 3).chars().allMatch(Character::isDigit)) {
                throw new IOException("not an SMTP reply: " + String.join("\n", lines));
            }
            Matcher enhanced = ENHANCED.matcher(last.length() > 4 ? last.substring(4) : "");
            return new Reply(Integer.parseInt(last.substring(0, 3)), enhanced.find() ? enhanced.group() : null,
                    List.copyOf(lines));
        }
    }

    private Socket socket;
    private InputStream in;
    private OutputStream out;
    private Duration deadline = DEADLINE;

    private SmtpClient(Socket socket) throws IOException {
        use(socket);
    }

    /** Connects to {@code server}. */
    public static SmtpClient connect(InetSocketAddress server) throws IOException {
        return connect(server, null);
    }

    /** Connects to {@code server}'s first address. */
    public static SmtpClient connect(SmtpServer server) throws IOException {
        return connect(server.addresses().get(0));
    }

    /** Connects from {@code localAddress} (127.0.0.2, say, to be another client) when not null. */
    public static SmtpClient connect(InetSocketAddress server, InetSocketAddress localAddress) throws IOException {
        Socket socket = new Socket();
        try {
            if (localAddress != null) {
                socket.bind(localAddress);
            }
            socket.connect(server, (int) DEADLINE.toMillis());
            socket.setTcpNoDelay(true);
            return new SmtpClient(socket);
        } catch (IOException e) {
            socket.close();
            throw e;
        }
    }

    /** Connects to an implicit-TLS port (RFC 8314) and shakes hands before reading anything. */
    public static SmtpClient connectTls(InetSocketAddress server, SSLContext context) throws IOException {
        SmtpClient client = connect(server);
        try {
            client.startTls(context);
        } catch (IOException e) {
            client.close();
            throw e;
        }
        return client;
    }

    /** Sets how long each following reply (or line) may take to arrive; returns this client. */
    public SmtpClient deadline(Duration perReply) {
        this.deadline = perReply;
        return this;
    }

    /** The socket (the TLS one after {@link #startTls}), for buffer sizes and the like. */
    public Socket socket() {
        return socket;
    }

    /** Writes {@code text} as UTF-8, as it is: add the CRLF yourself. */
    public void send(String text) throws IOException {
        send(text.getBytes(StandardCharsets.UTF_8));
    }

    /** Writes {@code bytes} as they are, in one write. */
    public void send(byte[] bytes) throws IOException {
        out.write(bytes);
        out.flush();
    }

    /** Sends one command line with CRLF and returns the reply's text. */
    public String command(String line) throws IOException {
        send(line + "\r\n");
        return reply();
    }

    /**
     * Sends {@code lines} pipelined (RFC 2920), each with CRLF, all in one write, then reads one
     * reply per line; returns their texts in order.
     */
    public List<String> pipeline(String... lines) throws IOException {
        StringBuilder batch = new StringBuilder();
        for (String line : lines) {
            batch.append(line).append("\r\n");
        }
        send(batch.toString());
        List<String> replies = new ArrayList<>();
        for (int i = 0; i < lines.length; i++) {
            replies.add(reply());
        }
        return replies;
    }

    /** One whole reply's text, multi-line replies joined with LF, without the final CRLF. */
    public String reply() throws IOException {
        return readReply().text();
    }

    /** One whole reply, parsed; throws if the server closes (or resets) before its last line. */
    public Reply readReply() throws IOException {
        long end = System.nanoTime() + deadline.toNanos();
        List<String> lines = new ArrayList<>();
        while (true) {
            byte[] line = readLine(end);
            if (line == null) {
                throw new IOException("connection closed after: " + String.join("\n", lines));
            }
            String text = new String(line, StandardCharsets.UTF_8);
            lines.add(text);
            if (text.length() < 4 || text.charAt(3) != '-') {
                return Reply.of(lines);
            }
        }
    }

    /**
     * One line as bytes, without its CRLF (or bare LF), or null when the server has closed or
     * reset the connection; for tests that look at replies byte by byte.
     */
    public byte[] readLine() throws IOException {
        try {
            return readLine(System.nanoTime() + deadline.toNanos());
        } catch (SocketException reset) {
            return null;
        }
    }

    /** Each line that arrives within {@code quiet} of the one before, up to the end of the stream. */
    public List<byte[]> linesWithin(Duration quiet) throws IOException {
        List<byte[]> lines = new ArrayList<>();
        try {
            byte[] line;
            while ((line = readLine(System.nanoTime() + quiet.toNanos())) != null) {
                lines.add(line);
            }
        } catch (SocketTimeoutException silent) {
            // nothing more within quiet
        } catch (SocketException reset) {
            // the server is gone: nothing more either
        }
        return lines;
    }

    private byte[] readLine(long end) throws IOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        int b;
        while ((b = read(end)) >= 0) {
            if (b == '\n') {
                byte[] bytes = line.toByteArray();
                int n = bytes.length > 0 && bytes[bytes.length - 1] == '\r' ? bytes.length - 1 : bytes.length;
                return java.util.Arrays.copyOf(bytes, n);
            }
            line.write(b);
        }
        return line.size() == 0 ? null : line.toByteArray();
    }

    /** One byte, or -1 at the end of the stream; the socket timeout is what is left of {@code end}. */
    private int read(long end) throws IOException {
        long left = end - System.nanoTime();
        if (left <= 0) {
            throw new SocketTimeoutException("no reply within " + deadline);
        }
        socket.setSoTimeout((int) Math.max(1, Math.min(Integer.MAX_VALUE, left / 1_000_000)));
        return in.read();
    }

    /**
     * True if the server closes the connection (end of stream or reset) before sending anything
     * more; false if a byte arrives or nothing happens within the deadline.
     */
    public boolean closedByServer() throws IOException {
        try {
            return read(System.nanoTime() + deadline.toNanos()) < 0;
        } catch (SocketTimeoutException e) {
            return false;
        } catch (IOException e) {
            return true; // reset
        }
    }

    /** One transaction after EHLO; returns the reply to the end of data. {@code body} must be dot-stuffed. */
    public String sendMail(String from, String to, String body) throws IOException {
        expect(command("MAIL FROM:<" + from + ">"), "250");
        expect(command("RCPT TO:<" + to + ">"), "250");
        expect(command("DATA"), "354");
        send(body + "\r\n.\r\n");
        return reply();
    }

    /**
     * A whole session: greeting, EHLO, one message ({@code content} is dot-stuffed here), QUIT;
     * returns the reply to the end of data.
     */
    public static String deliver(InetSocketAddress server, String from, String to, String content) throws IOException {
        try (SmtpClient client = connect(server)) {
            expect(client.reply(), "220");
            expect(client.command("EHLO client.example"), "250");
            String dotted = content.replace("\r\n.", "\r\n..");
            String result = client.sendMail(from, to, dotted.endsWith("\r\n") ? dotted.substring(0, dotted.length() - 2) : dotted);
            client.command("QUIT");
            return result;
        }
    }

    /**
     * Shakes hands as a TLS client on this connection: after a {@code 220} to STARTTLS (RFC 3207),
     * or at once on an implicit-TLS port. {@code protocols}, when given, are the only ones offered.
     */
    public SSLSocket startTls(SSLContext context, String... protocols) throws IOException {
        SSLSocket tls = (SSLSocket) context.getSocketFactory().createSocket(
                socket, socket.getInetAddress().getHostAddress(), socket.getPort(), true);
        tls.setUseClientMode(true);
        if (protocols.length > 0) {
            tls.setEnabledProtocols(protocols);
        }
        tls.setSoTimeout((int) deadline.toMillis());
        tls.startHandshake();
        use(tls);
        return tls;
    }

    private void use(Socket socket) throws IOException {
        this.socket = socket;
        socket.setSoTimeout((int) deadline.toMillis());
        in = new BufferedInputStream(socket.getInputStream());
        out = socket.getOutputStream();
    }

    private static void expect(String reply, String code) throws IOException {
        if (!reply.startsWith(code)) {
            throw new IOException("expected " + code + " but got: " + reply);
        }
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
