import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.SSLSocketFactory;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;

/**
 * A loopback SMTP load driver: N connections send M messages of L bytes in all through
 * EHLO / MAIL / RCPT / DATA (one command at a time, like Postfix's smtp-source, or pipelined
 * with --pipeline), and report messages/s and MB/s. Or, with --idle N, opens N connections,
 * reads their greetings and holds them for --hold seconds (for memory measurements).
 *
 * <p>TLS: {@code --starttls} (EHLO, STARTTLS, EHLO again) or {@code --tls} (implicit TLS, RFC 8314)
 * for every connection; {@code --handshakes N} opens N new connections in all (greeting, EHLO,
 * TLS when asked, QUIT) over --connections threads and reports connections/s. Every TLS
 * connection makes a full handshake: each gets its own server name, so the client's session cache
 * never resumes one ({@code --resume} lets it). The client trusts any certificate: loopback only.
 *
 * <pre>
 * java LoadDriver.java --port 2525 --connections 50 --messages 20000 --size 1024
 * java LoadDriver.java --port 2525 --connections 1 --messages 20 --size 10485760
 * java LoadDriver.java --port 2525 --idle 10000 --hold 30
 * java LoadDriver.java --port 2525 --starttls --connections 50 --messages 20000 --size 1024
 * java LoadDriver.java --port 2465 --tls --handshakes 5000 --connections 8
 * </pre>
 * Bounded: every run stops after --timeout seconds (default 120) whatever happened.
 */
public class LoadDriver {

    static String host = "127.0.0.1";
    static int port = 2525;
    static int connections = 1;
    static int messages = 1000;
    static int size = 1024;
    static boolean pipeline;
    static int idle;
    static int hold = 30;
    static long timeoutMillis = 120_000;
    static boolean starttls;
    static boolean implicitTls;
    static boolean resume;
    static int handshakes;
    static SSLSocketFactory tls;
    static final AtomicInteger serverNames = new AtomicInteger();

    public static void main(String[] args) throws Exception {
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--host" -> host = args[++i];
                case "--port" -> port = Integer.parseInt(args[++i]);
                case "--connections", "-c" -> connections = Integer.parseInt(args[++i]);
                case "--messages", "-m" -> messages = Integer.parseInt(args[++i]);
                case "--size", "-l" -> size = Integer.parseInt(args[++i]);
                case "--pipeline" -> pipeline = true;
                case "--idle" -> idle = Integer.parseInt(args[++i]);
                case "--hold" -> hold = Integer.parseInt(args[++i]);
                case "--timeout" -> timeoutMillis = Long.parseLong(args[++i]) * 1000;
                case "--starttls" -> starttls = true;
                case "--tls" -> implicitTls = true;
                case "--resume" -> resume = true;
                case "--handshakes" -> handshakes = Integer.parseInt(args[++i]);
                default -> {
                    System.err.println("unknown option " + args[i]);
                    System.exit(2);
                }
            }
        }
        if (!host.equals("127.0.0.1") && !host.equals("::1") && !host.equals("localhost")) {
            System.err.println("loopback only");
            System.exit(2);
        }
        if (starttls || implicitTls) {
            tls = trustingContext().getSocketFactory();
        }
        if (idle > 0) {
            idle();
        } else if (handshakes > 0) {
            handshakes();
        } else {
            load();
        }
    }

    static void idle() throws Exception {
        List<Socket> sockets = new ArrayList<>(idle);
        long start = System.nanoTime();
        long deadline = System.currentTimeMillis() + timeoutMillis;
        byte[] buf = new byte[512];
        for (int i = 0; i < idle && System.currentTimeMillis() < deadline; i++) {
            Socket s = new Socket();
            s.connect(new InetSocketAddress(host, port), 10_000);
            s.setSoTimeout(10_000);
            int n = s.getInputStream().read(buf);
            if (n <= 0 || buf[0] != '2') {
                System.err.println("connection " + i + " refused: " + (n > 0 ? new String(buf, 0, n, StandardCharsets.US_ASCII).strip() : "EOF"));
                s.close();
                break;
            }
            sockets.add(s);
        }
        System.out.printf("idle: %d connections open in %.1f s; holding %d s%n", sockets.size(),
                (System.nanoTime() - start) / 1e9, hold);
        System.out.flush();
        Thread.sleep(Math.min(hold * 1000L, Math.max(0, deadline - System.currentTimeMillis())));
        for (Socket s : sockets) {
            s.close();
        }
    }

    static void load() throws Exception {
        byte[] body = body(size);
        AtomicInteger tickets = new AtomicInteger(messages);
        AtomicLong sent = new AtomicLong();
        AtomicInteger failures = new AtomicInteger();
        long deadline = System.currentTimeMillis() + timeoutMillis;
        List<Thread> threads = new ArrayList<>();
        long start = System.nanoTime();
        for (int c = 0; c < connections; c++) {
            int id = c;
            Thread t = new Thread(() -> {
                try (Session session = open(id)) {
                    InputStream in = session.in;
                    OutputStream out = session.out;
                    while (tickets.getAndDecrement() > 0 && System.currentTimeMillis() < deadline) {
                        if (pipeline) {
                            write(out, "MAIL FROM:<load@example.org>\r\nRCPT TO:<sink@example.org>\r\nDATA\r\n");
                            out.flush();
                            expect(in, '2');
                            expect(in, '2');
                            expect(in, '3');
                        } else {
                            write(out, "MAIL FROM:<load@example.org>\r\n");
                            out.flush();
                            expect(in, '2');
                            write(out, "RCPT TO:<sink@example.org>\r\n");
                            out.flush();
                            expect(in, '2');
                            write(out, "DATA\r\n");
                            out.flush();
                            expect(in, '3');
                        }
                        out.write(body);
                        write(out, ".\r\n");
                        out.flush();
                        expect(in, '2');
                        sent.incrementAndGet();
                    }
                    write(out, "QUIT\r\n");
                    out.flush();
                    expect(in, '2');
                } catch (IOException e) {
                    failures.incrementAndGet();
                    System.err.println("connection " + id + ": " + e.getMessage());
                }
            });
            threads.add(t);
            t.start();
        }
        for (Thread t : threads) {
            t.join(Math.max(1, deadline - System.currentTimeMillis() + 5_000));
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        long n = sent.get();
        System.out.printf("%d connections, %d messages of %d bytes in %.2f s: %.0f msgs/s, %.1f MB/s%s%s%s%n",
                connections, n, size, seconds, n / seconds, n * (double) size / seconds / 1e6,
                pipeline ? " (pipelined)" : "", implicitTls ? " (implicit TLS)" : starttls ? " (STARTTLS)" : "", failures.get() > 0 ? ", " + failures.get() + " connection(s) failed" : "");
    }

    static void handshakes() throws Exception {
        AtomicInteger tickets = new AtomicInteger(handshakes);
        AtomicInteger done = new AtomicInteger();
        AtomicInteger failures = new AtomicInteger();
        long deadline = System.currentTimeMillis() + timeoutMillis;
        List<Thread> threads = new ArrayList<>();
        long start = System.nanoTime();
        for (int c = 0; c < connections; c++) {
            int id = c;
            Thread t = new Thread(() -> {
                while (tickets.getAndDecrement() > 0 && System.currentTimeMillis() < deadline) {
                    try (Session session = open(id)) {
                        write(session.out, "QUIT\r\n");
                        session.out.flush();
                        expect(session.in, '2');
                        done.incrementAndGet();
                    } catch (IOException e) {
                        if (failures.incrementAndGet() <= 5) {
                            System.err.println("connection " + id + ": " + e);
                        }
                    }
                }
            });
            threads.add(t);
            t.start();
        }
        for (Thread t : threads) {
            t.join(Math.max(1, deadline - System.currentTimeMillis() + 5_000));
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        System.out.printf("%d new connections%s over %d threads in %.2f s: %.0f connections/s%s%n", done.get(),
                implicitTls ? " (implicit TLS)" : starttls ? " (STARTTLS)" : "", connections, seconds, done.get() / seconds,
                failures.get() > 0 ? ", " + failures.get() + " failed" : "");
    }

    /** A connection past its greeting and EHLO, over TLS when asked. */
    record Session(Socket socket, InputStream in, OutputStream out) implements AutoCloseable {
        @Override
        public void close() throws IOException {
            socket.close();
        }
    }

    static Session open(int id) throws IOException {
        Socket s = new Socket();
        try {
            s.connect(new InetSocketAddress(host, port), 10_000);
            s.setSoTimeout(60_000);
            s.setTcpNoDelay(true);
            if (implicitTls) {
                s = handshake(s);
            }
            InputStream in = new BufferedInputStream(s.getInputStream(), 8192);
            OutputStream out = new BufferedOutputStream(s.getOutputStream(), 64 * 1024);
            expect(in, '2');
            write(out, "EHLO driver" + id + ".example\r\n");
            out.flush();
            expect(in, '2');
            if (starttls) {
                write(out, "STARTTLS\r\n");
                out.flush();
                expect(in, '2');
                s = handshake(s);
                in = new BufferedInputStream(s.getInputStream(), 8192);
                out = new BufferedOutputStream(s.getOutputStream(), 64 * 1024);
                write(out, "EHLO driver" + id + ".example\r\n");
                out.flush();
                expect(in, '2');
            }
            return new Session(s, in, out);
        } catch (IOException | RuntimeException e) {
            s.close();
            throw e;
        }
    }

    /** Layers TLS over {@code plain}; a server name of its own unless --resume, so no session is resumed. */
    static Socket handshake(Socket plain) throws IOException {
        String name = resume ? "bench.invalid" : "bench" + serverNames.incrementAndGet() + ".invalid";
        SSLSocket s = (SSLSocket) tls.createSocket(plain, name, port, true);
        s.startHandshake();
        return s;
    }

    static SSLContext trustingContext() throws Exception {
        TrustManager any = new X509TrustManager() {
            @Override
            public void checkClientTrusted(X509Certificate[] chain, String authType) {
            }

            @Override
            public void checkServerTrusted(X509Certificate[] chain, String authType) {
            }

            @Override
            public X509Certificate[] getAcceptedIssuers() {
                return new X509Certificate[0];
            }
        };
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(null, new TrustManager[] {any}, new SecureRandom());
        return context;
    }

    /** {@code size} bytes of 78-character lines with CRLF, no line starting with a dot. */
    static byte[] body(int size) {
        byte[] b = new byte[size];
        for (int i = 0; i < size; i++) {
            b[i] = (byte) ('a' + i % 26);
        }
        for (int i = 78; i < size - 2; i += 80) {
            b[i] = '\r';
            b[i + 1] = '\n';
        }
        if (size >= 2) {
            b[size - 2] = '\r';
            b[size - 1] = '\n';
        }
        return b;
    }

    static void write(OutputStream out, String s) throws IOException {
        out.write(s.getBytes(StandardCharsets.US_ASCII));
    }

    /** Reads one reply (all its lines) and checks its first digit. */
    static void expect(InputStream in, char digit) throws IOException {
        while (true) {
            int first = in.read();
            if (first < 0) {
                throw new IOException("connection closed");
            }
            int b;
            int pos = 1;
            boolean more = false;
            while ((b = in.read()) != '\n') {
                if (b < 0) {
                    throw new IOException("connection closed");
                }
                if (pos == 3) {
                    more = b == '-';
                }
                pos++;
            }
            if (!more) {
                if (first != digit) {
                    throw new IOException("unexpected reply starting with " + (char) first);
                }
                return;
            }
        }
    }
}
