import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A loopback SMTP load driver: N connections send M messages of L bytes in all through
 * EHLO / MAIL / RCPT / DATA (one command at a time, like Postfix's smtp-source, or pipelined
 * with --pipeline), and report messages/s and MB/s. Or, with --idle N, opens N connections,
 * reads their greetings and holds them for --hold seconds (for memory measurements).
 *
 * <pre>
 * java LoadDriver.java --port 2525 --connections 50 --messages 20000 --size 1024
 * java LoadDriver.java --port 2525 --connections 1 --messages 20 --size 10485760
 * java LoadDriver.java --port 2525 --idle 10000 --hold 30
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
        if (idle > 0) {
            idle();
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
                try (Socket s = new Socket()) {
                    s.connect(new InetSocketAddress(host, port), 10_000);
                    s.setSoTimeout(60_000);
                    s.setTcpNoDelay(true);
                    InputStream in = new BufferedInputStream(s.getInputStream(), 8192);
                    OutputStream out = new BufferedOutputStream(s.getOutputStream(), 64 * 1024);
                    expect(in, '2');
                    write(out, "EHLO driver" + id + ".example\r\n");
                    out.flush();
                    expect(in, '2');
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
        System.out.printf("%d connections, %d messages of %d bytes in %.2f s: %.0f msgs/s, %.1f MB/s%s%s%n",
                connections, n, size, seconds, n / seconds, n * (double) size / seconds / 1e6,
                pipeline ? " (pipelined)" : "", failures.get() > 0 ? ", " + failures.get() + " connection(s) failed" : "");
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
